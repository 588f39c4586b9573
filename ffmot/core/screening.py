"""Safety screening before testing: the questions, and the outcome their answers lead to.

The questions and their effect are data (resources/screening.toml); which tests an answer rules
out follows from the abilities it names and each test's `needs` (norms/battery.toml),
from the Senior Fitness Test exclusions (do not test without a doctor's approval), the SFT
chair sit-and-reach caution, and the FFMOT's own eligibility notes (domain reference 1.4).
A stop answer (or a high blood pressure) is "do not test" even before the rest are asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ffmot.core.battery import TestDef
from ffmot.core.datafiles import read_toml
from ffmot.core.errors import InputError, NormDataError
from ffmot.core.i18n import N_, _
from ffmot.core.paths import resources_dir

INCOMPLETE, CLEAR, CARE, DO_NOT_TEST = "incomplete", "clear", "care", "do_not_test"
OUTCOMES = (INCOMPLETE, CLEAR, CARE, DO_NOT_TEST)
OUTCOME_WORDS = {
    INCOMPLETE: N_("Screening not finished: answer every question before any test"),
    CLEAR: N_("Clear to test"),
    CARE: N_("Test with care"),
    DO_NOT_TEST: N_("Do not test today: suggest they talk to their GP first"),
}
RULES_FILE = "screening.toml"


@dataclass(frozen=True)
class Question:
    """One screening question. Every question is asked the same way round: True ("yes") is the
    answer that needs care or stops testing."""

    id: str
    text: str
    stop_if: bool | None  # True for a question whose "yes" stops testing, else None
    care_if: bool | None  # True for a question whose "yes" means test with care, else None
    rules_out: tuple[str, ...] = ()  # abilities a "yes" rules out (and every test needing one)
    source: str = ""
    plain: str = ""  # the reason in the participant's words
    falls: bool = False  # a "yes" is a recent fall

    @property
    def excludes(self) -> tuple[str, ...]:
        """The tests of the norm set in use that a "yes" rules out."""
        return ruled_out(self.rules_out)


def ruled_out(
    abilities: tuple[str, ...], battery: Mapping[str, TestDef] | None = None
) -> tuple[str, ...]:
    """The tests (in battery order) that need any of these abilities."""
    if not abilities:
        return ()
    if battery is None:
        from ffmot.core.norms import default_norm_set

        battery = default_norm_set().battery
    return tuple(t.id for t in battery.values() if set(t.needs) & set(abilities))


@dataclass(frozen=True)
class Rules:
    questions: tuple[Question, ...]
    bp_limit: tuple[int, int]
    bp_plain: str
    abilities: dict[str, str]  # what each ability is, in words; tests name them in `needs`


def load_rules(path: Path | None = None) -> Rules:
    """Reads resources/screening.toml; a broken file is a NormDataError naming the problem."""
    path = path or resources_dir() / RULES_FILE
    data = read_toml(path)
    try:
        abilities = dict(data["abilities"])
        if not all(isinstance(v, str) for v in abilities.values()):
            raise NormDataError(
                _("{file}: each of [abilities] must be words saying what it is", file=path.name)
            )
        questions = []
        for q in data["questions"]:
            effect = q["effect"]
            if effect not in ("stop", "care"):
                raise NormDataError(
                    _(
                        "{file}: question {question}: effect must be stop or care",
                        file=path.name,
                        question=q["id"],
                    )
                )
            for ability in q.get("rules_out", ()):
                if ability not in abilities:
                    raise NormDataError(
                        _(
                            "{file}: question {question} rules out unknown ability '{ability}'",
                            file=path.name,
                            question=q["id"],
                            ability=ability,
                        )
                    )
            questions.append(
                Question(
                    str(q["id"]),
                    str(q["text"]),
                    True if effect == "stop" else None,
                    True if effect == "care" else None,
                    tuple(str(a) for a in q.get("rules_out", ())),
                    str(q.get("source", "")),
                    str(q["plain"]),
                    bool(q.get("falls", False)),
                )
            )
        limit = data["blood_pressure_limit"]
        return Rules(
            tuple(questions),
            (int(limit[0]), int(limit[1])),
            str(data["blood_pressure_plain"]),
            abilities,
        )
    except (KeyError, TypeError, IndexError, ValueError) as e:
        raise NormDataError(
            _("{file}: missing or malformed entry ({problem})", file=path.name, problem=e)
        ) from None


RULES = load_rules()
QUESTIONS = RULES.questions
QUESTION_IDS = tuple(q.id for q in QUESTIONS)
QUESTION_BY_ID = {q.id: q for q in QUESTIONS}
BP_LIMIT = RULES.bp_limit
# Answers stored before every question was asked "yes = risk" (ffmot before schema 0003).
RENAMED = {"can_stand_from_chair": "cannot_stand_safely", "can_walk_safely": "cannot_walk_safely"}


def upgrade_answers(answers: Mapping[str, object]) -> dict[str, bool | None]:
    """Answers in today's form: the two questions once asked "Can you ...?" (no = risk) become
    "Do you need help ...?" (yes = risk), flipped."""
    out: dict[str, bool | None] = {}
    for k, v in answers.items():
        b = None if v is None else bool(v)
        if k in RENAMED:
            out[RENAMED[k]] = None if b is None else not b
        else:
            out[k] = b
    return out


@dataclass(frozen=True)
class ScreeningOutcome:
    outcome: str  # incomplete, clear, care or do_not_test
    reasons: tuple[str, ...]  # the questions answered "yes" (or the blood pressure), as asked
    excluded_tests: tuple[str, ...]  # tests that must not be done (all of them unless clear/care)
    unanswered: tuple[str, ...] = ()  # question ids still to ask
    plain: tuple[str, ...] = ()  # the reasons in the participant's words
    recent_fall: bool = False


def assess(
    answers: Mapping[str, bool | None],
    systolic: int | None = None,
    diastolic: int | None = None,
    all_tests: tuple[str, ...] = (),
    battery: Mapping[str, TestDef] | None = None,
) -> ScreeningOutcome:
    """The outcome of a screening. Until every question has a yes or a no, the outcome is
    "incomplete" and every test is ruled out: an unasked question is never taken as "no"."""
    unknown = [k for k in answers if k not in QUESTION_IDS]
    if unknown:
        raise InputError(_("unknown screening question '{question}'", question=unknown[0]))
    if systolic is not None and not 60 <= systolic <= 260:
        raise InputError(
            _(
                "systolic blood pressure {value} is outside {low} to {high} mmHg: "
                "check the reading",
                value=systolic,
                low=60,
                high=260,
            )
        )
    if diastolic is not None and not 30 <= diastolic <= 160:
        raise InputError(
            _(
                "diastolic blood pressure {value} is outside {low} to {high} mmHg: "
                "check the reading",
                value=diastolic,
                low=30,
                high=160,
            )
        )
    if (systolic is None) != (diastolic is None):
        raise InputError(_("give both blood pressure numbers, or neither"))
    stop: list[Question] = []
    care: list[Question] = []
    unanswered: list[str] = []
    abilities: list[str] = []
    for q in QUESTIONS:
        a = answers.get(q.id)
        if a is None:
            unanswered.append(q.id)
        elif a and q.stop_if:
            stop.append(q)
        elif a and q.care_if:
            care.append(q)
            abilities.extend(q.rules_out)
    reasons = [_(q.text) for q in stop]
    plain = [_(q.plain) for q in stop]
    if (
        systolic is not None
        and diastolic is not None
        and (systolic > BP_LIMIT[0] or diastolic > BP_LIMIT[1])
    ):
        reasons.append(
            _(
                "Blood pressure {systolic}/{diastolic} is over {limit_systolic}/{limit_diastolic}",
                systolic=systolic,
                diastolic=diastolic,
                limit_systolic=BP_LIMIT[0],
                limit_diastolic=BP_LIMIT[1],
            )
        )
        plain.append(_(RULES.bp_plain, systolic=systolic, diastolic=diastolic))
    fall = any(q.falls for q in care)
    if stop or reasons:
        return ScreeningOutcome(
            DO_NOT_TEST, tuple(reasons), tuple(all_tests), tuple(unanswered), tuple(plain), fall
        )
    if unanswered:
        return ScreeningOutcome(
            INCOMPLETE,
            tuple(
                _("Not yet asked: {question}", question=_(QUESTION_BY_ID[u].text))
                for u in unanswered
            ),
            tuple(all_tests),
            tuple(unanswered),
            (),
            fall,
        )
    if care:
        excluded = [
            t for t in ruled_out(tuple(abilities), battery) if not all_tests or t in all_tests
        ]
        return ScreeningOutcome(
            CARE,
            tuple(_(q.text) for q in care),
            tuple(excluded),
            (),
            tuple(_(q.plain) for q in care),
            fall,
        )
    return ScreeningOutcome(CLEAR, (), ())


def answers_with(*yes: str) -> dict[str, bool]:
    """A finished set of answers: "yes" to the questions named, "no" to every other."""
    unknown = [q for q in yes if q not in QUESTION_IDS]
    if unknown:
        raise InputError(_("unknown screening question '{question}'", question=unknown[0]))
    return {q: q in yes for q in QUESTION_IDS}
