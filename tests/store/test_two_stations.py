"""Two stations on one database look up the same person before either saves the same test.

Each station has its own connection (its own `Database`), as two laptops sharing a PostgreSQL
server, or two windows on one SQLite file, do. Whatever order they save in, the second one is
told that the first saved (ConflictError) and never silently replaces the first one's value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from ffmot.core import screening
from ffmot.services import records as R
from ffmot.services.types import Actor, Measurements
from ffmot.store.db import Database, connect
from ffmot.store.errors import ConflictError

A = Actor("Ann Station", "Station A")
B = Actor("Bob Station", "Station B")


@pytest.fixture
def stations(db_url: str) -> Iterator[tuple[Database, Database, str]]:
    """Two stations' own connections to one database, and a visit both can test."""
    a, b = connect(db_url), connect(db_url)
    e = R.create_event(a, A, "Two-station day", dt.date(2026, 6, 1))
    p = R.register_participant(
        a, A, "Dora", "Duplow", dt.date(1950, 5, 5), "female", consents={"keep_results": True}
    )
    v = R.check_in(a, A, p.id, e.id)
    R.record_screening(a, A, v.id, screening.answers_with())
    yield a, b, v.id
    a.close()
    b.close()


def _seen(db: Database, visit_id: str, test_id: str) -> int | None:
    """What a station's screen holds after looking the person up: the version it saw."""
    r = R.get_assessment(db, visit_id).result(test_id)
    return None if r is None else r.version


def test_a_saves_then_b_saves_what_it_looked_up_before_b_is_told(stations):
    a, b, visit = stations
    seen_a, seen_b = _seen(a, visit, "chair_stand"), _seen(b, visit, "chair_stand")
    assert seen_a is None and seen_b is None  # both show "no result yet"
    R.save_result(a, A, visit, "chair_stand", [(12, "")], expected_version=seen_a)
    with pytest.raises(ConflictError, match=r"saved at .*Station A"):
        R.save_result(b, B, visit, "chair_stand", [(15, "")], expected_version=seen_b)
    kept = R.get_assessment(b, visit).result("chair_stand")
    assert kept.value == 12 and kept.station == "Station A"


def test_a_saves_then_b_marks_it_not_done_from_an_empty_screen_b_is_told(stations):
    a, b, visit = stations
    seen_b = _seen(b, visit, "grip")
    R.save_result(a, A, visit, "grip", [(24, "left 1")], expected_version=_seen(a, visit, "grip"))
    with pytest.raises(ConflictError):
        R.mark_not_done(b, B, visit, "grip", "declined", expected_version=seen_b)
    kept = R.get_assessment(b, visit).result("grip")
    assert kept.done and kept.value == 24


def test_a_marks_it_not_done_then_b_saves_a_value_b_is_told(stations):
    a, b, visit = stations
    seen_b = _seen(b, visit, "arm_curl")
    R.mark_not_done(a, A, visit, "arm_curl", "unable", expected_version=None)
    with pytest.raises(ConflictError):
        R.save_result(b, B, visit, "arm_curl", [(14, "")], expected_version=seen_b)
    kept = R.get_assessment(b, visit).result("arm_curl")
    assert not kept.done and kept.reason == "unable"


def test_both_change_a_saved_result_the_second_is_told(stations):
    a, b, visit = stations
    R.save_result(a, A, visit, "chair_stand", [(10, "")])
    seen_a, seen_b = _seen(a, visit, "chair_stand"), _seen(b, visit, "chair_stand")
    R.save_result(a, A, visit, "chair_stand", [(11, "")], expected_version=seen_a)
    with pytest.raises(ConflictError):
        R.save_result(b, B, visit, "chair_stand", [(13, "")], expected_version=seen_b)
    with pytest.raises(ConflictError):
        R.mark_not_done(b, B, visit, "chair_stand", "declined", expected_version=seen_b)
    assert R.get_assessment(b, visit).result("chair_stand").value == 11


