"""Every cell of the reference's SFT tables, at both edges and just outside, for both sexes."""

from __future__ import annotations

import pytest

from ffmot.core import units
from ffmot.core.norms import default_norm_set
from ffmot.core.scoring import score
from tests.core.reference_tables import CRITERION, MEDIANS, NORMAL_RANGES

# The smallest step a practitioner can record, in the published unit.
STEP = {
    "chair_stand": 1,
    "arm_curl": 1,
    "step_2min": 1,
    "walk_6min": 1,
    "sit_and_reach": 0.5,
    "back_scratch": 0.5,
    "up_and_go": 0.1,
}
CELLS = [
    (test, sex, a0, a1, lo, hi)
    for test, table in NORMAL_RANGES.items()
    for (sex, a0, a1), (lo, hi) in table.items()
]


def test_every_reference_cell_is_in_the_norm_files():
    ns = default_norm_set()
    seen = 0
    for test, sex, a0, a1, lo, hi in CELLS:
        table = ns.tables[test]
        rows = [r for r in table.rows if (r.sex, r.age_min, r.age_max) == (sex, a0, a1)]
        assert len(rows) == 1, (test, sex, a0, a1)
        assert (rows[0].value("range_low"), rows[0].value("range_high")) == (lo, hi)
        seen += 1
    assert seen == 7 * 7 * 2


@pytest.mark.parametrize(("test", "sex", "a0", "a1", "lo", "hi"), CELLS)
def test_edges_and_just_outside(test, sex, a0, a1, lo, hi):
    ns = default_norm_set()
    unit = ns.battery[test].norm_unit
    lower_better = ns.battery[test].direction == "lower"
    step = STEP[test]
    below_lo, above_hi = (
        ("above_average", "below_average")
        if lower_better
        else (
            "below_average",
            "above_average",
        )
    )
    for age in (a0, a1):
        assert score(test, sex, age, lo, unit).band == "normal"
        assert score(test, sex, age, hi, unit).band == "normal"
        assert score(test, sex, age, round(hi + step, 2), unit).band == above_hi
        low_out = round(lo - step, 2)
        if low_out >= ns.battery[test].plausible[0] * units.factor(ns.battery[test].unit, unit):
            assert score(test, sex, age, low_out, unit).band == below_lo
        r = score(test, sex, age, lo, unit)
        assert r.normal_range == (lo, hi)
        assert r.source.startswith("Rikli & Jones 1999")


@pytest.mark.parametrize("test", sorted(NORMAL_RANGES))
@pytest.mark.parametrize("sex", ["female", "male"])
def test_no_classification_outside_the_table_ages(test, sex):
    ns = default_norm_set()
    unit = ns.battery[test].norm_unit
    lo, _ = NORMAL_RANGES[test][(sex, 60, 64)]
    for age in (59, 95, 50, 100):
        r = score(test, sex, age, lo, unit)
        assert r.band == "not_classified"
        assert r.percentile is None and r.normal_range is None
        assert "60 to 94" in r.reason and "extrapolate" in r.reason


@pytest.mark.parametrize(("key", "standard"), sorted(CRITERION.items()))
def test_criterion_standards(key, standard):
    test, sex, a0, a1 = key
    ns = default_norm_set()
    unit = ns.battery[test].norm_unit
    step = STEP[test]
    lower_better = ns.battery[test].direction == "lower"
    better = round(standard - step if lower_better else standard + step, 2)
    worse = round(standard + step if lower_better else standard - step, 2)
    for age in (a0, a1):
        at = score(test, sex, age, standard, unit).criterion
        assert at is not None and at.meets and at.standard == standard
        assert score(test, sex, age, better, unit).criterion.meets
        assert not score(test, sex, age, worse, unit).criterion.meets


def test_flexibility_items_have_no_criterion():
    assert score("sit_and_reach", "female", 70, 0, "in").criterion is None
    assert score("back_scratch", "male", 70, 0, "in").criterion is None


def test_metric_entry_matches_the_published_inches_and_yards():
    # A practitioner enters cm and m; the edges convert exactly (1 in = 2.54 cm, 1 yd = 0.9144 m).
    r = score("sit_and_reach", "female", 62, -0.5 * 2.54, "cm")
    assert r.band == "normal" and r.normal_range == (-1.27, 12.7)
    assert score("sit_and_reach", "female", 62, -1.3, "cm").band == "below_average"
    assert score("walk_6min", "male", 61, 610 * 0.9144, "m").band == "normal"
    assert score("walk_6min", "male", 61, 557, "m").band == "below_average"
    assert score("back_scratch", "male", 90, -4 * 2.54 + 0.1, "cm").band == "above_average"


def test_not_stated_sex_is_kept_but_not_compared():
    r = score("chair_stand", "not_stated", 70, 12)
    assert r.band == "not_classified" and "not stated" in r.reason
    # The one-leg stand norms are the same for both sexes, so it is still compared.
    assert score("single_leg_stance", "not_stated", 70, 25).band == "normal"


@pytest.mark.parametrize(("key", "median"), sorted(MEDIANS.items()))
def test_medians_match_the_reference_and_sit_at_the_50th(key, median):
    test, sex, a0, a1 = key
    ns = default_norm_set()
    (row,) = [r for r in ns.tables[test].rows if (r.sex, r.age_min, r.age_max) == (sex, a0, a1)]
    assert row.value("median") == median
    assert score(test, sex, a0, median, ns.battery[test].norm_unit).percentile == 50
