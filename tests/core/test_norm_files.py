"""The norm files: every number traceable, and a broken file named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ffmot.core.errors import NormDataError
from ffmot.core.norms import default_norm_set, load_norm_set
from ffmot.core.paths import norms_dir


def test_every_row_names_a_known_source_and_status():
    ns = default_norm_set()
    rows = [r for t in ns.tables.values() for r in t.rows]
    rows += [r for t in ns.criteria.values() for r in t.rows]
    rows += [rule.row for rules in (*ns.flags.values(), *ns.readings.values()) for rule in rules]
    assert len(rows) > 200
    for r in rows:
        assert r.source in ns.sources and r.status in ns.statuses, r.where
        assert all(k in ns.sources for k in r.checked_against), r.where
    assert ns.version and ns.sources[ns.guideline_source]


def test_conflicting_cells_record_the_alternative():
    ns = default_norm_set()
    resolved = [r for t in ns.tables.values() for r in t.rows if r.status == "conflict-resolved"]
    cells = sorted((r.test, r.sex, r.age_min) for r in resolved)
    assert cells == [
        ("sit_and_reach", "male", 70),
        ("up_and_go", "male", 65),
        ("up_and_go", "male", 70),
        ("up_and_go", "male", 85),
    ]
    for r in resolved:
        assert "alternative" in r.note and "used" in r.note


@pytest.fixture
def norms_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "norms"
    shutil.copytree(norms_dir(), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "sft_normal_ranges.csv",
            "chair_stand,female,60,64,12,17,15",
            "chair_stand,female,60,64,12,1x7,15",
            r"sft_normal_ranges.csv line 2: 'range_high' is not",
        ),
        (
            "sft_normal_ranges.csv",
            "chair_stand,female,60,64,12,17,15",
            "chair_stand,female,60,64,17,12,15",
            "line 2: need range_low < median < range_high",
        ),
        (
            "sft_normal_ranges.csv",
            "chair_stand,female,65,69",
            "chair_stand,female,64,69",
            "line 3: ages overlap",
        ),
        (
            "sft_normal_ranges.csv",
            "rikli_jones_1999,topendsports",
            "rikli_jones_2099,topendsports",
            "unknown source 'rikli_jones_2099'",
        ),
        ("sft_normal_ranges.csv", ",confirmed,rshiny", ",sure,rshiny", "status 'sure'"),
        ("sft_normal_ranges.csv", "15,count,rikli", "15,cm,rikli", "differs from the battery"),
        ("grip_centiles.csv", "male,60,33,39", "male,60,33,30", "centiles must increase"),
        ("battery.toml", 'direction = "lower"', 'direction = "down"', "direction must be"),
        ("battery.toml", 'units = ["kg", "lb"]', 'units = ["kg", "stone"]', "unknown unit"),
        ("flags.csv", ",<,27,kg,", ",<<,27,kg,", "comparison must be"),
        (
            "sources.toml",
            'short = "Rikli & Jones 1999',
            'shrt = "Rikli & Jones 1999',
            "needs 'short'",
        ),
        ("norm-set.toml", 'id = "ffmot-norms"', 'id = "ffmot-norms', "not valid TOML"),
    ],
)
def test_broken_norm_file_is_refused_naming_the_place(norms_copy, file, old, new, message):
    _edit(norms_copy / file, old, new)
    with pytest.raises(NormDataError, match=message):
        load_norm_set(norms_copy)


def test_missing_norm_file(norms_copy):
    (norms_copy / "grip_centiles.csv").unlink()
    with pytest.raises(NormDataError, match=r"cannot read .*grip_centiles\.csv"):
        load_norm_set(norms_copy)


def test_a_local_battery_can_change_a_plausible_range(norms_copy):
    _edit(norms_copy / "battery.toml", "plausible = [0, 50]", "plausible = [0, 60]")
    ns = load_norm_set(norms_copy)
    assert ns.battery["chair_stand"].plausible == (0.0, 60.0)
