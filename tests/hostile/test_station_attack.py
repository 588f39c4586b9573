"""A generated attack on bringing in station files.

A real station file is made with ffmot's own API (people, visits, screenings, results at a
station), and a results table (the hub) with work of its own. From the station file, seeded
code makes hostile copies, each changed with sqlite3: wrong types, empty required parts, ids
that are not ids, dangling and moved records, impossible values, hostile text and dates,
damaged vectors, forged history, erasures of living people, extra tables, triggers and views,
a changed schema version, a cut or damaged file, a file that is not SQLite, odd file names and
a file with its '-wal'. Each is brought into a fresh copy of the hub with the real `merge`, and
the ledger is told of every input that was not refused with a clear message, changed the
hub's own records, let wrong data in, or did not end.
"""

from __future__ import annotations

import math
import random
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from ffmot.core import screening
from ffmot.core import text as text_rules
from ffmot.core.errors import FfmotError
from ffmot.core.norms import default_norm_set
from ffmot.core.scoring import check_value
from ffmot.services import records as R
from ffmot.services.merge import merge
from ffmot.services.station_file import save_station_work
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import Base, tombstone_key
from tests.helpers import copy_db_file, raw_sqlite
from tests.hostile import ledger
from tests.store.test_merge import copy_of

D = __import__("datetime").date
HUB = Actor("Rita Results", "Results table")
TWO = Actor("Sam Station", "Station 2")
SEED = 20261201
TIMEOUT = 30.0
TABLES = (
    "participant",
    "name_word",
    "consent",
    "event",
    "assessment",
    "screening",
    "result",
    "trial",
    "audit",
    "merge_conflict",
    "merged_record",
    "tombstone",
)


# -- the day: a hub and one station's real file --------------------------------------------------


@dataclass
class Day:
    folder: Path
    hub: Path  # the hub's file, closed: each input gets a fresh copy
    station: Path  # the station's saved work (its sum removed; copies are changed)
    ids: dict[str, Any] = field(default_factory=dict)


def make_day(folder: Path) -> Day:
    hub = connect(str(folder / "hub.db"))
    e = R.create_event(hub, HUB, "MOT day", D(2026, 5, 1))
    ada = R.register_participant(
        hub, HUB, "Ada", "Sampleton", D(1950, 3, 14), "female", consents={"keep_results": True}
    )
    va = R.check_in(hub, HUB, ada.id, e.id)
    R.record_screening(hub, HUB, va.id, screening.answers_with())
    R.save_result(hub, HUB, va.id, "grip", [(22, "right 1")])
    hub.close()
    two = copy_of(folder / "hub.db", folder / "two.db")  # handed out at the start of the day
    people, visits = [], []
    for given, dob in (("Bea", D(1948, 2, 29)), ("Cyril", D(1944, 7, 1)), ("Di", D(1956, 12, 9))):
        p = R.register_participant(
            two, TWO, given, "Offline", dob, "female", consents={"keep_results": True}
        )
        v = R.check_in(two, TWO, p.id, e.id)
        R.record_screening(two, TWO, v.id, screening.answers_with())
        R.save_result(two, TWO, v.id, "chair_stand", [(11, "")])
        R.save_result(two, TWO, v.id, "grip", [(20, "right 1")])
        people.append(p.id)
        visits.append(v.id)
    R.save_result(two, TWO, va.id, "arm_curl", [(15, "")])
    stick = folder / "stick"
    stick.mkdir()
    saved = save_station_work(two, stick, "Station 2")
    two.close()
    saved.with_name(saved.name + ".sha256").unlink()
    station = folder / "station.db"
    shutil.copyfile(saved, station)
    hub = connect(str(folder / "hub.db"))  # the hub's own work, never in the station file
    hal = R.register_participant(
        hub, HUB, "Hal", "Hubworth", D(1947, 8, 8), "male", consents={"keep_results": True}
    )
    vh = R.check_in(hub, HUB, hal.id, e.id)
    R.record_screening(hub, HUB, vh.id, screening.answers_with())
    R.save_result(hub, HUB, vh.id, "grip", [(35, "right 1")])
    R.save_result(hub, HUB, vh.id, "chair_stand", [(14, "")])
    hub.close()
    with raw_sqlite(folder / "hub.db") as c:  # one file: every copy starts equal
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    ids = {
        "event": e.id,
        "ada": ada.id,
        "ada_visit": va.id,
        "hal": hal.id,
        "hal_visit": vh.id,
        "people": people,
        "visits": visits,
    }
    con = raw_sqlite(folder / "hub.db")
    ids["hal_results"] = [
        r[0] for r in con.execute("SELECT id FROM result WHERE assessment_id = ?", (vh.id,))
    ]
    ids["hub_audit"] = [r[0] for r in con.execute("SELECT id FROM audit")]
    con.close()
    con = raw_sqlite(station)
    ids["results"] = [r[0] for r in con.execute("SELECT id FROM result")]
    ids["ada_grip"] = con.execute(
        "SELECT id FROM result WHERE assessment_id = ? AND test_id = 'grip'", (va.id,)
    ).fetchone()[0]
    con.close()
    return Day(folder, folder / "hub.db", station, ids)


