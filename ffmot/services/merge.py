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

Why one room: a merge is one pass over every table in one transaction, and its report names each
record it left out. A split waiting: the checks of a record's values (_fits and its helpers) could
be their own module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    literal_column,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import NullType
from sqlcipher3 import dbapi2 as sqlite3  # SQLite with SQLCipher: plain files as ever

from ffmot.core import chain, codes, entry, lineage, units
from ffmot.core import text as text_rules
from ffmot.core.ages import age_on
from ffmot.core.battery import NOT_DONE_REASONS, STOP_REASONS
from ffmot.core.entry import MEASUREMENT_KEYS
from ffmot.core.errors import InputError
from ffmot.core.i18n import N_, _, _n
from ffmot.core.names import fold
from ffmot.core.norms import default_norm_set
from ffmot.core.scoring import check_value
from ffmot.core.vocabulary import SEXES
from ffmot.services.records import MAX_NOTES, audit
from ffmot.services.types import Actor
from ffmot.store import keys
from ffmot.store.db import Database, check_version, connect, describe, upgrade_schema
from ffmot.store.errors import StoreError
from ffmot.store.models import (
    Base,
    MergeConflict,
    Tombstone,
    name_word_rows,
    search_columns,
    tombstone_key,
)

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
    # history entries (audit rows) that came in as the station's record, marked with the file
    history: int = 0

    def line(self) -> str:
        """The report in words, in the current language: one statement for each thing the
        merge did, joined by semicolons, then the file's warning and the records left out."""

        def total(d: dict[str, int]) -> int:
            return sum(d.values())

        def parts(d: dict[str, int]) -> str:
            return ", ".join(_records_of(k, n) for k, n in d.items() if n and k != "audit") or _(
                "nothing"
            )

        said = [_("added {records}", records=parts(self.added))]
        if total(self.updated):
            said.append(_("updated {records}", records=parts(self.updated)))
        said.append(_("already there {count}", count=total(self.already)))
        conflicts = total(self.conflicts)
        if not conflicts:
            said.append(_("conflicts {count}", count=conflicts))
        elif self.known_conflicts:
            said.append(
                _(
                    "conflicts {count} ({records}, both versions kept for review; {known} "
                    "already recorded before)",
                    count=conflicts,
                    records=parts(self.conflicts),
                    known=self.known_conflicts,
                )
            )
        else:
            said.append(
                _(
                    "conflicts {count} ({records}, both versions kept for review)",
                    count=conflicts,
                    records=parts(self.conflicts),
                )
            )
        if self.recoded:
            said.append(
                _(
                    "new codes for {codes}",
                    codes=", ".join(
                        f"{codes.display(a)} -> {codes.display(b)}" for a, b in self.recoded
                    ),
                )
            )
        if self.skipped_erased:
            said.append(
                _(
                    "{count} record(s) of erased participants left out",
                    count=self.skipped_erased,
                )
            )
        if self.merged_away:
            said.append(
                _(
                    "{count} record(s) of people merged into another record: their facts went "
                    "to the kept record",
                    count=self.merged_away,
                )
            )
        if self.skipped_withdrawn:
            said.append(
                _(
                    "{count} result(s) of people who withdrew consent to keep their results "
                    "left out",
                    count=self.skipped_withdrawn,
                )
            )
        if self.people_merged:
            said.append(
                _n(
                    "{count} person's two records made one, as at the station",
                    "{count} people's two records made one, as at the station",
                    len(self.people_merged),
                )
            )
        if self.history:
            said.append(
                _n(
                    "{count} history entry came in as the station's record, marked with the "
                    "file it came from",
                    "{count} history entries came in as the station's record, marked with the "
                    "file they came from",
                    self.history,
                )
            )
        text = _("{source}: {report}", source=self.source, report="; ".join(said))
        if self.warning:
            text = _("{report}. {warning}", report=text, warning=self.warning)
        if self.bad:
            listed = "; ".join(self.bad[:5]) + ("; ..." if len(self.bad) > 5 else "")
            text = _(
                "{report}. {count} record(s) could not come in, the rest did: {records}. Check "
                "them on that station, save its work again and bring it in again",
                report=text,
                count=len(self.bad),
                records=listed,
            )
        return text


def _records_of(kind: str, count: int) -> str:
    """'3 results' and the like: a number of records of one kind (a table), in words."""
    say = _RECORD_COUNTS.get(kind)
    return say(count) if say is not None else f"{count} {kind}"


_RECORD_COUNTS = {
    "participant": lambda n: _n("{count} participant", "{count} participants", n),
    "consent": lambda n: _n("{count} consent", "{count} consents", n),
    "event": lambda n: _n("{count} event", "{count} events", n),
    "assessment": lambda n: _n("{count} assessment", "{count} assessments", n),
    "screening": lambda n: _n("{count} screening", "{count} screenings", n),
    "result": lambda n: _n("{count} result", "{count} results", n),
    "erasure": lambda n: _n("{count} erasure", "{count} erasures", n),
}


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.UTC)
        return v.astimezone(dt.UTC).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _record(
    conn: Connection, table: Table, row: dict[str, Any], check: bool = True
) -> dict[str, Any]:
    rec = {k: _plain(v) for k, v in row.items()}
    if table.name == "result":
        trials = _trials(conn, row["id"], check, row.get("test_id"))
        rec["trials"] = [{k: _plain(v) for k, v in t.items()} for t in trials]
    return rec


