"""Unusual people, not average ones: each is a real person's visit in a real database, built
through the same services the app uses, to check what their sheet and results screen must and
must not say. tests/report/test_personas.py holds the assertions; `python -m
tests.report.personas OUT_DIR` renders every sheet as PDF and PNG pages to look at."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ffmot.core import screening
from ffmot.core.paths import resources_dir
from ffmot.services import records as R
from ffmot.services.types import Actor, Measurements
from ffmot.store.db import Database, connect

TODAY = dt.date(2026, 6, 1)
EARLIER = dt.date(2026, 3, 2)
ACTOR = Actor("Persona Builder", "Station 1")
Results = dict[str, object]  # test id: value | (value, mods) | ("not_done", reason[, why])


@dataclass(frozen=True)
class Persona:
    name: str
    sex: str
    age: int
    yes: tuple[str, ...] = ()  # screening questions answered yes
    bp: tuple[int, int] | None = None
    finished: bool = True  # every screening question answered
    results: Results = field(default_factory=dict)
    habits: tuple[float | None, int | None, int | None, float | None] = (150, 2, 2, 5)
    body: tuple[float | None, float | None, float | None] = (None, None, None)  # h, w, waist
    before: Results | None = None  # results at a visit twelve weeks earlier


USUAL_WOMAN_72 = {  # women 70-74: in the usual range on every test
    "chair_stand": 13,
    "arm_curl": 15,
    "grip": 22,
    "up_and_go": 5.6,
    "single_leg_stance": 20,
    "step_2min": 90,
    "sit_and_reach": 1.5,
    "back_scratch": -1.0,
}
ABOVE_WOMAN_72 = {
    "chair_stand": 19,
    "arm_curl": 21,
    "grip": 32,
    "up_and_go": 4.2,
    "single_leg_stance": 30,
    "step_2min": 120,
    "sit_and_reach": 6.0,
    "back_scratch": 2.5,
}
BELOW_WOMAN_72 = {
    "chair_stand": 8,
    "arm_curl": 9,
    "grip": 14,
    "up_and_go": 8.5,
    "single_leg_stance": 6,
    "step_2min": 55,
    "sit_and_reach": -4.0,
    "back_scratch": -6.0,
}

PERSONAS = (
    Persona("Blood Pressure", "female", 72, bp=(185, 95)),
    Persona("Doctor Said", "male", 70, yes=("doctor_advised_no_exercise",)),
    Persona("Not Finished", "female", 75, finished=False),
    Persona(
        "Recent Fall",
        "female",
        78,
        yes=("recent_fall_or_injury",),
        results={"chair_stand": 11, "single_leg_stance": 7, "grip": 19, "up_and_go": 7.0},
    ),
    Persona(
        "Cannot Stand",
        "male",
        81,
        yes=("cannot_stand_safely",),
        results={"grip": 24, "arm_curl": 12, "sit_and_reach": -3.0},
    ),
    Persona(
        "Cannot Walk",
        "female",
        84,
        yes=("cannot_walk_safely",),
        results={"chair_stand": 7, "grip": 15, "arm_curl": 10},
    ),
    Persona(
        "Arms Used",
        "female",
        79,
        results={"chair_stand": (0, ("arms_used",)), "grip": 18, "arm_curl": 13},
    ),
    Persona(
        "Walking Aid",
        "male",
        83,
        results={"up_and_go": (9.5, ("walking_aid",)), "grip": 30, "chair_stand": 11},
    ),
    Persona(
        "Chest Pain",
        "male",
        68,
        results={
            "chair_stand": 14,
            "grip": 38,
            "step_2min": ("not_done", "stopped_by_tester", "chest_pain"),
        },
    ),
    Persona(
        "Slipped Foot",
        "female",
        71,
        results={
            "chair_stand": 13,
            "grip": 22,
            "step_2min": ("not_done", "stopped_by_tester", "other"),
        },
    ),
    Persona("All Above", "female", 72, results=ABOVE_WOMAN_72, habits=(200, 3, 3, 4)),
    Persona("All Below", "female", 72, results=BELOW_WOMAN_72, habits=(60, 0, 0, 8)),
    Persona("All Usual", "female", 72, results=USUAL_WOMAN_72, habits=(160, 2, 2, 5)),
    Persona(
        "Far Below Step",
        "female",
        72,
        results={**USUAL_WOMAN_72, "step_2min": 30},
        habits=(0, 0, 0, 10),
    ),
    Persona("Inactive", "female", 72, results=USUAL_WOMAN_72, habits=(0, 0, 0, 9)),
    Persona("Very Active", "male", 70, results={"chair_stand": 20}, habits=(420, 4, 3, 3)),
    Persona(
        "Strength Doer",
        "female",
        72,
        results={**USUAL_WOMAN_72, "chair_stand": 9},
        habits=(160, 3, 1, 5),
    ),
    Persona(
        "Strong Legs Low Grip",
        "male",
        72,
        results={"chair_stand": 19, "grip": 24, "arm_curl": 19},
        habits=(90, 0, 0, 6),
    ),
    Persona("Sex Not Stated", "not_stated", 72, results={"chair_stand": 8, "grip": 30}),
    Persona("Age Fifty Five", "female", 55, results=USUAL_WOMAN_72, habits=(60, 1, 0, 6)),
    Persona("Age Ninety Seven", "male", 97, results={"chair_stand": 6, "grip": 20}),
    Persona(
        "Big Changes",
        "female",
        72,
        results={"grip": 16, "chair_stand": 14, "sit_and_reach": -6.0, "up_and_go": 5.0},
        before={"grip": 23, "chair_stand": 10, "sit_and_reach": 5.0, "up_and_go": 6.0},
    ),
    Persona(
        "Small Changes",
        "male",
        74,
        results={"chair_stand": 13, "grip": 36, "up_and_go": 5.6},
        before={"chair_stand": 12, "grip": 35, "up_and_go": 6.0},
    ),
    Persona("Low Grip", "male", 76, results={"grip": 22, "chair_stand": 13}),
    Persona("Waist High Woman", "female", 70, body=(162, 62, 84), results={"grip": 22}),
    Persona("Waist Very High Woman", "female", 70, body=(162, 80, 96), results={"grip": 22}),
    Persona("Waist High Man", "male", 70, body=(176, 80, 97), results={"grip": 35}),
    Persona("Waist Very High Man", "male", 70, body=(176, 100, 108), results={"grip": 35}),
    Persona("One Leg Nearly Full", "female", 65, results={"single_leg_stance": 28.9}),
    Persona("One Leg Very Short", "female", 74, results={"single_leg_stance": 3.0}),
)


def _dob(age: int, on: dt.date) -> dt.date:
    return dt.date(on.year - age - 1, 12, 1)


def _save(db: Database, visit_id: str, results: Results) -> None:
    for tid, spec in results.items():
        if isinstance(spec, tuple) and spec and spec[0] == "not_done":
            R.mark_not_done(
                db,
                ACTOR,
                visit_id,
                tid,
                str(spec[1]),
                stop_reason=str(spec[2]) if len(spec) > 2 else None,
            )
            continue
        value, mods = spec if isinstance(spec, tuple) else (spec, ())
        R.save_result(db, ACTOR, visit_id, tid, [(float(value), "trial 1")], "", modifications=mods)


def build(db: Database) -> dict[str, str]:
    """Every persona's visit today (and twelve weeks earlier where they have one); returns
    {name: assessment id}."""
    directory = str(resources_dir() / "activities" / "sample-directory.csv")
    earlier = R.create_event(db, ACTOR, "Spring MOT day", EARLIER, "Fellside Hall")
    today = R.create_event(
        db, ACTOR, "Summer MOT day", TODAY, "Fellside Hall", activities_directory=directory
    )
    visits = {}
    for p in PERSONAS:
        given, _, family = p.name.partition(" ")
        family = family or "Persona"
        person = R.register_participant(
            db,
            ACTOR,
            given,
            family.replace(" ", ""),
            _dob(p.age, TODAY),
            p.sex,
            consents={"keep_results": True},
        )
        if p.before is not None:
            v0 = R.check_in(db, ACTOR, person.id, earlier.id)
            R.record_screening(db, ACTOR, v0.id, screening.answers_with())
            _save(db, v0.id, p.before)
        v = R.check_in(db, ACTOR, person.id, today.id)
        answers: dict[str, bool] = screening.answers_with(*p.yes)
        if not p.finished:
            answers = {k: v for k, v in list(answers.items())[:4]}
        systolic, diastolic = p.bp if p.bp else (None, None)
        R.record_screening(db, ACTOR, v.id, answers, systolic, diastolic)
        _save(db, v.id, p.results)
        h, w, waist = p.body
        minutes, s_days, b_days, sitting = p.habits
        a = R.get_assessment(db, v.id)
        if a.screening is not None and a.screening.outcome in ("clear", "care"):
            R.save_measurements(
                db,
                ACTOR,
                v.id,
                Measurements(h, w, waist, minutes, s_days, b_days, sitting),
                a.version,
            )
        visits[p.name] = v.id
    return visits


Make = Callable[[str], bytes]


def main(argv: list[str]) -> int:
    """Renders every persona's sheet into OUT_DIR as PDF and PNG pages."""
    import subprocess

    from ffmot.report.sheet import sheet_pdf
    from ffmot.services.overview import load_overview

    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "personas.db"
    db_path.unlink(missing_ok=True)
    db = connect(str(db_path))
    visits = build(db)
    for name, vid in visits.items():
        pdf = sheet_pdf(load_overview(db, vid))
        slug = name.lower().replace(" ", "-")
        (out / f"{slug}.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(out / f"{slug}.pdf"), str(out / slug)],
            check=True,
        )
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
