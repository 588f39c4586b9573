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


# The one-leg stand (advice evidence section 2): the usual range starts at half the Bohannon
# 2006 mean for the age (27.0 s -> 13.5 s in the 60s, 17.2 s -> 8.6 s in the 70s) and at the
# Vellas 1997 5 s cut-off from 80 (half of 8.5 s would be lower); under 5 s is below at any age
# and raises a calm balance flag; the cap (30 s) is always in the usual range.
@pytest.mark.parametrize(
    ("age", "value", "band", "flagged"),
    [
        (65, 28.9, "normal", False),  # a mean-based line called this "shorter than typical"
        (65, 12, "below_average", False),
        (65, 13.5, "normal", False),
        (65, 13.4, "below_average", False),
        (60, 13.5, "normal", False),
        (69, 13.4, "below_average", False),
        (75, 9, "normal", False),
        (75, 8, "below_average", False),
        (70, 8.6, "normal", False),
        (79, 8.5, "below_average", False),
        (85, 4.9, "below_average", True),
        (85, 6, "normal", False),
        (80, 5, "normal", False),
        (99, 4.9, "below_average", True),
        (65, 4.9, "below_average", True),
        (75, 4.9, "below_average", True),
        (60, 0, "below_average", True),
    ],
)
def test_single_leg_stance_usual_range(age, value, band, flagged):
    for sex in ("female", "male", "not_stated"):
        r = score("single_leg_stance", sex, age, value)
        assert r.band == band, (sex, age, value)
        assert r.percentile is None and r.median is None
        assert [f.id for f in r.flags] == (["one_leg_under_5s"] if flagged else [])


@pytest.mark.parametrize(
    ("age", "low"), [(60, 13.5), (69, 13.5), (70, 8.6), (79, 8.6), (80, 5), (99, 5)]
)
def test_single_leg_stance_range_runs_from_the_edge_to_the_cap(age, low):
    r = score("single_leg_stance", "female", age, 20)
    assert r.normal_range == (low, 30)
    assert r.source.endswith("(confirmed)")
    if age < 80:
        assert "half the published average" in r.note and "convention" in r.note
        assert r.source.startswith("Bohannon 2006")
    else:
        assert r.source.startswith("Vellas et al. 1997")
    assert "under 5 s raises a flag" in r.note


def test_the_cap_is_never_below_the_usual_range():
    for age in range(60, 100):
        r = score("single_leg_stance", "male", age, 30)
        assert r.band == "normal" and r.flags == (), age
        assert score("single_leg_stance", "female", age, 29.9).band == "normal", age


def test_single_leg_stance_has_no_above_average():
    from ffmot.core.norms import default_norm_set

    ns = default_norm_set()
    table = ns.tables["single_leg_stance"]
    for age in range(60, 100):
        for v in (0.0, 4.9, 5.0, 10.0, 20.0, 30.0):
            assert score("single_leg_stance", "female", age, v).band != "above_average"
    # The published means are kept for reference, never for the band.
    assert table.typical[65] == 27.0 and table.typical[75] == 17.2 and table.typical[85] == 8.5
    assert table.threshold[65] == 13.5 and table.threshold[75] == 8.6 and table.threshold[85] == 5


def test_one_leg_flag_is_calm_and_not_a_diagnosis():
    flag = score("single_leg_stance", "female", 85, 3).flags[0]
    text = flag.text
    assert "balance check" in text and "GP or a physiotherapist" in text
    assert "not a diagnosis" in text
    for word in ("risk", "danger", "fall", "fail", "poor"):
        assert word not in text.lower(), word
    assert flag.cutoff == 5 and flag.source.startswith("Vellas et al. 1997")
    # Under 60 the one-leg stand is recorded but neither compared nor flagged.
    r = score("single_leg_stance", "female", 59, 3)
    assert r.band == "not_classified" and r.flags == ()


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


LOWEST = "in the range linked with the lowest health risk for people over 65"


