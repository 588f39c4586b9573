"""Advice wording, the activities directory and choosing what to work on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ffmot.core.advice import (
    FITNESS_COMPONENTS,
    ComponentSummary,
    load_advice,
    load_directory,
    match_activities,
    summarise,
    to_work_on,
    work_on_many,
)
from ffmot.core.errors import InputError, NormDataError
from ffmot.core.norms import default_norm_set
from ffmot.core.paths import resources_dir
from ffmot.core.scoring import score


def component_of():
    return {t.id: t.component for t in default_norm_set().battery.values()}


def test_shipped_advice_has_words_for_every_component():
    advice = load_advice(resources_dir() / "advice.toml")
    for cid in FITNESS_COMPONENTS:
        words = advice.components[cid]
        assert words.title and words.strength and words.work_on and len(words.next_steps) >= 2
    assert advice.sitting_steps and "That is fine" in advice.not_done


def test_shipped_sample_directory_is_clean_and_fictional():
    d = load_directory(resources_dir() / "activities" / "sample-directory.csv")
    assert d.problems == () and len(d.activities) >= 8
    assert all("FICTIONAL" in a.notes for a in d.activities)
    covered = {c for a in d.activities for c in a.components}
    assert covered == set(FITNESS_COMPONENTS)


def test_directory_rows_that_cannot_be_used_are_reported_by_line(tmp_path: Path):
    p = tmp_path / "dir.csv"
    p.write_text(
        "name,components,day,time,venue,town,contact,suits,intensity,cost,notes\n"
        "Good,strength,Mon,10:00,Hall,Town,123,all,gentle,£1,\n"
        ",strength,Mon,10:00,Hall,Town,123,all,gentle,£1,\n"
        "Odd,juggling,Mon,10:00,Hall,Town,123,all,gentle,£1,\n"
        "Hard,stamina,Mon,10:00,Hall,Town,123,all,extreme,£1,\n"
        "Short,stamina\n"
    )
    d = load_directory(p)
    assert [a.name for a in d.activities] == ["Good"]
    assert [x.split(":")[0] for x in d.problems] == [
        "dir.csv line 3",
        "dir.csv line 4",
        "dir.csv line 5",
        "dir.csv line 6",
    ]
    assert "not juggling" in d.problems[1]
    with pytest.raises(InputError, match="lacks the column"):
        (tmp_path / "bad.csv").write_text("name\nx\n")
        load_directory(tmp_path / "bad.csv")


def test_broken_advice_file_is_named(tmp_path: Path):
    p = tmp_path / "advice.toml"
    p.write_text(
        (resources_dir() / "advice.toml")
        .read_text()
        .replace("[components.stamina]", "[components.stamna]")
    )
    with pytest.raises(NormDataError, match=r"no \[components.stamina\]"):
        load_advice(p)


def test_what_to_work_on_comes_from_below_average_results_only():
    scores = [
        score("chair_stand", "female", 72, 8),  # below average (10-15)
        score("grip", "female", 72, 26),  # normal
        score("up_and_go", "female", 72, 4.5),  # above average (fast)
        score("sit_and_reach", "female", 72, 0, "cm"),  # normal
        score("back_scratch", "female", 72, -15, "cm"),  # below average (-10.2 cm edge)
        score("step_2min", "female", 99, 60),  # not compared (age)
    ]
    summaries = {s.id: s for s in summarise(scores, component_of())}
    assert summaries["strength"].status == "work_on"
    assert summaries["balance_mobility"].status == "strength"
    assert summaries["flexibility"].status == "work_on"
    assert summaries["stamina"].status == "not_compared"
    order = [s.id for s in to_work_on(list(summaries.values()))]
    assert set(order) == {"strength", "flexibility"}
    low = {s.id: s.lowest_percentile for s in summaries.values()}
    assert order[0] == min(("strength", "flexibility"), key=lambda c: low[c])


def test_activities_matched_to_what_to_work_on():
    d = load_directory(resources_dir() / "activities" / "sample-directory.csv")
    picks = match_activities(d, ["strength", "balance_mobility"], limit=3)
    assert picks and all({"strength", "balance_mobility"} & set(a.components) for a in picks)
    assert set(picks[0].components) >= {"strength", "balance_mobility"}
    assert match_activities(d, []) == []


_COMPONENT = st.tuples(
    st.sampled_from(("strength", "steady", "work_on", "not_compared")),
    st.none() | st.integers(1, 99),
)


@given(st.lists(st.tuples(*[_COMPONENT] * len(FITNESS_COMPONENTS)), min_size=1, max_size=30))
def test_work_on_for_many_people_chooses_as_for_one(people):
    """The MOT-day summary chooses what each person is to work on in one numpy step; it must
    choose exactly what the sheet does (`to_work_on`), ties and the limit of three included."""
    below = np.array([[status == "work_on" for status, _ in p] for p in people])
    lowest = np.array([[np.nan if pct is None else pct for _, pct in p] for p in people])
    chosen = work_on_many(below, lowest)
    for i, p in enumerate(people):
        summaries = [
            ComponentSummary(cid, status, pct, ())
            for cid, (status, pct) in zip(FITNESS_COMPONENTS, p, strict=True)
        ]
        expected = {s.id for s in to_work_on(summaries)}
        got = {cid for cid, yes in zip(FITNESS_COMPONENTS, chosen[i], strict=True) if yes}
        assert got == expected
