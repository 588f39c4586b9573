"""A station file's history (its audit entries) comes in as the station's record, marked with the
file it came from and who brought it in when: never taken as this database's own, never
changing an entry made here, and checked like any other record."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ffmot.services import records as R
from ffmot.services.merge import merge
from ffmot.services.types import Actor
from ffmot.store.db import (
    Database,
    connect,
    current_revision,
    known_revisions,
    upgrade_schema,
    upgrade_to,
)
from ffmot.store.models import AuditEntry
from tests.helpers import raw_sqlite
from tests.store.test_merge import station

TWO = Actor("Sam", "Station 2")


def entries(db: Database) -> dict[str, AuditEntry]:
    with db.transaction() as s:
        return {e.id: e for e in s.scalars(select(AuditEntry))}


def station_file(tmp_path: Path, name: str = "Station 2.db") -> tuple[Path, str]:
    """A station's file with a person and two results; returns it and the person's id."""
    two, _e, p, _a = station(tmp_path / name, TWO, "Ada", n_results=2)
    two.close()
    return tmp_path / name, p.id


def forge(path: Path, **row: object) -> str:
    """Writes one audit row into a station file by hand (a forged or damaged file)."""
    values = {
        "id": str(uuid.uuid4()),
        "at": "2026-05-01 10:00:00.000000",
        "actor": "Sam",
        "station": "Station 2",
        "action": "create",
        "entity": "result",
        "entity_id": str(uuid.uuid4()),
        "detail": "",
        "origin": "",
        **row,
    }
    con = raw_sqlite(path)
    con.execute(
        f"INSERT INTO audit ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        tuple(values.values()),
    )
    con.commit()
    con.close()
    return str(values["id"])


def test_a_stations_history_comes_in_marked_with_its_file_and_who_brought_it_in(
    db, tmp_path, actor
):
    R.create_event(db, actor, "Our own day", dt.date(2026, 5, 2))
    ours = entries(db)
    path, _pid = station_file(tmp_path)
    theirs = set(entries_of_file(path))
    before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    report = merge(db, actor, str(path))
    after = entries(db)
    assert all(after[i].origin == "" for i in ours)  # made here: no origin
    came = [after[i] for i in theirs]
    assert came and len(came) == report.history
    for e in came:
        assert e.origin.startswith(str(path) + ", brought in by Sam Tester (Station 1) on ")
        when = dt.datetime.strptime(e.origin[-20:-4], "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
        assert before <= when <= dt.datetime.now(dt.UTC)
    (mine,) = [e for i, e in after.items() if i not in ours and i not in theirs]
    assert mine.action == "merge" and mine.origin == ""  # the merge itself is ours
    assert (
        f"{len(came)} history entries came in as the station's record, marked with the file "
        "they came from" in report.line()
    )
    again = merge(db, actor, str(path))
    assert again.history == 0 and "history entr" not in again.line()
    assert {i: e.origin for i, e in entries(db).items() if i in theirs} == {
        e.id: e.origin for e in came
    }


def entries_of_file(path: Path) -> list[str]:
    con = raw_sqlite(path)
    try:
        return [r[0] for r in con.execute("SELECT id FROM audit")]
    finally:
        con.close()


def test_an_entry_made_here_is_never_changed_by_a_file_with_the_same_id(db, tmp_path, actor):
    e = R.create_event(db, actor, "Our own day", dt.date(2026, 5, 2))
    (ours,) = [x for x in entries(db).values() if x.entity_id == e.id]
    kept = (ours.at, ours.actor, ours.station, ours.action, ours.entity, ours.detail, ours.origin)
    path, _pid = station_file(tmp_path)
    forge(path, id=ours.id, action="erase", entity="event", entity_id=e.id, detail="forged")
    report = merge(db, actor, str(path))
    now = entries(db)[ours.id]
    assert (now.at, now.actor, now.station, now.action, now.entity, now.detail, now.origin) == kept
    assert len(report.bad) == 1, report.line()
    assert "another history entry with its id is already here" in report.bad[0]
    assert "the rest did" in report.line()
    assert e.id in {x.id for x in R.list_events(db)}


def test_an_entry_brought_in_before_is_not_overwritten_by_another_file(tmp_path, actor):
    hub = connect(str(tmp_path / "hub.db"))
    one, _ = station_file(tmp_path, "one.db")
    shared = forge(one, detail="3 results")
    merge(hub, actor, str(one))
    first = entries(hub)[shared]
    two, _ = station_file(tmp_path, "two.db")
    forge(two, id=shared, detail="7 results")
    report = merge(hub, actor, str(two))
    now = entries(hub)[shared]
    assert (now.detail, now.origin) == ("3 results", first.origin) and "one.db" in now.origin
    assert len(report.bad) == 1 and "already here" in report.bad[0]
    hub.close()


BAD = {
    "an unknown action": ({"action": "grant_admin"}, "an action ffmot does not record"),
    "an unknown kind of record": ({"entity": "user"}, "a kind of record ffmot does not keep"),
    "a time in the future": ({"at": "2999-01-01 00:00:00.000000"}, "in the future"),
    "a time before ffmot": ({"at": "0001-01-01 00:00:00.000000"}, "before ffmot"),
    "no time": ({"at": "yesterday"}, "its time is not a date"),
    "a participant's name": ({"detail": "phoned Ada Sampleton"}, "personal data"),
    "a date of birth": ({"detail": "born 1950-03-14"}, "personal data"),
    "an e-mail address": ({"detail": "wrote to ada@example.org"}, "personal data"),
    "a phone number": ({"detail": "rang 01228 000 111"}, "personal data"),
    "a very long detail": ({"detail": "x" * 501}, "longer than 500 characters"),
    "a control character": ({"detail": "ok\x1b[31m"}, "cannot be printed"),
    "a hidden direction mark": ({"actor": "Sam\u202e"}, "hidden direction mark"),
    "an id ffmot never makes": ({"id": "1; DROP TABLE audit"}, "id is not one ffmot makes"),
    "a record id ffmot never makes": ({"entity_id": "x" * 36}, "an id ffmot does not make"),
    "a blob for a detail": ({"detail": b"\x00\x01"}, "detail is not text"),
}


@pytest.mark.hostile("station files")
def test_each_bad_history_entry_is_named_and_left_out_and_the_good_ones_come_in(tmp_path, actor):
    hub = connect(str(tmp_path / "hub.db"))
    path, _pid = station_file(tmp_path)
    bad_ids = {forge(path, **row): why for row, why in BAD.values() if "id" not in row}
    forge(path, **BAD["an id ffmot never makes"][0])
    good = forge(path, detail="measurements: height_cm, weight_kg", entity="assessment")
    settled = forge(path, action="settle", detail="kept /media/stick/day-20260501-0930.db")
    report = merge(hub, actor, str(path))
    here = entries(hub)
    assert good in here and settled in here and not set(bad_ids) & set(here)
    assert "1; DROP" not in " ".join(here)
    assert len(report.bad) == len(BAD), report.line()
    said = " | ".join(report.bad)
    for _row, why in BAD.values():
        assert why in said, (why, said)
    assert all(b.startswith("an audit entry (record ") for b in report.bad)
    hub.close()


def test_the_origin_column_comes_with_the_upgrade_and_old_entries_are_this_databases(db_url):
    old = connect(db_url, upgrade=False)
    upgrade_to(old, "0006")
    with old.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO audit (id, at, actor, station, action, entity, entity_id, detail)"
                " VALUES ('4c0e4e0e-0000-4000-8000-000000000001', :at, 'Sam', 'Desk',"
                " 'create', 'event', '', '')"
            ),
            {"at": dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)},
        )
    assert upgrade_schema(old) and current_revision(old) == known_revisions()[1]
    (e,) = entries(old).values()
    assert e.origin == "" and e.actor == "Sam"
    old.close()


def test_a_shared_databases_password_is_never_in_an_entrys_origin(tmp_path, pg_url, actor):
    shared = connect(pg_url)
    R.create_event(shared, TWO, "Shared day", dt.date(2026, 5, 1))
    laptop = connect(str(tmp_path / "laptop.db"))
    report = merge(laptop, actor, pg_url.replace("app@", "app:s3cret-pw@"))
    came = [e for e in entries(laptop).values() if e.origin]
    assert came and report.history == len(came)
    assert not any("s3cret" in e.origin for e in came)
    assert all("brought in by Sam Tester" in e.origin for e in came)
    laptop.close()
    shared.close()


def test_every_action_and_kind_of_record_ffmot_audits_comes_in_from_a_station():
    """The words a station's history may use are the words ffmot writes: a new kind of entry
    is never refused as unknown when it comes in from a station."""
    import re

    from ffmot.services.merge import AUDIT_ACTIONS, AUDIT_ENTITIES

    call = re.compile(r"\baudit\(\s*\w+,\s*[^,()]+(?:\([^()]*\))?,\s*\"(\w+)\",\s*\"(\w+)\"")
    found = set()
    for path in (Path(__file__).parents[2] / "ffmot").rglob("*.py"):
        found |= set(call.findall(path.read_text(encoding="utf-8")))
    assert len(found) >= 10, found
    assert {a for a, _ in found} <= AUDIT_ACTIONS, {a for a, _ in found} - AUDIT_ACTIONS
    assert {e for _, e in found} <= AUDIT_ENTITIES, {e for _, e in found} - AUDIT_ENTITIES


def test_a_stations_copy_of_an_entry_unlinked_by_an_erasure_here_is_the_same_entry(tmp_path, actor):
    """An erasure here keeps its person's history entries but unlinks them; the station's
    older copy of them (about a visit of the erased person) is the same entry, not a forgery."""
    from ffmot.services.erase import erase_participant

    hub, _e, p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=1)
    import shutil

    hub.close()
    shutil.copyfile(tmp_path / "hub.db", tmp_path / "two.db")
    shutil.copyfile(tmp_path / "hub.db.keys", tmp_path / "two.db.keys")
    hub = connect(str(tmp_path / "hub.db"))
    erase_participant(hub, actor, p.code)
    report = merge(hub, actor, str(tmp_path / "two.db"))
    assert not report.bad, report.line()
    assert not [e for e in entries(hub).values() if e.entity_id == a.id]
    hub.close()
