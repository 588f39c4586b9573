"""The retest recall: who is due for a retest in a date range, their visit plus about twelve
weeks (`RETEST_WEEKS`, or as asked), and how far each has got: due, invited, booked, came.

Only people whose latest answer to "Contact me for a 12-week retest" is yes, and who agreed to
keep their results, are listed or marked: a withdrawal takes them off the list at once (their
marks stay with their records until those are erased, and say nothing more). A person is
listed once, for their latest visit that falls due in the range; "came" is a later visit.

Invitation letters mark each person in them "invited"; "booked" is marked as they book
(`mark`). Every list, letter run and mark is in the audit log ("recall"), with no personal
data in the entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ffmot.core import codes
from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import (
    RECALL_STATES,
    Assessment,
    Consent,
    Event,
    Participant,
    RecallMark,
    utcnow,
)

RETEST_WEEKS = 12
CONTACT, KEEP = "retest_contact", "keep_results"
DUE, INVITED, BOOKED, CAME = "due", "invited", "booked", "came"


@dataclass(frozen=True)
class Due:
    """One person due for a retest."""

    participant_id: str
    code: str
    given_name: str
    family_name: str
    phone: str
    email: str
    postcode_district: str
    language: str
    assessment_id: str  # the visit the retest follows
    visited_on: dt.date
    event_name: str
    venue: str
    due_on: dt.date
    state: str  # due, invited, booked or came
    training: bool

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def check_range(start: dt.date, end: dt.date, weeks: int) -> None:
    if end < start:
        raise InputError(
            _(
                "--to {end} is before --from {start}: give the range the right way round",
                start=start.isoformat(),
                end=end.isoformat(),
            )
        )
    if (end - start).days > 366:
        raise InputError(_("give a range of at most a year (--from and --to)"))
    if not 1 <= weeks <= 104:
        raise InputError(_("--weeks must be between 1 and 104 (the retest is usually 12 weeks on)"))


def _may_contact(s: Session, participant_ids: Sequence[str]) -> set[str]:
    """Those whose latest answers to being contacted for a retest and to keeping their results
    are both yes."""
    latest: dict[tuple[str, str], tuple[dt.datetime, str, bool]] = {}
    for n in range(0, len(participant_ids), 500):
        rows = s.execute(
            select(Consent.participant_id, Consent.purpose, Consent.recorded_at, Consent.id,
                   Consent.granted)
            .where(Consent.participant_id.in_(participant_ids[n : n + 500]),
                   Consent.purpose.in_([CONTACT, KEEP]))
        )  # fmt: skip
        for pid, purpose, at, cid, granted in rows:
            key = (pid, purpose)
            if key not in latest or (at, cid) > latest[key][:2]:
                latest[key] = (at, cid, granted)
    return {
        pid
        for pid in participant_ids
        if all(latest.get((pid, p), (None, None, False))[2] for p in (CONTACT, KEEP))
    }


def due(db: Database, start: dt.date, end: dt.date, weeks: int = RETEST_WEEKS) -> list[Due]:
    """Everyone due for a retest from `start` to `end` (their visit plus `weeks`) who may be
    contacted, by due date then name."""
    check_range(start, end, weeks)
    gap = dt.timedelta(weeks=weeks)
    with db.transaction() as s:
        visits = s.execute(
            select(Assessment.id, Assessment.participant_id, Assessment.assessed_on,
                   Event.name, Event.venue, Event.training)
            .join(Event, Event.id == Assessment.event_id)
            .where(Assessment.assessed_on.between(start - gap, end - gap))
            .order_by(Assessment.participant_id, Assessment.assessed_on.desc(), Assessment.id)
        ).all()  # fmt: skip
        chosen: dict[str, tuple[str, dt.date, str, str, bool]] = {}
        for vid, pid, on, event, venue, training in visits:
            chosen.setdefault(pid, (vid, on, event, venue, training))  # the latest in range
        allowed = _may_contact(s, list(chosen))
        ordered = sorted(allowed)
        people = {
            p.id: p
            for n in range(0, len(ordered), 500)
            for p in s.scalars(select(Participant).where(Participant.id.in_(ordered[n : n + 500])))
        }
        last_visit: dict[str, dt.date] = {}
        for n in range(0, len(ordered), 500):
            last_visit.update(
                s.execute(
                    select(Assessment.participant_id, func.max(Assessment.assessed_on))
                    .where(Assessment.participant_id.in_(ordered[n : n + 500]))
                    .group_by(Assessment.participant_id)
                ).all()
            )
        marks: dict[str, set[str]] = {}
        ids = [chosen[pid][0] for pid in allowed]
        for n in range(0, len(ids), 500):
            for vid, state in s.execute(
                select(RecallMark.assessment_id, RecallMark.state).where(
                    RecallMark.assessment_id.in_(ids[n : n + 500])
                )
            ):
                marks.setdefault(vid, set()).add(state)
    out = []
    for pid in allowed:
        vid, on, event, venue, training = chosen[pid]
        p = people[pid]
        came = last_visit.get(pid, on) > on
        got = marks.get(vid, set())
        state = CAME if came else BOOKED if BOOKED in got else INVITED if INVITED in got else DUE
        out.append(
            Due(pid, p.code, p.given_name, p.family_name, p.phone or "", p.email or "",
                p.postcode_district or "", p.language or "en", vid, on, event, venue or "",
                on + gap, state, bool(training))
        )  # fmt: skip
    out.sort(key=lambda d: (d.due_on, d.family_name.casefold(), d.given_name.casefold(), d.code))
    return out


def record(db: Database, actor: Actor, listed: Sequence[Due], what: str) -> None:
    """The audit entry for a list or a run of letters: how many, no names."""
    from ffmot.services.records import audit

    with db.transaction() as s:
        audit(s, actor, "recall", "participant", "", f"{what}: {len(listed)} people")


def mark(db: Database, actor: Actor, rows: Sequence[Due], state: str) -> int:
    """Marks each visit's recall `state` (invited, booked), once each; those already so marked
    are left as they are. How many were newly marked. Someone who may no longer be contacted
    (withdrawn since the list was made) is refused, and nothing is marked."""
    from ffmot.services.permits import permit
    from ffmot.services.records import audit

    if state not in RECALL_STATES:
        raise InputError(_("a recall mark is invited or booked, not '{state}'", state=state))
    now = utcnow()
    with db.transaction() as s:
        permit(s, actor, "recall")
        allowed = _may_contact(s, [r.participant_id for r in rows])
        for r in rows:
            if r.participant_id not in allowed:
                raise InputError(
                    _(
                        "{code} may no longer be contacted for a retest (their consent is "
                        "withdrawn): nothing was marked",
                        code=codes.display(r.code),
                    )
                )
        values = [
            {"id": _new_id(), "participant_id": r.participant_id, "assessment_id": r.assessment_id,
             "state": state, "at": now, "by": actor.name}
            for r in rows
        ]  # fmt: skip
        if not values:
            return 0
        insert = postgresql.insert if db.kind == "postgresql" else sqlite.insert
        made = s.scalars(
            insert(RecallMark)
            .values(values)
            .on_conflict_do_nothing(index_elements=["assessment_id", "state"])
            .returning(RecallMark.id)
        ).all()
        count = len(made)
        audit(s, actor, "recall", "participant", "", f"marked {state}: {count} people")
    return count


def _new_id() -> str:
    from ffmot.store.models import new_id

    return new_id()


def find(db: Database, code: str, weeks: int = RETEST_WEEKS) -> Due:
    """The recall of the person with this code: their latest visit's retest (due or not yet),
    refused in plain words if they may not be contacted or have no visit."""
    from ffmot.services.records import find_by_code

    person = find_by_code(db, code)
    with db.transaction() as s:
        latest = s.execute(
            select(Assessment.assessed_on)
            .where(Assessment.participant_id == person.id)
            .order_by(Assessment.assessed_on.desc())
            .limit(1)
        ).scalar()
    shown = codes.display(person.code)
    if latest is None:
        raise InputError(_("{code} has no visits yet: there is no retest to mark", code=shown))
    gap = dt.timedelta(weeks=weeks)
    found = [d for d in due(db, latest + gap, latest + gap, weeks) if d.participant_id == person.id]
    if not found:
        raise InputError(
            _(
                "{code} has not agreed to be contacted for a retest (or has withdrawn it, or "
                "their results are not kept): they are not on the recall list",
                code=shown,
            )
        )
    return found[0]
