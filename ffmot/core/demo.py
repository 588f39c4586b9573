"""A seeded generator of a realistic, synthetic MOT-day dataset.

Used by `ffmot demo`, the desktop app's training mode, tests and benchmarks (up to 50,000
participants and half a million results). Pure domain code: no I/O, no Qt, no database and no
global random state. The same `participants`, `seed`, `station`, norm set and `today` always give
the same dataset; another seed gives another one.

Nobody in it is real, and it says so:

- family names come from an obviously made-up list (Sampleton, Demoworth, Placeholder-Jones ...);
  given names are ordinary ones, so the data still reads naturally;
- phone numbers are in Ofcom's range kept for drama, 01632 960000 to 01632 960999;
- e-mail addresses are at example.org, reserved for examples (RFC 2606);
- postcode districts are ZZ1 to ZZ12: ZZ is not a UK postcode area (the NHS uses ZZ99 as a
  pseudo-postcode, so 99 is avoided);
- towns, venues, organisations and practitioners ("Practitioner A") are invented.

How the numbers are drawn
-------------------------
Each person has a hidden fitness level L ~ N(0, 1). For each test a "goodness" z is drawn as
0.55 L + 0.835 e (e ~ N(0, 1)), so z ~ N(0, 1) and a person's results are correlated. People
with a walking aid are 0.8 lower on the mobility and stamina tests; a 12-week retest is 0.25
higher (a little better on average).

- SFT tests and grip: z (negated for a lower-is-better test) is mapped through the published
  points of the person's age-and-sex row, piecewise linearly on the normal-score scale and
  extended past the outermost points, which is exactly how ffmot turns a value back into a
  percentile. The points below the median are moved down, and those above it up, by half the
  recording step, so that after rounding about half the results land in the inclusive
  25th-75th range (without it, whole-number counts would put about 60% there). Ages outside a
  table use the nearest age's row; a person whose sex is not stated is drawn from a hidden sex.
- One-leg stand: the typical time for the age times exp(0.8 z), capped at 30 s, so about half
  reach the typical time.
- Values are converted from the table's unit to the test's default unit (inches to cm, yards to
  m), rounded to the recording step (counts whole, seconds 0.1, cm and kg 0.5, m whole) and kept
  inside the test's plausible range.

Results
-------
Every test the event offers has one DemoResult. A test not done has value None, no trials and a
reason from NOT_DONE_REASONS:

- screening `do_not_test` (about 1.5%): every test, reason "not_offered" (the practitioner did
  not offer them today); height, weight, waist and activity answers are then None;
- a test excluded by a `care` answer: "unable" where the question is one of ability ("Do you
  need help ... standing up from a chair ...?"), else "felt_unsafe" (osteoporosis or pain on
  bending);
- otherwise about 4.5% at random (more over 80), with reasons that fit the test.

A done result's `value` is `TestDef.best_of` of its trials: one trial ("trial 1") for single
tests, grip up to six ("left 1", "right 1", ..., "right 3"; both hands alternately, sometimes
one hand or two attempts), up-and-go and back scratch two, the one-leg stand up to three
(often just one when it reaches 30 s), sit-and-reach two on the preferred leg, each labelled with
that leg ("right leg", "right leg"). The activity result has one trial labelled "usual week".
BMI has no trials of its own: it is `scoring.bmi(height_cm, weight_kg)` of the assessment.

Keys are "s{seed}-e0001", "s{seed}-p00001", "s{seed}-a000001", numbered in date order, so data
sets from different seeds can sit in one database. A retested person (about 15%) agreed to keep
their results and to be contacted for a retest.

`training_day` adds training mode's practice day, dated today and in full swing, with a fixed
cast a course handout can name (keys "s{seed}-t...").
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

FAMILY_NAMES = (
    "Sampleton",
    "Demoworth",
    "Trialby",
    "Exampleford",
    "Mockridge",
    "Testwhistle",
    "Fictionby",
    "Placeholder-Jones",
    "Dummington",
    "Specimenthwaite",
    "Fauxley",
    "Madeupson",
    "Pretendergast",
    "Synthwell",
    "Imaginsworth",
    "Rehearsall",
    "Practiceworth",
    "Makebelieve",
    "Dryrunson",
    "Mockingbury",
    "Trialthwaite",
    "Sampleby",
    "Examplewick",
    "Demonstrake",
    "Pseudonym-Smith",
    "Placeholdsworth",
    "Testington",
    "Mockford",
    "Fabricaster",
    "Stand-Inley",
    "Loremby",
    "Ipsumthwaite",
    "Dolorsit",
    "Foobarton",
    "Bazworth",
    "Syntheticson",
    "Draftwell",
    "Mockup-Evans",
    "Specimen-Brown",
    "Testcase",
    "Fictitious-Hall",
    "Samplewood",
    "Demoleigh",
    "Dummy-Williams",
    "Fakeley",
    "Trialholme",
    "Exemplarson",
    "Notarealby",
)
FEMALE_NAMES = (
    "Margaret",
    "Jean",
    "Patricia",
    "Susan",
    "Christine",
    "Barbara",
    "Maureen",
    "Linda",
    "Elizabeth",
    "Anne",
    "Joan",
    "Sheila",
    "Dorothy",
    "Mary",
    "Brenda",
    "Valerie",
    "Pauline",
    "Janet",
    "Carol",
    "Irene",
    "Kathleen",
    "Sandra",
    "Eileen",
    "Marion",
    "Gillian",
    "Helen",
    "Wendy",
    "Rosemary",
)
MALE_NAMES = (
    "John",
    "David",
    "Michael",
    "Peter",
    "Robert",
    "Brian",
    "Alan",
    "Keith",
    "Colin",
    "Derek",
    "Geoffrey",
    "Kenneth",
    "Roy",
    "Trevor",
    "Malcolm",
    "Barry",
    "Graham",
    "Terry",
    "Raymond",
    "Stuart",
    "Ian",
    "Dennis",
    "Norman",
    "Gordon",
)
TOWNS = (
    "Lowthwaite",
    "Garnsdale",
    "Beckmoor",
    "Skelbrigg",
    "Mossbeck",
    "Hollinfell",
    "Tarnside",
    "Ghyllbank",
    "Scarhowe",
    "Fellstead",
    "Ravengill",
    "Kelderby",
    "Birkmere",
    "Ashbeck",
    "Hawsgarth",
    "Stennerby",
    "Thwaitemoor",
    "Brantholme",
    "Mirefoot",
    "Sandgarth",
    "Cragholme",
    "Leventhwaite",
    "Outerby",
    "Nethergill",
    "Whinmoor Bridge",
)
HALLS = (
    "Fellside Village Hall",
    "Beckside Community Centre",
    "Market Hall",
    "Methodist Church Hall",
    "Riverside Leisure Centre",
    "Memorial Institute",
)
ORGANISATIONS = (
    "Fellside Health Partnership",
    "North Mere Leisure Trust",
    "Garnsdale Later Life Network",
    "Tarnside Council Active Ageing Team",
    "Upper Beck Community Trust",
    "Fells and Dales Falls Prevention Service",
)
PRACTITIONERS = tuple(f"Practitioner {c}" for c in "ABCDEFGHJK")
NOTES = (
    "Came with a friend from the walking group.",
    "Wears reading glasses for the sheet.",
    "Interested in the chair-based exercise class.",
    "Hard of hearing: spoke slowly, good light.",
    "Asked about the strength and balance class.",
    "Keen to come back for the retest.",
    "Brought a list of questions for the GP.",
)

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


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoTrial:
    value: float
    label: str  # "trial 1", "left 1", "right leg", "usual week"


@dataclass(frozen=True, slots=True)
class DemoResult:
    test: str  # battery test id
    done: bool
    reason: str | None  # one of NOT_DONE_REASONS when not done, else None
    value: float | None  # the value that counts, in the test's default unit; None when not done
    unit: str  # the test's default unit
    trials: tuple[DemoTrial, ...]  # every trial; value == TestDef.best_of(trial values)
    modifications: tuple[str, ...]  # ("arms_used",), ("walking_aid",)
    stop_reason: str | None = None  # with "stopped_by_tester": one of STOP_REASONS


@dataclass(frozen=True, slots=True)
class DemoScreening:
    answers: dict[str, bool]  # every screening.QUESTION_IDS key
    systolic: int | None
    diastolic: int | None


@dataclass(frozen=True, slots=True)
class DemoParticipant:
    key: str
    given_name: str
    family_name: str
    dob: dt.date
    sex: str  # "female", "male" or "not_stated"
    phone: str  # "" when not given
    email: str  # "" when not given
    postcode_district: str
    consents: dict[str, bool]  # purpose -> granted, every CONSENT_PURPOSES key


@dataclass(frozen=True, slots=True)
class DemoEvent:
    key: str
    name: str
    date: dt.date
    venue: str
    organisation: str
    tests_offered: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoAssessment:
    key: str
    participant_key: str
    event_key: str
    practitioner: str
    station: str
    assessed_on: dt.date
    previous_key: str | None  # the earlier assessment of this person, for a 12-week retest
    screening: DemoScreening
    height_cm: float | None
    weight_kg: float | None
    waist_cm: float | None
    moderate_minutes: float | None
    strength_days: int | None
    balance_days: int | None
    sitting_hours: float | None
    results: tuple[DemoResult, ...]
    notes: str


@dataclass(frozen=True, slots=True)
class DemoDataset:
    events: tuple[DemoEvent, ...]
    participants: tuple[DemoParticipant, ...]
    assessments: tuple[DemoAssessment, ...]


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


def _dob_for(rng: random.Random, on: dt.date, age: int) -> dt.date:
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
class _Person:
    index: int
    sex: str
    draw_sex: int  # 0 female, 1 male: the norms a not-stated person's values are drawn from
    fitness: float
    walking_aid: bool
    first_event: int
    age: int
    retest: bool


# --- the generator -------------------------------------------------------------------------------


class _Generator:
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
    ) -> tuple[list[_Person], list[DemoParticipant]]:
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
                _Person(
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
                    _dob_for(rng, event.date, p.age),
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

    def goodness(self, p: _Person, test_id: str, retest: bool) -> float:
        z = 0.55 * p.fitness + 0.835 * self.rng.gauss(0.0, 1.0)
        if retest:
            z += _RETEST_BONUS
        if p.walking_aid and test_id in _MOBILITY:
            z += _WALKING_AID_SHIFT
        return z

    def measured(self, c: _Curve, p: _Person, age: int, z: float) -> float:
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
        p: _Person,
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
    return _Generator(seed, station, ns, day, participants).run()


# --- the training day ----------------------------------------------------------------------------
#
# Training mode's sandbox is the seeded history above plus an MOT day dated today that is in
# full swing, so a trainer can show every path live: people whose sheets are ready or printed,
# people part-way through their tests, people checked in but not screened, and people booked
# who have not arrived yet (check them in, screen them, test them, print their sheet). The cast
# is fixed, so a course handout can name them; their results are drawn like everyone else's.
# Their family names are made up like FAMILY_NAMES but not in it, so a search for one finds
# only them.


@dataclass(frozen=True, slots=True)
class DemoArrival:
    """Someone checked in at an MOT day and not screened yet: a visit with nothing in it."""

    key: str
    participant_key: str
    event_key: str
    practitioner: str
    station: str
    assessed_on: dt.date


@dataclass(frozen=True, slots=True)
class CastMember:
    """One of the training day's people, for the handout."""

    participant_key: str
    name: str
    age: int
    state: str  # one of CAST_STATES
    show: str  # what a trainer can show with them, in words


