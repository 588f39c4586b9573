"""Ages, units, percentiles, activity and the refusals of bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffmot.core.ages import age_on, parse_age, parse_date
from ffmot.core.errors import InputError
from ffmot.core.norms import default_norm_set
from ffmot.core.scoring import Activity, classify, score
from ffmot.core.units import convert, normalise_unit

D = dt.date


def test_age_in_completed_years_and_birthday_counts():
    assert age_on(D(1950, 6, 12), D(2025, 6, 11)) == 74
    assert age_on(D(1950, 6, 12), D(2025, 6, 12)) == 75
    assert age_on(D(1950, 6, 12), D(2025, 6, 13)) == 75


def test_leap_day_birthday_is_reached_on_1_march():
    assert age_on(D(1948, 2, 29), D(2025, 2, 28)) == 76
    assert age_on(D(1948, 2, 29), D(2025, 3, 1)) == 77
    assert age_on(D(1948, 2, 29), D(2028, 2, 29)) == 80


def test_impossible_dates_and_ages():
    with pytest.raises(InputError, match="before the date of birth"):
        age_on(D(1960, 1, 2), D(1960, 1, 1))
    with pytest.raises(InputError, match="check the year"):
        age_on(D(1850, 1, 1), D(2025, 1, 1))
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_date("12/06/1950", "dob")
    with pytest.raises(InputError, match="whole number"):
        parse_age("72.5")
    with pytest.raises(InputError, match="impossible"):
        parse_age("130")
    with pytest.raises(InputError, match="not a number"):
        parse_age("seventy")
    assert parse_age(" 72 ") == 72 and parse_age("72.0") == 72


def test_band_uses_age_on_the_test_date():
    # 64 on the day before the birthday (60-64 band), 65 on it (65-69 band).
    dob = D(1960, 3, 14)
    assert age_on(dob, D(2025, 3, 13)) == 64
    before = score("chair_stand", "female", age_on(dob, D(2025, 3, 13)), 11)
    on = score("chair_stand", "female", age_on(dob, D(2025, 3, 14)), 11)
    assert before.band == "below_average" and on.band == "normal"


def test_units_and_their_spellings():
    assert normalise_unit("Inches", ("cm", "in"), "cm", "Sit and reach") == "in"
    assert normalise_unit("", ("cm", "in"), "cm", "Sit and reach") == "cm"
    assert normalise_unit("yards", ("m", "yd"), "m", "Walk") == "yd"
    with pytest.raises(InputError, match="use cm, in"):
        normalise_unit("mm", ("cm", "in"), "cm", "Sit and reach")
    assert convert(1, "in", "cm") == pytest.approx(2.54)
    assert convert(1, "yd", "m") == pytest.approx(0.9144)
    assert convert(10, "lb", "kg") == pytest.approx(4.5359237)


@pytest.mark.parametrize(
    ("test", "value", "unit", "match"),
    [
        ("chair_stand", -1, "", "plausible range 0 to 50 stands"),
        ("chair_stand", 12.5, "", "whole number"),
        ("up_and_go", 1.0, "", "plausible range 2 to 60 seconds"),
        ("sit_and_reach", 250, "cm", "plausible range -50 to 40 cm"),
        ("sit_and_reach", 25, "in", "plausible range -19.69 to 15.75 inches"),
        ("walk_6min", 5000, "m", "plausible range 0 to 1000 metres"),
        ("grip", 20, "cm", "use kg, lb"),
        ("grip", float("nan"), "", "not a number"),
    ],
)
def test_implausible_values_are_refused_naming_the_range(test, value, unit, match):
    with pytest.raises(InputError, match=match):
        score(test, "female", 70, value, unit)


def test_unknown_test_and_sex():
    with pytest.raises(InputError, match=r"unknown test 'tug'.*chair_stand"):
        score("tug", "female", 70, 10)
    with pytest.raises(InputError, match="not recognised"):
        score("grip", "other", 70, 10)


def test_activity_against_cmo_guidelines():
    r = score("activity", "female", 72, 150, activity=Activity(2, 1, 9))
    met = {g.id: g.met for g in r.guidelines}
    assert met == {
        "moderate_minutes": True,
        "strength_days": True,
        "balance_days": False,
        "sitting_hours": None,
    }
    assert r.band == "not_classified" and "CMO" in r.reason
    assert score("activity", "female", 72, 2.5, "h/week").guidelines[0].met is True
    assert score("activity", "female", 72, 149).guidelines[0].met is False
    with pytest.raises(InputError, match="0 to 7"):
        score("activity", "female", 72, 100, activity=Activity(strength_days=8))


def test_percentile_follows_the_band():
    # Chair stand, women 75-79: 10 to 15, median 12.
    pcts = [score("chair_stand", "female", 77, v).percentile for v in range(0, 31)]
    assert pcts == sorted(pcts)
    assert pcts[12] == 50 and pcts[10] == 25 and pcts[15] == 75
    assert pcts[9] <= 24 and pcts[16] >= 76 and min(pcts) >= 1 and max(pcts) <= 99
    # Up and go, lower is better: faster is a higher percentile.
    fast = score("up_and_go", "female", 62, 4.0).percentile
    slow = score("up_and_go", "female", 62, 7.0).percentile
    assert fast > 75 > 25 > slow


@settings(max_examples=300, deadline=None)
@given(
    test=st.sampled_from(
        [
            "chair_stand",
            "arm_curl",
            "grip",
            "up_and_go",
            "step_2min",
            "walk_6min",
            "sit_and_reach",
            "back_scratch",
        ]
    ),
    sex=st.sampled_from(["female", "male"]),
    age=st.integers(60, 90),
    a=st.floats(0, 1),
    b=st.floats(0, 1),
)
def test_percentile_is_monotonic_and_agrees_with_the_band(test, sex, age, a, b):
    t = default_norm_set().battery[test]
    lo, hi = t.plausible
    x, y = sorted((lo + a * (hi - lo), lo + b * (hi - lo)))
    if t.whole_numbers:
        x, y = float(round(x)), float(round(y))
    rx, ry = score(test, sex, age, x), score(test, sex, age, y)
    if t.direction == "lower":
        assert rx.percentile >= ry.percentile
    else:
        assert rx.percentile <= ry.percentile
    for r in (rx, ry):
        expect = {"below_average": (1, 24), "normal": (25, 75), "above_average": (76, 99)}
        low, high = expect[r.band]
        assert low <= r.percentile <= high


@settings(max_examples=200, deadline=None)
@given(value=st.floats(-50, 40), age=st.integers(60, 94), sex=st.sampled_from(["female", "male"]))
def test_cm_and_inches_give_the_same_result(value, age, sex):
    a = score("sit_and_reach", sex, age, value, "cm")
    b = score("sit_and_reach", sex, age, value / 2.54, "in")
    assert a.band == b.band and a.percentile == b.percentile


def test_vectorised_batch_matches_one_at_a_time():
    ns = default_norm_set()
    test = ns.battery["chair_stand"]
    rng = np.random.default_rng(7)
    n = 2000
    sex = rng.integers(0, 2, n)
    age = rng.integers(55, 100, n)
    value = rng.integers(0, 31, n).astype(float)
    c = classify(ns.tables["chair_stand"], test, sex, age, value)
    for i in range(0, n, 37):
        r = score("chair_stand", ("female", "male")[sex[i]], int(age[i]), float(value[i]))
        assert r.band == ("below_average", "normal", "above_average", "not_classified")[c.band[i]]
        if r.percentile is not None:
            assert r.percentile == int(c.percentile[i])
