"""The entry model: what the station and the score-card form show and check, without Qt."""

from __future__ import annotations

import pytest

from ffmot.core import codes, entry
from ffmot.core.errors import InputError
from ffmot.core.norms import default_norm_set

NS = default_norm_set()


def form(test_id: str) -> entry.Form:
    return entry.Form(NS.test(test_id))


def test_fields_come_from_the_battery_data():
    assert [f.label for f in form("chair_stand").fields] == ["Result"]
    assert [f.label for f in form("sit_and_reach").fields] == ["Trial 1", "Trial 2"]
    assert [f.label for f in form("grip").fields][:2] == ["Left 1", "Right 1"]
    bmi = form("bmi")
    assert bmi.measured and [f.key for f in bmi.fields] == ["height_cm", "weight_kg", "waist_cm"]
    assert [f.unit_words for f in form("activity").fields][1] == "days a week"
    assert NS.test("sit_and_reach").choice == ("Leg", ("right leg", "left leg"))
    assert [m.key for m in NS.test("chair_stand").modifications] == ["arms_used"]


def test_parse_names_the_first_problem_and_keeps_labels():
    sr = form("sit_and_reach")
    e = sr.parse(["3,5", "", ""], "cm", "left leg")
    assert e.trials == [(3.5, "left leg")] and not e.problem
    assert sr.parse(["abc"], "cm").problem == "'abc' is not a number."
    assert "plausible range" in form("chair_stand").parse(["75"]).problem
    assert "whole" in form("chair_stand").parse(["12.5"]).problem
    assert form("grip").parse(["", "24"], "kg").trials == [(24.0, "right 1")]


def test_measurements_are_checked_and_days_come_back_whole():
    act = form("activity")
    e = act.parse(["150", "2", "", "6.5"])
    assert e.values == {"moderate_minutes": 150, "strength_days": 2, "sitting_hours": 6.5}
    assert isinstance(e.values["strength_days"], int)
    assert "whole number of days" in act.parse(["", "2.5"]).problem
    assert "outside 100 to 230 cm" in form("bmi").parse(["1.65"]).problem


def test_enter_moves_on_through_measurements_and_empty_trials():
    bmi, sr, cs = form("bmi"), form("sit_and_reach"), form("chair_stand")
    assert bmi.enter(0, ["165", "", ""]) == 1 and bmi.enter(1, ["165", "70", ""]) == 2
    assert bmi.enter(2, ["165", "70", "88"]) is None  # saves only at the last box
    assert sr.enter(0, ["3", ""]) == 1 and sr.enter(0, ["3", "4"]) is None
    grip = form("grip")
    assert grip.enter(1, ["24", "", "", "", "", ""]) is None  # an empty box: that was the last
    assert cs.enter(0, ["12"]) is None


def test_counted_value_is_the_best_trial_in_the_unit_entered():
    assert form("up_and_go").counted(form("up_and_go").parse(["6.1", "5.4"])) == 5.4
    sr = form("sit_and_reach")
    assert sr.counted(sr.parse(["-2", "1.5"], "in"), "in") == 1.5


def test_live_reading_gives_band_range_and_help_words():
    cs = form("chair_stand")
    e = cs.parse(["14"])
    live = cs.live(e, "count", [], "female", 72, NS)
    assert live.counted == "14 stands" and live.band and live.range_text.startswith("For their")
    assert live.chart is not None and live.chart[2] == 14
    helped = cs.live(e, "count", ["arms_used"], "female", 72, NS)
    assert helped.band == "not_classified" and helped.chart is None
    unusual = cs.live(cs.parse(["40"]), "count", [], "female", 72, NS)
    assert unusual.problem.startswith("Unusual for this test")
    body = form("bmi").live(form("bmi").parse(["165", "70", "88"]), "", [], "female", 72, NS)
    assert body.counted == "BMI 25.7 kg/m², waist 88 cm" and "BMI:" in body.range_text


def test_the_store_rules_refuse_what_the_screen_would():
    chair = NS.test("chair_stand")
    with pytest.raises(InputError, match="cannot be recorded as 'held_support'"):
        entry.check_modifications(chair, ["held_support"])
    assert entry.check_modifications(chair, ["arms_used", "arms_used"]) == ["arms_used"]
    with pytest.raises(InputError, match="at most 1 trial"):
        entry.check_trials(chair, [(10, ""), (11, "")], "count")
    fields = entry.measurement_fields(NS.battery.values())
    with pytest.raises(InputError, match="outside 0 to 7 days"):
        entry.check_measurement(fields, "balance_days", 9)


def test_a_card_scanned_into_a_box_is_found_and_a_number_never_is():
    code = codes.new_code()
    assert entry.scanned_code(code) == (code, "")
    assert entry.scanned_code("12" + code) == (code, "12")
    assert entry.scanned_code("12") is None and entry.scanned_code("12.5") is None
    assert entry.scanned_code("abc" + code) is None  # letters before it: not a clean scan
