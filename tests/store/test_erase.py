"""Erasure that really erases: checked by reading the database file's bytes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.services.erase import Erased, erase_participant
from ffmot.services.merge import merge
from ffmot.store.db import connect
from ffmot.store.models import Assessment, AuditEntry, Participant, Result, Trial
from tests.helpers import plain_database_file


def people(db, actor, n=25):
    e = R.create_event(db, actor, "MOT day", dt.date(2026, 5, 1))
    out = []
    for i in range(n):
        p = R.register_participant(
            db,
            actor,
            f"Zebedee{i:02d}",
            f"Quixotefamily{i:02d}",
            dt.date(1950, 3, 14 + i % 10),
            "female",
            phone=f"01632 9605{i:02d}",
            email=f"zq{i:02d}@example.org",
            notes=f"Private note {i:02d}",
            consents={"keep_results": True},
        )
        a = R.check_in(db, actor, p.id, e.id)
        R.record_screening(db, actor, a.id, screening.answers_with())
        R.save_result(db, actor, a.id, "grip", [(20 + i / 10, f"left hand {i:02d}")])
        out.append(p)
    return out


def file_bytes(path: Path) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(path.parent.glob(path.name + "*")))


def test_an_encrypted_file_holds_no_readable_personal_data(tmp_path, actor):
    """The default database: nothing of anyone is in its bytes, -wal included, before or after
    it is closed; the same people are in a plain file's (so the check can see them)."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    assert db.encrypted
    people(db, actor)
    plain = connect(str(plain_database_file(tmp_path / "plain.db")))
    assert not plain.encrypted
    people(plain, actor)
    plain.close()
    assert b"Quixotefamily07" in file_bytes(tmp_path / "plain.db")
    for blob in (file_bytes(path), (db.close(), file_bytes(path))[1]):
        for s in (b"Quixotefamily07", b"Zebedee03", b"zq05@example.org", b"01632 960507",
                  b"Private note 07", b"left hand 07", b"female", b"grip"):  # fmt: skip
            assert s not in blob, s


def test_erased_personal_data_leaves_no_bytes_in_the_file(tmp_path, actor):
    """Erasure overwrites, whatever the file: shown on a plain one, where it can be seen."""
    path = plain_database_file(tmp_path / "ffmot.db")
    db = connect(str(path))
    ps = people(db, actor)
    target = ps[7]
    assert b"Quixotefamily07" in file_bytes(path)
    result = erase_participant(db, actor, target.code)
    assert (result.visits, result.results) == (1, 1)
    secrets = [
        b"Quixotefamily07",
        b"Zebedee07",
        b"quixotefamily07",  # as the search keeps it: its columns and its name words
        b"zebedee07",
        b"zq07@example.org",
        b"01632 960507",
        b"Private note 07",
        b"left hand 07",
        target.code.encode(),
        target.id.encode(),
    ]
    blob = file_bytes(path)
    for s in secrets:
        assert s not in blob, s
    assert b"Quixotefamily08" in blob  # the others are untouched
    db.close()
    blob = file_bytes(path)
    for s in secrets:
        assert s not in blob, s


def test_erasure_removes_every_record_and_keeps_an_anonymous_audit_entry(db, actor):
    ps = people(db, actor, 3)
    erase_participant(db, actor, ps[1].code)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Participant)) == 2
        assert s.scalar(select(func.count()).select_from(Assessment)) == 2
        assert s.scalar(select(func.count()).select_from(Result)) == 2
        assert s.scalar(select(func.count()).select_from(Trial)) == 2
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).one()
    assert entry.entity_id == "" and "Zebedee" not in entry.detail and "1 visit" in entry.detail
    with pytest.raises(InputError, match="no participant has the code"):
        erase_participant(db, actor, ps[1].code)


def test_a_merge_does_not_bring_an_erased_person_back(tmp_path, actor):
    laptop = connect(str(tmp_path / "laptop.db"))
    ps = people(laptop, actor, 3)
    laptop.close()
    hub = connect(str(tmp_path / "hub.db"))
    merge(hub, actor, str(tmp_path / "laptop.db"))
    erase_participant(hub, actor, ps[0].code)
    report = merge(hub, actor, str(tmp_path / "laptop.db"))
    assert report.skipped_erased >= 3 and report.added.get("participant") == 0
    assert [r.name for r in R.search_participants(hub, "zebedee00")] == []
    hub.close()


