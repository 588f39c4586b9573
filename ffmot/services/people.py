"""One person registered twice: their two records made one, keeping every visit, result and
consent decision.

The kept record keeps its code and details; the other record's visits, screenings, results and
consent decisions move to it, in one transaction, and the other record goes (its name no longer
found by the search). Two visits to the same MOT day become one when nothing in them disagrees;
a clash (two different results for one test, different measurements or screening) is refused
with what clashes and how to put it right, and nothing changes. A withdrawal of consent on
either record stays withdrawn.

Why one room: planning a merge and doing it must agree on every rule, so both read the same loaded
records in one module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from ffmot.core import codes, lineage
from ffmot.core.errors import InputError
from ffmot.core.i18n import N_, _, _n
from ffmot.core.vocabulary import PURPOSES, sex_words
from ffmot.services.records import _participant_info, _saving, audit
from ffmot.services.types import Actor, ParticipantInfo
from ffmot.store.db import Database
from ffmot.store.errors import StoreError
from ffmot.store.models import (
    Assessment,
    Consent,
    Event,
    MergedRecord,
    NameWord,
    Participant,
    Result,
    Screening,
    utcnow,
)

MEASURES = (  # (N_: the words are translated where shown)
    ("height_cm", N_("height"), N_("cm")),
    ("weight_kg", N_("weight"), N_("kg")),
    ("waist_cm", N_("waist"), N_("cm")),
    ("moderate_minutes", N_("moderate activity"), N_("minutes a week")),
    ("strength_days", N_("strength days"), N_("days a week")),
    ("balance_days", N_("balance days"), N_("days a week")),
    ("sitting_hours", N_("sitting time"), N_("hours a day")),
)


def _sex_words(sex: str) -> str:
    return sex_words(sex, alone=True)


@dataclass(frozen=True)
class VisitSummary:
    event_name: str
    date: dt.date
    results: int
    screened: bool

    def line(self) -> str:
        day, date = self.event_name, self.date.strftime("%d/%m/%Y")
        if self.screened:
            return _n(
                "{day}, {date}: {count} result",
                "{day}, {date}: {count} results",
                self.results,
                day=day,
                date=date,
            )
        return _n(
            "{day}, {date}: {count} result, not screened",
            "{day}, {date}: {count} results, not screened",
            self.results,
            day=day,
            date=date,
        )


@dataclass(frozen=True)
class MergePlan:
    """What merging `other` into `keep` would do, worked out from the database as it is."""

    keep: ParticipantInfo
    other: ParticipantInfo
    keep_visits: tuple[VisitSummary, ...]
    other_visits: tuple[VisitSummary, ...]
    visits_moved: int
    visits_combined: int
    results_moved: int
    consents_moved: int
    withdrawn: tuple[str, ...]  # purposes withdrawn on either record: withdrawn after the merge
    differences: tuple[str, ...]  # sex or date of birth that differ, in words
    clashes: tuple[str, ...]  # what stops the merge, each with how to put it right

    def moves(self) -> str:
        """What will move, in one sentence."""
        k, o = codes.display(self.keep.code), codes.display(self.other.code)
        text = _(
            "{visits_moved}; {visits_combined}; {results} and {decisions} move with them; "
            "then {other} is removed (its card no longer works).",
            visits_moved=_n(
                "{count} visit moves to {code}",
                "{count} visits move to {code}",
                self.visits_moved,
                code=k,
            ),
            visits_combined=_n(
                "{count} visit to the same MOT day is combined",
                "{count} visits to the same MOT day are combined",
                self.visits_combined,
            ),
            results=_n("{count} result", "{count} results", self.results_moved),
            decisions=_n(
                "{count} consent decision", "{count} consent decisions", self.consents_moved
            ),
            other=o,
        )
        if self.withdrawn:
            text += " " + _(
                "Consent stays withdrawn for: {purposes}.",
                purposes=", ".join(p.replace("_", " ") for p in self.withdrawn),
            )
        return text


def person_line(p: ParticipantInfo) -> str:
    return _(
        "{code}  {name}, born {date}, {sex}",
        code=codes.display(p.code),
        name=p.name,
        date=p.date_of_birth.strftime("%d/%m/%Y"),
        sex=_sex_words(p.sex),
    )


# --- reading both records --------------------------------------------------------------------


@dataclass
class _Both:
    keep: Participant
    other: Participant
    visits: dict[str, list[Assessment]]  # participant id -> visits
    events: dict[str, Event]


def _load(s: Session, keep_id: str, other_id: str, lock: bool) -> _Both:
    if keep_id == other_id:
        raise InputError(
            _("that is the same record twice: choose the other record of this person to merge")
        )
    q = (
        select(Participant)
        .where(Participant.id.in_([keep_id, other_id]))
        .options(selectinload(Participant.consents))
    )
    # Locked until the merge commits: no other station can add a result, consent or visit to
    # either person meanwhile (PostgreSQL; SQLite has one writer at a time anyway).
    people = {p.id: p for p in s.scalars(q.with_for_update() if lock else q)}
    for pid in (keep_id, other_id):
        if pid not in people:
            raise StoreError(
                _(
                    "one of the two records is no longer in the database (merged or erased?): "
                    "search for the person again"
                )
            )
    vq = (
        select(Assessment)
        .where(Assessment.participant_id.in_([keep_id, other_id]))
        .options(
            selectinload(Assessment.results).selectinload(Result.trials),
            selectinload(Assessment.screenings),
        )
        .order_by(Assessment.assessed_on, Assessment.id)
    )
    visits: dict[str, list[Assessment]] = {keep_id: [], other_id: []}
    for a in s.scalars(vq.with_for_update() if lock else vq):
        visits[a.participant_id].append(a)
    event_ids = {a.event_id for vs in visits.values() for a in vs}
    events = {e.id: e for e in s.scalars(select(Event).where(Event.id.in_(event_ids)))}
    return _Both(people[keep_id], people[other_id], visits, events)


def _latest_consents(p: Participant) -> dict[str, Consent]:
    latest: dict[str, Consent] = {}
    for c in sorted(p.consents, key=lambda c: (c.recorded_at, c.id)):
        latest[c.purpose] = c
    return latest


def _test_name(test_id: str) -> str:
    from ffmot.core.norms import default_norm_set

    return default_norm_set().test_name(test_id)


def _result_words(r: Result) -> str:
    if not r.done:
        return _("not done ({reason})", reason=(r.reason or "").replace("_", " "))
    return f"{r.value:g} {r.unit}"


def _result_content(r: Result) -> tuple[Any, ...]:
    return (
        r.done,
        r.reason,
        r.stop_reason,
        r.value,
        r.unit,
        tuple(sorted(r.modifications or ())),
        tuple((t.n, t.value, t.unit) for t in r.trials),
    )


def _screening_content(sc: Screening | None) -> tuple[Any, ...] | None:
    if sc is None:
        return None
    return (
        sorted((sc.answers or {}).items()),
        sc.systolic,
        sc.diastolic,
        sc.outcome,
        sorted(sc.excluded_tests or ()),
    )


def _latest_screening(a: Assessment) -> Screening | None:
    return max(a.screenings, key=lambda x: (x.recorded_at, x.id), default=None)


def _differences(keep: Participant, other: Participant) -> list[str]:
    k, o = codes.display(keep.code), codes.display(other.code)
    out = []
    if keep.sex != other.sex:
        out.append(
            _(
                "sex: {keep_sex} on {keep}, {other_sex} on {other}",
                keep_sex=_sex_words(keep.sex),
                keep=k,
                other_sex=_sex_words(other.sex),
                other=o,
            )
        )
    if keep.date_of_birth != other.date_of_birth:
        out.append(
            _(
                "date of birth: {keep_date} on {keep}, {other_date} on {other}",
                keep_date=keep.date_of_birth.strftime("%d/%m/%Y"),
                keep=k,
                other_date=other.date_of_birth.strftime("%d/%m/%Y"),
                other=o,
            )
        )
    return out


def _clashes(both: _Both) -> tuple[list[str], int, int, int]:
    """What stops two visits to one MOT day becoming one; and how many visits move, how many
    combine and how many results move."""
    k, o = codes.display(both.keep.code), codes.display(both.other.code)
    mine = {a.event_id: a for a in both.visits[both.keep.id]}
    clashes: list[str] = []
    moved = combined = results = 0
    for ov in both.visits[both.other.id]:
        kv = mine.get(ov.event_id)
        if kv is None:
            moved += 1
            results += len(ov.results)
            continue
        combined += 1
        event = both.events[ov.event_id]
        day = f"{event.name} ({event.date.strftime('%d/%m/%Y')})"
        theirs = {r.test_id: r for r in kv.results}
        for r in sorted(ov.results, key=lambda r: r.test_id):
            same = theirs.get(r.test_id)
            if same is None:
                results += 1
            elif _result_content(same) != _result_content(r):
                clashes.append(
                    _(
                        "both records have a {test} result at {day}: {keep_result} on {keep}, "
                        "{other_result} on {other}. Correct one at the station so both say the "
                        "same (or record it as not done on both), then merge again",
                        test=_test_name(r.test_id),
                        day=day,
                        keep_result=_result_words(same),
                        keep=k,
                        other_result=_result_words(r),
                        other=o,
                    )
                )
        for attr, what, unit in MEASURES:
            a, b = getattr(kv, attr), getattr(ov, attr)
            if a is not None and b is not None and a != b:
                clashes.append(
                    _(
                        "both records have a {measure} at {day}: {keep_value:g} {unit} on "
                        "{keep}, {other_value:g} {unit} on {other}. Correct one so both say "
                        "the same, then merge again",
                        measure=_(what),
                        day=day,
                        keep_value=a,
                        unit=_(unit),
                        keep=k,
                        other_value=b,
                        other=o,
                    )
                )
        ks, os_ = _latest_screening(kv), _latest_screening(ov)
        if ks is not None and os_ is not None and _screening_content(ks) != _screening_content(os_):
            clashes.append(
                _(
                    "both records were screened at {day}, with different answers or outcome. "
                    "Record the screening again at check-in with the same answers on both "
                    "cards, then merge again",
                    day=day,
                )
            )
    return clashes, moved, combined, results


def _summaries(both: _Both, pid: str) -> tuple[VisitSummary, ...]:
    return tuple(
        VisitSummary(
            both.events[a.event_id].name,
            both.events[a.event_id].date,
            len(a.results),
            bool(a.screenings),
        )
        for a in both.visits[pid]
    )


def _withdrawn(both: _Both) -> list[str]:
    """Purposes whose latest decision on either record is a withdrawal (or a no)."""
    lk, lo = _latest_consents(both.keep), _latest_consents(both.other)
    return [
        p for p in PURPOSES if any(c is not None and not c.granted for c in (lk.get(p), lo.get(p)))
    ]


def _plan(both: _Both) -> MergePlan:
    clashes, moved, combined, results = _clashes(both)
    return MergePlan(
        _participant_info(both.keep),
        _participant_info(both.other),
        _summaries(both, both.keep.id),
        _summaries(both, both.other.id),
        moved,
        combined,
        results,
        len(both.other.consents),
        tuple(_withdrawn(both)),
        tuple(_differences(both.keep, both.other)),
        tuple(clashes),
    )


def plan_merge(db: Database, keep_id: str, other_id: str) -> MergePlan:
    """What merging would do, to show before it is done (nothing is changed)."""
    with db.transaction() as s:
        return _plan(_load(s, keep_id, other_id, lock=False))


# --- merging ---------------------------------------------------------------------------------


def _joined(a: str, b: str) -> str:
    a, b = (a or "").strip(), (b or "").strip()
    if not b or b == a:
        return a
    if not a:
        return b
    return f"{a}\n\n{b}"


def merge_participants(
    db: Database,
    actor: Actor,
    keep_id: str,
    other_id: str,
    accept_different_details: bool = False,
) -> ParticipantInfo:
    """Makes `other_id`'s record part of `keep_id`'s: every visit, screening, result and consent
    decision moves, then the other record is removed. One transaction: all or nothing.

    Refused, changing nothing: the same record twice; a record no longer there; a clash
    between two visits to the same MOT day; a different sex or date of birth (they decide the
    norms) unless `accept_different_details` says the kept record's are right."""
    with _saving(db) as s:
        both = _load(s, keep_id, other_id, lock=True)
        keep, other = both.keep, both.other
        k, o = codes.display(keep.code), codes.display(other.code)
        differences = _differences(keep, other)
        # at most two differences: the sex and the date of birth
        if len(differences) == 2 and not accept_different_details:
            first, second = differences
            raise InputError(
                _(
                    "{keep} and {other} differ in {first} and in {second}. These decide the "
                    "norms, and the merged record keeps {keep}'s. Correct the wrong record "
                    "first, or confirm that {keep}'s details are right",
                    keep=k,
                    other=o,
                    first=first,
                    second=second,
                )
            )
        if differences and not accept_different_details:
            raise InputError(
                _(
                    "{keep} and {other} differ in {first}. These decide the norms, and the "
                    "merged record keeps {keep}'s. Correct the wrong record first, or confirm "
                    "that {keep}'s details are right",
                    keep=k,
                    other=o,
                    first=differences[0],
                )
            )
        clashes, n_moved, n_combined, n_results = _clashes(both)
        if clashes:
            raise InputError(
                _(
                    "{keep} and {other} cannot be merged yet, nothing was changed: {clashes}",
                    keep=k,
                    other=o,
                    clashes="; ".join(clashes),
                )
            )
        withdrawn = _withdrawn(both)
        latest_before = _latest_consents(keep)  # then the latest over both records
        for c in sorted(other.consents, key=lambda c: (c.recorded_at, c.id)):
            if c.purpose not in latest_before or (c.recorded_at, c.id) > (
                latest_before[c.purpose].recorded_at,
                latest_before[c.purpose].id,
            ):
                latest_before[c.purpose] = c
        n_consents = len(other.consents)
        now = utcnow()
        mine = {a.event_id: a for a in both.visits[keep.id]}
        moved_ids: set[str] = set()

        # Visits: to another MOT day they move whole; to the same one they become one.
        for ov in both.visits[other.id]:
            kv = mine.get(ov.event_id)
            if kv is None:
                s.execute(
                    update(Assessment)
                    .where(Assessment.id == ov.id)
                    .values(participant_id=keep.id, version=Assessment.version + 1, updated_at=now)
                )
                moved_ids.add(ov.id)
                continue
            theirs = {r.test_id for r in kv.results}
            move = [r.id for r in ov.results if r.test_id not in theirs]
            if move:  # identical copies of a result already there stay behind and go
                s.execute(
                    update(Result)
                    .where(Result.id.in_(move))
                    .values(assessment_id=kv.id, version=Result.version + 1)
                )
            if ov.screenings:
                s.execute(
                    update(Screening)
                    .where(Screening.assessment_id == ov.id)
                    .values(assessment_id=kv.id)
                )
            values: dict[str, Any] = {
                attr: getattr(ov, attr)
                for attr, _w, _u in MEASURES
                if getattr(kv, attr) is None and getattr(ov, attr) is not None
            }
            vectors = dict(kv.lineage or {})  # which copy of each fact is later travels too
            old_vectors = ov.lineage or {}
            for attr in values:
                if attr in old_vectors:
                    vectors[attr] = old_vectors[attr]
            for attr in ("notes", "goals"):
                vectors[attr] = lineage.join(
                    lineage.clean(vectors.get(attr)), lineage.clean(old_vectors.get(attr))
                )
            values["lineage"] = {k: v for k, v in vectors.items() if v}
            printed = [t for t in (kv.printed_at, ov.printed_at) if t is not None]
            values.update(
                notes=_joined(kv.notes, ov.notes),
                goals=_joined(kv.goals, ov.goals),
                printed_at=max(printed) if printed else None,
                version=Assessment.version + 1,
                updated_at=now,
            )
            s.execute(update(Assessment).where(Assessment.id == kv.id).values(**values))
            s.execute(
                update(Assessment)
                .where(Assessment.previous_id == ov.id)
                .values(previous_id=kv.id, version=Assessment.version + 1)
            )
            s.execute(delete(Assessment).where(Assessment.id == ov.id))
            _remember_merged(s, ov.id, kv.id, "assessment", now)
            moved_ids.add(kv.id)

        # Consent: every decision moves (the history stays); a withdrawal on either record
        # stays in force, even if the other record's decision is later.
        s.execute(
            update(Consent).where(Consent.participant_id == other.id).values(participant_id=keep.id)
        )
        for purpose in withdrawn:
            if latest_before[purpose].granted:
                s.add(
                    Consent(
                        participant_id=keep.id,
                        purpose=purpose,
                        granted=False,
                        recorded_at=now,
                        recorded_by=actor.name,
                    )
                )
                audit(
                    s,
                    actor,
                    "withdraw",
                    "participant",
                    keep.id,
                    f"{purpose}: withdrawn on {o}, kept withdrawn when {o} was merged into {k}",
                )

        # Details the kept record lacks come from the other one; notes are kept together.
        details: dict[str, Any] = {
            attr: getattr(other, attr)
            for attr in ("phone", "email", "postcode_district")
            if getattr(keep, attr) is None and getattr(other, attr) is not None
        }
        s.execute(
            update(Participant)
            .where(Participant.id == keep.id)
            .values(
                **details,
                notes=_joined(keep.notes, other.notes),
                version=Participant.version + 1,
                updated_at=now,
            )
        )
        s.execute(delete(NameWord).where(NameWord.participant_id == other.id))
        s.execute(delete(Participant).where(Participant.id == other.id))
        _remember_merged(s, other.id, keep.id, "participant", now)
        _relink(s, keep.id, moved_ids)
        audit(
            s,
            actor,
            "merge",
            "participant",
            keep.id,
            f"merged {o} into {k}: {n_moved} visit(s) moved, {n_combined} combined, "
            f"{n_results} result(s) and {n_consents} consent decision(s) moved; {o} removed",
        )
        audit(s, actor, "merge", "participant", other.id, f"merged into {k}; {o} removed")
        s.flush()
        s.expire_all()
        p = s.get(
            Participant,
            keep.id,
            options=[selectinload(Participant.consents)],
            populate_existing=True,
        )
        assert p is not None
        return _participant_info(p)