# -- hostile copies ------------------------------------------------------------------------------

Change = Callable[[sqlite3.Connection, random.Random, dict[str, Any]], None]


def loosen(path: Path) -> None:
    """The tables' NOT NULL rules taken out of the file's schema (a file made by hand need not
    have them), so that a copy can hold empty required parts."""
    con = raw_sqlite(path)
    con.execute("PRAGMA writable_schema = ON")
    tables = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    for name, text in tables:
        loose = re.sub(r"(?<!IS) NOT NULL", "", text)
        con.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (loose, name))
    con.commit()
    con.close()


def one(con: sqlite3.Connection, rng: random.Random, sql: str) -> str:
    ids = [r[0] for r in con.execute(sql)]
    return ids[rng.randrange(len(ids))]


def set_col(table: str, col: str, value: Any, where: str = "") -> Change:
    def change(con: sqlite3.Connection, rng: random.Random, ids: dict[str, Any]) -> None:
        con.execute("PRAGMA ignore_check_constraints = ON")
        target = one(con, rng, f"SELECT id FROM {table} {where}")
        v = value(rng, ids) if callable(value) else value
        con.execute(f"UPDATE {table} SET {col} = ? WHERE id = ?", (v, target))

    return change


def sql(*statements: str) -> Change:
    def change(con: sqlite3.Connection, rng: random.Random, ids: dict[str, Any]) -> None:
        for s in statements:
            con.execute(s.format(**{k: v for k, v in ids.items() if isinstance(v, str)}))

    return change


def rid(_rng: random.Random, _ids: dict[str, Any]) -> str:
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def rename_id(table: str, new: str, refs: tuple[tuple[str, str], ...]) -> Change:
    def change(con: sqlite3.Connection, rng: random.Random, ids: dict[str, Any]) -> None:
        old = one(con, rng, f"SELECT id FROM {table} ORDER BY id")
        con.execute(f"UPDATE {table} SET id = ? WHERE id = ?", (new, old))
        for t, c in refs:
            con.execute(f"UPDATE {t} SET {c} = ? WHERE {c} = ?", (new, old))

    return change


def forged_audit(**row: Any) -> Change:
    def change(con: sqlite3.Connection, rng: random.Random, ids: dict[str, Any]) -> None:
        values = {
            "id": rid(rng, ids),
            "at": "2026-05-01 10:00:00.000000",
            "actor": "Sam Station",
            "station": "Station 2",
            "action": "update",
            "entity": "participant",
            "entity_id": ids["hal"],
            "detail": "",
            "origin": "",
        }
        for k, v in row.items():
            values[k] = v(rng, ids) if callable(v) else v
        cols = ", ".join(values)
        con.execute(
            f"INSERT OR REPLACE INTO audit ({cols}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )

    return change


def lineage_after(table: str, row_id: str, col: str, value: str) -> Change:
    """A record of the hub's, changed by the file and claimed as a later change of it."""

    def change(con: sqlite3.Connection, rng: random.Random, ids: dict[str, Any]) -> None:
        target = ids[row_id]
        hub = raw_sqlite(ids["hub_path"])
        cols = [r[1] for r in hub.execute(f"PRAGMA table_info({table})")]
        row = hub.execute(f"SELECT * FROM {table} WHERE id = ?", (target,)).fetchone()
        hub.close()
        values = dict(zip(cols, row, strict=True))
        values[col] = value.format(**{k: v for k, v in ids.items() if isinstance(v, str)})
        values["lineage"] = '{"Results table": 9, "Station 1": 9, "Station 2": 9, "Evil": 9}'
        mine = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        values = {k: v for k, v in values.items() if k in mine}
        con.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(values)}) "
            f"VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )

    return change


