"""Everything ffmot holds about one person, for a subject access request (UK GDPR article 15).

Every table is walked from the person outwards (their details, consent decisions, visits,
screenings, results and trials, the words their name is found by, merges and disagreements
about their records, and the audit entries about them), so a table added later is included
by the same walk rather than forgotten by a list. Internal bookkeeping (change counts, search
keys) is left out: it says nothing about the person that the rest does not.

The files are CSV, one per kind of record, with a README in plain English; the command line adds
the person's take-home sheets as PDFs. The request is audited (who gave it out, when).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select

from ffmot.core import codes
from ffmot.core.cells import neutralise
from ffmot.core.i18n import N_, _, month_name
from ffmot.services.permits import check
from ffmot.services.records import audit, find_by_code
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import Base

# Columns that are the program's bookkeeping, not information about the person.
INTERNAL = {"lineage", "version", "search_given", "search_family", "incoming_hash"}

README = N_(  # (N_: translated where it is written, in the practitioner's language)
    """\
Everything held about {code} by ffmot, as of {when}.

Each CSV file can be opened in a spreadsheet. One row is one record.

{files}
Dates and times are in UTC. "True"/"False" mean yes/no. Test values are in the unit named
beside them. Screening answers are listed by question.

The PDF files are the take-home sheets of each visit, as they would be printed today.

Given out by {actor} ({station}) on {when}. This request is itself recorded in the audit log.
"""
)

WHAT = {  # (N_: translated where written)
    "participant": N_("your details: name, date of birth, sex, contact details and notes"),
    "consent": N_("each consent decision you made, when, and who recorded it"),
    "event": N_("the MOT days you came to: name, date and place"),
    "assessment": N_("each visit: the MOT day, measurements, activity answers, notes and goals"),
    "screening": N_("the safety questions asked at each visit, and what they meant"),
    "result": N_("each test result, and if a test was not done, why"),
    "trial": N_("each attempt within a test (for tests with more than one try)"),
    "name_word": N_("the words your name can be found by at check-in"),
    "merged_record": N_("records of yours that were found to be duplicates and made one"),
    "merge_conflict": N_("places where two stations recorded different things about you"),
    "audit": N_("who looked at or changed your records, and when"),
}


@dataclass
class SubjectAccess:
    code: str
    files: dict[str, bytes] = field(default_factory=dict)  # file name -> contents
    visits: list[str] = field(default_factory=list)  # visit ids, oldest first, for the sheets
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def _csv(table: Table, rows: list[dict[str, Any]]) -> bytes:
    columns = [c.name for c in table.columns if c.name not in INTERNAL]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        # A cell a spreadsheet would run as a formula is shown as text, as in exports.
        w.writerow([neutralise(_cell(r[k])) for k in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def gather(db: Database, actor: Actor, code: str) -> SubjectAccess:
    """Everything about the person with this code, as CSV files; audited."""
    check(db, actor, "subject_access")
    person = find_by_code(db, code)
    out = SubjectAccess(person.code)
    tables = Base.metadata.tables
    found: dict[str, list[dict[str, Any]]] = {}
    with db.transaction() as s:
        ids: dict[str, set[str]] = {"participant": {person.id}}

        def rows_where(name: str, column: str, values: set[str]) -> list[dict[str, Any]]:
            t = tables[name]
            if not values:
                return []
            got: list[dict[str, Any]] = []
            ordered = sorted(values)
            for i in range(0, len(ordered), 500):
                q = select(t).where(t.c[column].in_(ordered[i : i + 500]))
                got += [dict(r._mapping) for r in s.execute(q)]
            return got

        found["participant"] = rows_where("participant", "id", {person.id})
        # Every table that points at an already-found table, until nothing new is found.
        pending = ["participant"]
        while pending:
            parent = pending.pop(0)
            for t in Base.metadata.sorted_tables:
                for fk in t.foreign_keys:
                    if fk.column.table.name != parent or t.name == parent:
                        continue
                    rows = rows_where(t.name, fk.parent.name, ids[parent])
                    if not rows:
                        continue
                    have = found.setdefault(t.name, [])
                    key = "id" if "id" in t.c else None
                    seen = {r[key] for r in have} if key else set()
                    new = [r for r in rows if not key or r[key] not in seen]
                    have.extend(new)
                    if key and new:
                        ids.setdefault(t.name, set()).update(r["id"] for r in new)
                        if t.name not in pending:
                            pending.append(t.name)
        days = {r["event_id"] for r in found.get("assessment", [])}
        found["event"] = rows_where("event", "id", days)  # the MOT days they came to
        everything = set().union(*ids.values())
        found["merged_record"] = rows_where("merged_record", "kept_id", everything)
        found["merge_conflict"] = rows_where("merge_conflict", "entity_id", everything)
        found["audit"] = rows_where("audit", "entity_id", everything)
        visits = sorted(found.get("assessment", []), key=lambda r: (r["assessed_on"], r["id"]))
        out.visits = [r["id"] for r in visits]
        audit(s, actor, "subject_access", "participant", person.id)
    now = dt.datetime.now(dt.UTC)
    listed = []
    for name, rows in found.items():
        if not rows:
            continue
        rows.sort(key=lambda r: _cell(r.get("id") or r.get("at") or ""))
        out.files[f"{name}.csv"] = _csv(tables[name], rows)
        out.counts[name] = len(rows)
        what = _(WHAT[name]) if name in WHAT else _("records about you")
        listed.append(f"{name}.csv ({len(rows)}): {what}")
    day = _(  # the same words as i18n.long_date, the day as two digits
        "{day} {month} {year}",
        context="date",
        day=f"{now.day:02d}",
        month=month_name(now.month),
        year=now.year,
    )
    out.files["README.txt"] = _(
        README,
        code=codes.display(person.code),
        when=_("{date}, {time} UTC", date=day, time=now.strftime("%H:%M")),
        files="".join(f"  {line}\n" for line in listed),
        actor=actor.name,
        station=actor.station,
    ).encode("utf-8")
    return out
