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

from ffmot.core.battery import NOT_DONE_REASONS
from ffmot.demo.generate import (
    CONSENT_PURPOSES,
    RETEST_DAYS,
    USUAL_TESTS,
    generate,
)
from ffmot.demo.people import FAMILY_NAMES
from ffmot.demo.records import (
    DemoAssessment,
    DemoDataset,
    DemoEvent,
    DemoParticipant,
    DemoResult,
    DemoScreening,
    DemoTrial,
)
from ffmot.demo.training import (
    CAST_STATES,
    CastMember,
    DemoArrival,
    TrainingDay,
    training_day,
)

__all__ = [
    "CAST_STATES",
    "CONSENT_PURPOSES",
    "FAMILY_NAMES",
    "NOT_DONE_REASONS",
    "RETEST_DAYS",
    "USUAL_TESTS",
    "CastMember",
    "DemoArrival",
    "DemoAssessment",
    "DemoDataset",
    "DemoEvent",
    "DemoParticipant",
    "DemoResult",
    "DemoScreening",
    "DemoTrial",
    "TrainingDay",
    "generate",
    "training_day",
]