def _trials(
    conn: Connection, result_id: str, check: bool = True, test_id: Any = None
) -> list[dict[str, Any]]:
    """A result's trials, in order; from a file, each checked as it is read, its value against
    the test's plausible range (RefusedRecord if one breaks a rule: the result does not come
    in)."""
    trial = Base.metadata.tables["trial"]
    if not check:
        rows = conn.execute(select(trial).where(trial.c.result_id == result_id))
        return [dict(t._mapping) for t in rows.all()]
    out = []
    for raw in _read(conn, trial, trial.c.result_id == result_id):
        problem, t = _checked(conn, trial, raw)
        if problem:
            raise RefusedRecord(_("one of its trials: {problem}", problem=problem))
        test = default_norm_set().battery.get(str(test_id))
        if test is not None and t["value"] is not None:
            try:
                check_value(test, float(t["value"]), str(t["unit"]))
            except (InputError, KeyError) as e:
                raise RefusedRecord(
                    _("one of its trials: {problem}", problem=_printable(str(e)))
                ) from None
        out.append(t)
    return sorted(out, key=lambda t: (t["n"], t["id"]))


def _read(conn: Connection, table: Table, where: Any = None) -> list[dict[str, Any]]:
    """Rows as a file holds them. On SQLite, the stored values before any conversion: a word in
    a date column or a blob in a number column is one bad record, never the end of reading."""
    if conn.dialect.name == "sqlite":
        q = select(*[type_coerce(c, NullType()).label(c.name) for c in table.c])
    else:
        q = select(table)
    if where is not None:
        q = q.where(where)
    return [dict(r._mapping) for r in conn.execute(q)]


PAGE = 1000  # a station file's records read at a time


