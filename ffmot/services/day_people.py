"""Everyone counted at one MOT day, read and scored at once: a few queries for the whole day,
then each test scored for everyone together (numpy), and each person's things to work on chosen
by the sheet's own rule (core/interpret.plan). What the summary counts of each person (Person)
and nothing that identifies them.

Why one room: the reading, the scoring and the choice of what to work on share the day's
matrices (who, which test, band, marks); split, each part would pass them all to the next.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Integer, String, cast, select, type_coerce

from ffmot.core import units
from ffmot.core.advice import (
    FITNESS_COMPONENTS,
    Directory,
    load_directory,
)
from ffmot.core.ages import OLDEST_AGE, age_or_zero
from ffmot.core.battery import ACTIVITY, READINGS, SYMPTOM_STOPS, TestDef
from ffmot.core.errors import FfmotError
from ffmot.core.interpret import (
    FAR_BELOW_PERCENTILE,
    MODIFIED,
    Ability,
    Seen,
    choose_activities,
    default_rules,
    done_enough,
    plan,
)
from ffmot.core.norms import SEX_INDEX, NormSet, default_norm_set
from ffmot.core.published import (
    CONSENT,
)
from ffmot.core.scoring import (
    ABOVE,
    BANDS,
    BELOW,
    EPS,
    NOT_CLASSIFIED,
    Activity,
    classify,
    flag_masks,
    impossible_answer,
)
from ffmot.core.screening import upgrade_answers
from ffmot.core.vocabulary import SEXES
from ffmot.services.types import EventInfo
from ffmot.store.db import Database, mapped_reads
from ffmot.store.models import Assessment, Consent, Participant, Result, Screening


@dataclass(frozen=True)
class Person:
    """What the summary counts of one person's visit, and nothing that identifies them."""

    age: int
    sex: str  # female, male or not_stated
    bands: dict[str, str]  # test id: band, or "not_done" where there is no score
    flags: frozenset[str]
    work_on: frozenset[str]  # fitness components
    activities: bool  # the directory had something for what they are to work on
    retested: bool
    changes: dict[str, float]  # test id: now minus then, in the test's own unit


# Band codes in read_people's matrix: BANDS' indices, then these two.
_NOT_DONE, _ABSENT = len(BANDS), len(BANDS) + 1
_BAND_NAMES = (*BANDS, "not_done", "absent")
ATTENTION, FLAGGED = 1, 2  # marks on a result (see read_people)