def bad_text(rng: random.Random, _ids: dict[str, Any]) -> str:
    return "Ada" + rng.choice(["\x00", "\x1b[31m", "\u202e", "\u2066", "\x08", "\x7f"])


CHANGES: list[tuple[str, str, Change]] = [
    # wrong types
    ("type", "a word for a result's value", set_col("result", "value", "twenty")),
    ("type", "a blob for a result's value", set_col("result", "value", b"\x00\xff")),
    ("type", "a blob for a trial's value", set_col("trial", "value", b"\x01")),
    ("type", "a word for a trial's value", set_col("trial", "value", "lots")),
    ("type", "a number for a date of birth", set_col("participant", "date_of_birth", 19500314)),
    ("type", "a blob for a given name", set_col("participant", "given_name", b"Ada\xff")),
    ("type", "a word for a height", set_col("assessment", "height_cm", "tall")),
    ("type", "a word for 'done'", set_col("result", "done", "yes")),
    ("type", "a word for a version", set_col("result", "version", "v2")),
    ("type", "a float for strength days", set_col("assessment", "strength_days", 2.5)),
    ("type", "tests offered not a list", set_col("event", "tests_offered", '{"not": "a list"}')),
    ("type", "screening answers not JSON", set_col("screening", "answers", "not json {")),
    ("type", "modifications a number", set_col("result", "modifications", "7")),
    ("type", "a blob for a consent's purpose", set_col("consent", "purpose", b"keep")),
    # empty required parts
    ("null", "no family name", set_col("participant", "family_name", None)),
    ("null", "no test", set_col("result", "test_id", None)),
    ("null", "a visit of no MOT day", set_col("assessment", "event_id", None)),
    ("null", "no code", set_col("participant", "code", None)),
    ("null", "a trial with no value", set_col("trial", "value", None)),
    ("null", "no screening outcome", set_col("screening", "outcome", None)),
    # ids that are not ids
    (
        "id",
        "a person's id that is not a UUID",
        rename_id(
            "participant",
            "not-a-uuid",
            (
                ("consent", "participant_id"),
                ("assessment", "participant_id"),
                ("name_word", "participant_id"),
            ),
        ),
    ),
    (
        "id",
        "a result id with quotes",
        rename_id("result", "' OR 1=1 --", (("trial", "result_id"),)),
    ),
    (
        "id",
        "a 10,000-character visit id",
        rename_id(
            "assessment",
            "v" * 10_000,
            (("result", "assessment_id"), ("screening", "assessment_id")),
        ),
    ),
    ("id", "an empty event id", rename_id("event", "", (("assessment", "event_id"),))),
    # dangling and moved records
    ("ref", "a result whose visit is not there", set_col("result", "assessment_id", rid)),
    ("ref", "a visit of a person who is not there", set_col("assessment", "participant_id", rid)),
    ("ref", "a consent of a person who is not there", set_col("consent", "participant_id", rid)),
    ("ref", "a screening of no visit", set_col("screening", "assessment_id", rid)),
    ("ref", "a visit of an MOT day that is not there", set_col("assessment", "event_id", rid)),
    ("ref", "a previous visit that is not there", set_col("assessment", "previous_id", rid)),
    (
        "moved",
        "a station result moved under another person's visit",
        lambda con, rng, ids: (
            con.execute(
                "UPDATE OR REPLACE result SET assessment_id = ? "
                "WHERE assessment_id = ? AND test_id = 'grip'",
                (ids["visits"][1], ids["visits"][0]),
            )
            and None
        ),
    ),
    (
        "moved",
        "the hub's own result moved under a station person's visit, claimed later",
        lineage_after("result", "hal_results_0", "assessment_id", "{visit_0}"),
    ),
    (
        "moved",
        "Ada's grip moved to Bea's visit, claimed later",
        lineage_after("result", "ada_grip", "assessment_id", "{visit_0}"),
    ),
    (
        "moved",
        "the hub's own visit given to another person, claimed later",
        lineage_after("assessment", "hal_visit", "participant_id", "{person_0}"),
    ),
    (
        "moved",
        "the hub's own person renamed, claimed later",
        lineage_after("participant", "hal", "given_name", "Mallory"),
    ),
    # impossible values
    ("value", "a negative grip", set_col("result", "value", -5.0, "WHERE test_id = 'grip'")),
    ("value", "a grip of 1e308", set_col("result", "value", 1e308, "WHERE test_id = 'grip'")),
    ("value", "NaN as text", set_col("result", "value", "NaN")),
    ("value", "infinity", set_col("result", "value", float("inf"))),
    ("value", "a negative trial", set_col("trial", "value", -1.0)),
    ("value", "a height of 1e308", set_col("assessment", "height_cm", 1e308)),
    ("value", "strength days 1e9", set_col("assessment", "strength_days", 10**9)),
    ("value", "an unknown test", set_col("result", "test_id", "rm -rf /")),
    (
        "value",
        "an unknown not-done reason",
        set_col("result", "reason", "bored", "WHERE test_id = 'grip'"),
    ),
    ("value", "an unknown unit", set_col("result", "unit", "furlong", "WHERE test_id = 'grip'")),
    ("value", "a sex that is not one", set_col("participant", "sex", "robot")),
    ("value", "a version of 2^62", set_col("result", "version", 2**62)),
    # hostile text
    ("text", "a control character in a name", set_col("participant", "given_name", bad_text)),
    ("text", "NUL in a family name", set_col("participant", "family_name", "Sample\x00ton")),
    ("text", "a bidi override in a name", set_col("participant", "family_name", "\u202enotlepmaS")),
    ("text", "a 10,000-character name", set_col("participant", "given_name", "A" * 10_000)),
    ("text", "a 100,000-character note", set_col("assessment", "notes", "n" * 100_000)),
    ("text", "an escape sequence in a venue", set_col("event", "venue", "Hall\x1b]0;pwned\x07")),
    (
        "text",
        "bytes that are not UTF-8 in a note",
        sql("UPDATE assessment SET goals = CAST(x'77616c6b20edb3bf' AS TEXT)"),
    ),
    ("text", "a private-use character in a code", set_col("participant", "code", "\ue000BCDEFG")),
    # dates
    ("date", "born in 9999", set_col("participant", "date_of_birth", "9999-12-31")),
    ("date", "born in year 1", set_col("participant", "date_of_birth", "0001-01-01")),
    ("date", "a date of birth that is a word", set_col("participant", "date_of_birth", "soon")),
    ("date", "an MOT day in 9999", set_col("event", "date", "9999-01-01")),
    ("date", "30 February", set_col("assessment", "assessed_on", "2026-02-30")),
    ("date", "recorded in year 1", set_col("result", "recorded_at", "0001-01-01 00:00:00")),
    ("date", "printed in 9999", set_col("assessment", "printed_at", "9999-12-31 23:59:59")),
    ("date", "updated far ahead", set_col("result", "updated_at", "2999-01-01 00:00:00")),
    # vectors
    ("lineage", "a vector that is not JSON", set_col("result", "lineage", "{not json")),
    ("lineage", "a vector that is a list", set_col("participant", "lineage", "[1, 2, 3]")),
    ("lineage", "a vector of 1e308", set_col("result", "lineage", '{"Station 2": 1e308}')),
    ("lineage", "negative and word counts", set_col("result", "lineage", '{"a": -5, "b": "z"}')),
    (
        "lineage",
        "a visit's vectors of nonsense",
        set_col("assessment", "lineage", '{"height_cm": "bad", "notes": [1]}'),
    ),
    (
        "lineage",
        "a vector with 5,000 stations",
        set_col(
            "result",
            "lineage",
            lambda r, i: "{" + ", ".join(f'"s{n}": {n + 1}' for n in range(5000)) + "}",
        ),
    ),
    # forged history
    (
        "audit",
        "a history entry naming a hub person in its detail",
        forged_audit(detail="Hal Hubworth rang, 07700 900123"),
    ),
    ("audit", "a history entry dated 2999", forged_audit(at="2999-01-01 00:00:00.000000")),
    ("audit", "a history entry with an unknown action", forged_audit(action="grant_admin")),
    (
        "audit",
        "a history entry over the hub's own",
        forged_audit(id=lambda r, i: i["hub_audit"][0], action="erase", detail="forged"),
    ),
    ("audit", "a history entry of a megabyte", forged_audit(detail="x" * 1_000_000)),
    ("audit", "a plausible entry about a hub person", forged_audit(detail="phone")),
    ("audit", "a history entry claiming to be the hub's", forged_audit(origin="")),
    # erasures
    (
        "tomb",
        "the hub's own person erased",
        lambda con, rng, ids: (
            con.execute(
                "INSERT INTO tombstone (id, erased_at) VALUES (?, '2026-05-01 12:00:00')",
                (tombstone_key(ids["hal"]),),
            )
            and None
        ),
    ),
    (
        "tomb",
        "Ada erased",
        lambda con, rng, ids: (
            con.execute(
                "INSERT INTO tombstone (id, erased_at) VALUES (?, '2026-05-01 12:00:00')",
                (tombstone_key(ids["ada"]),),
            )
            and None
        ),
    ),
    (
        "tomb",
        "a tombstone that is a word",
        sql("INSERT INTO tombstone (id, erased_at) VALUES ('nonsense', 'never')"),
    ),
    # schema
    ("schema", "an extra table", sql("CREATE TABLE evil (x)", "INSERT INTO evil VALUES (1)")),
    (
        "schema",
        "a trigger",
        sql(
            "CREATE TRIGGER evil AFTER INSERT ON participant BEGIN "
            "UPDATE participant SET given_name = 'Owned'; END",
            "CREATE TRIGGER evil2 BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'owned'); END",
        ),
    ),
    ("schema", "a view", sql("CREATE VIEW evil_view AS SELECT * FROM participant")),
    (
        "schema",
        "a table swapped for a view",
        sql(
            "CREATE TABLE result_x AS SELECT * FROM result",
            "DROP TABLE result",
            "CREATE VIEW result AS SELECT * FROM result_x",
        ),
    ),
    ("schema", "a newer schema version", sql("UPDATE alembic_version SET version_num = '9999'")),
    ("schema", "an older schema version", sql("UPDATE alembic_version SET version_num = '0001'")),
    ("schema", "no schema version", sql("DELETE FROM alembic_version")),
    ("schema", "a dropped column", sql("ALTER TABLE result DROP COLUMN lineage")),
    (
        "schema",
        "a merged record naming the hub's own person",
        lambda con, rng, ids: (
            con.execute(
                "INSERT INTO merged_record VALUES (?, ?, 'participant', '2026-05-01 12:00:00')",
                (ids["hal"], ids["people"][0]),
            )
            and None
        ),
    ),
    (
        "schema",
        "a merged record dated 'never'",
        sql("INSERT INTO merged_record VALUES ('{ada}', '{hal}', 'participant', 'never')"),
    ),
    (
        "schema",
        "a merged record of blobs",
        lambda con, rng, ids: (
            con.execute(
                "INSERT INTO merged_record VALUES (?, ?, 'participant', '2026-05-01 12:00:00')",
                (b"\x00", ids["ada"]),
            )
            and None
        ),
    ),
    (
        "tomb",
        "a tombstone that is a blob",
        lambda con, rng, ids: (
            con.execute(
                "INSERT INTO tombstone (id, erased_at) VALUES (?, '2026-05-01 12:00:00')",
                (b"\xff" * 64,),
            )
            and None
        ),
    ),
    (
        "schema",
        "a merged record loop",
        lambda con, rng, ids: (
            con.executemany(
                "INSERT INTO merged_record VALUES (?, ?, 'participant', '2026-05-01 12:00:00')",
                [(ids["people"][0], ids["people"][1]), (ids["people"][1], ids["people"][0])],
            )
            and None
        ),
    ),
]


