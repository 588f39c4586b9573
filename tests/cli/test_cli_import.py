"""`ffmot import` and `ffmot export` with files changed by hand: a real process, a real SQLite
file."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.cli.test_cli import ffmot


def run(db: str, *args: str):
    p = ffmot("--db", db, *args)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def exported(tmp_path: Path) -> tuple[str, Path, list[list[str]]]:
    db = str(tmp_path / "ffmot.db")
    assert run(db, "demo", "--participants", "3", "--seed", "2").returncode == 0
    out = tmp_path / "x.csv"
    assert run(db, "export", "--format", "csv", "--out", str(out)).returncode == 0
    with out.open(newline="", encoding="utf-8") as f:
        return db, out, list(csv.reader(f))


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_a_changed_value_needs_update_and_then_comes_in(tmp_path):
    db, out, rows = exported(tmp_path)
    h = rows[0]
    i = next(
        n
        for n, r in enumerate(rows)
        if n and r[h.index("test")] == "grip" and r[h.index("done")] == "yes"
    )
    rows[i][h.index("value")] = str(float(rows[i][h.index("value")]) + 1)
    rows[i][h.index("trials")] = ""
    write(out, rows)
    p = run(db, "import", str(out))
    assert p.returncode == 2 and p.stdout == ""
    err = p.stderr.splitlines()
    assert err[0] == "ffmot: 1 row(s) cannot be imported; nothing was imported"
    assert err[1].strip().startswith(f"line {i + 1}: the grip result") and "--update" in err[1]
    p = run(db, "import", "--update", str(out))
    assert p.returncode == 0, p.stderr
    assert "1 result(s) changed to the file's value" in p.stdout


def test_consents_in_a_file_need_take_consents(tmp_path):
    _db, out, _rows = exported(tmp_path)
    fresh = str(tmp_path / "fresh.db")
    p = run(fresh, "import", str(out))
    assert p.returncode == 2 and p.stdout == ""
    err = p.stderr.splitlines()
    assert err[0].startswith("ffmot: the file holds consent decisions for 3 new participant")
    assert err[1].strip().startswith("line 2:") and "--take-consents" in err[1]
    assert "(nobody found)" in run(fresh, "participants").stdout
    p = run(fresh, "import", "--take-consents", str(out))
    assert p.returncode == 0, p.stderr
    assert "consent decision(s) for 3 participant(s) taken from the file" in p.stdout


def test_a_million_bad_rows_print_twenty_lines_not_a_million(tmp_path):
    from ffmot.services.file_format import COLUMNS

    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        out.write("x\n" * 1_000_000)
    p = run(str(tmp_path / "new.db"), "import", str(bad))
    assert p.returncode == 2 and p.stdout == ""
    err = p.stderr.splitlines()
    assert len(err) == 21, len(err)
    assert err[0] == (
        "ffmot: 20 row(s) up to line 21 cannot be imported, and the 999,980 row(s) after it "
        "were not checked; nothing was imported. Put these right and import again"
    )
    assert err[1].strip() == "line 2: given_name is empty: every row needs the person's name"


def test_import_and_export_take_only_regular_files(tmp_path):
    import os
    import stat

    db, _out, _rows = exported(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for args in (
        ("import", str(fifo)),
        ("import", "/dev/zero"),
        ("import", str(tmp_path)),
        ("export", "--format", "csv", "--out", str(fifo)),
        ("export", "--format", "xlsx", "--out", str(fifo)),
    ):
        p = run(db, *args)  # never blocks: the helper gives up after 60 s
        assert p.returncode == 2 and p.stdout == "", (args, p)
        assert "is not a regular file" in p.stderr, (args, p.stderr)
        assert len(p.stderr.splitlines()) == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # the pipe is still a pipe, never replaced
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