def read_people(
    db: Database, event: EventInfo, norms: NormSet | None = None, directory: Directory | None = None
) -> list[Person]:
    """What the summary counts of everyone at the MOT day who agreed to anonymous reports.

    The same as `person_from_overview` over `event_overviews(..., CONSENT)` (a test checks it,
    person for person), but read in four queries and worked out a test at a time, as arrays
    of everyone's results, so a day of 10,000 visits takes well under a second.
    """
    ns = norms or default_norm_set()
    d = directory if directory is not None else day_directory(event)
    with db.transaction() as s:
        c = s.connection()  # plain rows: no ORM bookkeeping for a few hundred thousand of them
        with mapped_reads(c):
            visits, decisions, now, then, screenings = _read_day(c, event.id)

    agreed = _agreed(decisions)
    counted = [v for v in visits if v.participant_id in agreed]
    n = len(counted)
    sexes = [sx if sx in SEXES else "not_stated" for sx in (v.sex for v in counted)]
    sex_i = np.array([SEX_INDEX.get(sx, -1) for sx in sexes], dtype=np.int64)
    ages = np.array([age_or_zero(v.date_of_birth, v.assessed_on) for v in counted], np.int64)
    answers = [(v.strength_days, v.balance_days, v.sitting_hours) for v in counted]

    # Everyone's results as columns: who (row in `counted`), which test, done, value, unit.
    tests = list(ns.battery.values())
    test_index = {t.id: k for k, t in enumerate(tests)}
    row_of = {v.id: i for i, v in enumerate(counted)}
    aids, tids, dones, vals, unit_col, mod_col, why_col, stop_col = (
        zip(*now, strict=True) if now else ((),) * 8
    )
    how = {  # the few done with help or stopped: how, and why
        (aids[j], tids[j]): (_mods(mod_col[j]), why_col[j], stop_col[j])
        for j in range(len(aids))
        if (mod_col[j] is not None and mod_col[j] != "[]") or stop_col[j] is not None
    }
    who = np.fromiter(map(row_of.get, aids, repeat(-1)), np.int64, len(aids))
    which = np.fromiter(map(test_index.get, tids, repeat(-1)), np.int64, len(tids))
    done = np.array(dones, dtype=bool)
    value = np.array(vals, dtype=np.float64)  # None becomes NaN
    units_of = np.array(unit_col, dtype=object)
    keep = (who >= 0) & (which >= 0)
    who, which, done, value, units_of = (
        who[keep],
        which[keep],
        done[keep],
        value[keep],
        units_of[keep],
    )
    plain: tuple[tuple[str, ...], str | None, str | None] = ((), None, None)
    ways = [how.get((aids[j], tids[j]), plain) for j in np.flatnonzero(keep).tolist()]
    mods = [w[0] for w in ways]
    reasons = [(w[1], w[2]) for w in ways]

    band = np.full((n, len(tests)), _ABSENT, dtype=np.int64)
    pct = np.full((n, len(tests)), np.nan)
    band[who, which] = _NOT_DONE  # until it scores
    flags = np.zeros((n, 0), dtype=bool)
    flag_ids: list[str] = []
    # Per result, beside its band: ATTENTION (read against a cut-off, and past it) and FLAGGED
    # (past a validated cut-off of flags.csv), as the sheet's rule reads them.
    marks = np.zeros((n, len(tests)), dtype=np.int8)
    scored = done & ~np.isnan(value)
    for k, test in enumerate(tests):
        at = scored & (which == k)
        if not at.any():
            continue
        hits = _score_test(
            ns, test, who[at], value[at], units_of[at], sex_i=sex_i, ages=ages, answers=answers
        )
        rows, b, p, raised, attention = hits
        band[rows, k] = b
        pct[rows, k] = p
        marks[rows[attention], k] |= ATTENTION
        for rule_id, mask in raised:
            marks[rows[mask], k] |= FLAGGED
            if rule_id not in flag_ids:
                flag_ids.append(rule_id)
                flags = np.concatenate([flags, np.zeros((n, 1), dtype=bool)], axis=1)
            flags[rows[mask], flag_ids.index(rule_id)] = True

    work, helped = _work_and_activities(
        counted, screenings, tests,
        band=band, pct=pct, marks=marks, who=who, which=which, done=done, value=value,
        units_of=units_of, mods=mods, reasons=reasons, sex_i=sex_i, ages=ages, answers=answers,
        ns=ns, d=d,
    )  # fmt: skip

    # Changes since the last visit, for the few retested (a row at a time).
    changes: list[dict[str, float]] = [{} for _person in range(n)]
    if then:
        new_value = {
            (i, k): (x, u)
            for i, k, x, u in zip(
                who[scored].tolist(),
                which[scored].tolist(),
                value[scored].tolist(),
                units_of[scored].tolist(),
                strict=True,
            )
            if tests[k].component in FITNESS_COMPONENTS
        }
        for aid, test_id, old, old_unit in then:
            key = (row_of.get(aid, -1), test_index.get(test_id, -1))
            if old is not None and key in new_value:
                new, unit = new_value[key]
                before = round(units.convert(old, old_unit, unit), 2)  # as the sheet shows it
                changes[key[0]][test_id] = units.convert(new - before, unit, tests[key[1]].unit)

    shown = [(k, t.id) for k, t in enumerate(tests) if t.component in FITNESS_COMPONENTS]
    flag_sets: dict[tuple[bool, ...], frozenset[str]] = {}
    out = []
    for i, v in enumerate(counted):
        row = band[i].tolist()
        up: tuple[bool, ...] = tuple(flags[i].tolist())
        if up not in flag_sets:
            flag_sets[up] = frozenset(f for f, yes in zip(flag_ids, up, strict=True) if yes)
        out.append(
            Person(
                int(ages[i]),
                sexes[i],
                {tid: _BAND_NAMES[row[k]] for k, tid in shown if row[k] != _ABSENT},
                flag_sets[up],
                work[i],
                helped[i],
                v.previous_id is not None,
                changes[i],
            )
        )
    return out


