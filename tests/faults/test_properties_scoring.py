"""Properties of scoring that must hold for every input, not just the tabulated ones.

(tests/core/test_scoring_rules.py checks the percentile's monotonicity for the SFT tests and cm
against inches; these add every table, the bands themselves, the edges of the normal range, and
every unit.)
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ffmot.core import units
from ffmot.core.errors import InputError
from ffmot.core.norms import SEX_INDEX, default_norm_set
from ffmot.core.scoring import Activity, score

NS = default_norm_set()
TABLED = sorted(NS.tables)  # every test with an age-and-sex (or age) table
RANK = {"below_average": 0, "normal": 1, "above_average": 2}
SEXES = ("female", "male")


def covered(test: str, sex: str) -> tuple[int, int]:
    cov = NS.tables[test].coverage(SEX_INDEX[sex])
    assert cov is not None
    return cov


@st.composite
def person(draw: st.DrawFn, tests: list[str] = TABLED) -> tuple[str, str, int]:
    test = draw(st.sampled_from(tests))
    sex = draw(st.sampled_from(SEXES))
    lo, hi = covered(test, sex)
    return test, sex, draw(st.integers(lo, hi))


def plausible_value(test: str, u: float) -> float:
    t = NS.battery[test]
    lo, hi = t.plausible
    v = lo + u * (hi - lo)
    return float(round(v)) if t.whole_numbers else round(v, 1)


def goodness(test: str, band: str) -> int:
    """Rank of a band on the 'better' axis (for a lower-is-better test too)."""
    return RANK[band]


@settings(max_examples=300, deadline=None)
@given(who=person(), a=st.floats(0, 1), b=st.floats(0, 1))
def test_a_better_result_never_scores_worse(who, a, b):
    test, sex, age = who
    t = NS.battery[test]
    x, y = sorted((plausible_value(test, a), plausible_value(test, b)))
    rx, ry = score(test, sex, age, x), score(test, sex, age, y)
    if t.direction == "lower":  # a bigger value is worse
        rx, ry = ry, rx
    assert goodness(test, rx.band) <= goodness(test, ry.band), (x, y, rx.band, ry.band)
    if rx.percentile is not None and ry.percentile is not None:
        assert rx.percentile <= ry.percentile


@settings(max_examples=300, deadline=None)
@given(who=person(), u=st.floats(0, 1))
def test_the_edges_of_the_normal_range_are_normal_and_one_step_past_them_is_not(who, u):
    """In the table's own unit, where the edges are exact (a range shown in another unit is
    rounded to 0.01 for display)."""
    test, sex, age = who
    t = NS.battery[test]
    nu = t.norm_unit
    v = units.convert(plausible_value(test, u), t.unit, nu)
    probe = score(test, sex, age, v, nu)
    assert probe.normal_range is not None
    lo, hi = probe.normal_range
    p_lo, p_hi = (units.convert(x, t.unit, nu) for x in t.plausible)
    step = 1.0 if t.whole_numbers else 0.1

    def band(x: float) -> str | None:
        if not p_lo <= x <= p_hi or (t.whole_numbers and not float(x).is_integer()):
            return None  # not a value anyone could enter
        return score(test, sex, age, x, nu).band

    if t.cap is not None:  # the one-leg stand: at or above the typical time is normal
        assert band(lo) == "normal"
        assert band(round(lo - step, 6)) in ("below_average", None)
        return
    worse, better = "below_average", "above_average"
    if t.direction == "lower":
        worse, better = better, worse
    assert band(lo) in ("normal", None) and band(hi) in ("normal", None), (lo, hi)
    assert band(round(lo - step, 6)) in (worse, None)
    assert band(round(hi + step, 6)) in (better, None)


UNIT_TESTS = [t.id for t in NS.battery.values() if len(t.units) > 1]


def test_there_are_tests_with_more_than_one_unit():
    assert {"grip", "sit_and_reach", "walk_6min", "activity"} <= set(UNIT_TESTS)


@settings(max_examples=300, deadline=None)
@given(x=st.floats(-1e6, 1e6, allow_nan=False), data=st.data())
def test_every_unit_conversion_round_trips(x, data):
    test = NS.battery[data.draw(st.sampled_from(UNIT_TESTS))]
    a = data.draw(st.sampled_from(test.units))
    b = data.draw(st.sampled_from(test.units))
    back = units.convert(units.convert(x, a, b), b, a)
    assert math.isclose(back, x, rel_tol=1e-12, abs_tol=1e-9)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), u=st.floats(0, 1), age=st.integers(60, 94))
def test_a_result_scores_the_same_in_any_unit(data, u, age):
    test = NS.battery[data.draw(st.sampled_from(UNIT_TESTS))]
    sex = data.draw(st.sampled_from(SEXES))
    other = data.draw(st.sampled_from([x for x in test.units if x != test.unit]))
    v = plausible_value(test.id, u)
    activity = Activity(3, 2, 6) if test.id == "activity" else None
    a = score(test.id, sex, age, v, test.unit, activity=activity)
    b = score(test.id, sex, age, units.convert(v, test.unit, other), other, activity=activity)
    assert (a.band, a.percentile) == (b.band, b.percentile)
    assert [f.id for f in a.flags] == [f.id for f in b.flags]
    assert [g.met for g in a.guidelines] == [g.met for g in b.guidelines]
    if a.normal_range and b.normal_range:
        back = [units.convert(x, other, test.unit) for x in b.normal_range]
        assert all(
            math.isclose(p, q, abs_tol=0.02) for p, q in zip(a.normal_range, back, strict=True)
        )


@settings(max_examples=300, deadline=None)
@given(
    test=st.sampled_from(sorted(NS.battery)),
    sex=st.text(max_size=8),
    age=st.integers(-5, 200),
    value=st.floats(allow_nan=True, allow_infinity=True),
    unit=st.text(max_size=8),
)
def test_anything_unscorable_is_refused_with_the_reason(test, sex, age, value, unit):
    try:
        r = score(test, sex, age, value, unit)
    except InputError as e:
        assert len(str(e)) > 10  # says what is wrong (it may quote the input as typed)
        return
    assert math.isfinite(value)
    assume(r is not None)
    assert r.band in (*RANK, "not_classified")
    if r.band == "not_classified":
        assert r.reason


@pytest.mark.parametrize("test", TABLED)
def test_outside_a_tables_ages_is_not_classified_with_the_reason(test):
    for sex in SEXES:
        lo, hi = covered(test, sex)
        for age in (lo - 1, hi + 1):
            if 0 <= age <= 120:
                try:
                    r = score(test, sex, age, plausible_value(test, 0.5))
                except InputError:
                    continue  # an age ffmot refuses outright
                assert r.band == "not_classified" and "do" in (r.reason or "")
