"""The MOT day board: who is here, what each still needs, who is ready to print."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ffmot.store.db import Database
from ffmot.store.models import Assessment, Event, Participant, Result, Screening


@dataclass(frozen=True)
class BoardRow:
    assessment_id: str
    code: str
    name: str
    done: int  # tests done or recorded as not done
    offered: int
    still_needed: tuple[str, ...]
    screening: str  # clear, care, do_not_test or "" when not screened
    status: str  # "screening", "testing", "ready", "reprint", "printed"

    @property
    def complete(self) -> bool:
        return not self.still_needed


def board(db: Database, event_id: str) -> list[BoardRow]:
    """Complete = every offered test done, or not done with a reason."""
    with db.transaction() as s:
        event = s.get(Event, event_id)
        if event is None:
            return []
        offered = list(event.tests_offered)
        visits = s.execute(
            select(
                Assessment.id,
                Assessment.printed_at,
                Assessment.updated_at,
                Participant.code,
                Participant.given_name,
                Participant.family_name,
            )
            .join(Participant, Participant.id == Assessment.participant_id)
            .where(Assessment.event_id == event_id)
            .order_by(Participant.search_family, Participant.search_given)
        ).all()
        ids = [v.id for v in visits]
        recorded: dict[str, set[str]] = {i: set() for i in ids}
        changed: dict[str, dt.datetime] = {v.id: _aware(v.updated_at) for v in visits}
        for aid, test, at in s.execute(
            select(Result.assessment_id, Result.test_id, Result.updated_at).where(
                Result.assessment_id.in_(ids)
            )
        ):
            recorded[aid].add(test)
            changed[aid] = max(changed[aid], _aware(at))
        screened: dict[str, str] = {}
        for aid, outcome in s.execute(
            select(Screening.assessment_id, Screening.outcome)
            .where(Screening.assessment_id.in_(ids))
            .order_by(Screening.recorded_at, Screening.id)
        ):
            screened[aid] = outcome
    rows = []
    for v in visits:
        outcome = screened.get(v.id, "")
        # someone who is not to be tested today has nothing left to do but their sheet
        needed = (
            () if outcome == "do_not_test" else tuple(t for t in offered if t not in recorded[v.id])
        )
        if v.printed_at is not None and _aware(v.printed_at) >= changed[v.id]:
            status = "printed"
        elif v.printed_at is not None:
            status = "reprint"  # a result or note changed after the sheet was printed
        elif outcome in ("", "incomplete"):
            status = "screening"
        elif needed:
            status = "testing"
        else:
            status = "ready"
        rows.append(
            BoardRow(
                v.id,
                v.code,
                f"{v.given_name} {v.family_name}",
                len(offered) - len(needed),
                len(offered),
                needed,
                outcome,
                status,
            )
        )
    return rows


def _aware(at: dt.datetime) -> dt.datetime:
    """Times as stored: SQLite gives them back without a zone (they are UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