def _paged(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """A table's rows as the file holds them (see `_read`), `PAGE` at a time, so a merge holds
    a page of a station file, not a whole table: on SQLite in the order of its row ids, on
    PostgreSQL in the order of the primary key. A SQLite table that has no row ids of its own
    (WITHOUT ROWID, or a column of a file made by hand named like them) is read whole."""
    if conn.dialect.name == "sqlite":
        shadowed = conn.exec_driver_sql(
            "SELECT 1 FROM pragma_table_info(?) WHERE lower(name) IN ('rowid', '_rowid_', 'oid')",
            (table.name,),
        ).first()
        key: list[Any] = [literal_column("rowid")]
        columns: list[Any] = [type_coerce(c, NullType()).label(c.name) for c in table.c]
        if shadowed is not None:
            yield from _read(conn, table)
            return
    else:
        key = list(table.primary_key.columns)
        columns = list(table.c)
    last: tuple[Any, ...] | None = None
    while True:
        q = select(*key, *columns).order_by(*key).limit(PAGE)
        if last is not None:
            q = q.where(tuple_(*key) > tuple_(*last) if len(key) > 1 else key[0] > last[0])
        try:
            page = conn.execute(q).all()
        except OperationalError:
            if last is not None or conn.dialect.name != "sqlite":
                raise
            yield from _read(conn, table)  # WITHOUT ROWID: no rowid to page by
            return
        if not page:
            return
        last = tuple(page[-1][: len(key)])
        for r in page:
            yield {c.name: v for c, v in zip(table.c, r[len(key) :], strict=True)}


def _source_rows(sc: Connection, table: Table, report: MergeReport) -> Iterator[dict[str, Any]]:
    """A file's records of one table, each checked as it is read: one that breaks a rule is
    named and left out, the rest come in."""
    for raw in _paged(sc, table):
        try:
            problem, row = _checked(sc, table, raw)
            if problem:
                raise RefusedRecord(problem)
        except (ValueError, TypeError, KeyError, InputError, StatementError) as e:
            report.bad.append(_bad_record(sc, table.name, raw, e))
            continue
        yield row


def _not_kind(t: Any, what: str) -> str:
    """'its WHAT is not a number' and the like: a value not stored as its column's kind."""
    if isinstance(t, Boolean):
        return _("its {column} is not yes or no", column=what)
    if isinstance(t, Integer):
        return _("its {column} is not a whole number", column=what)
    if isinstance(t, Float):
        return _("its {column} is not a number", column=what)
    if isinstance(t, (Date, DateTime)):
        return _("its {column} is not a date", column=what)
    if isinstance(t, JSON):
        return _("its {column} is not a list", column=what)
    return _("its {column} is not text", column=what)


def _stored_right(t: Any, v: Any) -> bool:
    """Whether a value read from a SQLite file is stored as its column's kind."""
    if isinstance(t, Boolean):
        return type(v) is int and v in (0, 1)
    if isinstance(t, Integer):
        return type(v) is int and abs(v) < 2**53
    if isinstance(t, Float):
        return type(v) in (int, float) and math.isfinite(v)
    return isinstance(v, str)  # text, dates and JSON are stored as text


def _checked(conn: Connection, table: Table, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A record read from a file, converted: ('', row), or why it breaks a rule."""
    sqlite = conn.dialect.name == "sqlite"
    row: dict[str, Any] = {}
    for col in table.c:
        v = raw.get(col.name)
        what = "time" if col.name == "at" else col.name.replace("_", " ")
        if v is None:
            if not col.nullable:
                return _("its {column} is empty (a required part)", column=what), row
            row[col.name] = None
            continue
        if sqlite:
            if not _stored_right(col.type, v):
                return _not_kind(col.type, what), row
            proc = _processor(conn, table.name, col)
            try:
                v = proc(v) if proc is not None else v
            except (ValueError, TypeError):
                return _not_kind(col.type, what), row
        row[col.name] = v
        problem = _sensible(col, v, what)
        if problem:
            return problem, row
    return _fits(table.name, row), row


_PROCESSORS: dict[tuple[str, str], Any] = {}


def _processor(conn: Connection, table: str, col: Any) -> Any:
    """How SQLite's stored value of a column becomes its Python value (None: as stored)."""
    key = (table, col.name)
    if key not in _PROCESSORS:
        impl = col.type.dialect_impl(conn.dialect)
        _PROCESSORS[key] = impl.result_processor(conn.dialect, None)
    return _PROCESSORS[key]


def _sensible(col: Any, v: Any, what: str) -> str:
    """Why one value breaks the rule for its column, naming the column as `what` ('' if it
    does not)."""
    t, key = col.type, col.name
    if isinstance(t, String):
        if not isinstance(v, str):
            return _("its {column} is not text", column=what)
        multiline = isinstance(t, Text)
        limit = MAX_NOTES if multiline else (t.length or MAX_NOTES)
        if len(v) > limit:
            return _("its {column} is longer than {limit} characters", column=what, limit=limit)
        bad = text_rules.bad_character(v, multiline)
        return _("its {column} holds {character}", column=what, character=bad) if bad else ""
    if isinstance(t, DateTime):
        if not isinstance(v, dt.datetime):
            return _("its {column} is not a date", column=what)
        when = v if v.tzinfo else v.replace(tzinfo=dt.UTC)
        now = dt.datetime.now(dt.UTC)
        if not AUDIT_SINCE <= when <= now + dt.timedelta(days=1):
            return _(
                "its {column} ({date}) is in the future or before ffmot",
                column=what,
                date=f"{when:%Y-%m-%d}",
            )
        return ""
    if isinstance(t, Date):
        if not isinstance(v, dt.date):
            return _("its {column} is not a date", column=what)
        today = dt.date.today()
        if key == "date_of_birth":
            try:
                age_on(v, today)
            except InputError:
                return _(
                    "its {column} ({date}) is not a possible date of birth",
                    column=what,
                    date=v.isoformat(),
                )
            if v > today:
                return _("its {column} ({date}) is in the future", column=what, date=v.isoformat())
            return ""
        if not AUDIT_SINCE.date() <= v <= today + dt.timedelta(days=800):
            return _(
                "its {column} ({date}) is too far in the future or before ffmot",
                column=what,
                date=v.isoformat(),
            )
        return ""
    if isinstance(t, Float) and not isinstance(t, Integer):
        if not math.isfinite(float(v)):
            return _("its {column} is not a number", column=what)
        return ""
    return ""


_TOMBSTONE = re.compile(r"[0-9a-f]{64}")
# Columns holding ffmot's own ids (UUIDs, as the import also insists)
ID_COLUMNS = ("id", "participant_id", "event_id", "assessment_id", "previous_id", "result_id")
UUID_TABLES = ("participant", "consent", "event", "assessment", "screening", "result", "trial")
MERGED_ENTITIES = ("participant", "assessment")

JSON_SHAPES = {
    ("event", "tests_offered"): list,
    ("result", "modifications"): list,
    ("screening", "answers"): dict,
    ("screening", "excluded_tests"): list,
}


def _fits(name: str, row: dict[str, Any]) -> str:  # noqa: C901 (one check per kind of column a record can bring)
    """Why a whole record breaks the rules for its kind ('' if it does not)."""
    for (table, key), shape in JSON_SHAPES.items():
        if table == name and row.get(key) is not None and not isinstance(row[key], shape):
            column = key.replace("_", " ")
            if shape is list:
                return _("its {column} is not a list", column=column)
            return _("its {column} is not a dict", column=column)
    if name == "participant" and row.get("sex") not in SEXES:
        return _(WHY["participant_sex"])
    if name in UUID_TABLES:
        for key in ID_COLUMNS:
            if row.get(key) is not None and not _is_uuid(row[key]):
                if key == "id":
                    return _("its id is not one ffmot makes")
                return _("its {record}'s id is not one ffmot makes", record=key.removesuffix("_id"))
    if name == "merged_record":
        if row.get("entity") not in MERGED_ENTITIES:
            return _("it names a kind of record ffmot does not merge")
        if not (_is_uuid(row.get("old_id")) and _is_uuid(row.get("kept_id"))):
            return _("it names records with ids ffmot does not make")
    if name in ("result", "trial") and row.get("unit") is not None:
        try:
            units.unit(str(row["unit"]))
        except KeyError:
            return _(
                "its unit ({unit}) is not one ffmot knows",
                unit=_printable(str(row["unit"])[:20]),
            )
    if "lineage" in row:
        row["lineage"] = _lineage(name, row["lineage"])
    if name == "assessment":
        fields = entry.measurement_fields(default_norm_set().battery.values())
        for key in MEASUREMENT_KEYS:
            if row.get(key) is not None:
                entry.check_measurement(fields, key, float(row[key]))
    if name == "result":
        test = default_norm_set().battery.get(str(row.get("test_id")))
        if test is None:
            return _("its test ({test}) is not one ffmot knows", test=str(row.get("test_id"))[:40])
        if row.get("reason") is not None and row["reason"] not in NOT_DONE_REASONS:
            return _("its reason for not doing the test is not one ffmot offers")
        if row.get("stop_reason") is not None and row["stop_reason"] not in STOP_REASONS:
            return _("its reason for stopping the test is not one ffmot offers")
        if row.get("done") and row.get("value") is not None:
            check_value(test, float(row["value"]), str(row["unit"]))
    return ""


def _lineage(name: str, value: Any) -> Any:
    """A record's vectors as this database keeps them: anything damaged dropped."""
    if name == "assessment":
        if not isinstance(value, dict):
            return None
        return {k: v for k, v in ((k, lineage.clean(v)) for k, v in value.items()) if v} or None
    return lineage.clean(value) or None


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
        raise InputError(_("cannot find the station file {path}", path=path)) from None
    except (OSError, RuntimeError) as e:  # a symlink loop, a name too long
        raise InputError(
            _("cannot open {file} ({problem}); nothing was merged", file=path.name, problem=e)
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            _(
                "{path} is not a regular file (a folder, a device or a pipe): choose the "
                "station file itself; nothing was merged",
                path=path,
            )
        )
    from ffmot.services.station_file import check_sum

    check_sum(path)
    with path.open("rb") as f:
        head = f.read(100)
    if not head.startswith(b"SQLite format 3\x00"):
        raise InputError(
            _(
                "{file} is not an ffmot station file (not a SQLite database); nothing was "
                "merged. Your own database is not affected",
                file=path.name,
            )
        )
    key = _key_of_copy(path) if keys.is_encrypted(head) else None
    memory = sqlite3.connect(":memory:", check_same_thread=False, uri=True)
    # Text that is not UTF-8 is read with its bad bytes kept as unprintable characters, so the
    # record holding it is named and left out instead of stopping the whole file.
    memory.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    try:
        if key is None:
            src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                src.backup(memory)
            finally:
                src.close()
        else:  # SQLCipher copies an encrypted file into a plain one by export, not backup
            # (the heading size is needed before ATTACH reads the file's first page; it is
            # SQLCipher's default for every keyed file, and no file without a key has any)
            memory.execute(f"PRAGMA cipher_default_plaintext_header_size = {keys.PLAINTEXT_HEADER}")
            memory.execute(
                f'ATTACH DATABASE ? AS src KEY "{keys.sqlcipher_key(key)}"',
                (f"{path.resolve().as_uri()}?mode=ro",),
            )
            memory.execute("SELECT sqlcipher_export('main', 'src')")
            memory.execute("DETACH DATABASE src")
        damage = [
            str(v)
            for (v,) in memory.execute("PRAGMA quick_check")
            if v != "ok" and not str(v).startswith(ROW_RULES)
        ]
        if damage:  # the file's structure, not a record that breaks a rule (named later)
            raise sqlite3.DatabaseError(damage[0])
        tables = {r[0] for r in memory.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        # (SQLite's own message about a damaged schema can hold the damaged bytes)
        memory.close()
        why = e if isinstance(e, sqlite3.DatabaseError) else _("its structure is damaged")
        raise InputError(
            _(
                "{file} is damaged or not an ffmot station file ({problem}); nothing was "
                "merged. Your own database is not affected: save the station's work again and "
                "bring in the new file",
                file=path.name,
                problem=why,
            )
        ) from None
    if "participant" not in tables or "alembic_version" not in tables:
        memory.close()
        raise InputError(
            _(
                "{path} holds no ffmot records. A copy of a station's database made while "
                "ffmot was running can miss its recent work, which sits in the '-wal' file "
                "beside it; on that station use File > Save this station's work, and bring "
                "that file in. Nothing was merged",
                path=path,
            )
        )
    engine = create_engine(
        "sqlite://", creator=lambda: memory, poolclass=StaticPool, module=sqlite3
    )
    db = Database(f"sqlite:///{path}", engine, sessionmaker(engine, expire_on_commit=False))
    try:
        check_version(db)
        upgrade_schema(db)
        missing = _missing_columns(memory)
    except StoreError as e:
        db.close()
        memory.close()
        raise InputError(
            _("{file}: {problem}; nothing was merged", file=path.name, problem=e)
        ) from None
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:  # its schema contradicts itself
        db.close()
        memory.close()
        why = e if isinstance(e, sqlite3.DatabaseError) else _("its structure is damaged")
        raise InputError(
            _(
                "{file} is damaged or not an ffmot station file ({problem}); nothing was "
                "merged. Your own database is not affected",
                file=path.name,
                problem=why,
            )
        ) from None
    if missing:
        db.close()
        memory.close()
        raise InputError(
            _(
                "{file} is not an ffmot station file as its version says: {problem}. Nothing "
                "was merged; your own database is not affected. Save the station's work again "
                "and bring in the new file",
                file=path.name,
                problem=missing,
            )
        )
    return db


def _key_of_copy(path: Path) -> bytes:
    """The key of a copy of an encrypted database (its .keys file beside it, unlocked on this
    computer account or signed in to already); said plainly when there is none."""
    try:
        return keys.key_for(path)
    except StoreError:
        raise InputError(
            _(
                "{file} is an encrypted copy of a station's database, and its key is not "
                "here: on that station use File ▸ Save this station's work (or 'ffmot "
                "save-work'), and bring in that file. Nothing was merged",
                file=path.name,
            )
        ) from None


def _missing_columns(memory: sqlite3.Connection) -> str:
    """What the file's tables lack that its schema version promises ('' if nothing)."""
    for table in Base.metadata.sorted_tables:
        found = {r[1] for r in memory.execute(f'PRAGMA table_info("{table.name}")')}
        if not found:
            return _("it has no table '{table}'", table=table.name)
        lacking = [c.name for c in table.c if c.name not in found]
        if lacking:
            return _(
                "its table '{table}' lacks {columns}",
                table=table.name,
                columns=", ".join(lacking[:3]),
            )
    return ""


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
    return _(
        "{file} is a copy of a station's database, not its saved work: it can lack the "
        "station's latest saves, which sit in the '-wal' file beside the original. What it "
        "holds came in; on that station use File > Save this station's work and bring that "
        "file in too",
        file=path.name,
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
                m = _Merge(sc, dc, report, source, actor)
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
        raise InputError(_("that is this database: nothing to merge"))


def _merged_there(sc: Connection, dc: Connection) -> list[tuple[str, str]]:
    """People the station made one that are still two records here."""
    mr, person = Base.metadata.tables["merged_record"], Base.metadata.tables["participant"]
    known = set(dc.scalars(select(mr.c.old_id)))
    here = set(dc.scalars(select(person.c.id)))
    return [
        (r["old_id"], r["kept_id"])
        for r in _merged_records(sc)
        if r["entity"] == "participant" and r["old_id"] not in known and r["old_id"] in here
    ]


def _merged_records(sc: Connection, report: MergeReport | None = None) -> list[dict[str, Any]]:
    """The file's records of people (and visits) made one, each checked (a bad one is named
    when a report is given, and left out)."""
    mr = Base.metadata.tables["merged_record"]
    out = []
    for raw in _read(sc, mr):
        problem, row = _checked(sc, mr, raw)
        if not problem and row["old_id"] == row["kept_id"]:
            problem = _("it names a record as made part of itself")
        if problem:
            if report is not None:
                report.bad.append(
                    _(
                        "a record of two made one (record {record}): {problem}",
                        record=_short_id(raw.get("old_id")),
                        problem=problem,
                    )
                )
            continue
        out.append(row)
    return out


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
            report.bad.append(
                _("two records the station made one are still two here: {problem}", problem=e)
            )


def _merge_tables(db: Database, m: _Merge) -> None:
    report, sc = m.report, m.sc
    for name in ORDER:
        table = Base.metadata.tables[name]
        rows: Iterator[dict[str, Any]] = _source_rows(sc, table, report)
        if name == "assessment":  # a day's visits, not a page: ordered as a whole
            rows = iter(_previous_first(list(rows)))
        counts = dict.fromkeys(("added", "updated", "already", "conflict", "left"), 0)
        first = True
        row: dict[str, Any] | None = None
        while True:
            with _writing(db) as dc:
                m.dc = dc
                if name == "result" and first:
                    m.withdrawn = _withdrawn_visits(dc)
                    report.skipped_withdrawn += _purge_after_withdrawal(dc, m.withdrawn)
                first = False
                began, n = time.monotonic(), 0
                while n < BATCH and time.monotonic() - began <= HOLD:
                    row = next(rows, None)
                    if row is None:
                        break
                    n += 1
                    try:
                        with dc.begin_nested():  # one bad record never loses the rest
                            counts[m.record(name, table, row)] += 1
                    except (StatementError, ValueError, TypeError, KeyError, InputError) as e:
                        if isinstance(e, OperationalError):
                            raise  # the database itself (locked, full): the merge stops
                        report.bad.append(_bad_record(sc, name, row, e))
            if row is None:
                break
            if db.kind == "sqlite":
                time.sleep(PAUSE)  # a station waiting to save gets its turn
        report.added[name] = counts["added"]
        report.updated[name] = counts["updated"]
        report.already[name] = counts["already"]
        report.conflicts[name] = counts["conflict"]
        if name == "audit":
            report.history = counts["added"]


class _Merge:
    """One station file coming in: what it knows of erasures, merged records and withdrawals,
    and how each of its records is brought in."""

    def __init__(
        self, sc: Connection, dc: Connection, report: MergeReport, source: str, actor: Actor
    ) -> None:
        self.sc, self.dc, self.report = sc, dc, report
        self.source = source  # the file, or the shared database without its password
        self.now = dt.datetime.now(dt.UTC)
        by = f"{actor.name} ({actor.station})" if actor.station else actor.name
        # what each history entry from this file is marked with: never taken as ours
        self.origin = _origin(source, by, self.now)
        self._people: _People | None = None
        erased = set(dc.scalars(select(Tombstone.id)))
        # a tombstone is a one-way hash (64 hex digits): anything else in its place is junk
        found: list[Any] = list(sc.scalars(select(type_coerce(Tombstone.id, NullType()))))
        incoming_tombs = {
            t for t in found if isinstance(t, str) and _TOMBSTONE.fullmatch(t)
        } - erased
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
        self.alias = _aliases(sc, dc, report)
        self.skip_visits: set[str] = set()
        self.withdrawn: dict[str, dt.datetime] = {}  # visit -> when they withdrew keeping results

    def _audit(self, table: Table, row: dict[str, Any]) -> str:
        """A station's history entry: checked like any record, and kept as the station's
        record, marked with the file it came from. One with the id of an entry already here
        (made here, or brought in before) never changes that entry."""
        local = self.dc.execute(select(table).where(table.c.id == row["id"])).first()
        if local is not None:  # made here (a station starts from a copy), or brought in before
            mine = dict(local._mapping)
            # an erasure here unlinks its person's entries (entity_id ''): still the same entry
            keys = [k for k in AUDIT_CONTENT if k != "entity_id" or mine["entity_id"]]
            if any(_plain(mine[k]) != _plain(row.get(k)) for k in keys):
                raise RefusedRecord(
                    _(
                        "another history entry with its id is already here, saying something "
                        "else: the entry here is kept as it is"
                    )
                )
            return "already"
        if self._people is None:
            self._people = _People(self.sc, self.dc)
        problem = _audit_problem(row, self.now, self._people)
        if problem:
            raise RefusedRecord(problem)
        there = str(row.get("origin") or "")
        origin = self.origin if not there else f"{self.origin}; there: {there}"
        # Outside this database's chain: the station's own numbers and links mean nothing here.
        self.dc.execute(
            insert(table).values(
                **{
                    **row,
                    "origin": origin[:ORIGIN_MAX],
                    "seq": None,
                    "link": None,
                    "entity_key": chain.entity_key(str(row.get("entity_id") or "")),
                }
            )
        )
        return "added"

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

    def record(self, name: str, table: Table, row: dict[str, Any]) -> str:  # noqa: C901 (each way one record can be refused, named)
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
        if name == "audit":
            if tombstone_key(str(row.get("entity_id") or "")) in self.erased:
                return "left"  # about someone erased: it never comes back
            return self._audit(table, row)
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
        if local is not None and name == "result":
            here = local._mapping["assessment_id"]
            if alias.get(here, here) != row["assessment_id"]:
                raise RefusedRecord(
                    _(
                        "it is a result recorded here for another visit: a result never moves "
                        "to another visit or person"
                    )
                )
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
        mine = _record(dc, table, dict(local._mapping), check=False)
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
            row.update(search_columns(row["given_name"], row["family_name"]))
        dc.execute(insert(table).values(**row))
        if name == "participant":
            dc.execute(
                insert(md.tables["name_word"]),
                name_word_rows(row["id"], row["given_name"], row["family_name"]),
            )
        if name == "result":
            trial = md.tables["trial"]
            for t in _trials(self.sc, row["id"], test_id=row["test_id"]):
                dc.execute(insert(trial).values(**t))

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


class RefusedRecord(ValueError):
    """A record from a file that breaks one of the rules checked here (not the database's):
    its message names the rule, and the record is left out."""


ORIGIN_MAX = 500  # audit.origin
AUDIT_CONTENT = ("at", "actor", "station", "action", "entity", "entity_id", "detail")
# What this database's own history entries say: the words ffmot itself writes (every word a
# call to records.audit gives; tests/store/test_merge_audit.py holds the code to this list).
AUDIT_ACTIONS = frozenset(
    [
        "create",
        "update",
        "not_done",
        "consent",
        "withdraw",
        "screen",
        "print",
        "erase",
        "settle",
        "merge",
        "export",
        "import",
        "demo",
        "summary",
        "gp_letter",
        "recall",
        "subject_access",
        "sign_in",
        "sign_in_refused",
        "add_practitioner",
        "encrypt_database",
        "recover_access",
        "set_role",
        "disable_practitioner",
        "change_pin",
        "verify_audit",
        "read_audit",
        "set_retention",
        "apply_retention",
        "save_pdf",
        "list",
        "view",
    ]
)
AUDIT_ENTITIES = frozenset(
    (*ORDER, "database", "erasure", "trial", "merged_record", "practitioner")
)
AUDIT_DETAIL_MAX = 500  # longer than any detail ffmot writes (a file name and a few counts)
AUDIT_SINCE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SLACK = dt.timedelta(hours=1)  # a station laptop's clock a little ahead of this one
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# A phone number standing on its own (not digits inside a file name such as 'day-20260501.db')
_PHONE = re.compile(r"(?<![\w/.-])\+?\d[\d ().-]{7,}\d(?![\w/-]|\.\w)")
_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b|\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def _origin(source: str, by: str, when: dt.datetime) -> str:
    """'FILE, brought in by WHO on WHEN': the file's end kept if its path is very long."""
    tail = f", brought in by {by[:150]} on {when:%Y-%m-%d %H:%M} UTC"
    room = ORIGIN_MAX - len(tail)
    name = source if len(source) <= room else "..." + source[-(room - 3) :]
    return _printable(name) + tail


def _printable(text: str) -> str:
    """A file name as it may be stored: characters that cannot be printed become '?'."""
    return "".join("?" if text_rules.bad_character(ch) else ch for ch in text)


class _People:
    """What would make a history entry's detail personal data: the names, dates of birth,
    phone numbers and e-mail addresses of the people in this database and in the file."""

    def __init__(self, sc: Connection, dc: Connection) -> None:
        p = Base.metadata.tables["participant"]
        cols = (p.c.given_name, p.c.family_name, p.c.date_of_birth, p.c.phone, p.c.email)
        self.families: dict[str, set[str]] = {}
        self.born: set[tuple[int, int, int]] = set()
        for conn in (sc, dc):
            try:
                found: list[tuple[Any, ...]] = [tuple(r) for r in conn.execute(select(*cols))]
            except (StatementError, ValueError, TypeError):  # a damaged row: names still read
                found = [
                    (g, f, None, ph, em)
                    for g, f, ph, em in conn.execute(
                        select(p.c.given_name, p.c.family_name, p.c.phone, p.c.email)
                    )
                ]
            for given, family, dob, *_contact in found:
                fam = fold(str(family or ""))
                if fam:
                    self.families.setdefault(fam, set()).update(fold(str(given or "")).split())
                if isinstance(dob, dt.date):
                    self.born.add((dob.year, dob.month, dob.day))

    def named(self, text: str) -> bool:
        """Whether `text` holds someone's name (a family name and one of their given names),
        date of birth, phone number or e-mail address."""
        if _EMAIL.search(text):
            return True
        for m in _PHONE.finditer(text):
            if sum(ch.isdigit() for ch in m.group()) >= 9:
                return True
        for m in _DATE.finditer(text):
            y, mo, d = (
                (int(x) for x in m.groups()[:3]) if m[1] else (int(m[6]), int(m[5]), int(m[4]))
            )
            if (y, mo, d) in self.born:
                return True
        ws = fold(text).split()
        present = set(ws)
        for i in range(len(ws)):
            for n in (1, 2, 3):
                given = self.families.get(" ".join(ws[i : i + n]))
                if given and given & present:
                    return True
        return False


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _audit_problem(row: dict[str, Any], now: dt.datetime, people: _People) -> str:
    """Why a station's history entry cannot come in, in words; '' if it can."""
    if not _is_uuid(row.get("id")):
        return _("its id is not one ffmot makes")
    for key, limit in (("actor", 100), ("station", 100), ("detail", AUDIT_DETAIL_MAX)):
        v = row.get(key)
        if not isinstance(v, str):
            return _("its {column} is not text", column=key)
        if len(v) > limit:
            return _("its {column} is longer than {limit} characters", column=key, limit=limit)
        bad = text_rules.bad_character(v)
        if bad is not None:
            return _("its {column} holds {character}", column=key, character=bad)
    if row.get("action") not in AUDIT_ACTIONS:
        return _("it names an action ffmot does not record")
    if row.get("entity") not in AUDIT_ENTITIES:
        return _("it names a kind of record ffmot does not keep")
    entity_id = row.get("entity_id")
    if entity_id not in ("", None) and not _is_uuid(entity_id):
        return _("the record it is about has an id ffmot does not make")
    at = row.get("at")
    try:
        when = _when(at) if isinstance(at, (str, dt.datetime)) else None
    except ValueError:
        when = None
    if when is None:
        return _("it has no time")
    if when > now + CLOCK_SLACK or when < AUDIT_SINCE:
        return _(
            "its {column} ({date}) is in the future or before ffmot",
            column="time",
            date=f"{when:%Y-%m-%d}",
        )
    if people.named(row["detail"]):
        return _("its detail holds personal data (a name, date of birth, phone or e-mail)")
    return ""


# Each kind of record in words (translated where shown).
RECORD_WORDS = {
    "participant": N_("a person's details"),
    "consent": N_("a consent decision"),
    "event": N_("an MOT day"),
    "assessment": N_("a visit"),
    "screening": N_("a screening"),
    "result": N_("a result"),
    "audit": N_("an audit entry"),
}


# What the store's rules mean, for a record that breaks one (SQLite and PostgreSQL words, the
# keys, matched in the database's own English message; the words translated where shown).
WHY = {
    "participant_sex": N_("its sex is not female, male or not stated"),
    "done_or_reason": N_("it is marked done without a value, or not done without a reason"),
    "foreign key": N_("it belongs to a record that is not in the file"),
    "not null": N_("a required part of it is empty"),
    "unique": N_("it repeats a record already here under another id"),
}


def _bad_record(sc: Connection, name: str, row: dict[str, Any], e: BaseException) -> str:
    """One record that could not come in, named so that the station can find it."""
    md = Base.metadata
    person = ""
    what = _(RECORD_WORDS[name]) if name in RECORD_WORDS else name
    if name == "result":
        what = _(
            "the {test} result", test=default_norm_set().test_name(str(row.get("test_id") or ""))
        )
    pid = row.get("participant_id") if name != "participant" else row.get("id")
    try:  # the record's own parts may be what is wrong: its person is named if it can be
        if pid is None and row.get("assessment_id"):
            a = md.tables["assessment"]
            pid = sc.scalar(select(a.c.participant_id).where(a.c.id == row["assessment_id"]))
        if pid is not None:
            p = md.tables["participant"]
            code = sc.scalar(select(type_coerce(p.c.code, NullType())).where(p.c.id == pid))
            person = codes.display(code) if isinstance(code, str) and code else ""
    except (StatementError, ValueError, TypeError):
        person = ""
    if name == "event" and isinstance(row.get("name"), str) and row["name"]:
        what = _("the MOT day '{name}'", name=_printable(row["name"][:60]))
    raw = str(getattr(e, "orig", None) or e).splitlines()[0]
    reason = next((_(words) for key, words in WHY.items() if key in raw.lower()), raw[:160])
    if person:
        return _(
            "{record} of {code} (record {id}): {problem}",
            record=what,
            code=person,
            id=_short_id(row.get("id")),
            problem=reason,
        )
    return _(
        "{record} (record {id}): {problem}",
        record=what,
        id=_short_id(row.get("id")),
        problem=reason,
    )


def _short_id(value: Any) -> str:
    """The start of a record's id, as the station can search for it ('?' if it is not text)."""
    return _printable(value[:8]) if isinstance(value, str) else "?"


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
        values.update(search_columns(row["given_name"], row["family_name"]))
        dc.execute(update(table).where(table.c.id == mine["id"]).values(**values))
        nw = Base.metadata.tables["name_word"]
        dc.execute(delete(nw).where(nw.c.participant_id == mine["id"]))
        dc.execute(insert(nw), name_word_rows(mine["id"], row["given_name"], row["family_name"]))
        return
    trial = Base.metadata.tables["trial"]
    dc.execute(delete(trial).where(trial.c.result_id == mine["id"]))
    if mine["id"] == row["id"]:
        dc.execute(update(table).where(table.c.id == row["id"]).values(**row))
    else:
        dc.execute(delete(table).where(table.c.id == mine["id"]))
        dc.execute(insert(table).values(**row))
    for t in _trials(sc, row["id"], test_id=row["test_id"]):
        dc.execute(insert(trial).values(**t))


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


def _aliases(sc: Connection, dc: Connection, report: MergeReport) -> dict[str, str]:
    """Records merged into others, here or at the station (the station's merges come in too):
    old id -> the id it is part of now, following merges of merges."""
    mr = Base.metadata.tables["merged_record"]
    known = set(dc.scalars(select(mr.c.old_id)))
    for r in _merged_records(sc, report):
        if r["old_id"] not in known:
            dc.execute(insert(mr).values(**r))
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
    for _attempt in range(50):
        code = codes.new_code()
        if dc.scalar(select(table.c.id).where(table.c.code == code)) is None:
            report.recoded.append((row["code"], code))
            return {**row, "code": code}
    raise StoreError(_("could not find a free participant code; try the merge again"))
