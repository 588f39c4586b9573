"""The sheet's words and the bar's geometry, without drawing a page."""

from __future__ import annotations

import dataclasses

import pytest

from ffmot.report import words
from ffmot.report.graphics import bar_spec
from ffmot.services.overview import Item, Overview


def _item(overviews: list[Overview], test: str, band: str | None = None) -> Item:
    for o in overviews:
        for c in o.components:
            for i in c.items:
                if i.test.id == test and i.score and (band is None or i.score.band == band):
                    return i
    raise LookupError(test)


@pytest.mark.parametrize(
    ("x", "whole", "text"),
    [
        (3.0, False, "3"),
        (-5.5, False, "\u22125.5"),
        (24.06, False, "24.1"),
        (0.0, False, "0"),
        (-0.04, False, "0"),
        (82.0, True, "82"),
        (150, False, "150"),
    ],
)
def test_numbers_as_people_write_them(x, whole, text):
    assert words.num(x, whole) == text


def test_up_and_go_is_faster_or_slower_and_runs_slow_to_fast(overviews):
    fast = _item(overviews, "up_and_go", "above_average")
    slow = _item(overviews, "up_and_go", "below_average")
    assert words.band_words(fast) == "Faster than the usual range"
    assert words.band_words(slow) == "Slower than the usual range"
    spec = bar_spec(fast)
    assert spec is not None and spec.reverse and spec.direction == "faster"
    # a faster (lower) time sits further right than the range
    assert spec.fraction(spec.value) > spec.fraction(spec.band_low)
    assert spec.fraction(spec.band_high) < spec.fraction(spec.band_low)


def test_one_leg_stand_is_in_or_below_the_usual_range_never_a_risk(overviews):
    short = _item(overviews, "single_leg_stance", "below_average")
    assert words.band_words(short) == "Below the usual range"
    spec = bar_spec(short)
    assert spec is not None and spec.axis_low == 0 and spec.axis_high >= 30
    assert spec.range_label.startswith("usual range:") and "or more" in spec.range_label


def test_bar_axis_holds_the_range_the_result_and_last_time(overviews):
    for o in overviews:
        for c in o.components:
            for i in c.items:
                spec = bar_spec(i)
                if spec is None:
                    continue
                for v in (spec.value, spec.band_low, spec.band_high, spec.previous):
                    if v is not None:
                        assert spec.axis_low - 1e-9 <= v <= spec.axis_high + 1e-9
                assert spec.you.startswith("You: ")
                assert (spec.previous is None) == (spec.then == "")


def test_change_words_weigh_the_change_against_day_to_day_differences(overviews):
    items = [i for o in overviews for c in o.components for i in c.items if i.change]
    down = next(i for i in items if i.change.better is False)
    text = words.change_words(down)
    assert text == down.change.words and text.endswith(".")
    assert "than on" in text and "more than a day-to-day difference" in text
    small = next(i for i in items if i.says.change_kind == "small")
    assert "a normal day-to-day difference" in words.change_words(small)


def test_reach_tests_say_what_a_minus_means(overviews):
    item = _item(overviews, "sit_and_reach")
    short = dataclasses.replace(item, result=dataclasses.replace(item.result, value=-4.0))
    past = dataclasses.replace(item, result=dataclasses.replace(item.result, value=3.0))
    assert words.value_words(short) == "4 cm short of your toes"
    assert words.value_words(past) == "3 cm past your toes"
    scratch = _item(overviews, "back_scratch")
    gap = dataclasses.replace(scratch, result=dataclasses.replace(scratch.result, value=-6.5))
    assert words.value_words(gap) == "6.5 cm gap"


def test_guideline_sentences(overviews):
    o = next(o for o in overviews if o.activity)
    rows = words.guideline_rows(o.activity)
    assert [r.id for r in rows] == [
        "moderate_minutes",
        "strength_days",
        "balance_days",
        "sitting_hours",
    ]
    for r in rows:
        assert r.sentence.endswith(".")
        if r.id != "sitting_hours" and r.you != "Not asked":
            assert r.verdict in ("Yes, well done!", "Not yet")
            assert "you do" in r.sentence
