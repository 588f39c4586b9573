"""The database verbs as a person runs them: a real process, a real SQLite file or PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ffmot.store.db import connect
from tests.cli.test_cli import assert_refused, ffmot
from tests.helpers import raw_sqlite
from tests.k_anonymity import assert_k_anonymous, reidentify


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "ffmot.db")
    return str(request.getfixturevalue("pg_url"))


def run(url: str, *args: str):
    p = ffmot("--db", url, *args)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def test_demo_events_participants_export_import(url, tmp_path):
    p = run(url, "demo", "--participants", "30", "--seed", "4", "--station", "Hall A")
    assert p.returncode == 0, p.stderr
    assert "30 synthetic participants" in p.stdout
    events = json.loads(run(url, "events", "--json").stdout)
    assert events and all(
        {"id", "name", "date", "venue", "participants"} <= e.keys() for e in events
    )
    assert sum(e["participants"] for e in events) >= 30 and all(e["training"] for e in events)
    table = run(url, "events").stdout
    assert events[0]["name"][:20] in table and "(training)" in table
    people = run(url, "participants").stdout.splitlines()
    assert people[0].split() == ["code", "name", "age", "last", "assessed"]
    assert len(people) == 31
    first_family = people[1].split()[2]
    found = run(url, "participants", "--search", first_family).stdout
    assert first_family in found

    out = tmp_path / "all.csv"
    p = run(url, "export", "--format", "csv", "--out", str(out))
    assert p.returncode == 0 and out.exists(), p.stderr
    rows = list(csv.DictReader(out.open()))
    assert rows and {"participant_code", "band", "value", "unit"} <= rows[0].keys()
    fresh = str(tmp_path / "fresh.db")
    p = run(fresh, "import", "--take-consents", str(out))
    assert p.returncode == 0, p.stderr
    out2 = tmp_path / "again.csv"
    run(fresh, "export", "--format", "csv", "--out", str(out2))
    assert out2.read_text() == out.read_text()

    anon = tmp_path / "anon.xlsx"
    p = run(url, "export", "--format", "xlsx", "--out", str(anon), "--anonymised")
    assert p.returncode == 0 and "anonymised rows" in p.stdout
    assert "at least 5 people share every MOT day, date, age band and sex" in p.stdout
    assert assert_k_anonymous(anon, 5) >= 5
    db = connect(url)
    try:
        assert reidentify(db, anon) >= 5
    finally:
        db.close()


def test_erase_and_merge_verbs(url, tmp_path):
    laptop = str(tmp_path / "laptop.db")
    assert run(laptop, "demo", "--participants", "5", "--seed", "9").returncode == 0
    p = run(url, "merge", laptop)
    assert p.returncode == 0 and "added" in p.stdout and "conflicts 0" in p.stdout
    p = run(url, "merge", laptop)
    assert "added nothing" in p.stdout
    code = run(url, "participants").stdout.splitlines()[1].split()[0]
    p = run(url, "erase", code, "--yes")
    assert p.returncode == 0 and "erased" in p.stdout
    assert code not in run(url, "participants").stdout
    assert_refused(run(url, "erase", code, "--yes"), "no participant has the code")


def test_db_upgrade_and_refusals(tmp_path):
    path = tmp_path / "ffmot.db"
    p = run(str(path), "db", "upgrade")
    assert p.returncode == 0 and "upgraded" in p.stdout
    assert "up to date" in run(str(path), "db", "upgrade").stdout
    set_schema(path, "0999")
    before = path.read_bytes()
    assert_refused(run(str(path), "events"), "newer version of ffmot", status=3)
    assert path.read_bytes() == before
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    assert_refused(run(str(junk), "participants"), "not an ffmot database", status=3)
    assert_refused(run(str(tmp_path / "x.db"), "erase", "IO10", "--yes"), "not a participant code")
    assert run(str(tmp_path / "d.db"), "demo", "--participants", "2").returncode == 0
    assert_refused(run(str(tmp_path / "d.db"), "demo", "--participants", "2"), "another --seed")
    assert_refused(run(str(tmp_path / "x.db"), "import", str(tmp_path / "none.csv")), "cannot find")
    assert_refused(
        run(str(tmp_path / "x.db"), "export", "--format", "pdf", "--out", "x"), "invalid choice"
    )
    assert_refused(
        run(str(tmp_path / "x.db"), "demo", "--participants", "many"), "not a whole number"
    )
    assert_refused(
        run("postgresql+psycopg://nobody@127.0.0.1:1/x", "events"), "cannot reach", status=3
    )
    assert_refused(run("mysql://x@y/z", "events"), "SQLite or PostgreSQL", status=3)


def test_import_reports_bad_rows_by_line(tmp_path):
    db = str(tmp_path / "ffmot.db")
    run(db, "demo", "--participants", "3")
    out = tmp_path / "x.csv"
    run(db, "export", "--format", "csv", "--out", str(out))
    rows = list(csv.reader(out.open()))
    rows[2][rows[0].index("done")] = "perhaps"
    with out.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    p = run(str(tmp_path / "new.db"), "import", str(out))
    assert p.returncode == 2
    err = p.stderr.splitlines()
    assert err[0] == "ffmot: 1 row(s) cannot be imported; nothing was imported"
    assert err[1].strip().startswith("line 3:") and "done must be yes or no" in err[1]


def set_schema(path: Path, revision: str) -> None:
    """Marks a SQLite file as written at another schema revision, fully flushed to the file."""
    c = raw_sqlite(path)
    c.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def test_correct_a_participants_details_and_the_sheet_follows(url, tmp_path):
    assert run(url, "demo", "--participants", "3", "--seed", "2").returncode == 0
    code = run(url, "participants").stdout.splitlines()[1].split()[0]
    p = run(url, "correct", code, "--family", "Ó Briain", "--sex", "female", "--dob", "1950-02-03")
    assert p.returncode == 0, p.stderr
    assert "Ó Briain, born 1950-02-03, female, sheet in en" in p.stdout
    found = run(url, "participants", "--search", "briain").stdout
    assert code in found and "Ó Briain" in found
    for bad, says in (
        (("--dob", "2090-01-01"), "in the future"),
        (("--sex", "robot"), "invalid choice"),
        ((), "say what to correct"),
        (("--language", "fr"), "a sheet cannot be made in 'fr'"),
        (("--language", "qps"), "a sheet cannot be made in 'qps'"),
    ):
        q = run(url, "correct", code, *bad)
        assert q.returncode == 2 and says in q.stderr, q.stderr
    q = run(url, "correct", "K7PM-4QY", "--given", "X")
    assert q.returncode == 2 and "typing mistake" in q.stderr


def test_save_work_then_merge_several_files_one_bad(tmp_path):
    laptop = str(tmp_path / "laptop.db")
    assert run(laptop, "demo", "--participants", "4", "--seed", "3").returncode == 0
    stick = tmp_path / "stick"
    stick.mkdir()
    p = run(laptop, "save-work", "--out", str(stick), "--station", "Grip station")
    assert p.returncode == 0 and "saved this station's work to" in p.stdout
    (saved,) = stick.glob("ffmot-Grip-station-*.db")
    assert (stick / (saved.name + ".sha256")).is_file()
    junk = tmp_path / "notes.db"
    junk.write_text("not a database")
    hub = str(tmp_path / "hub.db")
    p = run(hub, "merge", str(junk), str(saved))  # the bad one first: the good one still comes in
    assert p.returncode == 2
    assert "notes.db" in p.stderr and "not an ffmot station file" in p.stderr
    assert "added" in p.stdout
    assert len(run(hub, "participants").stdout.splitlines()) == 1 + 4
    p = run(hub, "save-work", "--out", str(tmp_path / "nowhere"))
    assert_refused(p, "is not a folder")


def test_merge_names_a_bad_record_brings_in_the_rest_and_exits_2(tmp_path):

    laptop = str(tmp_path / "laptop.db")
    assert run(laptop, "demo", "--participants", "3", "--seed", "5").returncode == 0
    raw = raw_sqlite(laptop)
    raw.execute("PRAGMA ignore_check_constraints = ON")
    (code,) = raw.execute("SELECT code FROM participant ORDER BY code LIMIT 1").fetchone()
    raw.execute("UPDATE participant SET sex = 'robot' WHERE code = ?", (code,))
    raw.commit()
    raw.close()
    hub = str(tmp_path / "hub.db")
    p = run(hub, "merge", laptop)
    assert p.returncode == 2, p.stderr
    assert "could not come in, the rest did" in p.stdout and "its sex is not" in p.stdout
    assert "Traceback" not in p.stderr
    assert len(run(hub, "participants").stdout.splitlines()) == 1 + 2


def test_a_database_in_a_cloud_sync_folder_is_warned_about_not_refused(tmp_path):
    folder = tmp_path / "OneDrive - Cumbria Council" / "MOT days"
    folder.mkdir(parents=True)
    p = run(str(folder / "day.db"), "events")
    assert p.returncode == 0, p.stderr
    assert "warning:" in p.stderr and "OneDrive keeps in step with the cloud" in p.stderr
    quiet = run(str(tmp_path / "day.db"), "events")
    assert quiet.returncode == 0 and "warning" not in quiet.stderr
