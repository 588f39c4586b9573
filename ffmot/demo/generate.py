"""Draws a realistic synthetic dataset of MOT days (ffmot/demo/__init__.py says how).

Why one room: every draw takes the next numbers from one seeded random stream, so the same seed
gives the same people only if the draws stay in this order; split across modules, that order
would be easy to break without noticing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass
from statistics import NormalDist

from ffmot.core import scoring, units
from ffmot.core.ages import age_on
from ffmot.core.battery import NOT_DONE_REASONS, STOP_REASONS, TestDef
from ffmot.core.norms import NormSet, PercentileTable, ThresholdTable, default_norm_set
from ffmot.core.screening import CARE, DO_NOT_TEST, QUESTIONS, assess
from ffmot.core.vocabulary import PURPOSES
from ffmot.demo.people import (
    FAMILY_NAMES,
    FEMALE_NAMES,
    HALLS,
    MALE_NAMES,
    NOTES,
    ORGANISATIONS,
    PRACTITIONERS,
    TOWNS,
)
from ffmot.demo.records import (
    DemoAssessment,
    DemoDataset,
    DemoEvent,
    DemoParticipant,
    DemoResult,
    DemoScreening,
    DemoTrial,
)

CONSENT_PURPOSES = PURPOSES

# The tests a usual MOT day offers, in station order. One event may swap step_2min for walk_6min.
USUAL_TESTS = (
    "chair_stand",
    "arm_curl",
    "grip",
    "up_and_go",
    "single_leg_stance",
    "step_2min",
    "sit_and_reach",
    "back_scratch",
    "bmi",
    "waist",
    "activity",
)
RETEST_DAYS = 84  # 12 weeks
RETEST_SHARE = 0.15
MAX_EVENTS = 500
EVENTS_PER_VENUE = 5  # a venue holds an MOT day every 12 weeks
PEOPLE_PER_EVENT = 60
STATIONS = 4


ABILITY_QUESTIONS = ("cannot_stand_safely", "cannot_walk_safely")
_CARE_WEIGHTS = {
    "recent_fall_or_injury": 5.0,
    "osteoporosis_or_back_pain": 3.5,
    "cannot_stand_safely": 1.0,
    "cannot_walk_safely": 0.7,
}
_REASON_WEIGHTS = {
    # declined, unable, felt_unsafe, stopped_by_tester, not_offered
    "default": (3.0, 2.0, 2.0, 1.0, 1.0),
    "stamina": (2.0, 2.0, 2.0, 3.0, 1.0),
    "body": (6.0, 1.0, 0.0, 0.0, 2.0),
    "activity": (3.0, 0.0, 0.0, 0.0, 3.0),
}
_STRENGTH_DAYS = tuple(itertools.accumulate((40.0, 25, 20, 8, 4, 2, 1, 0.5)))  # 0 to 7 days
_BALANCE_DAYS = tuple(itertools.accumulate((55.0, 20, 13, 6, 3, 2, 1, 0.5)))
_NOT_DONE_RATE = {
    "chair_stand": 0.04,
    "arm_curl": 0.03,
    "grip": 0.03,
    "up_and_go": 0.04,
    "single_leg_stance": 0.05,
    "step_2min": 0.06,
    "walk_6min": 0.07,
    "sit_and_reach": 0.05,
    "back_scratch": 0.05,
    "bmi": 0.03,
    "waist": 0.05,
    "activity": 0.02,
}
_REASON_CUMULATIVE = {k: tuple(itertools.accumulate(w)) for k, w in _REASON_WEIGHTS.items()}
_MOBILITY = ("up_and_go", "single_leg_stance", "step_2min", "walk_6min")
_STEP = {  # the recording step of a unit
    "count": 1.0,
    "s": 0.1,
    "cm": 0.5,
    "in": 0.25,
    "kg": 0.5,
    "lb": 1.0,
    "m": 1.0,
    "yd": 1.0,
    "kg/m2": 0.1,
    "min/week": 10.0,
    "h/week": 0.5,
}
_DO_NOT_TEST_SHARE = 0.015
_CARE_SHARE = 0.10
_RETEST_BONUS = 0.25
_WALKING_AID_SHIFT = -0.8


# --- helpers -------------------------------------------------------------------------------------


def _snap(value: float, step: float) -> float:
    """The value rounded to a multiple of the recording step, as a clean float."""
    return float(round(round(value / step) * step, 2))


def _through(zs: tuple[float, ...], vs: tuple[float, ...], z: float) -> float:
    """Piecewise-linear through the points, extended past the ends with the nearest slope."""
    i, last = 0, len(zs) - 2
    while i < last and z > zs[i + 1]:
        i += 1
    return vs[i] + (z - zs[i]) * (vs[i + 1] - vs[i]) / (zs[i + 1] - zs[i])


def _latest_dob(on: dt.date, age: int) -> dt.date:
    """The latest date of birth that makes someone `age` on `on` (see ages.age_on)."""
    year = on.year - age
    try:
        return on.replace(year=year)
    except ValueError:  # 29 February in a year without one: the 28th is the latest
        return dt.date(year, 2, 28)


def dob_for(rng: random.Random, on: dt.date, age: int) -> dt.date:
    lo = _latest_dob(on, age + 1).toordinal() + 1
    hi = _latest_dob(on, age).toordinal()
    return dt.date.fromordinal(rng.randint(lo, hi))


def _pick(rng: random.Random, cumulative: tuple[float, ...]) -> int:
    """An index drawn with the weights whose running totals are `cumulative`."""
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


@dataclass(frozen=True)
class _Curve:
    """How a goodness z becomes a value for one test: knots by [sex][age], in the test unit."""

    test: TestDef
    knots: tuple[tuple[tuple[tuple[float, ...], tuple[float, ...]], ...], ...] | None
    typical: tuple[float, ...] | None  # one-leg stand: the typical time by age
    step: float
    low: float
    high: float


def _nearest_covered(covered: list[bool], age: int) -> int:
    if covered[age]:
        return age
    for d in range(1, len(covered)):
        for a in (age - d, age + d):
            if 0 <= a < len(covered) and covered[a]:
                return a
    raise ValueError("the table covers no ages")


def _curve(test: TestDef, table: PercentileTable | ThresholdTable | None) -> _Curve:
    step = _STEP.get(test.unit, 0.1)
    if test.whole_numbers:
        step = max(1.0, round(step))
    low, high = test.plausible
    if test.cap is not None:
        high = min(high, units.convert(test.cap, test.norm_unit, test.unit))
    if isinstance(table, PercentileTable):
        zs = tuple(NormalDist().inv_cdf(level / 100.0) for level in table.levels)
        by_sex = []
        for s in (0, 1):
            covered = [bool(r >= 0) for r in table.row[s]]
            rows = []
            for age in range(len(covered)):
                pts = table.points[s, _nearest_covered(covered, age)]
                vs = []
                for level, p in zip(table.levels, pts, strict=True):
                    v = units.convert(float(p), test.norm_unit, test.unit)
                    # Half a recording step outwards: see the module docstring.
                    v += -step / 2 if level < 50 else step / 2 if level > 50 else 0.0
                    vs.append(v)
                rows.append((zs, tuple(vs)))
            by_sex.append(tuple(rows))
        return _Curve(test, tuple(by_sex), None, step, low, high)
    if isinstance(table, ThresholdTable):
        covered = [bool(r >= 0) for r in table.row]
        typical = tuple(
            units.convert(
                float(table.typical[_nearest_covered(covered, a)]), test.norm_unit, test.unit
            )
            for a in range(len(covered))
        )
        return _Curve(test, None, typical, step, low, high)
    return _Curve(test, None, None, step, low, high)


@dataclass
class Person:
    index: int
    sex: str
    draw_sex: int  # 0 female, 1 male: the norms a not-stated person's values are drawn from
    fitness: float
    walking_aid: bool
    first_event: int
    age: int
    retest: bool


# --- the generator -------------------------------------------------------------------------------


class Generator:
    def __init__(
        self, seed: int, station: str | None, ns: NormSet, today: dt.date, n_people: int
    ) -> None:
        self.rng = random.Random(seed)
        # Its own stream, so why a test was stopped leaves every other drawn value as it was.
        self.stop_rng = random.Random(seed * 7919 + 1)
        self.prefix = f"s{seed}-"
        self.station = station
        self.ns = ns
        self.today = today
        self.n_people = n_people
        self.curves = {
            tid: _curve(t, ns.tables.get(tid))
            for tid, t in ns.battery.items()
            if tid in USUAL_TESTS or tid == "walk_6min"
        }
        self.clear_answers = {
            q.id: (not q.stop_if) if q.stop_if is not None else (not q.care_if) for q in QUESTIONS
        }
        self.stop_questions = tuple(q.id for q in QUESTIONS if q.stop_if is not None)
        self.care_questions = tuple(q for q in QUESTIONS if q.care_if is not None)
        self.districts: list[str] = []  # by event, filled by events()
        self.care_weights = tuple(
            itertools.accumulate(_CARE_WEIGHTS.get(q.id, 1.0) for q in self.care_questions)
        )
        # A test excluded by a care answer: "unable" for a question about ability.
        self.care_reason = {
            (q.id, t): ("unable" if q.id in ABILITY_QUESTIONS else "felt_unsafe")
            for q in self.care_questions
            for t in q.excludes
        }

    # -- events

    def events(self) -> tuple[list[DemoEvent], list[int | None], list[tuple[str, ...]]]:
        rng = self.rng
        n = self.n_people
        n_events = 1 if n < 10 else min(MAX_EVENTS, max(2, n // PEOPLE_PER_EVENT))
        n_venues = max(1, math.ceil(n_events / EVENTS_PER_VENUE))
        towns = list(TOWNS)
        rng.shuffle(towns)
        raw: list[tuple[dt.date, int, int]] = []  # date, venue, cycle
        venues = []
        for v in range(n_venues):
            town = towns[v % len(towns)]
            hall = HALLS[(v // len(towns) + v) % len(HALLS)]
            venues.append((town, f"{hall}, {town}", rng.choice(ORGANISATIONS)))
            count = len(range(v, n_events, n_venues))
            back = rng.randint(2, RETEST_DAYS + 1)
            last = self.today - dt.timedelta(days=back)
            if last.weekday() == 6:  # no MOT days on a Sunday
                last -= dt.timedelta(days=1)
            for c in range(count):
                raw.append((last - dt.timedelta(days=RETEST_DAYS * (count - 1 - c)), v, c))
        raw.sort()
        walk_event = rng.randrange(n_events) if n_events >= 3 else -1
        practitioners = []
        events = []
        self.districts.clear()
        for i, (date, v, _) in enumerate(raw):
            town, venue, org = venues[v]
            tests = tuple(t for t in USUAL_TESTS if t in self.ns.battery)
            if i == walk_event and "walk_6min" in self.ns.battery:
                tests = tuple("walk_6min" if t == "step_2min" else t for t in tests)
            events.append(
                DemoEvent(f"{self.prefix}e{i + 1:04d}", f"{town} MOT day", date, venue, org, tests)
            )
            practitioners.append(tuple(rng.sample(PRACTITIONERS, STATIONS)))
            self.districts.append(f"ZZ{TOWNS.index(town) % 12 + 1}")
        # The same venue's next MOT day, 12 weeks later: where a retest happens.
        by_slot = {(v, c): i for i, (_, v, c) in enumerate(raw)}
        successor = [by_slot.get((v, c + 1)) for _, v, c in raw]
        return events, successor, practitioners

    # -- people

    def age(self) -> int:
        rng = self.rng
        u = rng.random()
        if u < 0.02:
            return rng.randint(55, 59)
        if u < 0.03:
            return rng.randint(95, 97)
        while True:
            a = round(rng.gauss(73.5, 7.5))
            if 60 <= a <= 94:
                return a

    def people(
        self, events: list[DemoEvent], successor: list[int | None]
    ) -> tuple[list[Person], list[DemoParticipant]]:
        rng = self.rng
        n_events = len(events)
        order = [i % n_events for i in range(self.n_people)]
        rng.shuffle(order)
        people = []
        for i in range(self.n_people):
            u = rng.random()
            sex = "female" if u < 0.585 else "male" if u < 0.985 else "not_stated"
            draw_sex = 0 if sex == "female" else 1 if sex == "male" else rng.randrange(2)
            age = self.age()
            aid_p = 0.02 if age < 75 else 0.06 if age < 85 else 0.15
            people.append(
                Person(
                    i,
                    sex,
                    draw_sex,
                    rng.gauss(0.0, 1.0),
                    rng.random() < aid_p,
                    order[i],
                    age,
                    False,
                )
            )
        eligible = [p.index for p in people if successor[p.first_event] is not None]
        for i in rng.sample(eligible, min(len(eligible), round(RETEST_SHARE * self.n_people))):
            people[i].retest = True

        participants = []
        for p in people:
            event = events[p.first_event]
            names = FEMALE_NAMES if p.draw_sex == 0 else MALE_NAMES
            given, family = rng.choice(names), rng.choice(FAMILY_NAMES)
            district = self.districts[p.first_event]
            if rng.random() < 0.15:
                district = f"ZZ{rng.randint(1, 12)}"
            phone = "" if rng.random() < 0.05 else f"01632 960{rng.randrange(1000):03d}"
            email = ""
            if rng.random() < 0.65:
                email = f"{given}.{family}{p.index + 1}@example.org".lower()
            consents = {
                "keep_results": p.retest or rng.random() < 0.96,
                "retest_contact": p.retest or rng.random() < 0.45,
                "share_gp": rng.random() < 0.35,
                "anonymous_reports": rng.random() < 0.88,
            }
            participants.append(
                DemoParticipant(
                    f"{self.prefix}p{p.index + 1:05d}",
                    given,
                    family,
                    dob_for(rng, event.date, p.age),
                    p.sex,
                    phone,
                    email,
                    district,
                    consents,
                )
            )
        return people, participants

    # -- one assessment

    def screening(self, age: int) -> DemoScreening:
        rng = self.rng
        answers = dict(self.clear_answers)
        systolic: int | None = None
        diastolic: int | None = None
        if rng.random() < 0.85:
            systolic = min(160, max(95, round(rng.gauss(134 + 0.3 * (age - 70), 13))))
            diastolic = min(100, max(55, round(rng.gauss(78, 8))))
        u = rng.random()
        if u < _DO_NOT_TEST_SHARE:
            if rng.random() < 0.35:
                systolic, diastolic = rng.randint(161, 188), rng.randint(80, 108)
            else:
                stop = rng.choice(self.stop_questions)
                answers[stop] = not answers[stop]
        elif u < _DO_NOT_TEST_SHARE + _CARE_SHARE:
            q = self.care_questions[_pick(rng, self.care_weights)]
            answers[q.id] = bool(q.care_if)
        return DemoScreening(answers, systolic, diastolic)

    def not_done_reason(self, test: TestDef, age: int) -> str | None:
        rng = self.rng
        rate = _NOT_DONE_RATE.get(test.id, 0.04) * (1.0 + max(0, age - 80) / 10.0)
        if rng.random() >= rate:
            return None
        kind = test.component if test.component in ("stamina", "body", "activity") else "default"
        return NOT_DONE_REASONS[_pick(rng, _REASON_CUMULATIVE[kind])]

    def goodness(self, p: Person, test_id: str, retest: bool) -> float:
        z = 0.55 * p.fitness + 0.835 * self.rng.gauss(0.0, 1.0)
        if retest:
            z += _RETEST_BONUS
        if p.walking_aid and test_id in _MOBILITY:
            z += _WALKING_AID_SHIFT
        return z

    def measured(self, c: _Curve, p: Person, age: int, z: float) -> float:
        t = c.test
        if c.typical is not None:
            v = c.typical[min(age, len(c.typical) - 1)] * math.exp(0.8 * z)
        else:
            assert c.knots is not None
            zs, vs = c.knots[p.draw_sex][min(age, len(c.knots[0]) - 1)]
            v = _through(zs, vs, -z if t.direction == "lower" else z)
        return min(c.high, max(c.low, _snap(v, c.step)))

    def trials(self, c: _Curve, v: float) -> tuple[DemoTrial, ...]:
        rng = self.rng
        t, step = c.test, c.step
        tid = t.id

        def worse(best: float, spread: float) -> float:
            k = round(abs(rng.gauss(0.0, spread)) / step)
            if t.direction == "lower":
                return min(c.high, _snap(best + k * step, step))
            return max(c.low, _snap(best - k * step, step))

        if tid == "grip":
            right_handed = rng.random() < 0.89
            hands: tuple[str, ...] = ("left", "right")
            if rng.random() < 0.07:  # one hand skipped (injury, surgery, painful arthritis)
                hands = (rng.choice(hands),)
            attempts = 2 if rng.random() < 0.12 else 3
            best_hand = "right" if right_handed else "left"
            if best_hand not in hands:
                best_hand = hands[0]
            hand_best = {h: v if h == best_hand else worse(v, 0.12 * v + 1) for h in hands}
            best_at = rng.randrange(attempts)
            out = []
            for a in range(attempts):
                for h in hands:
                    hv = hand_best[h]
                    value = hv if a == best_at else worse(hv, 1.5)
                    out.append(DemoTrial(value, f"{h} {a + 1}"))
            return tuple(out)
        if tid == "single_leg_stance":
            n = 1 if v >= c.high and rng.random() < 0.7 else 3
            best_at = rng.randrange(n)
            return tuple(
                DemoTrial(v if i == best_at else worse(v, 0.3 * v + 0.5), f"trial {i + 1}")
                for i in range(n)
            )
        if tid == "sit_and_reach":
            leg = "right leg" if rng.random() < 0.7 else "left leg"
            best_at = rng.randrange(2)
            return tuple(DemoTrial(v if i == best_at else worse(v, 1.5), leg) for i in range(2))
        if t.counts == "best" and t.trials > 1:
            n = min(2, t.trials)
            best_at = 1 if rng.random() < 0.6 else 0  # the second try is often the better
            spread = 0.4 if t.unit == "s" else 1.5 * step + 0.5
            return tuple(
                DemoTrial(v if i == best_at else worse(v, spread), f"trial {i + 1}")
                for i in range(n)
            )
        return (DemoTrial(v, "trial 1"),)

    def assessment(  # noqa: C901 (a whole visit drawn in one place: screening, each test, help)
        self,
        key: str,
        p: Person,
        participant: DemoParticipant,
        event: DemoEvent,
        practitioners: tuple[str, ...],
        *,
        previous: DemoAssessment | None,
        screening: DemoScreening | None = None,
    ) -> DemoAssessment:
        """One visit; `screening` given (the training day) instead of drawn."""
        rng = self.rng
        ns = self.ns
        age = age_on(participant.dob, event.date)
        retest = previous is not None
        if screening is None:
            screening = self.screening(age)
        outcome = assess(
            screening.answers, screening.systolic, screening.diastolic, event.tests_offered
        )
        excluded = set(outcome.excluded_tests)
        care_answers = [q.id for q in self.care_questions if screening.answers[q.id] == q.care_if]

        # Body measurements and activity answers (kept only where the test is done).
        if previous is not None and previous.height_cm is not None:
            height = previous.height_cm
        else:
            mean_h = (161.0 - 0.1 * (age - 70)) if p.draw_sex == 0 else (174.5 - 0.12 * (age - 70))
            height = _snap(min(198.0, max(140.0, rng.gauss(mean_h, 6.5))), 0.5)
        if previous is not None and previous.weight_kg is not None:
            weight = _snap(previous.weight_kg + rng.gauss(-0.5, 1.2), 0.1)
        else:
            bmi_drawn = min(46.0, max(16.5, rng.gauss(27.3, 4.6)))
            weight = _snap(bmi_drawn * (height / 100.0) ** 2, 0.1)
        weight = min(180.0, max(35.0, weight))
        bmi_value = scoring.bmi(height, weight)
        if previous is not None and previous.waist_cm is not None:
            waist = _snap(previous.waist_cm + rng.gauss(-0.5, 1.5), 0.5)
        elif p.draw_sex == 0:
            waist = _snap(2.1 * bmi_value + 30.0 + rng.gauss(0.0, 6.0), 0.5)
        else:
            waist = _snap(2.3 * bmi_value + 37.0 + rng.gauss(0.0, 6.0), 0.5)
        waist = min(160.0, max(60.0, waist))
        if rng.random() < 0.12:
            minutes = 0.0
        else:
            minutes = math.exp(rng.gauss(math.log(120.0) + 0.35 * p.fitness, 0.85))
            minutes = min(1500.0, _snap(minutes * (1.15 if retest else 1.0), 10.0))
        strength_days = _pick(rng, _STRENGTH_DAYS)
        balance_days = _pick(rng, _BALANCE_DAYS)
        sitting = _snap(min(14.0, max(1.0, rng.gauss(6.0, 2.0))), 0.5)

        results = []
        done_tests: set[str] = set()
        for tid in event.tests_offered:
            t = ns.battery[tid]
            reason: str | None
            if outcome.outcome == DO_NOT_TEST:
                reason = "not_offered"
            elif tid in excluded:
                reason = next(
                    (
                        self.care_reason[(q, tid)]
                        for q in care_answers
                        if (q, tid) in self.care_reason
                    ),
                    "felt_unsafe",
                )
            else:
                reason = self.not_done_reason(t, age)
            if reason is not None:
                why = None
                if reason == "stopped_by_tester":
                    why = self.stop_rng.choices(
                        STOP_REASONS,
                        weights=(0.5, 1.0, 2.0, 3.0 if t.component == "stamina" else 0.5, 6.0),
                    )[0]
                results.append(DemoResult(tid, False, reason, None, t.unit, (), (), why))
                continue
            done_tests.add(tid)
            mods: tuple[str, ...] = ()
            if tid == "bmi":
                results.append(DemoResult(tid, True, None, bmi_value, t.unit, (), ()))
                continue
            if tid == "waist":
                v = units.convert(waist, "cm", t.unit)
                results.append(
                    DemoResult(tid, True, None, v, t.unit, (DemoTrial(v, "trial 1"),), ())
                )
                continue
            if tid == "activity":
                v = units.convert(minutes, "min/week", t.unit)
                trial = DemoTrial(v, "usual week")
                results.append(DemoResult(tid, True, None, v, t.unit, (trial,), ()))
                continue
            c = self.curves[tid]
            z = self.goodness(p, tid, retest)
            v = self.measured(c, p, age, z)
            if tid == "chair_stand" and rng.random() < (0.35 if z < -1.0 else 0.01):
                mods = ("arms_used",)
            elif tid in ("up_and_go", "walk_6min") and p.walking_aid:
                mods = ("walking_aid",)
            results.append(DemoResult(tid, True, None, v, t.unit, self.trials(c, v), mods))

        notes = ""
        if outcome.outcome == DO_NOT_TEST:
            notes = "Not tested today: suggested a chat with their GP first."
        elif outcome.outcome == CARE:
            notes = "Tested with care after the screening questions."
        elif rng.random() < 0.08:
            notes = rng.choice(NOTES)
        k = 0 if self.station is not None else rng.randrange(STATIONS)
        return DemoAssessment(
            key=key,
            participant_key=participant.key,
            event_key=event.key,
            practitioner=practitioners[k],
            station=self.station if self.station is not None else f"Station {k + 1}",
            assessed_on=event.date,
            previous_key=previous.key if previous is not None else None,
            screening=screening,
            height_cm=height if "bmi" in done_tests else None,
            weight_kg=weight if "bmi" in done_tests else None,
            waist_cm=waist if "waist" in done_tests else None,
            moderate_minutes=minutes if "activity" in done_tests else None,
            strength_days=strength_days if "activity" in done_tests else None,
            balance_days=balance_days if "activity" in done_tests else None,
            sitting_hours=sitting if "activity" in done_tests else None,
            results=tuple(results),
            notes=notes,
        )

    def run(self) -> DemoDataset:
        events, successor, practitioners = self.events()
        people, participants = self.people(events, successor)
        visits: list[tuple[int, int, bool]] = []  # event, person, retest
        for p in people:
            visits.append((p.first_event, p.index, False))
            nxt = successor[p.first_event]
            if p.retest and nxt is not None:
                visits.append((nxt, p.index, True))
        visits.sort()
        first: dict[int, DemoAssessment] = {}
        assessments = []
        for n, (e, i, is_retest) in enumerate(visits, 1):
            a = self.assessment(
                f"{self.prefix}a{n:06d}",
                people[i],
                participants[i],
                events[e],
                practitioners[e],
                previous=first[i] if is_retest else None,
            )
            if not is_retest:
                first[i] = a
            assessments.append(a)
        return DemoDataset(tuple(events), tuple(participants), tuple(assessments))


def generate(
    participants: int = 40,
    seed: int = 1,
    station: str | None = None,
    norms: NormSet | None = None,
    today: dt.date | None = None,
) -> DemoDataset:
    """A synthetic MOT-day dataset of `participants` people, all before `today` (default: today).

    Deterministic for given arguments and `today`. Without `norms` it uses default_norm_set()
    (read once per process, like score()). See the module docstring for what is drawn and how;
    everything in it is fictional.
    """
    if participants < 0:
        raise ValueError("participants must be 0 or more")
    ns = norms or default_norm_set()
    day = today if today is not None else dt.date.today()
    return Generator(seed, station, ns, day, participants).run()
