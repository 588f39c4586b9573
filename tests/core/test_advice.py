"""Advice wording, the activities directory and choosing what to work on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffmot.core.advice import (
    FITNESS_COMPONENTS,
    load_advice,
    load_directory,
)
from ffmot.core.errors import InputError, NormDataError
from ffmot.core.interpret import load_rules
from ffmot.core.norms import default_norm_set
from ffmot.core.paths import resources_dir


def component_of():
    return {t.id: t.component for t in default_norm_set().battery.values()}


def test_shipped_advice_has_words_for_every_component():
    advice = load_advice(resources_dir() / "advice.toml")
    for cid in FITNESS_COMPONENTS:
        words = advice.components[cid]
        assert words.title and words.strength and words.work_on and len(words.next_steps) >= 2
    rules = load_rules(resources_dir() / "advice.toml")
    assert rules.lines("sitting", "next_steps") and rules.lines("sitting", "seated_steps")
    assert "That is fine" in rules.w("not_done", "default")


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
