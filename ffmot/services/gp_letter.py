"""The letter to a person's GP practice: the results of one visit with the published range and
its source, the validated cut-offs crossed, the screening and the symptoms recorded, and what
the participant was told, written for a clinician (the words: resources/gp_letter.toml, for a
clinical lead to review; always English).

Made only for someone whose latest decision on sharing their results with their GP is yes,
and who agreed to keep their results (`consent.check_may_share_with_gp`); each letter made is
recorded in the audit log ("gp_letter"), with no personal data in the entry.

`letter_for` is a pure function of the visit's overview (services/overview.py), so the letter
says what the sheet says, in other words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ffmot.core import codes
from ffmot.core.battery import REASON_WORDS, STOP_WORDS
from ffmot.core.gp_words import load_words
from ffmot.core.i18n import ENGLISH, _, long_date, short_date, speaking
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.screening import CARE, CLEAR, DO_NOT_TEST, QUESTION_BY_ID
from ffmot.core.vocabulary import sex_words
from ffmot.services.overview import Item, Overview, value_text
from ffmot.services.types import Actor


@dataclass(frozen=True)
class ResultRow:
    test: str
    result: str
    before: str  # at their previous visit, with its date ("" if none)
    compared: tuple[str, ...]  # the band and percentile, the range, the criterion
    source: str


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class GpLetter:
    """Everything the letter says, in order, as plain text."""

    code: str
    assessment_id: str
    title: str
    addressee: str
    patient: tuple[tuple[str, str], ...]  # (label, value)
    intro: str
    caveat: str
    screening: Section
    columns: tuple[str, str, str, str, str]
    results_heading: str
    rows: tuple[ResultRow, ...]
    sections: tuple[Section, ...]  # cut-offs, body, activity, suggested
    about: Section
    footer: tuple[str, ...]
    training: bool = False  # a training MOT day's: marked on the page as not a real person
    side_by_side: tuple[str, ...] = ()  # headings of sections short enough to sit in columns


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }".replace(" ", "")


def _date(d: dt.date) -> str:
    return long_date(d)  # (month names from ffmot's own words, never the computer's locale)


def _screening(o: Overview, w: dict[str, dict[str, str]]) -> Section:
    sc = o.assessment.screening
    words = w["screening"]
    heading = w["headings"]["screening"]
    if sc is None:
        return Section(heading, (words["none"],))
    yes = [QUESTION_BY_ID[q].text for q, a in sc.answers.items() if a and q in QUESTION_BY_ID]
    if sc.outcome == CLEAR:
        lines = [words["clear"]]
    elif sc.outcome == CARE:
        lines = [words["care"].format(answers="; ".join(yes))]
    elif sc.outcome == DO_NOT_TEST:
        lines = [words["do_not_test"].format(reasons="; ".join(sc.reasons))]
    else:
        lines = [words["incomplete"]]
    if sc.systolic is not None and sc.diastolic is not None:
        lines.append(words["blood_pressure"].format(systolic=sc.systolic, diastolic=sc.diastolic))
    else:
        lines.append(words["no_blood_pressure"])
    if sc.recent_fall:
        lines.append(words["recent_fall"])
    if sc.excluded_tests and sc.outcome == CARE:
        shown = ", ".join(_test_name(o, t) for t in sc.excluded_tests)
        lines.append(words["excluded"].format(tests=shown))
    return Section(heading, tuple(lines))


def _test_name(o: Overview, test_id: str) -> str:
    for i in _items(o):
        if i.test.id == test_id:
            return i.test.name
    ns = default_norm_set()
    return ns.battery[test_id].name if test_id in ns.battery else test_id.replace("_", " ")


def _items(o: Overview) -> list[Item]:
    """The fitness tests of the visit in the battery's order (the body measurements apart)."""
    items = [i for c in o.components for i in c.items]
    order = {t: n for n, t in enumerate(default_norm_set().battery)}
    return sorted(items, key=lambda i: order.get(i.test.id, len(order)))


def _compared(i: Item, w: dict[str, dict[str, str]]) -> tuple[str, ...]:
    words, r, s = w["results"], i.result, i.score
    if not r.done:
        if r.stop_reason:
            symptom = _(STOP_WORDS.get(r.stop_reason, r.stop_reason)).lower()
            return (words["stopped"].format(symptom=symptom),)
        reason = _(REASON_WORDS.get(r.reason or "", "")).lower() or "-"
        return (words["not_done"].format(reason=reason),)
    if r.modifications:
        how = [m.words for m in i.test.modifications if m.key in r.modifications]
        return (words["modified"].format(how="; ".join(how or r.modifications)),)
    band = i.says.band if i.says is not None else ""
    if s is None or band not in w["bands"]:
        reason = (s.said_reason() if s is not None else "") or i.not_done_words or "-"
        return (words["not_compared"].format(reason=reason),)
    first = w["bands"][band]
    if s.percentile is not None:
        first = words["percentile"].format(band=first, percentile=_ordinal(s.percentile))
    lines = [first]
    unit = _(i.test.label(r.unit))
    if s.normal_range is not None:
        low, high = (f"{round(v, 1):g}" for v in s.normal_range)
        lines.append(words["range"].format(low=low, high=high, unit=unit))
    if s.criterion is not None:
        key = "criterion_met" if s.criterion.meets else "criterion_not_met"
        lines.append(words[key].format(standard=f"{s.criterion.standard:g}", unit=unit))
    return tuple(lines)


def _before(i: Item, w: dict[str, dict[str, str]]) -> str:
    """The result of the same test at their previous visit ("" if none)."""
    if i.change is None:
        return ""
    value = value_text(i.test, i.change.before, i.result.unit)
    when = f"{short_date(i.change.on)} {i.change.on.year}"
    return w["results"]["previous"].format(date=when, value=value)