# What each state means on the board: printed and ready have every test recorded; testing
# has some; screening is checked in and not screened; expected is booked but not arrived.
CAST_STATES = ("printed", "ready", "testing", "screening", "expected")


@dataclass(frozen=True, slots=True)
class TrainingDay:
    data: DemoDataset  # the earlier MOT days and today's, with every visit that has a screening
    event_key: str  # today's MOT day
    arrivals: tuple[DemoArrival, ...]  # checked in today, not screened yet
    printed: tuple[str, ...]  # assessment keys whose sheet has been printed
    cast: tuple[CastMember, ...]  # today's people, in the handout's order


@dataclass(frozen=True, slots=True)
class _Role:
    given: str
    family: str
    sex: str
    age: int
    state: str
    show: str
    yes: tuple[str, ...] = ()  # screening questions answered "yes" (the rest "no")
    tests_done: int | None = None  # how many of the day's tests so far (None: all of them)
    fitness: float = 0.0
    walking_aid: bool = False
    arms_used: bool = False  # the chair stand was done pushing up with the arms
    keeps_results: bool = True  # has agreed to keep their results (needed to check in)
    returning: bool = False  # came to the last MOT day at this venue: today is a retest


_CAST = (
    _Role(
        "Eileen", "Coursewell", "female", 72, "printed",
        "Sheet printed: the board says so; change a note and it asks for a reprint.",
        fitness=0.4,
    ),
    _Role(
        "Zoë", "Handoutson", "female", 68, "ready",
        "Every test done: go through her results and print her sheet.",
        fitness=1.0,
    ),
    _Role(
        "Rhodri", "Rehearsby", "male", 77, "ready",
        "Every test done or recorded as not done: print his sheet.",
        fitness=-0.4,
    ),
    _Role(
        "Dorothy", "Lessonby", "female", 84, "ready",
        "Screened 'do not test' (dizzy spells): a one-page sheet that says see your GP.",
        yes=("dizziness",),
    ),
    _Role(
        "Siân", "Tutor-Pryce", "female", 75, "testing",
        "Screened 'test with care' (a recent fall, pain bending): sit-and-reach is ruled "
        "out; five tests done, the rest still to do.",
        yes=("recent_fall_or_injury", "osteoporosis_or_back_pain"),
        tests_done=5,
        fitness=-0.6,
    ),
    _Role(
        "Bernard", "Drillingham", "male", 86, "testing",
        "Walks with a stick: his chair stand was done with arms used; do his up-and-go "
        "with 'walking aid' ticked.",
        tests_done=3,
        fitness=-1.0,
        walking_aid=True,
        arms_used=True,
    ),
    _Role(
        "Tomasz", "Pilotsworth", "male", 70, "testing",
        "Two tests done: carry on at any station.",
        tests_done=2,
        fitness=0.3,
    ),
    _Role(
        "Aoife", "Practisley", "female", 66, "screening",
        "Checked in, not screened yet: ask the safety questions.",
    ),
    _Role(
        "Kenneth", "Sandboxley", "male", 79, "screening",
        "Checked in, not screened yet.",
    ),
    _Role(
        "Niamh", "Runthwaite", "female", 71, "expected",
        "Not arrived: check her in, screen her (every answer 'no'), test her, print her sheet.",
    ),
    _Role(
        "José", "Showcastle", "male", 74, "expected",
        "Not arrived: the whole day again, or a not-done test with F9.",
    ),
    _Role(
        "Hélène", "Demofield", "female", 81, "expected",
        "Not arrived: she answers 'yes' to chest pain, so no tests today.",
    ),
    _Role(
        "Arthur", "Classworth", "male", 88, "expected",
        "Not arrived: he pushes up with his arms, so tick 'arms used' on the chair stand.",
    ),
    _Role(
        "Gwen", "Tryalldale", "female", 78, "expected",
        "Not arrived: back for her retest; her results and sheet compare with last time.",
        fitness=-0.2,
        returning=True,
    ),
    _Role(
        "Ffion", "Briefingham", "female", 69, "expected",
        "Not arrived: booked by phone and not yet asked about keeping her results; check-in "
        "waits until 'Keep my results' is ticked.",
        keeps_results=False,
    ),
)  # fmt: skip


