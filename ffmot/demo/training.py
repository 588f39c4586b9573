"""Training mode's practice day: earlier MOT days, and today's in full swing with a fixed cast
a course handout can name."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.screening import QUESTIONS
from ffmot.demo.generate import (
    CONSENT_PURPOSES,
    RETEST_DAYS,
    STATIONS,
    USUAL_TESTS,
    Generator,
    Person,
    dob_for,
    generate,
)
from ffmot.demo.people import HALLS, ORGANISATIONS, PRACTITIONERS, TOWNS
from ffmot.demo.records import (
    DemoAssessment,
    DemoDataset,
    DemoEvent,
    DemoParticipant,
    DemoResult,
    DemoScreening,
)

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
    g = Generator(seed, None, ns, day, 0)
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
            dob_for(rng, day, role.age),
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
        person = Person(
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
