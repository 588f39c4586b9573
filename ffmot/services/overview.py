"""Everything the conversation and the take-home sheet show about one visit, as plain data.

`build_overview` is a pure function of plain data (no session inside), so the desktop app, the
printed sheet and the tests all see the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ffmot.core import organisation, screening, units
from ffmot.core.advice import (
    FITNESS_COMPONENTS,
    Advice,
    Directory,
    LocalActivity,
    load_advice,
    load_directory,
)
from ffmot.core.battery import TestDef
from ffmot.core.errors import FfmotError
from ffmot.core.i18n import ENGLISH, _, speaking
from ffmot.core.interpret import (
    Facts,
    Interpretation,
    Observed,
    TestSays,
    WorkOn,
    interpret,
    value_precision,
)
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.paths import advice_file
from ffmot.core.scoring import Activity, FlagHit, GuidelineCheck, Score, score
from ffmot.services.types import AssessmentInfo, EventInfo, ParticipantInfo, ResultInfo


@dataclass(frozen=True)
class Change:
    before: float
    on: dt.date
    words: str
    better: bool | None  # None: the same, or a change too small to count


@dataclass(frozen=True)
class Item:
    test: TestDef
    result: ResultInfo
    score: Score | None  # None when not done or when it could not be scored
    value_text: str
    change: Change | None
    not_done_words: str = ""  # why it was not done, or why it was not compared
    says: TestSays | None = None  # the verdict, range and change in words (core/interpret.py)


@dataclass(frozen=True)
class ComponentView:
    id: str
    title: str
    status: str  # strength, usual, work_on, lower, not_compared
    items: tuple[Item, ...]
    words: str
    next_steps: tuple[str, ...]
    work: tuple[WorkOn, ...] = ()  # the things to work on in this component, with their steps


@dataclass(frozen=True)
class Overview:
    participant: ParticipantInfo
    assessment: AssessmentInfo
    event: EventInfo
    age: int
    components: tuple[ComponentView, ...]  # strengths first, then usual, then to work on
    work_on: tuple[str, ...]  # component ids holding something to work on
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
    says: Interpretation | None = None
    notes_on_norms: tuple[str, ...] = field(default=())
    language: str = ENGLISH  # every word above is in this language; the sheet is made in it
    logo: str = ""  # the organisation's logo, a PNG or JPEG file (ffmot/core/organisation.py)


def value_text(test: TestDef, value: float, unit_code: str, decimals: int = 1) -> str:
    if unit_code != "cm" and decimals <= 1:
        v = f"{value:g}"
    else:
        v = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return _("{value} {unit}", value=v, unit=_(test.label(unit_code)))


def _score(
    t: TestDef, sex: str, age: int, r: ResultInfo, act: Activity | None, ns: NormSet
) -> Score | None:
    if not r.done or r.value is None:
        return None
    try:
        return score(t.id, sex, age, r.value, r.unit, activity=act, norms=ns)
    except FfmotError:
        return None


def facts_for(
    participant: ParticipantInfo,
    assessment: AssessmentInfo,
    previous: AssessmentInfo | None,
    ns: NormSet,
) -> tuple[Facts, dict[str, Score | None]]:
    """Everything core/interpret.py needs about the person, from the stored records."""
    age = assessment.age
    m = assessment.measurements
    sc = assessment.screening
    answers = sc.answers if sc else {}
    observed = []
    scores: dict[str, Score | None] = {}
    for r in assessment.results:
        if r.test_id not in ns.battery:
            continue
        t = ns.battery[r.test_id]
        act = (
            Activity(m.strength_days, m.balance_days, m.sitting_hours)
            if t.id == "activity"
            else None
        )
        s = _score(t, participant.sex, age, r, act, ns)
        scores[t.id] = s
        both = None
        if participant.sex == "not_stated" and t.component in FITNESS_COMPONENTS:
            f, mm = (_score(t, sx, age, r, act, ns) for sx in ("female", "male"))
            if f is not None and mm is not None:
                both = (f, mm)
        prev_value = prev_band = None
        if previous is not None and r.done and r.value is not None:
            old = previous.result(r.test_id)
            if old is not None and old.done and old.value is not None:
                prev_value = round(units.convert(old.value, old.unit, r.unit), 2)
                old_score = _score(t, participant.sex, previous.age, old, None, ns)
                prev_band = old_score.band if old_score else None
        observed.append(
            Observed(
                t,
                r.done,
                r.value,
                r.unit,
                r.reason,
                r.stop_reason,
                tuple(r.modifications),
                s,
                both,
                prev_value,
                prev_band,
            )
        )
    facts = Facts(
        age,
        participant.sex,
        sc.outcome if sc else None,
        # the reasons in the overview's language (the stored outcome's are in English)
        screening.assess(sc.answers, sc.systolic, sc.diastolic).plain if sc else (),
        sc.excluded_tests if sc else (),
        bool(sc and sc.recent_fall),
        bool(answers.get("cannot_stand_safely")),
        bool(answers.get("cannot_walk_safely")),
        tuple(observed),
        m.moderate_minutes,
        m.strength_days,
        m.balance_days,
        m.sitting_hours,
        previous.assessed_on if previous else None,
    )
    return facts, scores


def build_overview(
    participant: ParticipantInfo,
    assessment: AssessmentInfo,
    event: EventInfo,
    previous: AssessmentInfo | None = None,
    norms: NormSet | None = None,
    *,
    advice: Advice | None = None,
    directory: Directory | None = None,
    language: str = "",
) -> Overview:
    """Everything the results screen and the sheet say about one visit, in `language` (the
    participant's own by default)."""
    code = language or participant.language or ENGLISH
    with speaking(code):
        return _build(
            participant,
            assessment,
            event,
            previous,
            norms,
            advice=advice,
            directory=directory,
            language=code,
        )


def _build(
    participant: ParticipantInfo,
    assessment: AssessmentInfo,
    event: EventInfo,
    previous: AssessmentInfo | None,
    norms: NormSet | None,
    *,
    advice: Advice | None,
    directory: Directory | None,
    language: str,
) -> Overview:
    ns = norms or default_norm_set()
    adv = advice or load_advice(advice_file())
    facts, scores = facts_for(participant, assessment, previous, ns)
    d = directory
    problems: tuple[str, ...] = ()
    if d is None and event.activities_directory:
        try:
            d = load_directory(Path(event.activities_directory))
            problems = d.problems
        except FfmotError as e:
            problems = (str(e),)
    flags = tuple(f for s in scores.values() if s is not None for f in s.flags)
    activity_score = scores.get("activity")
    checks = activity_score.guidelines if activity_score is not None else ()
    says = interpret(
        facts,
        flags,
        d.activities if d is not None else (),
        {c: adv.components[c].title for c in FITNESS_COMPONENTS},
    )
    items: list[Item] = []
    sources: list[str] = []
    for o, r in zip(
        facts.results, [r for r in assessment.results if r.test_id in ns.battery], strict=True
    ):
        s, t, ts = o.score, o.test, says.tests[o.test.id]
        if s is not None and s.source and s.source not in sources:
            sources.append(s.source)
        change = None
        if ts.change and o.previous is not None and facts.previous_date is not None:
            better = {"better": True, "worse": False}.get(ts.change_kind)
            change = Change(o.previous, facts.previous_date, ts.change, better)
        decimals = value_precision(s) if s is not None and ts.band else 1
        items.append(
            Item(
                t,
                r,
                s,
                value_text(t, r.value, r.unit, decimals)
                if r.done and r.value is not None
                else _("not done"),
                change,
                ts.note,
                ts,
            )
        )
    order = {"strength": 0, "usual": 1, "work_on": 2, "lower": 3, "not_compared": 4}
    comps = []
    for cid in sorted(
        (c for c in FITNESS_COMPONENTS if c in says.component_status),
        key=lambda c: (order[says.component_status[c]], FITNESS_COMPONENTS.index(c)),
    ):
        mine = tuple(i for i in items if i.test.component == cid)
        if not mine:
            continue
        work = tuple(w for w in says.work_on if w.component == cid)
        comps.append(
            ComponentView(
                cid,
                _(adv.components[cid].title),
                says.component_status[cid],
                mine,
                says.component_words.get(cid, ""),
                tuple(s for w in work for s in w.steps),
                work,
            )
        )
    body = tuple(i for i in items if i.test.component == "body")
    return Overview(
        participant,
        assessment,
        event,
        facts.age,
        tuple(comps),
        tuple(dict.fromkeys(w.component for w in says.work_on)),
        body,
        checks,
        flags,
        says.activities,
        says.sitting_steps,
        tuple(sources),
        ns.version,
        previous.assessed_on if previous else None,
        event.training,
        assessment.notes,
        assessment.goals,
        problems,
        says,
        _norm_notes(ns, body),
        language,
        str(organisation.current().logo or ""),
    )


def _norm_notes(ns: NormSet, body: tuple[Item, ...]) -> tuple[str, ...]:
    """Notes the norms carry for what was read (the BMI and waist cut-offs are not adjusted
    for ethnic background), in the participant's words."""
    shown = tuple(i.test.id for i in body if i.result.done and i.score is not None)
    if not shown:
        return ()
    return tuple(_(n.text) for n in ns.notes_for(*shown))


def load_overview(
    db: object,
    assessment_id: str,
    norms: NormSet | None = None,
    seen_by: object = None,
    language: str = "",
) -> Overview:
    """Reads what build_overview needs for one visit, in one go. `seen_by`: the practitioner
    looking at it on screen (Actor): allowed to see the day, and the view is audited."""
    from ffmot.services import records as R
    from ffmot.services.types import Actor
    from ffmot.store.db import Database

    assert isinstance(db, Database)
    if isinstance(seen_by, Actor):
        R.record_view(db, seen_by, "assessment", assessment_id)
    a = R.get_assessment(db, assessment_id)
    p = R.get_participant(db, a.participant_id)
    e = R.get_event(db, a.event_id)
    prev = R.get_assessment(db, a.previous_id) if a.previous_id else None
    return build_overview(p, a, e, prev, norms, language=language)


def load_for_sheet(
    db: object, assessment_id: str, norms: NormSet | None = None, language: str = ""
) -> Overview:
    """The overview a sheet is made from, read afresh, for someone who may have one: a person
    who has withdrawn consent to keep their results (or never gave it) is refused in plain
    words (`services/consent.py`), wherever the sheet is asked for."""
    from ffmot.services.conflicts import held_for_conflicts
    from ffmot.services.consent import check_may_print

    o = load_overview(db, assessment_id, norms, language=language)
    check_may_print(o.participant)
    held_for_conflicts(db, [o])  # type: ignore[arg-type]
    return o
