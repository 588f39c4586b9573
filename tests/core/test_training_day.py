"""Training mode's practice day: today's MOT day in full swing, with a fixed cast a course
handout can name, and people still to arrive so a trainer can show every step live."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from ffmot.core.ages import age_on
from ffmot.core.norms import default_norm_set
from ffmot.core.screening import CARE, CLEAR, DO_NOT_TEST, assess
from ffmot.demo import (
    CAST_STATES,
    FAMILY_NAMES,
    USUAL_TESTS,
    TrainingDay,
    generate,
    training_day,
)

TODAY = dt.date(2026, 6, 1)
NS = default_norm_set()


@pytest.fixture(scope="module")
def day() -> TrainingDay:
    return training_day(1, 60, NS, TODAY)


def today_visits(d: TrainingDay):
    return [a for a in d.data.assessments if a.event_key == d.event_key]


def outcome(a) -> str:  # type: ignore[no-untyped-def]
    s = a.screening
    return assess(s.answers, s.systolic, s.diastolic, USUAL_TESTS).outcome


def test_the_day_is_today_and_deterministic_with_a_cast_that_does_not_move(day):
    event = next(e for e in day.data.events if e.key == day.event_key)
    assert event.date == TODAY
    assert all(e.date < TODAY for e in day.data.events if e.key != day.event_key)
    assert training_day(1, 60, NS, TODAY) == day
    # Another day or seed changes the drawn data, never who the handout names.
    for other in (training_day(1, 60, NS, TODAY + dt.timedelta(days=40)), training_day(2)):
        assert [c.name for c in other.cast] == [c.name for c in day.cast]
        assert [c.state for c in other.cast] == [c.state for c in day.cast]
    # The earlier MOT days are the ordinary demo of the same seed, untouched.
    past = generate(60, 1, norms=NS, today=TODAY)
    assert day.data.participants[: len(past.participants)] == past.participants
    assert day.data.assessments[: len(past.assessments)] == past.assessments


def test_names_are_mixed_with_accents_and_clearly_made_up(day):
    names = [c.name for c in day.cast]
    assert {"Siân", "Zoë", "José", "Hélène"} <= {n.split()[0] for n in names}
    families = [n.split(" ", 1)[1] for n in names]
    assert len(set(families)) == len(families)
    # Not among the history's family names: searching for one finds only them.
    assert not set(families) & set(FAMILY_NAMES)
    history = {p.family_name for p in day.data.participants if p.key not in _cast_keys(day)}
    assert not set(families) & history
    people = {p.key: p for p in day.data.participants}
    for c in day.cast:
        p = people[c.participant_key]
        assert f"{p.given_name} {p.family_name}" == c.name
        assert age_on(p.dob, TODAY) == c.age
        assert p.phone.startswith("01632 960")  # the drama range


def _cast_keys(d: TrainingDay) -> set[str]:
    return {c.participant_key for c in d.cast}


def test_every_state_of_the_day_is_there(day):
    states = Counter(c.state for c in day.cast)
    assert set(states) == set(CAST_STATES)
    assert states["printed"] == 1 and states["ready"] >= 2
    assert states["testing"] >= 2 and states["screening"] >= 2 and states["expected"] >= 4
    visits = {a.participant_key: a for a in today_visits(day)}
    arrived = {a.participant_key: a for a in day.arrivals}
    offered = len(next(e for e in day.data.events if e.key == day.event_key).tests_offered)
    for c in day.cast:
        a = visits.get(c.participant_key)
        if c.state in ("printed", "ready"):
            assert a is not None and len(a.results) == offered
        elif c.state == "testing":
            assert a is not None and 0 < len(a.results) < offered
        elif c.state == "screening":
            assert a is None and c.participant_key in arrived
        else:  # booked, not arrived: registered, no visit today
            assert a is None and c.participant_key not in arrived
    printed = [a for a in today_visits(day) if a.key in day.printed]
    assert [visits[c.participant_key].key for c in day.cast if c.state == "printed"] == [
        a.key for a in printed
    ]


def test_the_paths_a_trainer_shows_are_in_it(day):
    visits = today_visits(day)
    outcomes = Counter(outcome(a) for a in visits)
    assert outcomes[DO_NOT_TEST] >= 1 and outcomes[CARE] >= 1 and outcomes[CLEAR] >= 3
    # Someone not to be tested has every test recorded as not offered, and nothing measured.
    stopped = next(a for a in visits if outcome(a) == DO_NOT_TEST)
    assert all(not r.done and r.reason == "not_offered" for r in stopped.results)
    # A test done with help: a chair stand with the arms used, by someone with a walking aid
    # whose up-and-go is still to do.
    helped = [
        a
        for a in visits
        for r in a.results
        if r.test == "chair_stand" and "arms_used" in r.modifications
    ]
    assert helped and not any(r.test == "up_and_go" for r in helped[0].results)
    # Part-way visits keep measurements only for tests already done.
    for a in visits:
        tests = {r.test for r in a.results}
        assert (a.height_cm is not None) == ("bmi" in tests and outcome(a) != DO_NOT_TEST)
        assert (a.moderate_minutes is not None) == (
            "activity" in tests and outcome(a) != DO_NOT_TEST
        )
    # One booked person has not agreed to keep results yet; everyone else has.
    people = {p.key: p for p in day.data.participants}
    not_yet = [c for c in day.cast if not people[c.participant_key].consents["keep_results"]]
    assert len(not_yet) == 1 and not_yet[0].state == "expected"


def test_a_returning_person_comes_back_for_a_retest(day):
    expected = {c.participant_key for c in day.cast if c.state == "expected"}
    earlier = [a for a in day.data.assessments if a.participant_key in expected]
    assert len(earlier) == 1
    event = next(e for e in day.data.events if e.key == earlier[0].event_key)
    assert event.date <= TODAY - dt.timedelta(weeks=8)
    returning = next(p for p in day.data.participants if p.key == earlier[0].participant_key)
    assert returning.consents["retest_contact"]


def test_with_no_earlier_day_long_enough_ago_the_returning_person_gets_one():
    d = training_day(3, 0, NS, TODAY)  # one recent earlier day, nobody at it
    first = next(a for a in d.data.assessments if a.event_key != d.event_key)
    event = next(e for e in d.data.events if e.key == first.event_key)
    assert event.date == TODAY - dt.timedelta(days=84)
    assert [c.name for c in d.cast] == [c.name for c in training_day(1).cast]
