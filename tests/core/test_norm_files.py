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
        ("sit_and_reach", "male", 90),
        ("up_and_go", "male", 65),
        ("up_and_go", "male", 70),
        ("up_and_go", "male", 85),
    ]
    for r in resolved:
        assert "alternative" in r.note and "used" in r.note


def _all_rows():
    ns = default_norm_set()
    rows = [r for t in ns.tables.values() for r in t.rows]
    rows += [r for t in ns.criteria.values() for r in t.rows]
    rows += [rule.row for rules in (*ns.flags.values(), *ns.readings.values()) for rule in rules]
    return ns, rows


def test_every_confirmed_row_names_a_check():
    # "confirmed" must be traceable: a row that says so names what it was checked against.
    _, rows = _all_rows()
    confirmed = [r for r in rows if r.status == "confirmed"]
    assert len(confirmed) > 100
    for r in confirmed:
        assert r.checked_against, f"{r.where}: confirmed, but names no check"


def test_confirmed_sft_cells_name_two_checks():
    # The SFT primary tables were not readable, so "confirmed" there means two or more
    # transcriptions that agree; one check (or a recalled value) is not enough.
    ns = default_norm_set()
    sft = [t for t in ns.battery.values() if t.norms == "sft"]
    assert len(sft) == 7
    for test in sft:
        for r in ns.tables[test.id].rows:
            if r.status == "confirmed":
                assert len(set(r.checked_against)) >= 2, r.where


def test_a_conflict_names_no_check_that_disagrees():
    # A source that gave the alternative value is not also named as a check for the row.
    ns = default_norm_set()
    for t in ns.tables.values():
        for r in t.rows:
            if r.status == "conflict-resolved":
                alternative = r.note.split("alternative:", 1)[1].split(")", 1)[0]
                for key in r.checked_against:
                    assert key not in alternative, (r.where, key)


def test_back_scratch_men_85_to_89_is_the_value_its_checks_give():
    ns = default_norm_set()
    (row,) = [r for r in ns.tables["back_scratch"].rows if (r.sex, r.age_min) == ("male", 85)]
    assert (row.value("range_low"), row.value("range_high")) == (-10.0, -3.0)
    assert row.status == "confirmed"
    assert {"singapore_ffmot_repo", "jones_rikli_2002_sheet"} <= set(row.checked_against)
    assert "re-checked" in row.note and "-9.5" in row.note
    # The men 80-84 cell is the one whose lower edge is -9.5.
    (row80,) = [r for r in ns.tables["back_scratch"].rows if (r.sex, r.age_min) == ("male", 80)]
    assert row80.value("range_low") == -9.5


def test_gainpt_checks_only_the_ages_it_gives():
    ns = default_norm_set()
    named = {
        (r.sex, r.age_min) for r in ns.tables["back_scratch"].rows if "gainpt" in r.checked_against
    }
    assert named == {("female", 60), ("female", 70), ("female", 80)}


@pytest.mark.parametrize(
    ("test", "sex", "age", "low", "high"),
    [("step_2min", "female", 70, 68, 101), ("sit_and_reach", "male", 85, -5.5, 0.5)],
)
def test_rechecked_cells_keep_the_value_their_checks_print(test, sex, age, low, high):
    ns = default_norm_set()
    (row,) = [r for r in ns.tables[test].rows if (r.sex, r.age_min) == (sex, age)]
    assert (row.value("range_low"), row.value("range_high")) == (low, high)
    assert row.status == "confirmed" and "re-checked" in row.note


def test_sources_carry_a_status_where_they_say_one():
    ns = default_norm_set()
    for s in ns.sources.values():
        assert s.status in ("", *ns.statuses), s.key
    assert ns.sources["vellas_1997"].status == "confirmed"
    assert ns.sources["bohannon_2006_sls"].status == "confirmed"
    assert ns.sources["springer_2007"].status == "recalled"


def test_the_ethnicity_note_is_data_the_sheet_can_print():
    ns = default_norm_set()
    (note,) = [n for n in ns.notes if n.id == "ethnicity_thresholds"]
    assert set(note.tests) == {"bmi", "waist"}
    assert note.source == "nice_bmi_waist" and note.status in ns.statuses
    for words in ("South Asian", "Chinese", "Middle Eastern", "Black African", "GP"):
        assert words in note.text
    # Shown once however many of its tests are on the sheet; not with other tests.
    assert ns.notes_for("bmi", "waist") == (note,)
    assert ns.notes_for("waist") == (note,)
    assert ns.notes_for("chair_stand", "grip") == ()


def test_one_leg_stand_file_holds_the_edge_and_the_mean():
    ns = default_norm_set()
    rows = ns.tables["single_leg_stance"].rows
    assert [(r.age_min, r.age_max) for r in rows] == [(60, 69), (70, 79), (80, 99)]
    assert [r.value("usual_low_s") for r in rows] == [13.5, 8.6, 5.0]
    assert [r.value("mean_s") for r in rows] == [27.0, 17.2, 8.5]
    # From 60 to 79 the edge is half the Bohannon mean; from 80 the Vellas 5 s rule.
    for r in rows[:2]:
        assert r.value("usual_low_s") == pytest.approx(r.value("mean_s") / 2, abs=0.05)
    assert rows[2].source == "vellas_1997" and rows[2].value("mean_s") / 2 < 5


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
        ("norm-set.toml", 'tests = ["bmi", "waist"]', 'tests = ["bmi", "hips"]', "test 'hips'"),
        ("norm-set.toml", 'source = "nice_bmi_waist"', 'source = "nice"', "unknown source 'nice'"),
        ("norm-set.toml", 'status = "confirmed"', 'status = "sure"', "note 1: status 'sure'"),
        ("sources.toml", 'status = "recalled"', 'status = "maybe"', r"\[springer_2007\]: status"),
        (
            "single_leg_stance.csv",
            "60,69,13.5,27.0,s",
            "60,69,30,27.0,s",
            "line 2: usual_low_s 30 s is not below the cap",
        ),
        (
            "single_leg_stance.csv",
            "usual_low_s,mean_s",
            "typical_s,mean_s",
            r"single_leg_stance.csv: missing column\(s\) usual_low_s",
        ),
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