def _agreed(decisions: list[Any]) -> set[str]:
    """Who said yes in their latest decision (the last recorded; ties by id, as records do)."""
    latest: dict[str, tuple[dt.datetime, str, bool]] = {}
    for pid, granted, at, cid in decisions:
        if pid not in latest or (at, cid) > latest[pid][:2]:
            latest[pid] = (at, cid, granted)
    return {pid for pid, (_at, _cid, granted) in latest.items() if granted}


def _seen(code: int, tests: list[TestDef]) -> tuple[Seen, ...]:
    """The results a pattern code stands for (see _work_and_activities), as the rule reads
    them, in test order."""
    out = []
    for k, t in enumerate(tests):
        state = (code >> (2 * k)) & 3
        if state:
            out.append(
                Seen(t.id, "not_compared" if state == 3 else "below", state == 2, state == 3)
            )
    return tuple(sorted(out, key=lambda x: x.test))


def _ability(stored: str | dict[str, Any]) -> Ability:
    """What a screening's answers say about getting about. SQLite hands back the JSON text
    (most screenings answer every question no, and are not parsed at all); PostgreSQL's driver
    has already read it."""
    if isinstance(stored, str):
        if "true" not in stored:
            return Ability()
        answers: dict[str, Any] = json.loads(stored)
    else:
        answers = stored or {}
    a = upgrade_answers(answers)
    return Ability(
        bool(a.get("cannot_stand_safely")),
        bool(a.get("cannot_walk_safely")),
        bool(a.get("recent_fall_or_injury")),
    )


def _mods(stored: str | list[str] | None) -> tuple[str, ...]:
    """Modifications as stored: JSON text from SQLite, already a list from PostgreSQL."""
    if not stored or stored == "[]":
        return ()
    items = json.loads(stored) if isinstance(stored, str) else stored
    return tuple(str(m) for m in items)