def _relink(s: Session, participant_id: str, changed: set[str]) -> None:
    """Each visit's previous visit (for the retest comparison) is their latest earlier one,
    as at check-in; only links the merge changed, or that point nowhere, are set again."""
    rows = s.execute(
        select(Assessment.id, Assessment.assessed_on, Assessment.previous_id)
        .where(Assessment.participant_id == participant_id)
        .order_by(Assessment.assessed_on, Assessment.id)
    ).all()
    ids = {r.id for r in rows}
    for r in rows:
        earlier = [x for x in rows if x.assessed_on < r.assessed_on]
        wanted = earlier[-1].id if earlier else None
        if wanted == r.previous_id:
            continue
        if r.previous_id is None or r.previous_id not in ids or wanted in changed:
            s.execute(
                update(Assessment)
                .where(Assessment.id == r.id)
                .values(previous_id=wanted, version=Assessment.version + 1)
            )


def _remember_merged(s: Session, old_id: str, kept_id: str, entity: str, now: dt.datetime) -> None:
    """So a station file still holding the old record brings its facts to the kept one (and
    records merged into the old one before now point at the kept one too)."""
    s.execute(update(MergedRecord).where(MergedRecord.kept_id == old_id).values(kept_id=kept_id))
    known = s.get(MergedRecord, old_id)  # already known here from a station's file
    if known is not None:
        known.kept_id = kept_id
    else:
        s.add(MergedRecord(old_id=old_id, kept_id=kept_id, entity=entity, merged_at=now))
