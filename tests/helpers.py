"""Small shared steps for tests that need a person checked in and screened."""

from __future__ import annotations

import datetime as dt

from ffmot.core import screening
from ffmot.services import records as R
from ffmot.services.types import AssessmentInfo, EventInfo, ParticipantInfo


def ready_visit(
    ctx,
    event_name: str = "MOT day",
    given: str = "Ada",  # type: ignore[no-untyped-def]
    family: str = "Sampleton",
    dob: dt.date = dt.date(1949, 3, 14),
    sex: str = "female",
    open_event: bool = True,
) -> tuple[EventInfo, ParticipantInfo, AssessmentInfo]:
    """A new MOT day today with one person registered (agreeing to keep results), checked in
    and screened clear; the day is opened in the app context."""
    e = R.create_event(ctx.db, ctx.actor, event_name, dt.date.today())
    p = R.register_participant(
        ctx.db, ctx.actor, given, family, dob, sex, consents={"keep_results": True}
    )
    v = R.check_in(ctx.db, ctx.actor, p.id, e.id)
    R.record_screening(ctx.db, ctx.actor, v.id, screening.answers_with())
    if open_event:
        ctx.set_event(R.get_event(ctx.db, e.id))
    return e, p, v


def screened_visit(
    db,
    actor,
    event_id: str,
    given: str,
    family: str,  # type: ignore[no-untyped-def]
    dob: dt.date,
    sex: str,
) -> tuple[ParticipantInfo, AssessmentInfo]:
    """Registers someone who agrees to keep their results, checks them in to the MOT day and
    records a clear screening."""
    p = R.register_participant(db, actor, given, family, dob, sex, consents={"keep_results": True})
    v = R.check_in(db, actor, p.id, event_id)
    R.record_screening(db, actor, v.id, screening.answers_with())
    return p, v
