"""Reading and checking the audit: `ffmot audit verify` and `ffmot audit list`.

Entries made in this database form a hash chain (ffmot/core/chain.py); entries brought in from
station files are listed apart, marked with the file they came from, and are never part of it.
Both reading and checking are a data lead's (read_audit), and are themselves audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from ffmot.core import chain
from ffmot.core.i18n import _, _n
from ffmot.services.permits import check
from ffmot.services.records import audit
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import AuditEntry, AuditHead

BATCH = 2000  # entries read at a time: memory stays flat however long the audit


@dataclass(frozen=True)
class Verified:
    entries: int  # in the chain, checked
    brought_in: int  # from station files: outside the chain
    head: str  # the last link: note it down to compare later
    problem: str  # "" if the chain is whole


def _rows(db: Database) -> Iterator[AuditEntry]:
    after = 0
    while True:
        with db.transaction() as s:
            batch = list(
                s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.seq.is_not(None), AuditEntry.seq > after)
                    .order_by(AuditEntry.seq)
                    .limit(BATCH)
                )
            )
        if not batch:
            return
        yield from batch
        after = batch[-1].seq or after


def _describe(e: AuditEntry) -> str:
    at = e.at.strftime("%d %b %Y %H:%M") if e.at else "?"
    return _(
        "entry {number} ({at}, {actor}, {action})",
        number=e.seq,
        at=at,
        actor=e.actor,
        action=e.action,
    )


def verify(db: Database, actor: Actor) -> Verified:
    """Walks the chain from the first entry: the first entry that does not follow from the one
    before (changed, or one before it removed, inserted or moved) is named; a head that does
    not match the last entry means the newest entries were removed."""
    check(db, actor, "read_audit")
    previous, expected, count = chain.START, 1, 0
    problem = ""
    for e in _rows(db):
        if e.seq != expected:
            problem = (
                _(
                    "entries {first} to {last} are missing before {entry}",
                    first=expected,
                    last=(e.seq or 1) - 1,
                    entry=_describe(e),
                )
                if (e.seq or 0) > expected
                else _("{entry} is out of order", entry=_describe(e))
            )
            break
        if e.entity_id and chain.entity_key(e.entity_id) != e.entity_key:
            problem = _(
                "{entry} now names another record than when it was written", entry=_describe(e)
            )
            break
        link = chain.link(previous, _entry(e))
        if link != e.link:
            problem = _("{entry} has been changed, or an entry before it was", entry=_describe(e))
            break
        previous, expected, count = link, expected + 1, count + 1
    with db.transaction() as s:
        head = s.get(AuditHead, 1)
        brought = s.query(AuditEntry).filter(AuditEntry.seq.is_(None)).count()
        if not problem and head is not None and (head.seq != count or head.link != previous):
            problem = (
                _n(
                    "the chain ends at entry {last}, but {written} were written: the newest "
                    "{count} was removed",
                    "the chain ends at entry {last}, but {written} were written: the newest "
                    "{count} were removed",
                    head.seq - count,
                    last=count,
                    written=head.seq,
                )
                if head.seq > count
                else _("the chain's head does not match its last entry")
            )
        audit(s, actor, "verify_audit", "audit", "", "whole" if not problem else "broken")
    return Verified(count, brought, previous, problem)


def _entry(e: AuditEntry) -> chain.Entry:
    return chain.Entry(
        e.seq or 0,
        e.id,
        e.at,
        e.actor,
        e.station or "",
        e.action,
        e.entity,
        e.entity_key or "",
        e.detail or "",
    )


@dataclass(frozen=True)
class Line:
    seq: int | None
    at: dt.datetime
    actor: str
    station: str
    action: str
    entity: str
    detail: str
    origin: str


def entries(db: Database, actor: Actor, last: int = 50) -> list[Line]:
    """The newest entries, made here and brought in, newest last."""
    check(db, actor, "read_audit")
    with db.transaction() as s:
        found = list(
            s.scalars(select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id).limit(last))
        )
        audit(s, actor, "read_audit", "audit", "", f"last {last}")
    return [
        Line(e.seq, e.at, e.actor, e.station, e.action, e.entity, e.detail, e.origin or "")
        for e in reversed(found)
    ]