def hostile_copy(day: Day, n: int, change: Change, rng: random.Random) -> Path:
    path = day.folder / f"in-{n:03d}.db"
    shutil.copyfile(day.station, path)
    loosen(path)
    con = raw_sqlite(path)
    ids = {
        **day.ids,
        "hub_path": str(day.hub),
        "hal_results_0": day.ids["hal_results"][0],
        "visit_0": day.ids["visits"][0],
        "person_0": day.ids["people"][0],
    }
    change(con, rng, ids)
    con.commit()
    con.close()
    return path


def whole_file_inputs(day: Day, rng: random.Random) -> list[tuple[str, str, Path]]:
    """Inputs that are a whole file: cut, damaged, not SQLite, oddly named, with a '-wal'."""
    data = day.station.read_bytes()
    out: list[tuple[str, str, Path]] = []

    def write(name: str, content: bytes, kind: str, what: str) -> None:
        p = day.folder / name
        p.write_bytes(content)
        out.append((kind, what, p))

    write("half.db", data[: len(data) // 2], "file", "cut in half")
    write("head.db", data[:100], "file", "cut after its header")
    for i in range(4):
        d = bytearray(data)
        page = rng.randrange(1, len(data) // 4096)
        at = page * 4096 + rng.randrange(0, 4000)
        d[at : at + 64] = rng.randbytes(64)
        write(f"page-{i}.db", bytes(d), "file", f"page {page} damaged")
    d = bytearray(data)
    d[100:4096] = rng.randbytes(3996)
    write("schema-page.db", bytes(d), "file", "its schema page damaged")
    write("random.db", rng.randbytes(8192), "file", "random bytes")
    write("empty.db", b"", "file", "an empty file")
    write("magic.db", b"SQLite format 3\x00" + rng.randbytes(5000), "file", "a header and junk")
    write("text.db", b"id,given\n1,Ada\n", "file", "a CSV named .db")
    for name in ("Station #2?.db", "100% done.db", 'it\'s "quoted" & spaced.db', "a?b=c#d.db"):
        write(name, data, "name", f"the file named {name!r}")
    summed = day.folder / "summed.db"
    summed.write_bytes(data[:-1] + b"\x01")
    summed.with_name("summed.db.sha256").write_text("0" * 64 + "  summed.db\n")
    out.append(("file", "a file that fails its sum", summed))
    out.append(("wal", "a live file with its -wal", wal_file(day)))
    return out


def wal_file(day: Day) -> Path:
    """A station's database in write-ahead mode, copied with its '-wal' while still open."""
    live = day.folder / "live.db"
    shutil.copyfile(day.station, live)
    con = raw_sqlite(live)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute(
        "UPDATE result SET value = 12, version = version + 1 WHERE test_id = 'chair_stand' "
        "AND assessment_id = ?",
        (day.ids["visits"][2],),
    )
    con.commit()
    copy = day.folder / "wal-copy.db"
    shutil.copyfile(live, copy)
    shutil.copyfile(live.with_name("live.db-wal"), copy.with_name("wal-copy.db-wal"))
    con.close()
    return copy


# -- what the hub must still be ------------------------------------------------------------------


def lenient(b: bytes) -> str:
    """Text as stored, bytes that are not UTF-8 kept as unprintable characters (and judged)."""
    return b.decode("utf-8", "surrogateescape")


def snapshot(path: Path) -> dict[str, dict[Any, tuple[Any, ...]]]:
    con = raw_sqlite(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    con.text_factory = lenient
    try:
        out = {}
        for t in TABLES:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
            key = next(c for c in ("id", "old_id", "participant_id") if c in cols)
            rows = con.execute(f"SELECT * FROM {t}").fetchall()
            out[t] = {(r[cols.index(key)], r[1] if t == "name_word" else None): r for r in rows}
        return out
    finally:
        con.close()


def mentioned(path: Path) -> set[str]:
    """Every text a hostile file holds (ids it names): the hub's records it does not name are
    the hub's own, and must come out of the merge exactly as they went in."""
    try:
        con = raw_sqlite(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        con.text_factory = lenient
        try:
            found: set[str] = set()
            tables = [
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for t in tables:
                for row in con.execute(f'SELECT * FROM "{t}"'):
                    found.update(v for v in row if isinstance(v, str) and len(v) <= 64)
            return found
        finally:
            con.close()
    except (sqlite3.Error, sqlcipher.Error, UnicodeDecodeError):  # damaged: all the hub's own
        return set()


TEXT_LIMITS = {
    (t.name, c.name): (getattr(c.type, "length", None), c.type.__class__.__name__ == "Text")
    for t in Base.metadata.sorted_tables
    for c in t.c
    if c.type.__class__.__name__ in ("String", "Text")
}
NUMBERS = {
    (t.name, c.name): c.type.__class__.__name__
    for t in Base.metadata.sorted_tables
    for c in t.c
    if c.type.__class__.__name__ in ("Float", "Integer", "Boolean")
}
CHECKED_TEXT = {"participant", "event", "assessment", "result", "trial", "consent", "screening"}


def judge(
    hub: Path, before: dict[str, dict[Any, tuple[Any, ...]]], named: set[str], ids: dict[str, Any]
) -> list[tuple[str, str]]:
    """What is wrong with the hub after a merge: (kind, example) for 'lost' and 'wrong'."""
    problems: list[tuple[str, str]] = []
    after = snapshot(hub)
    visit_person = {k[0]: r[1] for k, r in before["assessment"].items()}
    result_visit = {k[0]: r[1] for k, r in before["result"].items()}

    def own(t: str, key: Any, row: tuple[Any, ...]) -> bool:
        refs = {key[0], *(v for v in row if isinstance(v, str) and len(v) == 36)}
        if t == "result":
            refs.add(visit_person.get(row[1]))
        if t == "trial":
            v = result_visit.get(row[1])
            refs |= {v, visit_person.get(v)}
        return not (refs & named)

    for t in TABLES:
        for key, row in before[t].items():
            if t == "audit" or own(t, key, row):
                if after[t].get(key) != row:
                    problems.append(("lost", f"{t} {str(key[0])[:8]} changed or gone"))
            elif t in ("participant", "assessment", "result") and key not in after[t]:
                problems.append(("lost", f"{t} {str(key[0])[:8]} (named by the file) gone"))
    con = raw_sqlite(hub)
    con.text_factory = lenient
    try:
        check = [r[0] for r in con.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            problems.append(("wrong", f"integrity_check: {check[:2]}"))
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            problems.append(("wrong", f"foreign_key_check: {fk[:2]}"))
        schema = set(con.execute("SELECT type, name FROM sqlite_master"))
        extra = {s for s in schema if "evil" in s[1] or s[1] == "result_x"}
        if extra or any(t == "trigger" or t == "view" for t, _ in schema):
            problems.append(("wrong", f"schema from the file: {sorted(schema - BASE_SCHEMA)}"))
        for (t, c), (limit, multiline) in TEXT_LIMITS.items():
            if t not in CHECKED_TEXT:
                continue
            for (v,) in con.execute(f"SELECT {c} FROM {t}"):
                if v is None:
                    continue
                if not isinstance(v, str):
                    problems.append(("wrong", f"{t}.{c} holds {type(v).__name__}"))
                    continue
                lim = limit or 4000
                bad = text_rules.bad_character(v, multiline)
                if bad or len(v) > lim:
                    problems.append(("wrong", f"{t}.{c} holds {bad or f'{len(v)} characters'}"))
        for (t, c), kind in NUMBERS.items():
            for (v,) in con.execute(f"SELECT {c} FROM {t} WHERE {c} IS NOT NULL"):
                ok = isinstance(v, (int, float)) and not isinstance(v, bool)
                if ok and kind != "Float":
                    ok = isinstance(v, int)
                if not ok or (isinstance(v, float) and not math.isfinite(v)):
                    problems.append(("wrong", f"{t}.{c} holds {v!r:.40}"))
        battery = default_norm_set().battery
        for test_id, value, unit, done in con.execute(
            "SELECT test_id, value, unit, done FROM result"
        ):
            if test_id not in battery:
                problems.append(("wrong", f"a result of an unknown test {test_id!r:.40}"))
            elif done:
                try:
                    check_value(battery[test_id], float(value), unit)
                except (FfmotError, KeyError, TypeError, ValueError) as e:
                    problems.append(("wrong", f"an impossible result stored: {e}"))
        for t, c in (("participant", "date_of_birth"), ("event", "date")):
            for (v,) in con.execute(f"SELECT {c} FROM {t}"):
                if not (isinstance(v, str) and "1900-01-01" <= v <= "2030-12-31"):
                    problems.append(("wrong", f"{t}.{c} stored as {v!r:.40}"))
        # every result keeps to the person it was recorded for
        for rid_, vid in con.execute("SELECT id, assessment_id FROM result"):
            was = result_visit.get(rid_)
            if was is not None and visit_person.get(was) != visit_person_now(con, vid):
                problems.append(("wrong", f"result {rid_[:8]} moved to another person"))
        for vid, pid in con.execute("SELECT id, participant_id FROM assessment"):
            if vid in visit_person and visit_person[vid] != pid:
                problems.append(("wrong", f"visit {vid[:8]} moved to another person"))
        living = {tombstone_key(p): p for (p,) in con.execute("SELECT id FROM participant")}
        for (tid,) in con.execute("SELECT id FROM tombstone"):
            if tid in living:
                problems.append(("wrong", "a tombstone for a living person"))
        erasures = {
            r[0]
            for r in con.execute("SELECT entity_id FROM merge_conflict WHERE entity = 'erasure'")
        }
        for who in ("hal", "ada"):
            if ids.get(f"tomb_{who}") and ids[who] not in erasures:
                problems.append(("wrong", f"the erasure of living {who} was not put to review"))
        for aid, origin, action, entity in con.execute(
            "SELECT id, origin, action, entity FROM audit"
        ):
            if (aid,) in {k[:1] for k in before["audit"]}:
                continue
            if origin == "" and not (action == "merge" and entity == "database"):
                problems.append(("wrong", f"history entry {aid[:8]} from the file taken as ours"))
    finally:
        con.close()
    return problems


def visit_person_now(con: sqlite3.Connection, vid: str) -> Any:
    row = con.execute("SELECT participant_id FROM assessment WHERE id = ?", (vid,)).fetchone()
    return row[0] if row else None


BASE_SCHEMA: set[tuple[str, str]] = set()


def bad_message(message: str, hub: Path) -> str:
    """Why a refusal's message would not do for a person ('' if it does)."""
    if not message.strip():
        return "an empty message"
    for sign in ("Traceback", "object at 0x", "Error(", "sqlalchemy", "Background on this"):
        if sign in message:
            return f"a message holding {sign!r}"
    if re.search(r"\bb'[^']*'", message):
        return "a message holding the repr of bytes"
    if re.search(r": '[^']*'$", message):  # a KeyError's repr, not a reason
        return "a message whose reason is a bare repr"
    if str(hub) in message or hub.name in message:
        return "a message naming this database for the file's fault"
    return ""


# -- the attack ----------------------------------------------------------------------------------


def run(hub_path: Path, path: Path) -> tuple[Any, BaseException | None, bool]:
    def work() -> Any:
        hub = connect(str(hub_path))
        try:
            report = merge(hub, HUB, str(path))
            report.line()  # the report must be sayable too
            return report
        finally:
            hub.close()

    state, got = ledger.bounded(work, TIMEOUT)
    if state == "hung":
        return None, None, True
    return (got, None, False) if state == "ok" else (None, got, False)


def test_hostile_station_files(tmp_path: Path) -> None:
    a = ledger.attack("station files (generated)")
    rng = random.Random(SEED)
    with a.timed():
        day = make_day(tmp_path)
        con = raw_sqlite(day.hub)
        BASE_SCHEMA.update(con.execute("SELECT type, name FROM sqlite_master"))
        con.close()
        before = snapshot(day.hub)
        inputs: list[tuple[str, str, Path]] = []
        for n, (kind, what, change) in enumerate(CHANGES):
            inputs.append((kind, what, hostile_copy(day, n, change, random.Random(rng.random()))))
        inputs += whole_file_inputs(day, rng)
        assert len(inputs) >= 60
        for n, (kind, what, path) in enumerate(inputs):
            a.tried += 1
            hub = tmp_path / f"hub-{n:03d}.db"
            copy_db_file(day.hub, hub)
            named = mentioned(path)
            ids = dict(day.ids)
            ids["tomb_hal"] = what == "the hub's own person erased"
            ids["tomb_ada"] = what == "Ada erased"
            report, error, hung = run(hub, path)
            label = f"{kind}: {what}"
            if hung:
                a.problem("hung", f"{label}: still running after {TIMEOUT:.0f} s")
                continue
            if error is not None:
                if not isinstance(error, FfmotError):
                    a.problem("uncaught", f"{label}: {type(error).__name__}: {error}"[:400])
                elif why := bad_message(str(error), hub):
                    a.problem("uncaught", f"{label}: {why}: {error}"[:400])
            elif report is not None:
                said = report.line()
                for b in report.bad:
                    if why := bad_message(b, hub):
                        a.problem("uncaught", f"{label}: {why}: {b}"[:400])
                        break
                if not said:
                    a.problem("uncaught", f"{label}: an empty report")
            for problem_kind, example in judge(hub, before, named, ids):
                a.problem(problem_kind, f"{label}: {example}")
    a.check()


@pytest.mark.hostile("station files")
def test_the_attack_sees_a_lost_record_and_wrong_data(tmp_path: Path) -> None:
    """The judge itself can fail: a hub record changed, and text that breaks the rules."""
    day = make_day(tmp_path)
    before = snapshot(day.hub)
    con = raw_sqlite(day.hub)
    BASE_SCHEMA.update(con.execute("SELECT type, name FROM sqlite_master"))
    con.execute("UPDATE participant SET given_name = 'Ha\x1bl' WHERE id = ?", (day.ids["hal"],))
    con.execute("CREATE TRIGGER evil AFTER INSERT ON audit BEGIN SELECT 1; END")
    con.commit()
    con.close()
    found = judge(day.hub, before, set(), day.ids)
    kinds = {k for k, _ in found}
    assert kinds == {"lost", "wrong"}, found
