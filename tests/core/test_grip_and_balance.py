"""Dodds grip centiles, the EWGSOP2 flag, the one-leg stand and the body readings."""

from __future__ import annotations

import pytest

from ffmot.core.scoring import score
from tests.core.reference_tables import GRIP_CENTILES


@pytest.mark.parametrize(("key", "centiles"), sorted(GRIP_CENTILES.items()))
def test_grip_at_each_published_age(key, centiles):
    sex, age = key
    p10, p25, p50, p75, p90 = centiles
    r = score("grip", sex, age, p25)
    assert r.band == "normal" and r.normal_range == (p25, p75) and r.percentile == 25
    assert score("grip", sex, age, p75).percentile == 75
    assert score("grip", sex, age, p50).percentile == 50
    assert score("grip", sex, age, p10).percentile == 10
    assert score("grip", sex, age, p90).percentile == 90
    assert score("grip", sex, age, p25 - 0.1).band == "below_average"
    assert score("grip", sex, age, p75 + 0.1).band == "above_average"
    assert r.note == "" and r.source.startswith("Dodds et al. 2014")


def test_grip_between_published_ages_is_interpolated_linearly():
    # Women 60: 22-31, 65: 21-29. At 62 the range is 2/5 of the way: 21.6 to 30.2.
    r = score("grip", "female", 62, 25)
    assert r.normal_range == pytest.approx((21.6, 30.2))
    assert "interpolated between the published ages 60 and 65" in r.note
    # Men 85: 24-33, 90: 20-29. At 88: 21.6 to 30.6.
    assert score("grip", "male", 88, 25).normal_range == pytest.approx((21.6, 30.6))


@pytest.mark.parametrize("sex", ["female", "male"])
def test_grip_outside_60_to_90_is_not_compared(sex):
    for age in (59, 91, 95):
        r = score("grip", sex, age, 25)
        assert r.band == "not_classified" and "60 to 90" in r.reason


def test_grip_in_pounds():
    r = score("grip", "male", 60, 39 / 0.45359237, "lb")
    assert r.band == "normal" and r.normal_range[0] == pytest.approx(85.98, abs=0.01)


@pytest.mark.parametrize(("sex", "cutoff"), [("male", 27), ("female", 16)])
def test_ewgsop2_low_grip_flag(sex, cutoff):
    assert [f.id for f in score("grip", sex, 70, cutoff - 0.1).flags] == ["ewgsop2_low_grip"]
    assert score("grip", sex, 70, cutoff).flags == ()
    # The flag is a criterion: it applies even where the centiles do not reach.
    assert [f.id for f in score("grip", sex, 95, cutoff - 1).flags] == ["ewgsop2_low_grip"]
    text = score("grip", sex, 70, cutoff - 1).flags[0].text
    assert "not a diagnosis" in text and "GP" in text


def test_below_average_grip_is_not_flagged_by_itself():
    # Below the 25th centile (women 70: 20 kg) but above 16 kg: below average, no flag.
    r = score("grip", "female", 70, 18)
    assert r.band == "below_average" and r.flags == ()


@pytest.mark.parametrize(
    ("age", "typical"), [(60, 30), (69, 30), (70, 20), (79, 20), (80, 9), (99, 9)]
)
def test_single_leg_stance_typical_time(age, typical):
    for sex in ("female", "male"):
        at = score("single_leg_stance", sex, age, typical)
        assert at.band == "normal" and at.percentile is None
        assert at.normal_range == (typical, 30)
        assert score("single_leg_stance", sex, age, typical - 0.1).band == "below_average"


def test_single_leg_stance_cap_and_ages():
    assert score("single_leg_stance", "female", 59, 30).band == "not_classified"
    assert score("single_leg_stance", "female", 100, 5).band == "not_classified"
    from ffmot.core.errors import InputError

    with pytest.raises(InputError, match="0 to 30"):
        score("single_leg_stance", "female", 70, 31)


def test_single_leg_best_trial_is_capped():
    from ffmot.core.norms import default_norm_set

    t = default_norm_set().battery["single_leg_stance"]
    assert t.best_of([12.0, 45.0, 3.0]) == 30.0
    assert default_norm_set().battery["up_and_go"].best_of([6.2, 5.9]) == 5.9
    assert default_norm_set().battery["grip"].best_of([20, 22.5, 21, 19, 24, 23]) == 24


@pytest.mark.parametrize(
    ("age", "bmi", "attention", "words"),
    [
        (70, 27.5, False, "lowest health risk"),
        (70, 29.9, False, "lowest health risk"),
        (70, 22.9, True, "low side"),
        (70, 18.4, True, "lower than is healthy"),
        (70, 33.0, True, "above the range"),
        (62, 27.5, True, "above the healthy range"),
        (62, 22.0, False, "healthy range"),
    ],
)
def test_bmi_readings_for_older_adults(age, bmi, attention, words):
    r = score("bmi", "female", age, bmi)
    assert r.band == "not_classified"
    assert r.attention is attention and words in r.reading


def test_low_bmi_flag_only_below_18_5():
    assert [f.id for f in score("bmi", "male", 75, 18.4).flags] == ["nice_low_bmi"]
    assert score("bmi", "male", 75, 18.5).flags == ()
    assert score("bmi", "male", 75, 28).flags == ()


@pytest.mark.parametrize(
    ("sex", "waist", "flag"),
    [
        ("male", 93.9, None),
        ("male", 94, "nice_waist_high"),
        ("male", 102, "nice_waist_high"),
        ("male", 102.1, "nice_waist_very_high"),
        ("female", 79.9, None),
        ("female", 80, "nice_waist_high"),
        ("female", 88.5, "nice_waist_very_high"),
    ],
)
def test_waist_thresholds_raise_one_flag(sex, waist, flag):
    flags = [f.id for f in score("waist", sex, 70, waist).flags]
    assert flags == ([] if flag is None else [flag])


def test_waist_in_inches():
    assert [f.id for f in score("waist", "male", 70, 41, "in").flags] == ["nice_waist_very_high"]


def test_bmi_from_height_and_weight():
    from ffmot.core.errors import InputError
    from ffmot.core.scoring import bmi

    assert bmi(165, 70) == 25.7
    with pytest.raises(InputError, match="centimetres"):
        bmi(1.65, 70)
    with pytest.raises(InputError, match="kilograms"):
        bmi(165, 7000)