# BMI from 65 (Winter 2014, Winter 2017; NHS under 18.5): ends of every band, both sides.
@pytest.mark.parametrize(
    ("age", "bmi", "attention", "words"),
    [
        (70, 16.0, True, "under 18.5: lower than is healthy"),
        (70, 18.4, True, "under 18.5: lower than is healthy"),
        (70, 18.5, True, "on the low side for your age"),
        (70, 22.9, True, "on the low side for your age"),
        (
            70,
            23.0,
            False,
            "just below the range linked with the lowest health risk for people over 65",
        ),
        (
            70,
            23.9,
            False,
            "just below the range linked with the lowest health risk for people over 65",
        ),
        (70, 24.0, False, LOWEST),
        (70, 27.5, False, LOWEST),
        (70, 29.9, False, LOWEST),
        (65, 30.9, False, LOWEST),
        (
            70,
            31.0,
            False,
            "just above the range linked with the lowest health risk for people over 65",
        ),
        (
            70,
            32.9,
            False,
            "just above the range linked with the lowest health risk for people over 65",
        ),
        (70, 33.0, True, "above the range linked with the lowest health risk for people over 65"),
        (90, 40.0, True, "above the range linked with the lowest health risk for people over 65"),
        (64, 27.5, True, "above the healthy range (25 to 29.9)"),
        (62, 22.0, False, "in the healthy range"),
    ],
)
def test_bmi_readings_for_older_adults(age, bmi, attention, words):
    r = score("bmi", "female", age, bmi)
    assert r.band == "not_classified"
    assert r.attention is attention and r.reading == words


def test_bmi_readings_are_calm_and_name_no_gp():
    # Only the NHS underweight flag sends someone to the GP; the readings never do.
    for age in (60, 70, 85):
        for v in (15, 18.4, 20, 23, 25, 28, 31, 33, 38, 45):
            r = score("bmi", "male", age, v)
            assert r.reading and "GP" not in r.reading and "talk" not in r.reading


def test_low_bmi_flag_only_below_18_5():
    assert [f.id for f in score("bmi", "male", 75, 18.4).flags] == ["nice_low_bmi"]
    assert score("bmi", "male", 75, 18.5).flags == ()
    assert score("bmi", "male", 75, 22).flags == ()
    assert score("bmi", "male", 75, 28).flags == ()
    assert score("bmi", "male", 75, 36).flags == ()


# Waist: read at both NHS levels, but a GP flag only at the "very high" level.
@pytest.mark.parametrize(
    ("sex", "waist", "flag", "words"),
    [
        ("male", 93.9, None, "under 94 cm: the low-risk range"),
        ("male", 94, None, "94 to 102 cm: linked with a higher health risk"),
        ("male", 102, None, "94 to 102 cm: linked with a higher health risk"),
        (
            "male",
            102.1,
            "nice_waist_very_high",
            "above 102 cm: linked with a very high health risk",
        ),
        ("female", 79.9, None, "under 80 cm: the low-risk range"),
        ("female", 80, None, "80 to 88 cm: linked with a higher health risk"),
        ("female", 88, None, "80 to 88 cm: linked with a higher health risk"),
        (
            "female",
            88.5,
            "nice_waist_very_high",
            "above 88 cm: linked with a very high health risk",
        ),
    ],
)
def test_waist_readings_and_the_one_flag(sex, waist, flag, words):
    r = score("waist", sex, 70, waist)
    assert [f.id for f in r.flags] == ([] if flag is None else [flag])
    assert r.reading == words and "GP" not in r.reading


def test_no_flag_at_the_higher_waist_level():
    from ffmot.core.norms import default_norm_set

    flags = default_norm_set().flags["waist"]
    assert {f.id for f in flags} == {"nice_waist_very_high"}
    assert sorted((f.sex, f.comparison, f.cutoff) for f in flags) == [
        ("female", ">", 88),
        ("male", ">", 102),
    ]


def test_waist_in_inches():
    assert [f.id for f in score("waist", "male", 70, 41, "in").flags] == ["nice_waist_very_high"]
    assert score("waist", "male", 70, 38, "in").flags == ()  # 96.5 cm: higher, no flag


def test_bmi_from_height_and_weight():
    from ffmot.core.errors import InputError
    from ffmot.core.scoring import bmi

    assert bmi(165, 70) == 25.7
    with pytest.raises(InputError, match="centimetres"):
        bmi(1.65, 70)
    with pytest.raises(InputError, match="kilograms"):
        bmi(165, 7000)