def _work_and_activities(
    counted: list[Any],
    screenings: list[Any],
    tests: list[TestDef],
    *,
    band: npt.NDArray[np.int64],
    pct: npt.NDArray[np.float64],
    marks: npt.NDArray[np.int8],
    who: npt.NDArray[np.int64],
    which: npt.NDArray[np.int64],
    done: npt.NDArray[np.bool_],
    value: npt.NDArray[np.float64],
    units_of: npt.NDArray[np.object_],
    mods: list[tuple[str, ...]],
    reasons: list[tuple[str | None, str | None]],
    sex_i: npt.NDArray[np.int64],
    ages: npt.NDArray[np.int64],
    answers: list[tuple[int | None, int | None, float | None]],
    ns: NormSet,
    d: Directory | None,
) -> tuple[list[frozenset[str]], list[bool]]:
    """What each person is to work on and whether a local activity fits, chosen by the sheet's
    own rule (core/interpret.plan and choose_activities) from what decides it: each test's
    verdict (sex not stated: where the figures for women and men agree), how far below, done
    with help or not, the screening, a test stopped for a symptom, and their habits."""
    n = len(counted)
    verdict = band.copy()
    unstated = sex_i < 0
    scored = done & ~np.isnan(value)
    if unstated.any():
        for k, test in enumerate(tests):
            at = (
                scored & (which == k) & unstated[who]
                if test.component in FITNESS_COMPONENTS
                else None
            )
            if at is None or not at.any():
                continue
            cols = []
            for sx in (0, 1):
                as_sex = np.full_like(sex_i, sx)
                rows, b, _p, _r, _a = _score_test(
                    ns,
                    test,
                    who[at],
                    value[at],
                    units_of[at],
                    sex_i=as_sex,
                    ages=ages,
                    answers=answers,
                )
                col = np.full(n, -1, dtype=np.int64)
                col[rows] = b
                cols.append(col)
            agree = (cols[0] == cols[1]) & (cols[0] >= 0) & (cols[0] <= ABOVE)
            rows_here = np.flatnonzero(unstated)
            verdict[rows_here, k] = np.where(agree[rows_here], cols[0][rows_here], NOT_CLASSIFIED)

    latest: dict[str, tuple[Any, Any, str, Any]] = {}
    for aid, at_, sid, outcome, ans in screenings:
        if aid not in latest or (at_, sid) > latest[aid][:2]:
            latest[aid] = (at_, sid, outcome, ans or "")

    fitness = np.array([t.component in FITNESS_COMPONENTS for t in tests], dtype=bool)
    with_help = np.array([bool(set(m) & set(MODIFIED)) for m in mods], dtype=bool)
    has_mods = np.array([bool(m) for m in mods], dtype=bool)
    symptom = np.zeros(n, dtype=bool)
    for j, (why, stop) in enumerate(reasons):
        if why == "stopped_by_tester" and stop in SYMPTOM_STOPS:
            symptom[int(who[j])] = True
    flagged = scored & ~has_mods & ((marks[who, which] & FLAGGED) != 0)
    balance = np.array([t.component == "balance_mobility" for t in tests], dtype=bool)
    short_balance = np.zeros(n, dtype=bool)
    short_balance[who[flagged & balance[which]]] = True
    # Only a result below the range, or done with help, can make something to work on. Each
    # person's results reduce to a pattern: two bits per test (1 below, 2 far below, 3 done
    # with help), so a day's people fall into a few patterns, each worked out once.
    below = ((verdict[who, which] == BELOW) | ((marks[who, which] & ATTENTION) != 0)) & scored
    rel = fitness[which] & scored & (below | with_help)
    p = pct[who[rel], which[rel]]
    far = (~np.isnan(p) & (p < FAR_BELOW_PERCENTILE)) | flagged[rel]
    state = np.where(with_help[rel], 3, np.where(far, 2, 1)).astype(np.int64)
    pattern = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(pattern, who[rel], state << (2 * which[rel]))

    rules = default_rules()
    work: list[frozenset[str]] = [frozenset()] * n
    helped: list[bool] = [False] * n
    fits: dict[tuple[frozenset[str], tuple[str, ...], bool, str], bool] = {}
    plans: dict[tuple[int, Ability], Any] = {}
    for i in np.flatnonzero((pattern != 0) & ~symptom).tolist():
        v = counted[i]
        _at, _sid, outcome, raw = latest.get(v.id, (None, None, None, ""))
        if outcome == "do_not_test":
            continue
        ability = _ability(raw)
        code = int(pattern[i])
        if (code, ability) not in plans:
            plans[code, ability] = plan(_seen(code, tests), ability, rules)
        chosen, mobility = plans[code, ability]
        comps = tuple(dict.fromkeys(f.component for f, _level in chosen))
        work[i] = frozenset(comps)
        key = (
            done_enough(v.strength_days, v.balance_days, v.moderate_minutes),
            comps,
            ability.recent_fall or bool(short_balance[i]),
            mobility,
        )
        if key not in fits:
            fits[key] = d is not None and bool(
                choose_activities(
                    rules, key[0], list(key[1]), d.activities, key[2], mobility_level=key[3]
                )
            )
        helped[i] = fits[key]
    return work, helped