def test_a_saves_measurements_then_b_marks_bmi_not_done_from_an_empty_screen_b_is_told(
    stations,
):
    a, b, visit = stations
    before = R.get_assessment(b, visit)  # B's screen: no measurements, no BMI
    assert before.result("bmi") is None
    seen = R.get_assessment(a, visit)
    R.save_measurements(a, A, visit, Measurements(160, 62, 84), seen.version)
    with pytest.raises(ConflictError):
        R.mark_not_done(b, B, visit, "bmi", "declined", expected_version=None)
    with pytest.raises(ConflictError):
        R.save_measurements(b, B, visit, Measurements(150, 70, 90), before.version)
    assert R.get_assessment(b, visit).result("bmi").value == 24.2


def test_b_marks_bmi_not_done_then_a_saves_measurements_from_an_earlier_screen(stations):
    """B records BMI as not done (say, they would not be weighed); A, who looked them up before
    that, then types a height and weight. A must be told, not silently turn B's 'not done'
    into a value."""
    a, b, visit = stations
    seen_a = R.get_assessment(a, visit)  # A's screen: no measurements, no BMI
    R.mark_not_done(b, B, visit, "bmi", "declined", expected_version=None)
    with pytest.raises(ConflictError):
        R.save_measurements(a, A, visit, Measurements(160, 62, None), seen_a.version)
    kept = R.get_assessment(a, visit).result("bmi")
    assert kept is not None and not kept.done and kept.reason == "declined"


def test_the_bmi_station_and_the_activity_questions_never_clash(stations):
    """Each station saves only its own measurements, checked against what it showed: the BMI
    station and the activity questionnaire, open on one person at once, both keep their work."""
    a, b, visit = stations
    seen_a, seen_b = R.get_assessment(a, visit), R.get_assessment(b, visit)
    R.save_measurements(
        a,
        A,
        visit,
        Measurements(height_cm=160, weight_kg=62, waist_cm=84),
        only=["height_cm", "weight_kg", "waist_cm"],
        seen=seen_a.measurements,
        results_seen={"bmi": None},
    )
    R.save_measurements(
        b,
        B,
        visit,
        Measurements(moderate_minutes=150, strength_days=2, balance_days=1, sitting_hours=6),
        only=["moderate_minutes", "strength_days", "balance_days", "sitting_hours"],
        seen=seen_b.measurements,
        results_seen={"activity": None},
    )
    m = R.get_assessment(a, visit).measurements
    assert (m.height_cm, m.weight_kg, m.moderate_minutes, m.strength_days) == (160, 62, 150, 2)


def test_two_bmi_stations_on_one_person_the_second_is_told(stations):
    a, b, visit = stations
    seen_a, seen_b = R.get_assessment(a, visit), R.get_assessment(b, visit)
    keys = ["height_cm", "weight_kg", "waist_cm"]
    R.save_measurements(
        a, A, visit, Measurements(160, 62, 84), only=keys, seen=seen_a.measurements,
        results_seen={"bmi": None},
    )  # fmt: skip
    with pytest.raises(ConflictError, match="Height was changed on another station"):
        R.save_measurements(
            b, B, visit, Measurements(150, 70, 90), only=keys, seen=seen_b.measurements,
            results_seen={"bmi": None},
        )  # fmt: skip
    assert R.get_assessment(b, visit).measurements.height_cm == 160


def test_a_measurement_station_that_saw_not_done_may_replace_it(stations):
    a, b, visit = stations
    R.mark_not_done(b, B, visit, "bmi", "declined")
    seen = R.get_assessment(a, visit)
    version = seen.result("bmi").version
    R.save_measurements(
        a, A, visit, Measurements(160, 62, None), only=["height_cm", "weight_kg", "waist_cm"],
        seen=seen.measurements, results_seen={"bmi": version},
    )  # fmt: skip
    assert R.get_assessment(a, visit).result("bmi").done