def training_day(
    seed: int = 1,
    history: int = 60,
    norms: NormSet | None = None,
    today: dt.date | None = None,
) -> TrainingDay:
    """Training mode's sandbox: `history` people at earlier MOT days (as `generate`) and today's
    MOT day in full swing, its cast fixed (see _CAST). Deterministic for given arguments and
    `today`; everyone in it is fictional."""
    ns = norms or default_norm_set()
    day = today if today is not None else dt.date.today()
    past = generate(history, seed, norms=ns, today=day)
    g = _Generator(seed, None, ns, day, 0)
    g.rng = random.Random(f"ffmot-training-day-{seed}")
    g.stop_rng = random.Random(f"ffmot-training-day-stops-{seed}")
    prefix = f"s{seed}-t"
    rng = g.rng

    tests = tuple(t for t in USUAL_TESTS if t in ns.battery)
    if past.events:
        last = past.events[-1]
        venue, organisation, town = last.venue, last.organisation, last.name
    else:
        venue, organisation = HALLS[0] + ", " + TOWNS[0], ORGANISATIONS[0]
        town = f"{TOWNS[0]} MOT day"
    today_event = DemoEvent(f"{prefix}e1", town, day, venue, organisation, tests)
    events = list(past.events)
    # A returning person's first visit: the latest earlier MOT day at least 8 weeks ago.
    earlier = max(
        (e for e in past.events if e.date <= day - dt.timedelta(weeks=8)),
        key=lambda e: e.date,
        default=None,
    )
    if earlier is None and any(r.returning for r in _CAST):
        earlier = DemoEvent(
            f"{prefix}e0", town, day - dt.timedelta(days=RETEST_DAYS), venue, organisation, tests
        )
        events.append(earlier)
    events.append(today_event)

    stations = tuple(f"Station {k + 1}" for k in range(STATIONS))
    practitioners = PRACTITIONERS[:STATIONS]
    people: list[DemoParticipant] = []
    visits: list[DemoAssessment] = []
    arrivals: list[DemoArrival] = []
    printed: list[str] = []
    cast: list[CastMember] = []
    by_id = {q.id: q for q in QUESTIONS}
    for n, role in enumerate(_CAST, start=1):
        pkey = f"{prefix}p{n:02d}"
        consents = dict.fromkeys(CONSENT_PURPOSES, False)
        if role.keeps_results:
            consents.update(keep_results=True, anonymous_reports=True)
            consents["retest_contact"] = role.returning or n % 3 == 0
            consents["share_gp"] = n % 2 == 0
        participant = DemoParticipant(
            pkey,
            role.given,
            role.family,
            _dob_for(rng, day, role.age),
            role.sex,
            f"01632 960{900 + n:03d}",
            "",
            _venue_district(venue),
            consents,
        )
        people.append(participant)
        cast.append(
            CastMember(pkey, f"{role.given} {role.family}", role.age, role.state, role.show)
        )
        person = _Person(
            len(past.participants) + n,
            role.sex,
            0 if role.sex == "female" else 1,
            role.fitness,
            role.walking_aid,
            0,
            role.age,
            False,
        )
        answers = dict(g.clear_answers)
        for qid in role.yes:
            q = by_id[qid]
            answers[qid] = bool(q.stop_if if q.stop_if is not None else q.care_if)
        said = DemoScreening(answers, 128 + n % 9, 76 + n % 7)
        k = n % STATIONS
        previous = None
        if role.returning and earlier is not None:
            previous = g.assessment(
                f"{prefix}a{n:02d}0",
                person,
                participant,
                earlier,
                practitioners,
                previous=None,
                screening=DemoScreening(dict(g.clear_answers), 132, 80),
            )
            visits.append(previous)
        if role.state == "expected":
            continue
        akey = f"{prefix}a{n:02d}"
        if role.state == "screening":
            arrivals.append(
                DemoArrival(akey, pkey, today_event.key, practitioners[k], stations[k], day)
            )
            continue
        a = g.assessment(
            akey, person, participant, today_event, practitioners, previous=previous, screening=said
        )
        results = a.results
        if role.arms_used:
            results = tuple(
                _replace_result(r, modifications=("arms_used",))
                if r.test == "chair_stand" and r.done
                else r
                for r in results
            )
        if role.tests_done is not None:
            results = results[: role.tests_done]
        kept = {r.test for r in results}
        visits.append(
            DemoAssessment(
                key=a.key,
                participant_key=a.participant_key,
                event_key=a.event_key,
                practitioner=practitioners[k],
                station=stations[k],
                assessed_on=a.assessed_on,
                previous_key=a.previous_key,
                screening=a.screening,
                height_cm=a.height_cm if "bmi" in kept else None,
                weight_kg=a.weight_kg if "bmi" in kept else None,
                waist_cm=a.waist_cm if "waist" in kept else None,
                moderate_minutes=a.moderate_minutes if "activity" in kept else None,
                strength_days=a.strength_days if "activity" in kept else None,
                balance_days=a.balance_days if "activity" in kept else None,
                sitting_hours=a.sitting_hours if "activity" in kept else None,
                results=results,
                notes=a.notes,
            )
        )
        if role.state == "printed":
            printed.append(akey)
    return TrainingDay(
        DemoDataset(
            tuple(events),
            past.participants + tuple(people),
            past.assessments + tuple(visits),
        ),
        today_event.key,
        tuple(arrivals),
        tuple(printed),
        tuple(cast),
    )


def _venue_district(venue: str) -> str:
    """The made-up postcode district of a demo venue (ZZ1 to ZZ12, by its town)."""
    town = venue.rsplit(", ", 1)[-1]
    return f"ZZ{TOWNS.index(town) % 12 + 1}" if town in TOWNS else "ZZ1"


def _replace_result(r: DemoResult, modifications: tuple[str, ...]) -> DemoResult:
    return DemoResult(
        r.test, r.done, r.reason, r.value, r.unit, r.trials, modifications, r.stop_reason
    )