def _flags(o: Overview, ns: NormSet) -> tuple[str, ...]:
    labels = {rule.id: rule.label for rules in ns.flags.values() for rule in rules}
    return tuple(
        f"{labels.get(f.id) or f.id}: cut-off {f.cutoff:g} {f.unit} ({f.source})" for f in o.flags
    )


def _body(o: Overview) -> tuple[str, ...]:
    lines = []
    for i in o.body:
        if not i.result.done or i.score is None:
            continue
        reading = i.score.reading or ""
        line = f"{i.test.name}: {i.value_text}" + (f", {reading}" if reading else "")
        lines.append(line + (f" ({i.score.source})" if i.score.source else ""))
    return tuple(lines)


def _activity(o: Overview, w: dict[str, dict[str, str]]) -> tuple[str, ...]:
    """What they said they do in a usual week, against each guideline."""
    words = w["activity"]
    lines = []
    for c in o.activity:
        unit = {
            "min/week": "minutes a week",
            "days/week": "days a week",
            "h/day": "hours a day",
        }.get(c.unit, c.unit)
        said = {"label": _(c.label), "unit": unit}
        if c.value is None:
            lines.append(words["not_asked"].format(**said))
            continue
        said["value"] = f"{c.value:g}"
        if c.target is None or c.met is None:
            lines.append(words["no_target"].format(**said))
        else:
            key = "met" if c.met else "not_met"
            lines.append(words[key].format(target=f"{c.target:g}", **said))
    return tuple(lines) or (words["none"],)


def _suggested(o: Overview, w: dict[str, dict[str, str]]) -> tuple[str, ...]:
    words = w["suggested"]
    says = o.says
    if says is None or says.mode != "full":
        return (words["screened_out"],)
    lines = []
    for work in says.work_on:
        lines.append(words["work_on"].format(title=work.title, level=work.level))
    if o.activities:
        names = ", ".join(f"{a.name} ({a.venue or a.town})" for a in o.activities)
        lines.append(words["activities"].format(names=names))
    return tuple(lines) or (words["none"],)


def letter_for(
    o: Overview,
    consented_on: dt.date,
    made: dt.date,
    words: dict[str, dict[str, str]] | None = None,
    norms: NormSet | None = None,
) -> GpLetter:
    """The letter for one visit's overview (made in English, whatever the person's language)."""
    w = words or load_words()
    ns = norms or default_norm_set()
    with speaking(ENGLISH):
        p, a, e = o.participant, o.assessment, o.event
        pw, rw, heads = w["patient"], w["results"], w["headings"]
        letter = w["letter"]
        intro = letter["intro"].format(
            name=p.name,
            date=_date(a.assessed_on),
            venue=e.venue or e.name,
            organisation=e.organisation or e.name,
            consented=_date(consented_on),
        )
        rows = tuple(
            ResultRow(i.test.name, i.value_text if i.result.done else "-", _before(i, w),
                      _compared(i, w),
                      i.score.source if i.score is not None and i.result.done else "")
            for i in _items(o)
        )  # fmt: skip
        sections = [
            Section(heads["flags"], _flags(o, ns)),
            Section(heads["body"], _body(o)),
            Section(heads["activity"], _activity(o, w)),
            Section(heads["suggested"], _suggested(o, w)),
        ]
        return GpLetter(
            code=p.code,
            assessment_id=a.id,
            title=letter["title"],
            addressee=letter["addressee"],
            patient=(
                (pw["name"], p.name),
                (pw["born"], _date(p.date_of_birth)),
                (pw["sex"], sex_words(p.sex)),
                (pw["age"], str(o.age)),
                (pw["code"], codes.display(p.code)),
            ),
            intro=intro,
            caveat=letter["caveat"],
            screening=_screening(o, w),
            columns=(rw["test"], rw["result"], rw["last"], rw["compared"], rw["source"]),
            results_heading=heads["results"],
            rows=rows,
            sections=tuple(s for s in sections if s.lines),
            about=Section(heads["about"], (letter["caveat"], letter["no_action"])),
            footer=(
                w["footer"]["recorded"].format(
                    practitioner=a.practitioner or "-",
                    station=a.station or "-",
                    norm_set=o.norm_set,
                    made=_date(made),
                ),
                w["footer"]["confidential"],
            ),
            training=e.training,
            side_by_side=(heads["activity"], heads["suggested"]),
        )


def make_gp_letter(
    db: Any, actor: Actor, code: str, assessment_prefix: str | None = None
) -> GpLetter:
    """The letter for the person with this code (their latest visit, or the one whose id
    starts with `assessment_prefix`); refused in plain words (InputError) unless they agreed
    to share their results with their GP and to keep them. Audited."""
    from ffmot.services.consent import SHARE_GP, check_may_share_with_gp
    from ffmot.services.overview import load_for_sheet
    from ffmot.services.permits import permit
    from ffmot.services.records import audit, find_by_code
    from ffmot.services.visits import pick_visit
    from ffmot.store.db import Database

    assert isinstance(db, Database)
    with db.transaction() as s:
        permit(s, actor, "gp_letter")
    person = find_by_code(db, code)
    shown = codes.display(person.code)
    check_may_share_with_gp(person)
    visit = pick_visit(db, person.id, shown, assessment_prefix)
    overview = load_for_sheet(db, visit, language=ENGLISH)
    check_may_share_with_gp(overview.participant)  # as read with the visit, just now
    consent = overview.participant.consents[SHARE_GP]
    letter = letter_for(overview, consent.recorded_at.date(), dt.date.today())
    with db.transaction() as s:
        audit(s, actor, "gp_letter", "assessment", visit)
    return letter
