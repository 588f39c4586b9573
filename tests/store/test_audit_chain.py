"""The audit is a hash chain: a row removed, changed, inserted or the newest ones cut off is
found and named by `verify`; an erasure unlinking a person's entries leaves it whole; entries
brought in from a station stay outside it; two stations writing at once never fork it; an
older database's entries are chained when it is upgraded. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

from ffmot.core import screening
from ffmot.services import audit_log
from ffmot.services import records as R
from ffmot.services.erase import erase_participant
from ffmot.services.merge import merge
from ffmot.services.types import Actor
from ffmot.store.db import connect, upgrade_to
from ffmot.store.models import AuditEntry, AuditHead
from tests.helpers import raw_sqlite

LEAD = Actor("Dana Lead", "Office")  # an open database: no sign-in needed


def _day(db, n: int = 3) -> list[str]:  # type: ignore[no-untyped-def]
    e = R.create_event(db, LEAD, "Day", dt.date.today())
    codes = []
    for i in range(n):
        p = R.register_participant(
            db, LEAD, "Ann", f"Chain{i}", dt.date(1950, 1, 1), "female",
            consents={"keep_results": True},
        )  # fmt: skip
        v = R.check_in(db, LEAD, p.id, e.id)
        R.record_screening(db, LEAD, v.id, screening.answers_with())
        R.save_result(db, LEAD, v.id, "grip", [(20.0 + i, "kg")])
        codes.append(p.code)
    return codes


def test_a_day_of_work_makes_a_whole_chain(db):
    _day(db)
    v = audit_log.verify(db, LEAD)
    assert v.problem == "" and v.entries >= 12 and len(v.head) == 64
    with db.transaction() as s:
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    assert seqs == list(range(1, len(seqs) + 1))  # the verify itself is the newest link


def test_a_changed_row_is_named(db):
    _day(db)
    with db.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(actor="Someone Else"))
    v = audit_log.verify(db, LEAD)
    assert v.problem.startswith("entry 5 (") and "has been changed" in v.problem


def test_a_removed_row_is_named(db):
    _day(db)
    with db.transaction() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    v = audit_log.verify(db, LEAD)
    assert "entries 4 to 4 are missing before entry 5" in v.problem


def test_the_newest_rows_cut_off_are_found_by_the_head(db):
    _day(db)
    with db.transaction() as s:
        last = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
        s.execute(delete(AuditEntry).where(AuditEntry.seq > last - 2))
    v = audit_log.verify(db, LEAD)
    assert f"but {last} were written: the newest 2 were removed" in v.problem


def test_a_row_pointed_at_another_record_is_named(db):
    _day(db)
    with db.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 6).values(entity_id="x" * 36))
    assert "now names another record" in audit_log.verify(db, LEAD).problem


def test_an_erasure_leaves_the_chain_whole(db):
    codes = _day(db)
    erase_participant(db, LEAD, codes[1])
    v = audit_log.verify(db, LEAD)
    assert v.problem == ""


def test_a_stations_entries_stay_outside_the_chain(tmp_path):
    hub = connect(str(tmp_path / "hub.db"))
    _day(hub, 1)
    station = connect(str(tmp_path / "station.db"))
    _day(station, 2)
    station.close()
    merge(hub, LEAD, str(tmp_path / "station.db"))
    v = audit_log.verify(hub, LEAD)
    assert v.problem == "" and v.brought_in > 0
    with hub.transaction() as s:
        brought = s.scalars(select(AuditEntry).where(AuditEntry.origin != "")).all()
    assert brought and all(e.seq is None and e.link is None for e in brought)
    hub.close()


def test_two_stations_writing_at_once_never_fork_the_chain(db_url):
    first = connect(db_url)
    e = R.create_event(first, LEAD, "Busy day", dt.date.today())
    errors: list[BaseException] = []

    def station(n: int) -> None:
        db = connect(db_url)
        try:
            for i in range(15):
                for attempt in range(20):
                    try:
                        R.register_participant(
                            db, Actor(f"Station {n}", f"Station {n}"), "Bo", f"Race{n}x{i}",
                            dt.date(1950, 1, 1), "male",
                        )  # fmt: skip
                        break
                    except Exception as err:  # a locked SQLite file: try again, as a station does
                        if "locked" not in str(err) or attempt == 19:
                            raise
        except BaseException as err:
            errors.append(err)
        finally:
            db.close()

    threads = [threading.Thread(target=station, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    v = audit_log.verify(first, LEAD)
    assert v.problem == "" and v.entries >= 46, v
    with first.transaction() as s:
        assert s.get(AuditHead, 1).seq == v.entries + 1  # and the verify's own entry
    assert e.id
    first.close()


def test_an_older_databases_entries_are_chained_when_it_is_upgraded(tmp_path: Path):
    path = tmp_path / "old.db"
    db = connect(str(path), upgrade=False)
    upgrade_to(db, "0008")
    with db.engine.begin() as c:
        for i in range(5):
            c.execute(
                text(
                    "INSERT INTO audit (id, at, actor, station, action, entity, entity_id, "
                    "detail, origin) VALUES (:id, :at, 'Old Hand', 'Desk', 'create', "
                    "'participant', '', '', '')"
                ),
                {
                    "id": f"00000000-0000-4000-8000-00000000000{i}",
                    "at": f"2026-01-0{i + 1} 10:00:00",
                },
            )
    db.close()
    db = connect(str(path))  # upgraded to the chain
    v = audit_log.verify(db, LEAD)
    assert v.problem == "" and v.entries == 5
    db.close()


def test_the_command_says_whole_or_names_the_break(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _day(db)
    db.close()
    ok = subprocess.run(
        [sys.executable, "-m", "ffmot", "--db", str(path), "audit", "verify"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert ok.returncode == 0 and "the chain is whole" in ok.stdout, ok.stderr

    with raw_sqlite(path) as c:
        c.execute("DELETE FROM audit WHERE seq = 3")
    bad = subprocess.run(
        [sys.executable, "-m", "ffmot", "--db", str(path), "audit", "verify"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("ffmot: the audit is not whole: entries 3 to 3 are missing")


@pytest.fixture
def actor() -> Actor:
    return LEAD


def test_listing_everyone_on_the_command_line_is_audited(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _day(db, 2)
    db.close()
    p = subprocess.run(
        [sys.executable, "-m", "ffmot", "--db", str(path), "participants"],
        capture_output=True, text=True, env={**__import__("os").environ, "FFMOT_USER": "Pat"},
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    db = connect(str(path))
    with db.transaction() as s:
        listed = s.scalars(select(AuditEntry).where(AuditEntry.action == "list")).all()
    assert [(e.actor, e.entity, e.detail) for e in listed] == [("Pat", "participant", "2 shown")]
    assert audit_log.verify(db, LEAD).problem == ""
    db.close()