def test_erasure_reaches_the_draft_and_the_log_lines_about_the_person(tmp_path, actor):
    """A draft of an entry being typed for them (kept so a crash loses nothing) and log lines
    naming them go with the person, from the log, its rotated copies and the log an older
    ffmot kept beside the database; another person's draft and other log lines stay."""
    import json
    import os
    import subprocess
    import sys

    from ffmot.core import codes

    home = tmp_path / "home"
    config, data = home / "config" / "ffmot", home / "data" / "ffmot"
    (config / "drafts").mkdir(parents=True)
    data.mkdir(parents=True)
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    zeb, other = people(db, actor, 2)
    key = db.key
    db.close()
    assert key is not None

    def sealed(entry: dict) -> str:  # as the window keeps a draft beside an encrypted database
        from ffmot.store.keys import seal_draft

        return json.dumps({"sealed": seal_draft(key, json.dumps(entry))})

    mine = config / "drafts" / "station-Station_1.json"
    mine.write_text(sealed({"test": "grip", "code": codes.display(zeb.code), "fields": ["23"]}))
    theirs = config / "drafts" / "station-Station_2.json"
    theirs.write_text(sealed({"test": "grip", "code": other.code, "fields": ["30"]}))
    logs = home / "state" / "ffmot" / "log"
    logs.mkdir(parents=True)
    earlier = data / "ffmot.log"  # where earlier versions kept it
    written = (logs / "ffmot.log", logs / "ffmot.log.1", logs / "ffmot.log.5", earlier)
    for log in written:
        log.write_text(
            "2026-12-01 09:00:01 INFO started\n"
            f"2026-12-01 09:10:00 ERROR saving grip for {codes.display(zeb.code)} failed\n"
            f"2026-12-01 09:11:00 ERROR visit {zeb.id} could not be read\n"
            f"2026-12-01 09:12:00 ERROR saving grip for {other.code} failed\n"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FFMOT_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"))
    p = subprocess.run(
        [sys.executable, "-m", "ffmot", "--db", str(path), "erase", zeb.code, "--yes"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert p.returncode == 0, p.stderr
    assert not mine.exists() and theirs.exists()
    for log in written:
        text = log.read_text()
        assert zeb.code not in text and codes.display(zeb.code) not in text, log
        assert zeb.id not in text and "started" in text and other.code in text, log


def test_an_erasure_does_not_rewrite_the_file(tmp_path, actor):
    """The person's bytes are overwritten where they lie (secure_delete) and the log emptied:
    the file is not compacted into a new one (at 200,000 people that took 30 s), so it keeps
    its size, and nothing of the person is in it."""
    path = plain_database_file(tmp_path / "ffmot.db")
    db = connect(str(path))
    ps = people(db, actor, n=40)
    db.close()
    db = connect(str(path))
    size = path.stat().st_size
    erase_participant(db, actor, ps[3].code)
    assert path.stat().st_size == size  # compacting would have shrunk it
    blob = file_bytes(path)
    assert b"Quixotefamily03" not in blob and b"Quixotefamily04" in blob
    db.close()


def test_an_erasure_on_postgresql_does_not_wait_for_another_station(pg_url, actor):
    """Another station in the middle of a transaction that has read the tables (as opening a
    visit does) does not hold the erasure up: the tables are vacuumed without VACUUM FULL's
    exclusive lock, which waited for every such station and then stopped them all."""
    import threading

    from sqlalchemy import text

    db = connect(pg_url)
    ps = people(db, actor, n=6)
    other = connect(pg_url)
    station = other.engine.connect()
    reading = station.begin()
    station.execute(text("SELECT count(*) FROM participant")).scalar_one()  # holds its lock
    done = threading.Event()
    failed: list[BaseException] = []
    erased: list[Erased] = []

    def erase() -> None:
        try:
            erased.append(erase_participant(db, actor, ps[2].code))
        except BaseException as e:  # reported below, on the test thread
            failed.append(e)
        finally:
            done.set()

    worker = threading.Thread(target=erase, daemon=True)
    worker.start()
    try:
        # Bounded by the erasure finishing; the ceiling is only for a machine far too slow.
        assert done.wait(120), "the erasure waited for the other station's transaction"
    finally:
        reading.rollback()
        station.close()
        worker.join(120)
        other.close()
    assert not failed, failed
    assert erased[0].unfinished == "", erased[0].unfinished  # overwritten, not left for later
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Participant)) == 5
    db.close()
