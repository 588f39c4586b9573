"""Retention: how long a person's records are kept after they were last seen, set by the data
lead, and applied by erasing (services/erase.py) everyone past it.

A person is past the period when both their last visit (or, with none, their registration) and
their latest decision to let their results be kept are older than the period: someone who
agreed again at a later date to keep their results is kept. Nothing is erased until a data lead
applies it; until then the command line lists how many are due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.services.erase import erase_participant, scrub
from ffmot.services.permits import check, permit
from ffmot.services.records import audit
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.errors import StoreError
from ffmot.store.models import Assessment, Consent, Participant, Setting

KEY = "retention_months"
MONTHS = (12, 120)  # at least a year (a retest loop), at most ten


@dataclass(frozen=True)
class Due:
    months: int | None  # None: no period set
    codes: list[str]  # of the people past it, oldest first
    cutoff: dt.date | None


def set_period(db: Database, actor: Actor, months: int) -> None:
    if not MONTHS[0] <= months <= MONTHS[1]:
        raise InputError(
            _(
                "a retention period is {low} to {high} months (a retest comes after about 12 "
                "weeks; ten years is longer than any programme keeps records)",
                low=MONTHS[0],
                high=MONTHS[1],
            )
        )
    with db.transaction() as s:
        permit(s, actor, "retention")
        row = s.get(Setting, KEY)
        before = row.value if row is not None else "none"
        if row is None:
            s.add(Setting(key=KEY, value=str(months)))
        else:
            row.value = str(months)
        audit(s, actor, "set_retention", "database", "", f"{before} to {months} months")


def period(db: Database) -> int | None:
    with db.transaction() as s:
        row = s.get(Setting, KEY)
    return int(row.value) if row is not None else None


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    last = [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31,
            30, 31, 30, 31][m - 1]  # fmt: skip
    return dt.date(y, m, min(day.day, last))


def due(db: Database, actor: Actor, today: dt.date | None = None) -> Due:
    check(db, actor, "retention")
    months = period(db)
    if months is None:
        return Due(None, [], None)
    cutoff = _months_before(today or dt.date.today(), months)
    with db.transaction() as s:
        last_visit = (
            select(Assessment.participant_id, func.max(Assessment.assessed_on).label("last"))
            .group_by(Assessment.participant_id)
            .subquery()
        )
        last_keep = (
            select(Consent.participant_id, func.max(Consent.recorded_at).label("agreed"))
            .where(Consent.purpose == "keep_results", Consent.granted.is_(True))
            .group_by(Consent.participant_id)
            .subquery()
        )
        rows = s.execute(
            select(Participant.code, Participant.created_at, last_visit.c.last, last_keep.c.agreed)
            .outerjoin(last_visit, last_visit.c.participant_id == Participant.id)
            .outerjoin(last_keep, last_keep.c.participant_id == Participant.id)
        ).all()
    found = []
    for code, created, last, agreed in rows:
        seen = last or created.date()
        kept = agreed.date() if agreed is not None else seen
        newest = max(seen, kept)
        if newest < cutoff:
            found.append((newest, code))
    return Due(months, [c for _newest, c in sorted(found)], cutoff)


def apply(db: Database, actor: Actor, today: dt.date | None = None) -> tuple[Due, str]:
    """Erases everyone past the period; the space is overwritten once at the end. Returns who
    was due and, if overwriting did not finish, why ("" if it did)."""
    d = due(db, actor, today)
    if d.months is None:
        raise InputError(_("no retention period is set: a data lead sets one first"))
    for code in d.codes:
        erase_participant(db, actor, code, scrub_now=False)
    with db.transaction() as s:
        audit(s, actor, "apply_retention", "database", "",
              f"{len(d.codes)} erased, last seen before {d.cutoff}")  # fmt: skip
    try:
        if d.codes:
            scrub(db)
    except StoreError as e:
        return d, str(e)
    return d, ""