def _read_day(
    c: Connection, event_id: str
) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Any]]:
    """The MOT day's visits (with who), consent decisions, results (with how each was done),
    previous results and screenings."""
    visits = c.execute(
        select(
            Assessment.id,
            Assessment.previous_id,
            Assessment.assessed_on,
            Assessment.strength_days,
            Assessment.balance_days,
            Assessment.sitting_hours,
            Assessment.moderate_minutes,
            Participant.id.label("participant_id"),
            Participant.sex,
            Participant.date_of_birth,
        )
        .join(Participant, Participant.id == Assessment.participant_id)
        .where(Assessment.event_id == event_id)
    ).all()
    decisions = c.execute(
        select(Consent.participant_id, Consent.granted, Consent.recorded_at, Consent.id)
        .join(Assessment, Assessment.participant_id == Consent.participant_id)
        .where(Assessment.event_id == event_id, Consent.purpose == CONSENT)
    ).all()
    # Each result once, with how it was done (most: as set, to the end) read alongside: a
    # second pass for the few done with help or stopped read every row's page again.
    now = c.execute(
        select(
            Result.assessment_id,
            Result.test_id,
            type_coerce(Result.done, Integer),  # 0/1 as stored: no per-row conversion
            Result.value,
            Result.unit,
            cast(Result.modifications, String),  # the JSON text, read only if not "[]"
            Result.reason,
            Result.stop_reason,
        )
        .join(Assessment, Assessment.id == Result.assessment_id)
        .where(Assessment.event_id == event_id)
    ).all()
    screenings = c.execute(
        select(
            Screening.assessment_id,
            type_coerce(Screening.recorded_at, String),  # compared, never shown: no parsing
            Screening.id,
            Screening.outcome,
            cast(Screening.answers, String),  # the JSON text, read only if needed
        )
        .join(Assessment, Assessment.id == Screening.assessment_id)
        .where(Assessment.event_id == event_id)
    ).all()
    then = c.execute(
        select(Assessment.id, Result.test_id, Result.value, Result.unit)
        .join(Result, Result.assessment_id == Assessment.previous_id)
        .where(Assessment.event_id == event_id, Result.done.is_(True))
    ).all()
    return list(visits), list(decisions), list(now), list(then), list(screenings)


def _score_test(
    ns: NormSet,
    test: TestDef,
    who: npt.NDArray[np.int64],
    raw: npt.NDArray[np.float64],
    unit_codes: npt.NDArray[np.object_],
    *,
    sex_i: npt.NDArray[np.int64],
    ages: npt.NDArray[np.int64],
    answers: list[tuple[int | None, int | None, float | None]],
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    list[tuple[str, npt.NDArray[np.bool_]]],
    npt.NDArray[np.bool_],
]:
    """Scores one test's results for everyone at once, as `scoring.score` would one by one:
    a result `score` would refuse (impossible value, unit or age) gets no band and no flag.
    Returns the rows scored, their band codes and percentiles, each flag's mask, and where a
    test read against cut-offs (readings) gave a reading that deserves attention."""
    to_test = np.full(len(raw), np.nan)
    to_norm = np.full(len(raw), np.nan)
    ok = np.isfinite(raw)
    for unit in set(unit_codes.tolist()):
        at = unit_codes == unit
        try:
            code = units.normalise_unit(unit, test.units, test.unit, test.short_name)
        except FfmotError:
            ok &= ~at
            continue
        to_test[at] = units.factor(code, test.unit)
        to_norm[at] = units.factor(code, test.norm_unit)
        lo = units.convert(test.plausible[0], test.unit, code)
        hi = units.convert(test.plausible[1], test.unit, code)
        ok &= ~at | ((raw >= lo - EPS) & (raw <= hi + EPS))
    if test.whole_numbers:
        ok &= np.mod(raw, 1.0) == 0
    age, sex = ages[who], sex_i[who]
    ok &= (age >= 0) & (age <= OLDEST_AGE)
    if test.norms == ACTIVITY:  # answers `score` refuses make the result unscored
        ok &= np.array(
            [impossible_answer(Activity(*answers[i])) is None for i in who.tolist()], dtype=bool
        )
    who, raw, age, sex = who[ok], raw[ok], age[ok], sex[ok]
    to_test, to_norm = to_test[ok], to_norm[ok]
    raised = [
        (rule.id, m) for rule, m in flag_masks(ns.flags.get(test.id, ()), sex, age, raw * to_test)
    ]
    attention = np.zeros(len(who), dtype=bool)
    if test.norms == READINGS:  # the first line that applies is the reading (one group)
        for rule, m in flag_masks(ns.readings.get(test.id, ()), sex, age, raw * to_test):
            if rule.attention:
                attention |= m
    table = ns.tables.get(test.id)
    if table is None:  # tests read against cut-offs, and activity, have no band
        none = np.full(len(who), np.nan)
        return who, np.full(len(who), NOT_CLASSIFIED), none, raised, attention
    c = classify(table, test, sex, age, raw * to_norm)
    return who, c.band, c.percentile, raised, attention


def day_directory(event: EventInfo) -> Directory | None:
    if not event.activities_directory:
        return None
    try:
        return load_directory(Path(event.activities_directory))
    except FfmotError as e:
        return Directory((), (str(e),))
