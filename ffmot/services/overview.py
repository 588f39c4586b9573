"""Everything the conversation and the take-home sheet show about one visit, as plain data.

`build_overview` is a pure function of plain data (no session inside), so the desktop app, the
printed sheet and the tests all see the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ffmot.core import units
from ffmot.core.advice import (
    FITNESS_COMPONENTS,
    Advice,
    ComponentSummary,
    Directory,
    LocalActivity,
    load_advice,
    load_directory,
    match_activities,
    summarise,
    to_work_on,
)
from ffmot.core.battery import TestDef
from ffmot.core.errors import FfmotError
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.paths import resources_dir
from ffmot.core.scoring import Activity, FlagHit, GuidelineCheck, Score, score
from ffmot.services.types import AssessmentInfo, EventInfo, ParticipantInfo, ResultInfo

NOT_DONE_WORDS = {
    "declined": "you chose not to do it today",
    "unable": "it was not possible today",
    "felt_unsafe": "it did not feel safe today",
    "stopped_by_tester": "we stopped it to keep you safe",
    "not_offered": "it was not offered today",
}


@dataclass(frozen=True)
class Change:
    before: float
    on: dt.date
    words: str
    better: bool | None  # None: the same


@dataclass(frozen=True)
class Item:
    test: TestDef
    result: ResultInfo
    score: Score | None  # None when not done or when it could not be scored
    value_text: str
    change: Change | None
    not_done_words: str = ""


@dataclass(frozen=True)
class ComponentView:
    id: str
    title: str
    status: str  # strength, steady, work_on, not_compared
    items: tuple[Item, ...]
    words: str
    next_steps: tuple[str, ...]


@dataclass(frozen=True)
class Overview:
    participant: ParticipantInfo
    assessment: AssessmentInfo
    event: EventInfo
    age: int
    components: tuple[ComponentView, ...]  # strengths first, then steady, then to work on
    work_on: tuple[str, ...]
    body: tuple[Item, ...]
    activity: tuple[GuidelineCheck, ...]
    flags: tuple[FlagHit, ...]
    activities: tuple[LocalActivity, ...]
    sitting_steps: tuple[str, ...]
    sources: tuple[str, ...]
    norm_set: str
    previous_date: dt.date | None
    training: bool
    notes: str
    goals: str
    directory_problems: tuple[str, ...] = field(default=())


def value_text(test: TestDef, value: float, unit_code: str) -> str:
    v = f"{value:g}" if unit_code != "cm" else f"{value:.1f}".rstrip("0").rstrip(".")
    label = test.label(unit_code)
    return f"{v} {label}"


def change_words(test: TestDef, before: float, after: float, unit_code: str, on: dt.date) -> Change:
    when = f"{on.day} {on.strftime('%B')}"
    diff = after - before
    label = test.label(unit_code)
    if abs(diff) < 1e-9:
        return Change(before, on, f"the same as on {when}", None)
    better = diff < 0 if test.direction == "lower" else diff > 0
    amount = f"{abs(diff):g}"
    if test.direction == "lower":
        words = f"{amount} {label} {'faster' if better else 'slower'} than on {when}"
    elif test.unit == "count":
        words = f"{amount} {'more' if better else 'fewer'} {label} than on {when}"
    else:
        words = f"{amount} {label} {'more' if better else 'less'} than on {when}"
    if not better:
        words += ". Results vary from day to day: keep going"
    return Change(before, on, words, better)


def build_overview(
    participant: ParticipantInfo,
    assessment: AssessmentInfo,
    event: EventInfo,
    previous: AssessmentInfo | None = None,
    norms: NormSet | None = None,
    advice: Advice | None = None,
    directory: Directory | None = None,
) -> Overview:
    ns = norms or default_norm_set()
    adv = advice or load_advice(resources_dir() / "advice.toml")
    age = assessment.age
    m = assessment.measurements
    items: list[Item] = []
    sources: list[str] = []
    for r in assessment.results:
        if r.test_id not in ns.battery:
            continue
        t = ns.battery[r.test_id]
        sc: Score | None = None
        if r.done and r.value is not None:
            act = (
                Activity(m.strength_days, m.balance_days, m.sitting_hours)
                if t.id == "activity"
                else None
            )
            try:
                sc = score(t.id, participant.sex, age, r.value, r.unit, activity=act, norms=ns)
            except FfmotError:
                sc = None
            if sc is not None and sc.source and sc.source not in sources:
                sources.append(sc.source)
        change = None
        if previous is not None and r.done and r.value is not None:
            old = previous.result(r.test_id)
            if old is not None and old.done and old.value is not None:
                before = units.convert(old.value, old.unit, r.unit)
                change = change_words(t, round(before, 2), r.value, r.unit, previous.assessed_on)
        items.append(
            Item(
                t,
                r,
                sc,
                value_text(t, r.value, r.unit) if r.done and r.value is not None else "not done",
                change,
                "" if r.done else NOT_DONE_WORDS.get(r.reason or "", ""),
            )
        )
    component_of = {t.id: t.component for t in ns.battery.values()}
    summaries = summarise([i.score for i in items if i.score is not None], component_of)
    by_id: dict[str, ComponentSummary] = {s.id: s for s in summaries}
    order = {"strength": 0, "steady": 1, "work_on": 2, "not_compared": 3}
    work = tuple(s.id for s in to_work_on(summaries))
    comps = []
    for cid in sorted(
        FITNESS_COMPONENTS, key=lambda c: (order[by_id[c].status], FITNESS_COMPONENTS.index(c))
    ):
        mine = tuple(i for i in items if i.test.component == cid)
        if not mine:
            continue
        w = adv.components[cid]
        status = by_id[cid].status
        words = (
            w.work_on
            if status == "work_on"
            else w.strength
            if status in ("strength", "steady")
            else ""
        )
        comps.append(
            ComponentView(
                cid, w.title, status, mine, words, w.next_steps if status == "work_on" else ()
            )
        )
    body = tuple(i for i in items if i.test.component == "body")
    activity_item = next((i for i in items if i.test.id == "activity"), None)
    checks = activity_item.score.guidelines if activity_item and activity_item.score else ()
    flags = tuple(f for i in items if i.score for f in i.score.flags)
    d = directory
    problems: tuple[str, ...] = ()
    if d is None and event.activities_directory:
        try:
            d = load_directory(Path(event.activities_directory))
            problems = d.problems
        except FfmotError as e:
            problems = (str(e),)
    acts = tuple(match_activities(d, work)) if d is not None else ()
    sitting = adv.sitting_steps if m.sitting_hours is not None and m.sitting_hours >= 6 else ()
    return Overview(
        participant,
        assessment,
        event,
        age,
        tuple(comps),
        work,
        body,
        checks,
        flags,
        acts,
        sitting,
        tuple(sources),
        ns.version,
        previous.assessed_on if previous else None,
        event.training,
        assessment.notes,
        assessment.goals,
        problems,
    )


def load_overview(db: object, assessment_id: str, norms: NormSet | None = None) -> Overview:
    """Reads what build_overview needs for one visit, in one go."""
    from ffmot.services import records as R
    from ffmot.store.db import Database

    assert isinstance(db, Database)
    a = R.get_assessment(db, assessment_id)
    p = R.get_participant(db, a.participant_id)
    e = R.get_event(db, a.event_id)
    prev = R.get_assessment(db, a.previous_id) if a.previous_id else None
    return build_overview(p, a, e, prev, norms)
