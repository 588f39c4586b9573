"""Keying a paper score card: every test of one person in one keyboard pass, with the station's
rules (the core entry model), saved through the same services."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffmot.core import screening
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect

# What a practitioner types from the card, box by box; "" is Enter on an empty box.
CARD = {
    "chair_stand": ["14"],
    "arm_curl": ["17"],
    "grip": ["24", "26.5", ""],
    "up_and_go": ["6.2", "5.9"],
    "single_leg_stance": ["12", ""],
    "step_2min": ["80"],
    "walk_6min": ["480"],
    "sit_and_reach": ["-2", "1.5"],
    "back_scratch": ["-6", ""],
    "bmi": ["160", "62", "84"],
    "activity": ["150", "2", "1", "6"],
}


def open_card(day, qtbot, code):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    sc = w.view("scorecard")
    assert w.current_view() is sc
    qtbot.waitUntil(lambda: sc.code.hasFocus())
    qtbot.keyClicks(sc.code, code)
    qtbot.keyClick(sc.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sc.person is not None)
    return sc


def type_here(qtbot, text):
    """Types into whatever has the focus, then Enter, as a practitioner does."""
    here = QApplication.focusWidget()
    assert here is not None
    if text:
        qtbot.keyClicks(here, text)
    qtbot.keyClick(here, Qt.Key.Key_Return)
    return here


def test_a_whole_card_in_one_keyboard_pass(day, qtbot):
    ada, visit = day.people["Ada"]
    sc = open_card(day, qtbot, ada.code)
    offered = [r.test.id for r in sc.rows]
    assert "waist" not in offered  # typed once, with height and weight
    assert sc.rows[0].boxes[0].hasFocus()
    enters = 0
    for row in list(sc.rows):
        for text in CARD[row.test.id]:
            here = type_here(qtbot, text)
            enters += 1
            if row.test.id == "bmi" and text == "62":
                assert "BMI 24.2" in row.reading.text()
            assert here in row.boxes, f"typing for {row.test.id} went elsewhere"
    qtbot.waitUntil(lambda: sc.person is None)  # the last Enter saved the card
    a = R.get_assessment(day.ctx.db, visit.id)
    got = {r.test_id: r.value for r in a.results if r.done}
    counted = {
        "chair_stand": 14,
        "arm_curl": 17,
        "grip": 26.5,
        "up_and_go": 5.9,
        "single_leg_stance": 12,
        "step_2min": 80,
        "walk_6min": 480,
        "sit_and_reach": 1.5,
        "back_scratch": -6,
        "bmi": 24.2,
        "waist": 84,
        "activity": 150,
    }
    assert got == {k: v for k, v in counted.items() if k in offered or k == "waist"}
    assert a.result("sit_and_reach").trials[0].label == "right leg"
    assert a.measurements.strength_days == 2 and a.measurements.sitting_hours == 6
    assert f"Saved {len(offered)} tests for Ada Sampleton" in sc.status.text()
    assert sc.code.hasFocus() and enters == sum(len(CARD[t]) for t in offered)


def test_a_band_shows_as_each_test_is_typed_and_problems_stop_the_save(day, qtbot):
    ada, visit = day.people["Ada"]
    sc = open_card(day, qtbot, ada.code)
    chair = sc.rows[0]
    qtbot.keyClicks(chair.boxes[0], "14")
    assert chair.band.text() and "For their age and sex" in chair.reading.text()
    qtbot.keyClicks(sc.rows[1].boxes[0], "1x")
    qtbot.keyClick(sc.rows[1].boxes[0], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "arm curl" in sc.problem.text() and "'1x' is not a number" in sc.problem.text()
    assert sc.rows[1].boxes[0].hasFocus()
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand") is None


def test_an_unusual_value_asks_once_then_enter_saves(day, qtbot):
    ada, visit = day.people["Ada"]
    sc = open_card(day, qtbot, ada.code)
    last = sc.rows[-1]
    qtbot.keyClicks(sc.rows[0].boxes[0], "40")  # above the typical 0 to 30 stands
    last.boxes[-1].setFocus()
    qtbot.keyClick(last.boxes[-1], Qt.Key.Key_Return)
    assert "Chair stand: 40 stands is unusual" in sc.problem.text()
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand") is None
    qtbot.keyClick(last.boxes[-1], Qt.Key.Key_Return)  # the second Enter saves it as it is
    qtbot.waitUntil(lambda: sc.person is None)
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand").value == 40


def test_screening_rules_a_test_out_and_not_done_is_chosen_from_the_card(day, qtbot):
    ctx = day.ctx
    p = R.register_participant(
        ctx.db,
        ctx.actor,
        "Cleo",
        "Trialby",
        __import__("datetime").date(1946, 6, 6),
        "female",
        consents={"keep_results": True},
    )
    v = R.check_in(ctx.db, ctx.actor, p.id, ctx.current_event.id)
    answers = screening.answers_with("cannot_walk_safely")
    R.record_screening(ctx.db, ctx.actor, v.id, answers)
    sc = open_card(day, qtbot, p.code)
    walk = next(r for r in sc.rows if r.test.id == "up_and_go")
    assert walk.blocked and not walk.boxes[0].isEnabled()
    assert "safety screening rules out up and go" in walk.reading.text()
    chair = sc.rows[0]
    chair.not_done.setFocus()
    chair.not_done.setCurrentIndex(chair.not_done.findText("Declined"))
    walk.not_done.setCurrentIndex(walk.not_done.findText("Not offered"))
    qtbot.keyClick(sc, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: sc.person is None)
    a = R.get_assessment(ctx.db, v.id)
    assert a.result("chair_stand").reason == "declined"
    assert a.result("up_and_go").reason == "not_offered"


def test_a_card_scanned_into_a_box_opens_the_next_card_and_a_stale_one_never_shows(day, qtbot):
    ada, _ = day.people["Ada"]
    bert, _ = day.people["Bert"]
    sc = open_card(day, qtbot, ada.code)
    here = type_here(qtbot, bert.code)  # the scanner types the code and Enter into a box
    qtbot.waitUntil(lambda: sc.person is not None and sc.person.code == bert.code)
    assert here not in [b for r in sc.rows for b in r.boxes] or not here.text()


def test_a_typed_card_is_not_lost_to_a_scan_or_esc(day, qtbot):
    ada, visit = day.people["Ada"]
    bert, _ = day.people["Bert"]
    sc = open_card(day, qtbot, ada.code)
    qtbot.keyClicks(sc.rows[0].boxes[0], "14")
    qtbot.keyClick(sc.rows[0].boxes[0], Qt.Key.Key_Return)
    type_here(qtbot, bert.code)
    assert sc.person.code == ada.code and "Save this card first" in sc.problem.text()
    qtbot.keyClick(sc, Qt.Key.Key_Escape)
    assert sc.person is not None and "Press Esc again" in sc.problem.text()
    qtbot.keyClick(sc, Qt.Key.Key_Escape)
    assert sc.person is None
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand") is None


def test_a_result_saved_at_a_station_is_shown_and_not_saved_again(day, qtbot):
    ada, visit = day.people["Ada"]
    other = connect(day.ctx.db.url)
    R.save_result(other, Actor("Kim", "Station 2"), visit.id, "chair_stand", [(12, "")])
    other.close()
    sc = open_card(day, qtbot, ada.code)
    assert sc.rows[0].boxes[0].text() == "12"
    qtbot.keyClicks(sc.rows[1].boxes[0], "17")
    qtbot.keyClick(sc, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: sc.person is None)
    a = R.get_assessment(day.ctx.db, visit.id)
    assert a.result("chair_stand").station == "Station 2"  # untouched
    assert a.result("arm_curl").value == 17
