"""A participant's visits, and picking the one to print."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.store.db import Database
from ffmot.store.models import Assessment


def participant_visits(db: Database, participant_id: str) -> list[tuple[str, dt.date]]:
    """A participant's visits (assessment id, date), the latest first."""
    with db.transaction() as s:
        rows = s.execute(
            select(Assessment.id, Assessment.assessed_on)
            .where(Assessment.participant_id == participant_id)
            .order_by(Assessment.assessed_on.desc(), Assessment.created_at.desc())
        ).all()
    return [(r.id, r.assessed_on) for r in rows]


def pick_visit(db: Database, participant_id: str, code: str, prefix: str | None) -> str:
    """The visit to print: the latest, or the one whose id starts with `prefix`."""
    visits = participant_visits(db, participant_id)
    if not visits:
        raise InputError(
            _("{code} has no visits yet: check them in to an MOT day first", code=code)
        )
    if prefix is None:
        return visits[0][0]
    p = prefix.strip().lower()
    if len(p) < 4:
        raise InputError(_("--assessment needs at least the first 4 characters of a visit id"))
    found = [v for v, _day in visits if v.lower().startswith(p)]
    if not found:
        raise InputError(
            _(
                "{code} has no visit whose id starts with {prefix}",
                code=code,
                prefix=prefix.strip(),
            )
        )
    if len(found) > 1:
        raise InputError(
            _(
                "more than one of {code}'s visits starts with {prefix}",
                code=code,
                prefix=prefix.strip(),
            )
        )
    return found[0]
