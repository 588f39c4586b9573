"""The MOT day board: who is here, what each still needs, who is ready to print."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ffmot.services.consent import KEEP_RESULTS
from ffmot.store.db import Database
from ffmot.store.models import Assessment, Consent, Event, Participant, Result, Screening


@dataclass(frozen=True)
class BoardRow:
    assessment_id: str
    code: str
    name: str
    done: int  # tests done or recorded as not done
    offered: int
    still_needed: tuple[str, ...]
    screening: str  # clear, care, do_not_test or "" when not screened
    # "screening", "testing", "ready", "reprint", "printed"; or, before all of those, "withdrawn"
    # (they withdrew consent to keep their results: not tested, no sheet) or "no_consent"
    # (they never gave it)
    status: str

    @property
    def complete(self) -> bool:
        return not self.still_needed


def board(db: Database, event_id: str) -> list[BoardRow]:
    """Complete = every offered test done, or not done with a reason. Someone whose latest
    decision on keeping their results is no has nothing left to do: they are not tested and
    get no sheet (services/consent.py)."""
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
                Assessment.participant_id,
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
        keeps: dict[str, bool] = {}  # the latest decision on keeping their results wins
        for pid, granted in s.execute(
            select(Consent.participant_id, Consent.granted)
            .where(
                Consent.participant_id.in_(sorted({v.participant_id for v in visits})),
                Consent.purpose == KEEP_RESULTS,
            )
            .order_by(Consent.recorded_at, Consent.id)
        ):
            keeps[pid] = granted
    from ffmot.services.conflicts import visits_with_conflicts

    disagree = visits_with_conflicts(db, ids)
    rows = []
    for v in visits:
        outcome = screened.get(v.id, "")
        consent = keeps.get(v.participant_id)
        # someone who is not to be tested today has nothing left to do but their sheet, and
        # someone who withdrew consent to keep their results, nothing at all
        needed = (
            ()
            if outcome == "do_not_test" or not consent
            else tuple(t for t in offered if t not in recorded[v.id])
        )
        if consent is None:
            status = "no_consent"
        elif not consent:
            status = "withdrawn"
        elif v.id in disagree:
            status = "conflict"  # the stations' files disagree: settled before the sheet
        elif v.printed_at is not None and _aware(v.printed_at) >= changed[v.id]:
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
                sum(1 for t in offered if t in recorded[v.id])
                if not consent
                else len(offered) - len(needed),
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
