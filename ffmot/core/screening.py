"""Safety screening before testing: the questions, and the outcome their answers lead to.

From the Senior Fitness Test exclusions (do not test without a doctor's approval), the SFT
chair sit-and-reach caution, and the FFMOT's own eligibility notes (domain reference 1.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ffmot.core.errors import InputError

CLEAR, CARE, DO_NOT_TEST = "clear", "care", "do_not_test"
OUTCOME_WORDS = {
    CLEAR: "Clear to test",
    CARE: "Test with care",
    DO_NOT_TEST: "Do not test today: suggest they talk to their GP first",
}
BP_LIMIT = (160, 100)  # SFT: uncontrolled blood pressure over 160/100


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    stop_if: bool | None  # the answer that means do not test (None: never)
    care_if: bool | None  # the answer that means test with care
    excludes: tuple[str, ...] = ()  # tests not done when the answer is the care answer
    source: str = ""


QUESTIONS = (
    Question(
        "doctor_advised_no_exercise",
        "Has a doctor told you not to exercise?",
        True,
        None,
        source="SFT exclusions",
    ),
    Question(
        "heart_failure",
        "Do you have heart failure (congestive heart failure)?",
        True,
        None,
        source="SFT exclusions",
    ),
    Question(
        "chest_pain",
        "Do you get chest pain, or chest pain when you exert yourself?",
        True,
        None,
        source="SFT exclusions",
    ),
    Question(
        "dizziness",
        "Do you feel dizzy today, or have you had dizzy spells lately?",
        True,
        None,
        source="SFT exclusions",
    ),
    Question("joint_pain", "Do you have joint pain today?", True, None, source="SFT exclusions"),
    Question(
        "recent_fall_or_injury",
        "Have you had a fall or an injury in the last 3 months?",
        None,
        True,
        source="ffmot practice",
    ),
    Question(
        "osteoporosis_or_back_pain",
        "Do you have severe osteoporosis, or pain when you bend forward?",
        None,
        True,
        ("sit_and_reach",),
        source="SFT sit-and-reach caution",
    ),
    Question(
        "can_stand_from_chair",
        "Can you stand up from a chair and sit down safely?",
        None,
        False,
        ("chair_stand",),
        source="FFMOT eligibility",
    ),
    Question(
        "can_walk_safely",
        "Can you walk safely, with or without a walking aid?",
        None,
        False,
        ("up_and_go", "walk_6min", "step_2min"),
        source="FFMOT eligibility",
    ),
)
QUESTION_IDS = tuple(q.id for q in QUESTIONS)


@dataclass(frozen=True)
class ScreeningOutcome:
    outcome: str  # clear, care or do_not_test
    reasons: tuple[str, ...]  # plain words, for the practitioner
    excluded_tests: tuple[str, ...]  # tests that must not be done (all of them for do_not_test)


def assess(
    answers: Mapping[str, bool | None],
    systolic: int | None = None,
    diastolic: int | None = None,
    all_tests: tuple[str, ...] = (),
) -> ScreeningOutcome:
    """The outcome of a screening. Unanswered questions are treated as not yet asked."""
    unknown = [k for k in answers if k not in QUESTION_IDS]
    if unknown:
        raise InputError(f"unknown screening question '{unknown[0]}'")
    for name, v, lo, hi in (("systolic", systolic, 60, 260), ("diastolic", diastolic, 30, 160)):
        if v is not None and not lo <= v <= hi:
            raise InputError(
                f"{name} blood pressure {v} is outside {lo} to {hi} mmHg: check the reading"
            )
    stop: list[str] = []
    care: list[str] = []
    excluded: list[str] = []
    for q in QUESTIONS:
        a = answers.get(q.id)
        if a is None:
            continue
        if q.stop_if is not None and a == q.stop_if:
            stop.append(q.text)
        elif q.care_if is not None and a == q.care_if:
            care.append(q.text)
            excluded.extend(
                t for t in q.excludes if t not in excluded and (not all_tests or t in all_tests)
            )
    if (
        systolic is not None
        and diastolic is not None
        and (systolic > BP_LIMIT[0] or diastolic > BP_LIMIT[1])
    ):
        stop.append(f"Blood pressure {systolic}/{diastolic} is over 160/100")
    if stop:
        return ScreeningOutcome(DO_NOT_TEST, tuple(stop), tuple(all_tests))
    if care:
        return ScreeningOutcome(CARE, tuple(care), tuple(excluded))
    return ScreeningOutcome(CLEAR, (), ())
