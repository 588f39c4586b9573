"""Bringing together the databases of several stations: a union by UUID, merged by fact.

A record only in the other database is added; one that is the same in both is already there.
A result is a fact about one test of one visit: two stations that recorded the same test for
the same person are one fact, already there if they agree. A visit holds several facts (each
measurement, the notes, the goals), each merged on its own, and so does a person's record.

Which copy of a fact is later is decided by its version vector (ffmot.core.lineage), not by
clocks: a copy this database has already taken into account (a station's old copy of a value
corrected here since) changes nothing; a later change of it is taken; only a fact changed in
two places without either seeing the other, to different values, is a conflict. Then this
database keeps its version, the other is stored beside it for review, and the rest of the
file still comes in. Merging the same file twice changes nothing the second time; files merge
the same in any order. Records of erased participants are never brought back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from ffmot.core import codes, lineage
from ffmot.core.entry import MEASUREMENT_KEYS
from ffmot.core.errors import InputError
from ffmot.core.names import fold, words
from ffmot.services.records import audit
from ffmot.services.types import Actor
from ffmot.store.db import Database, check_version, connect, describe, upgrade_schema
from ffmot.store.errors import StoreError
from ffmot.store.models import Base, MergeConflict, Tombstone, tombstone_key

# Parents before children. Results travel with their trials as one record.
ORDER = ("participant", "consent", "event", "assessment", "screening", "result", "audit")
OWNER = {  # how to find the participant a row belongs to, for tombstones
    "participant": "id",
    "consent": "participant_id",
    "assessment": "participant_id",
}


@dataclass
class MergeReport:
    source: str
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)  # a station's own later version
    already: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    recoded: list[tuple[str, str]] = field(default_factory=list)  # (old code, new code)
    skipped_erased: int = 0
    skipped_withdrawn: int = 0  # results of people who withdrew consent to keep them
    merged_away: int = 0  # old records of people (or visits) merged into others: not brought back
    known_conflicts: int = 0  # conflicts found again that were recorded by an earlier merge
    bad: list[str] = field(default_factory=list)  # records that could not come in, named
    warning: str = ""  # about the file itself (a raw copy of a live database)
    # two records of one person made one at the station: (old id, kept id), to do here too
    people_merged: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        def total(d: dict[str, int]) -> int:
            return sum(d.values())

        def parts(d: dict[str, int]) -> str:
            return ", ".join(f"{n} {k}" for k, n in d.items() if n) or "nothing"

        text = (
            f"{self.source}: added {parts(self.added)}; "
            + (f"updated {parts(self.updated)}; " if total(self.updated) else "")
            + "already there "
            f"{total(self.already)}; conflicts {total(self.conflicts)}"
            + (
                f" ({parts(self.conflicts)}, both versions kept for review"
                + (
                    f"; {self.known_conflicts} already recorded before"
                    if self.known_conflicts
                    else ""
                )
                + ")"
                if total(self.conflicts)
                else ""
            )
        )
        if self.recoded:
            text += "; new codes for " + ", ".join(
                f"{codes.display(a)} -> {codes.display(b)}" for a, b in self.recoded
            )
        if self.skipped_erased:
            text += f"; {self.skipped_erased} record(s) of erased participants left out"
        if self.merged_away:
            text += (
                f"; {self.merged_away} record(s) of people merged into another record: their "
                "facts went to the kept record"
            )
        if self.skipped_withdrawn:
            text += (
                f"; {self.skipped_withdrawn} result(s) of people who withdrew consent to keep "
                "their results left out"
            )
        if self.people_merged:
            n = len(self.people_merged)
            text += f"; {n} person's two records made one, as at the station"
        if self.warning:
            text += ". " + self.warning
        if self.bad:
            text += (
                f". {len(self.bad)} record(s) could not come in, the rest did: "
                + "; ".join(self.bad[:5])
                + ("; ..." if len(self.bad) > 5 else "")
                + ". Check them on that station, save its work again and bring it in again"
            )
        return text


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.UTC)
        return v.astimezone(dt.UTC).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _record(conn: Connection, table: Table, row: dict[str, Any]) -> dict[str, Any]:
    rec = {k: _plain(v) for k, v in row.items()}
    if table.name == "result":
        trial = Base.metadata.tables["trial"]
        rec["trials"] = [
            {k: _plain(v) for k, v in t._mapping.items()}
            for t in conn.execute(
                select(trial).where(trial.c.result_id == row["id"]).order_by(trial.c.n)
            )
        ]
    return rec


# Bookkeeping that differs between copies of the same record (an import, a re-save on another
# laptop with the same values) and says nothing about the person or the result.
BOOKKEEPING = {
    "created_at",
    "updated_at",
    "recorded_at",
    "version",
    "recorded_by",
    "station",
    "id",
    "result_id",
    "lineage",
}


def _content(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k not in BOOKKEEPING}
    if "trials" in rec:
        out["trials"] = [_content(t) for t in rec["trials"]]
    return out


def _hash(rec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(rec, sort_keys=True, default=str).encode()).hexdigest()


# What quick_check says of a record that breaks a rule: such a record is named and left out
# when it comes in, the rest of the file still comes in.
ROW_RULES = ("CHECK constraint failed", "NULL value in", "NOT NULL constraint failed")


def _open_source(spec: str) -> Database:
    """A copy in memory of a station's SQLite file (so its file is never changed, even when
    its schema is older, and no copy of anyone's records is left on disk if ffmot is killed
    mid-merge), or a PostgreSQL URL opened as it is."""
    if "://" in spec and not spec.startswith("sqlite"):
        return connect(spec, upgrade=False)
    path = Path(spec.removeprefix("sqlite:///")).expanduser()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"cannot find the station file {path}") from None
    except (OSError, RuntimeError) as e:  # a symlink loop, a name too long
        raise InputError(f"cannot open {path.name} ({e}); nothing was merged") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{path} is not a regular file (a folder, a device or a pipe): choose the station "
            "file itself; nothing was merged"
        )
    from ffmot.services.station_file import check_sum

    check_sum(path)
    with path.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise InputError(
                f"{path.name} is not an ffmot station file (not a SQLite database); nothing "
                "was merged. Your own database is not affected"
            )
    memory = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            src.backup(memory)
        finally:
            src.close()
        damage = [
            str(v)
            for (v,) in memory.execute("PRAGMA quick_check")
            if v != "ok" and not str(v).startswith(ROW_RULES)
        ]
        if damage:  # the file's structure, not a record that breaks a rule (named later)
            raise sqlite3.DatabaseError(damage[0])
        tables = {r[0] for r in memory.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as e:
        memory.close()
        raise InputError(
            f"{path.name} is damaged or not an ffmot station file ({e}); nothing was merged. "
            "Your own database is not affected: save the station's work again and bring in "
            "the new file"
        ) from None
    if "participant" not in tables or "alembic_version" not in tables:
        memory.close()
        raise InputError(
            f"{path} holds no ffmot records. A copy of a station's database made while ffmot "
            "was running can miss its recent work, which sits in the '-wal' file beside it; "
            "on that station use File > Save this station's work, and bring that file in. "
            "Nothing was merged"
        )
    engine = create_engine("sqlite://", creator=lambda: memory, poolclass=StaticPool)
    db = Database(f"sqlite:///{path}", engine, sessionmaker(engine, expire_on_commit=False))
    try:
        check_version(db)
        upgrade_schema(db)
    except StoreError as e:
        db.close()
        memory.close()
        raise InputError(f"{path.name}: {e}; nothing was merged") from None
    return db


def _raw_copy_warning(spec: str) -> str:
    """A database in write-ahead mode with no '-wal' beside it and no sum: a copy of a station's
    ffmot.db (a saved station file is one whole file with its sum). Its records are real but
    may be an hour old: what it holds comes in, and the station should save its work."""
    if "://" in spec and not spec.startswith("sqlite"):
        return ""
    from ffmot.services.station_file import SUFFIX

    path = Path(spec.removeprefix("sqlite:///")).expanduser()
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return ""  # refused when opened; never read (a pipe would wait for ever)
        with path.open("rb") as f:
            header = f.read(20)
    except (OSError, RuntimeError):
        return ""
    beside = path.with_name(path.name + "-wal"), path.with_name(path.name + SUFFIX)
    if header[18:20] != b"\x02\x02" or any(p.exists() for p in beside):
        return ""
    return (
        f"{path.name} is a copy of a station's database, not its saved work: it can lack the "
        "station's latest saves, which sit in the '-wal' file beside the original. What it "
        "holds came in; on that station use File > Save this station's work and bring that "
        "file in too"
    )


# Records per transaction, and how long one may hold the database: short, so a station saving
# to this database meanwhile waits a moment at most. Between two, SQLite gets a pause longer
# than a waiting save's longest retry interval (100 ms), so the save gets its turn.
BATCH, HOLD, PAUSE = 200, 0.3, 0.11


def merge(db: Database, actor: Actor, spec: str) -> MergeReport:
    """Brings in one station file (or shared database) in short transactions: stations saving
    to this database meanwhile wait a moment at most, and a merge cut short is finished by
    bringing the same file in again (nothing is taken twice)."""
    warning = _raw_copy_warning(spec)  # before opening it, which can put a '-wal' beside it
    _not_this_database(db, spec)
    source = describe(spec) if "://" in spec else spec  # never a password
    src = _open_source(spec)
    report = MergeReport(source, warning=warning)
    try:
        with src.engine.connect() as sc:
            with _writing(db) as dc:
                report.people_merged = _merged_there(sc, dc)
                m = _Merge(sc, dc, report, source)
            _merge_tables(db, m)
            with _writing(db) as dc, db.sessions(bind=dc) as s:
                audit(
                    s,
                    actor,
                    "merge",
                    "database",
                    "",
                    f"added {sum(report.added.values())}, already there "
                    f"{sum(report.already.values())}, conflicts "
                    f"{sum(report.conflicts.values())}",
                )
                s.commit()
    finally:
        src.close()
    _merge_people_here(db, actor, report)
    return report


@contextmanager
def _writing(db: Database) -> Iterator[Connection]:
    """A short write transaction. On SQLite it takes the write lock first (waiting its turn
    behind a station's save): a transaction that read first and wrote later would fail at
    once with 'database is locked' if a station saved in between."""
    with db.engine.begin() as dc:
        if db.kind == "sqlite":
            dc.exec_driver_sql("BEGIN IMMEDIATE")
        yield dc


def _not_this_database(db: Database, spec: str) -> None:
    if "://" in spec and not spec.startswith("sqlite"):
        same = spec == db.url
    else:
        here = db.path
        there = Path(spec.removeprefix("sqlite:///")).expanduser()
        try:
            same = here is not None and there.exists() and there.samefile(here)
        except (OSError, RuntimeError):
            same = False
    if same:
        raise InputError("that is this database: nothing to merge")


def _merged_there(sc: Connection, dc: Connection) -> list[tuple[str, str]]:
    """People the station made one that are still two records here."""
    mr, person = Base.metadata.tables["merged_record"], Base.metadata.tables["participant"]
    known = set(dc.scalars(select(mr.c.old_id)))
    here = set(dc.scalars(select(person.c.id)))
    return [
        (r.old_id, r.kept_id)
        for r in sc.execute(select(mr).where(mr.c.entity == "participant"))
        if r.old_id not in known and r.old_id in here
    ]


def _merge_people_here(db: Database, actor: Actor, report: MergeReport) -> None:
    """Makes one here the people the station made one (their facts are already on the kept
    record); one that cannot be done yet is named with the reason."""
    from ffmot.services.people import merge_participants

    alias = {}
    with db.engine.connect() as c:
        mr = Base.metadata.tables["merged_record"]
        alias = dict(c.execute(select(mr.c.old_id, mr.c.kept_id)).all())
    for old, _kept in report.people_merged:
        kept = _kept
        while kept in alias and alias[kept] != kept:
            kept = alias[kept]
        try:
            merge_participants(db, actor, kept, old, accept_different_details=True)
        except (InputError, StoreError) as e:
            report.bad.append(f"two records the station made one are still two here: {e}")


def _merge_tables(db: Database, m: _Merge) -> None:
    report, sc = m.report, m.sc
    for name in ORDER:
        table = Base.metadata.tables[name]
        rows = [dict(r._mapping) for r in sc.execute(select(table))]
        if name == "assessment":
            rows = _previous_first(rows)
        counts = dict.fromkeys(("added", "updated", "already", "conflict", "left"), 0)
        start = 0
        while True:
            with _writing(db) as dc:
                m.dc = dc
                if name == "result" and start == 0:
                    m.withdrawn = _withdrawn_visits(dc)
                    report.skipped_withdrawn += _purge_after_withdrawal(dc, m.withdrawn)
                began, n = time.monotonic(), 0
                while start < len(rows) and n < BATCH and time.monotonic() - began <= HOLD:
                    row = rows[start]
                    start, n = start + 1, n + 1
                    try:
                        with dc.begin_nested():  # one bad record never loses the rest
                            counts[m.record(name, table, row)] += 1
                    except (StatementError, ValueError, TypeError, KeyError) as e:
                        if isinstance(e, OperationalError):
                            raise  # the database itself (locked, full): the merge stops
                        report.bad.append(_bad_record(sc, name, row, e))
            if start >= len(rows):
                break
            if db.kind == "sqlite":
                time.sleep(PAUSE)  # a station waiting to save gets its turn
        report.added[name] = counts["added"]
        report.updated[name] = counts["updated"]
        report.already[name] = counts["already"]
        report.conflicts[name] = counts["conflict"]


class _Merge:
    """One station file coming in: what it knows of erasures, merged records and withdrawals,
    and how each of its records is brought in."""

    def __init__(self, sc: Connection, dc: Connection, report: MergeReport, source: str) -> None:
        self.sc, self.dc, self.report = sc, dc, report
        self.source = source  # the file, or the shared database without its password
        erased = set(dc.scalars(select(Tombstone.id)))
        incoming_tombs = set(sc.scalars(select(Tombstone.id))) - erased
        living = {}  # tombstone key -> id, for people still here
        if incoming_tombs:
            person = Base.metadata.tables["participant"]
            living = {tombstone_key(pid): pid for pid in dc.scalars(select(person.c.id))}
        for tid in incoming_tombs:
            if tid in living:  # erased there, alive here: a person decides, never the file
                self._erasure_to_review(living[tid], tid)
                continue
            dc.execute(insert(Tombstone).values(id=tid))
        self.erased = erased | (incoming_tombs - set(living))
        self.alias = _aliases(sc, dc)
        self.skip_visits: set[str] = set()
        self.withdrawn: dict[str, dt.datetime] = {}  # visit -> when they withdrew keeping results

    def _erasure_to_review(self, pid: str, tid: str) -> None:
        """A station file says someone was erased who is still here (an erasure at a station,
        or a forged file): shown for review, and their records keep coming in until then."""
        incoming = {"erased": tid}
        h = _hash(incoming)
        seen = self.dc.scalar(
            select(MergeConflict.id).where(
                MergeConflict.entity_id == pid, MergeConflict.incoming_hash == h
            )
        )
        if seen is None:
            self.dc.execute(
                insert(MergeConflict).values(
                    id=_new_id(),
                    entity="erasure",
                    entity_id=pid,
                    source=self.source[:500],
                    local={"participant_id": pid},
                    incoming=incoming,
                    incoming_hash=h,
                    detected_at=dt.datetime.now(dt.UTC),
                )
            )
        self.report.conflicts["erasure"] = self.report.conflicts.get("erasure", 0) + 1

    def record(self, name: str, table: Table, row: dict[str, Any]) -> str:
        """Brings in one record: 'added', 'updated', 'already', 'conflict' or 'left' (left
        out: erased, merged away, withdrawn)."""
        sc, dc, report, alias = self.sc, self.dc, self.report, self.alias
        for ref in ("participant_id", "assessment_id", "previous_id"):
            if row.get(ref) in alias:
                row = {**row, ref: alias[row[ref]]}
        if name == "participant" and row["id"] in alias:
            report.merged_away += 1  # made part of another record: its facts follow
            return "left"
        folded = None  # the kept visit this visit was made part of: its facts go there
        if name == "assessment":
            if row["id"] not in alias:
                twin = _same_visit(dc, table, row)
                if twin is not None:  # one person checked in to one day on two laptops
                    _alias(dc, alias, row["id"], twin, "assessment")
            folded = alias.get(row["id"])
        owner = OWNER.get(name)
        if name == "audit" and tombstone_key(row.get("entity_id") or "") in self.erased:
            return "left"  # about someone erased: it never comes back
        if owner and tombstone_key(row[owner]) in self.erased:
            report.skipped_erased += 1
            if name == "assessment":
                self.skip_visits.add(row["id"])
            return "left"
        if name in ("screening", "result") and row["assessment_id"] in self.skip_visits:
            report.skipped_erased += 1
            return "left"
        if name == "result" and _after(row, self.withdrawn.get(row["assessment_id"])):
            # saved after they withdrew, at a station that had not heard: left out
            report.skipped_withdrawn += 1
            return "left"
        local = dc.execute(select(table).where(table.c.id == (folded or row["id"]))).first()
        incoming = _record(sc, table, row)
        if folded is not None:
            report.merged_away += 1
            if local is None:
                return "left"
            kept = {k: _plain(v) for k, v in local._mapping.items()}
            incoming = {
                **kept,
                **{k: incoming[k] for k in (*VISIT_FACTS, "printed_at", "lineage")},
            }
        if local is None and name == "result":
            # The same test of the same visit, recorded at another station: one fact.
            local = dc.execute(
                select(table).where(
                    table.c.assessment_id == row["assessment_id"],
                    table.c.test_id == row["test_id"],
                )
            ).first()
        if local is None:
            self._add(name, table, row)
            return "added"
        mine = _record(dc, table, dict(local._mapping))
        if _content(mine) == _content(incoming):
            seen = _seen_by_both(name, mine, incoming)
            if seen is not None:
                dc.execute(update(table).where(table.c.id == mine["id"]).values(lineage=seen))
            return "already"
        if name == "assessment":
            changes, clash = _fill_visit(mine, incoming)
            if changes:
                dc.execute(update(table).where(table.c.id == mine["id"]).values(**changes))
            if not clash:
                return "updated" if set(changes) - {"lineage"} else "already"
            mine = {**mine, **{k: _plain(v) for k, v in changes.items()}}
            incoming = _clashing(mine, incoming, clash)
        else:
            came = lineage.order(_vector(mine), _vector(incoming))
            if came == "before":
                return "already"  # a copy this database has taken into account, changed since
            if came == "after":
                _take(sc, dc, table, row, mine)
                return "updated"
        self._conflict(name, table, row, mine, incoming)
        return "conflict"

    def _add(self, name: str, table: Table, row: dict[str, Any]) -> None:
        dc, md = self.dc, Base.metadata
        if name == "participant":
            row = _fresh_code(dc, table, row, self.report)
            row["search_given"] = fold(row["given_name"])
            row["search_family"] = fold(row["family_name"])
        dc.execute(insert(table).values(**row))
        if name == "participant":
            found = sorted(words(row["given_name"], row["family_name"]))
            dc.execute(
                insert(md.tables["name_word"]),
                [{"participant_id": row["id"], "word": w} for w in found],
            )
        if name == "result":
            trial = md.tables["trial"]
            for t in self.sc.execute(select(trial).where(trial.c.result_id == row["id"])):
                dc.execute(insert(trial).values(**dict(t._mapping)))

    def _conflict(
        self,
        name: str,
        table: Table,
        row: dict[str, Any],
        mine: dict[str, Any],
        incoming: dict[str, Any],
    ) -> None:
        """Both versions kept for review, once: the same version from the same file again is
        counted as known, not stored twice."""
        dc = self.dc
        h = _hash(_record(self.sc, table, row))
        seen = dc.scalar(
            select(MergeConflict.id).where(
                MergeConflict.entity_id == mine["id"], MergeConflict.incoming_hash == h
            )
        )
        if seen is not None:
            self.report.known_conflicts += 1
            return
        dc.execute(
            insert(MergeConflict).values(
                id=_new_id(),
                entity=name,
                entity_id=mine["id"],
                source=self.source[:500],
                local=mine,
                incoming=incoming,
                incoming_hash=h,
                detected_at=dt.datetime.now(dt.UTC),
            )
        )


RECORD_WORDS = {
    "participant": "a person's details",
    "consent": "a consent decision",
    "event": "an MOT day",
    "assessment": "a visit",
    "screening": "a screening",
    "result": "a result",
    "audit": "an audit entry",
}


# What the store's rules mean, for a record that breaks one (SQLite and PostgreSQL words).
WHY = {
    "participant_sex": "its sex is not female, male or not stated",
    "done_or_reason": "it is marked done without a value, or not done without a reason",
    "foreign key": "it belongs to a record that is not in the file",
    "not null": "a required part of it is empty",
    "unique": "it repeats a record already here under another id",
}


def _bad_record(sc: Connection, name: str, row: dict[str, Any], e: BaseException) -> str:
    """One record that could not come in, named so that the station can find it."""
    md = Base.metadata
    person, what = "", RECORD_WORDS.get(name, name)
    if name == "result":
        what = f"the {str(row.get('test_id') or '').replace('_', ' ')} result"
    pid = row.get("participant_id") if name != "participant" else row.get("id")
    if pid is None and row.get("assessment_id"):
        a = md.tables["assessment"]
        pid = sc.scalar(select(a.c.participant_id).where(a.c.id == row["assessment_id"]))
    if pid is not None:
        p = md.tables["participant"]
        code = sc.scalar(select(p.c.code).where(p.c.id == pid))
        person = f" of {codes.display(code)}" if code else ""
    if name == "event" and row.get("name"):
        what = f"the MOT day '{row['name']}'"
    raw = str(getattr(e, "orig", None) or e).splitlines()[0]
    reason = next((words for key, words in WHY.items() if key in raw.lower()), raw[:160])
    return f"{what}{person} (record {str(row.get('id', ''))[:8]}): {reason}"


# A visit row holds facts from several stations: check-in's, the BMI station's measurements, the
# activity answers, the results table's notes. Each is merged on its own, by its own vector; the
# later print time is kept.
VISIT_FACTS = (*MEASUREMENT_KEYS, "notes", "goals")


def _vector(rec: dict[str, Any]) -> lineage.Vector:
    return lineage.of(rec.get("lineage"), rec.get("station"), rec.get("version"))


def _seen_by_both(name: str, mine: dict[str, Any], incoming: dict[str, Any]) -> Any:
    """The vector(s) to keep when both copies hold the same values but came by different
    routes (two stations recorded the same grip): None when nothing changes."""
    if name == "assessment":
        here, there = _facts(mine), _facts(incoming)
        both = {k: lineage.join(here.get(k), there.get(k)) for k in set(here) | set(there)}
        return both if both != here else None
    if name in ("participant", "result"):
        both_v = lineage.join(_vector(mine), _vector(incoming))
        return both_v if both_v != _vector(mine) else None
    return None


def _facts(rec: dict[str, Any]) -> dict[str, lineage.Vector]:
    raw = rec.get("lineage")
    if not isinstance(raw, dict):
        return {}
    return {k: lineage.clean(v) for k, v in raw.items() if k in VISIT_FACTS}


def _fill_visit(mine: dict[str, Any], incoming: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The changes to take from the incoming visit (a fact changed there after this database's
    copy, or given there and blank here in a file without vectors; a later print), and the
    facts changed in two places to different values. Anything else about a visit differing is
    a clash of the whole visit."""
    changes: dict[str, Any] = {}
    clash: list[str] = []
    here_v, there_v = _facts(mine), _facts(incoming)
    vectors = dict(here_v)
    for key in VISIT_FACTS:
        here, there = mine.get(key), incoming.get(key)
        h, t = here_v.get(key, {}), there_v.get(key, {})
        came = lineage.order(h, t)
        if here == there:
            vectors[key] = lineage.join(h, t)
        elif came == "after" or (came == "same" and here in (None, "")):
            changes[key] = there
            vectors[key] = lineage.join(h, t)
        elif came == "before" or there in (None, ""):
            continue
        else:
            clash.append(key)
    vectors = {k: v for k, v in vectors.items() if v}
    if vectors != here_v:
        changes["lineage"] = vectors
    here_p, there_p = mine.get("printed_at"), incoming.get("printed_at")
    if there_p and (not here_p or there_p > here_p):
        changes["printed_at"] = dt.datetime.fromisoformat(there_p)
    others = {k for k in _content(mine) if k not in (*VISIT_FACTS, "printed_at")}
    if any(mine.get(k) != incoming.get(k) for k in others):
        clash.append("visit")
    return changes, clash


def _clashing(mine: dict[str, Any], incoming: dict[str, Any], clash: list[str]) -> dict[str, Any]:
    """The station's version as kept for review: this database's visit with only the facts in
    disagreement taken from the station (so the screen shows exactly those), and its vectors."""
    if "visit" in clash:
        return incoming
    return {
        **mine,
        **{k: incoming.get(k) for k in clash},
        "lineage": incoming.get("lineage"),
        "station": incoming.get("station"),
        "updated_at": incoming.get("updated_at"),
    }


def _take(
    sc: Connection, dc: Connection, table: Table, row: dict[str, Any], mine: dict[str, Any]
) -> None:
    """Takes a later change of a record made at another station. A result of the same test
    recorded here under another id gives way to it, trials and all."""
    if table.name == "participant":
        values = {k: v for k, v in row.items() if k not in ("id", "code", "created_at")}
        values["search_given"] = fold(row["given_name"])
        values["search_family"] = fold(row["family_name"])
        dc.execute(update(table).where(table.c.id == mine["id"]).values(**values))
        nw = Base.metadata.tables["name_word"]
        dc.execute(delete(nw).where(nw.c.participant_id == mine["id"]))
        dc.execute(
            insert(nw),
            [
                {"participant_id": mine["id"], "word": w}
                for w in sorted(words(row["given_name"], row["family_name"]))
            ],
        )
        return
    trial = Base.metadata.tables["trial"]
    dc.execute(delete(trial).where(trial.c.result_id == mine["id"]))
    if mine["id"] == row["id"]:
        dc.execute(update(table).where(table.c.id == row["id"]).values(**row))
    else:
        dc.execute(delete(table).where(table.c.id == mine["id"]))
        dc.execute(insert(table).values(**row))
    for t in sc.execute(select(trial).where(trial.c.result_id == row["id"])):
        dc.execute(insert(trial).values(**dict(t._mapping)))


def _same_visit(dc: Connection, table: Table, row: dict[str, Any]) -> str | None:
    """This database's visit of the same person to the same day under another id, if any."""
    found = dc.scalar(
        select(table.c.id).where(
            table.c.participant_id == row["participant_id"],
            table.c.event_id == row["event_id"],
            table.c.id != row["id"],
        )
    )
    return str(found) if found is not None else None


def _alias(dc: Connection, alias: dict[str, str], old: str, kept: str, entity: str) -> None:
    mr = Base.metadata.tables["merged_record"]
    dc.execute(
        insert(mr).values(
            old_id=old, kept_id=kept, entity=entity, merged_at=dt.datetime.now(dt.UTC)
        )
    )
    alias[old] = kept


def _aliases(sc: Connection, dc: Connection) -> dict[str, str]:
    """Records merged into others, here or at the station (the station's merges come in too):
    old id -> the id it is part of now, following merges of merges."""
    mr = Base.metadata.tables["merged_record"]
    known = set(dc.scalars(select(mr.c.old_id)))
    for r in sc.execute(select(mr)):
        if r.old_id not in known:
            dc.execute(insert(mr).values(**dict(r._mapping)))
    pairs = dict(dc.execute(select(mr.c.old_id, mr.c.kept_id)).all())
    out = {}
    for old in pairs:
        kept, seen = pairs[old], {old}
        while kept in pairs and kept not in seen:
            seen.add(kept)
            kept = pairs[kept]
        out[old] = kept
    return out


def _when(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def _after(row: dict[str, Any], withdrew: dt.datetime | None) -> bool:
    """Whether a result was saved at or after its person withdrew (never, if they did not)."""
    if withdrew is None:
        return False
    saved = _when(row.get("updated_at") or row.get("recorded_at"))
    return saved is None or saved >= withdrew


def _purge_after_withdrawal(dc: Connection, withdrawn: dict[str, dt.datetime]) -> int:
    """Results brought in from a station that had not heard of a withdrawal, before the
    withdrawal itself came in (files arrive in any order): removed, as they would never have
    been saved on one shared database."""
    if not withdrawn:
        return 0
    result, trial = Base.metadata.tables["result"], Base.metadata.tables["trial"]
    gone = [
        rid
        for rid, vid, updated, recorded in dc.execute(
            select(
                result.c.id, result.c.assessment_id, result.c.updated_at, result.c.recorded_at
            ).where(result.c.assessment_id.in_(withdrawn))
        )
        if _after({"updated_at": updated, "recorded_at": recorded}, withdrawn[vid])
    ]
    if gone:
        dc.execute(delete(trial).where(trial.c.result_id.in_(gone)))
        dc.execute(delete(result).where(result.c.id.in_(gone)))
    return len(gone)


def _withdrawn_visits(dc: Connection) -> dict[str, dt.datetime]:
    """Visits of people whose latest decision (here, after this merge's consents came in) is
    not to keep their results, with when they decided (UTC, ISO). A result saved before that
    comes in, as it would have been kept on one shared database; one saved after does not."""
    consent = Base.metadata.tables["consent"]
    assessment = Base.metadata.tables["assessment"]
    latest: dict[str, tuple[bool, Any]] = {}
    for pid, granted, at in dc.execute(
        select(consent.c.participant_id, consent.c.granted, consent.c.recorded_at)
        .where(consent.c.purpose == "keep_results")
        .order_by(consent.c.recorded_at, consent.c.id)
    ):
        latest[pid] = (granted, at)
    out = {pid: _when(at) for pid, (granted, at) in latest.items() if not granted}
    if not out:
        return {}
    return {
        vid: when
        for vid, pid in dc.execute(
            select(assessment.c.id, assessment.c.participant_id).where(
                assessment.c.participant_id.in_(out)
            )
        )
        if (when := out[pid]) is not None
    }


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())


def _previous_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Visits ordered so that a previous visit comes before the visits that point at it,
    however long the chain (iteratively: a file with thousands of linked visits, or a loop,
    never exhausts the stack; a loop is broken where it closes)."""
    by_id = {r["id"]: r for r in rows}
    out: list[dict[str, Any]] = []
    placed: set[str] = set()
    for r in rows:
        chain: list[dict[str, Any]] = []
        seen: set[str] = set()
        cur: dict[str, Any] | None = r
        while cur is not None and cur["id"] not in placed and cur["id"] not in seen:
            seen.add(cur["id"])
            chain.append(cur)
            prev = cur.get("previous_id")
            cur = by_id.get(prev) if prev else None
        for c in reversed(chain):
            placed.add(c["id"])
            out.append(c)
    return out


def _fresh_code(
    dc: Connection, table: Table, row: dict[str, Any], report: MergeReport
) -> dict[str, Any]:
    """Two laptops can, rarely, give different people the same code: the newcomer gets a new
    one, and the report lists it so the card can be reprinted."""
    clash = dc.scalar(select(table.c.id).where(table.c.code == row["code"]))
    if clash is None:
        return row
    for _ in range(50):
        code = codes.new_code()
        if dc.scalar(select(table.c.id).where(table.c.code == code)) is None:
            report.recoded.append((row["code"], code))
            return {**row, "code": code}
    raise StoreError("could not find a free participant code; try the merge again")
