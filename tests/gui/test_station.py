"""Station entry, driven from the keyboard as a practitioner would."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ffmot.core import codes, screening
from ffmot.services import records as R
from ffmot.services.types import Measurements
from ffmot.store.db import connect


def station(day, qtbot, test="chair_stand"):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    st = w.station
    assert w.current_view() is st
    st.test_combo.setCurrentIndex(st.test_combo.findData(test))
    return st


def scan(qtbot, st, code):
    st.code.setFocus()
    qtbot.keyClicks(st.code, code)
    qtbot.keyClick(st.code, Qt.Key.Key_Return)


def test_scan_type_see_the_band_and_save_with_enter(day, qtbot):
    st = station(day, qtbot)
    ada, visit = day.people["Ada"]
    scan(qtbot, st, codes.display(ada.code).lower())
    assert "Ada Sampleton" in st.who.text() and "age 77" in st.who.text()
    assert st.fields[0].hasFocus()
    qtbot.keyClicks(st.fields[0], "9")
    assert st.badge.band == "below_average" and "Below the usual range" in st.badge.text()
    assert "10 to 15 stands" in st.range_text.text()  # women 75-79
    qtbot.keyClicks(st.fields[0], "")
    st.fields[0].clear()
    qtbot.keyClicks(st.fields[0], "12")
    assert st.badge.band == "normal" and st.counted.text() == "12 stands"
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert "Saved 12 stands for Ada Sampleton" in st.status.text()
    assert st.code.hasFocus() and st.code.text() == "" and st.fields[0].text() == ""
    saved = R.get_assessment(day.ctx.db, visit.id).result("chair_stand")
    assert saved.value == 12 and saved.recorded_by == "Sam Tester"
    assert saved.station == "Station 1"


def test_best_trial_counts_and_the_unit_stands_beside_every_field(day, qtbot):
    st = station(day, qtbot, "up_and_go")
    bert, visit = day.people["Bert"]
    scan(qtbot, st, bert.code)
    assert len(st.fields) == 2
    for n in range(2):
        assert st.findChild(type(st.who), f"unitLabel{n}").text() == "seconds"
    qtbot.keyClicks(st.fields[0], "7.1")
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)  # moves to the empty second trial
    assert st.fields[1].hasFocus()
    qtbot.keyClicks(st.fields[1], "6.4")
    assert st.counted.text() == "6.4 seconds"  # the faster trial counts
    st.mod_boxes["walking_aid"].setChecked(True)
    qtbot.keyClick(st.fields[1], Qt.Key.Key_Return)
    r = R.get_assessment(day.ctx.db, visit.id).result("up_and_go")
    assert r.value == 6.4 and r.modifications == ("walking_aid",)
    assert [t.value for t in r.trials] == [7.1, 6.4]


def test_centimetres_or_inches(day, qtbot):
    st = station(day, qtbot, "sit_and_reach")
    ada, visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    st.unit_combo.setCurrentIndex(st.unit_combo.findData("in"))
    assert st.findChild(type(st.who), "unitLabel0").text() == "inches"
    qtbot.keyClicks(st.fields[0], "-2")
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    qtbot.keyClicks(st.fields[1], "1")
    qtbot.keyClick(st.fields[1], Qt.Key.Key_Return)
    r = R.get_assessment(day.ctx.db, visit.id).result("sit_and_reach")
    assert (r.value, r.unit) == (1, "in") and r.trials[0].label == "right leg"


def test_implausible_values_are_refused_naming_the_range(day, qtbot):
    st = station(day, qtbot)
    ada, visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    qtbot.keyClicks(st.fields[0], "75")
    assert "plausible range 0 to 50 stands" in st.problem.text()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand") is None
    st.fields[0].clear()
    qtbot.keyClicks(st.fields[0], "abc")
    assert "not a number" in st.problem.text()


def test_an_unusual_value_asks_to_confirm(day, qtbot):
    st = station(day, qtbot)
    ada, visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    qtbot.keyClicks(st.fields[0], "40")  # plausible, but above the typical 0-30
    assert "Unusual" in st.problem.text()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert "Press Enter again" in st.problem.text()
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand") is None
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand").value == 40


def test_not_done_is_one_key_away(day, qtbot):
    st = station(day, qtbot, "arm_curl")
    bert, visit = day.people["Bert"]
    scan(qtbot, st, bert.code)
    qtbot.keyClick(st.fields[0], Qt.Key.Key_F9)
    assert st.reasons.isVisible()
    qtbot.keyClick(st.reason_buttons["declined"], Qt.Key.Key_2)
    r = R.get_assessment(day.ctx.db, visit.id).result("arm_curl")
    assert not r.done and r.reason == "unable"
    assert "not done: unable" in st.status.text()


def test_a_stopped_test_asks_why_by_key_and_keeps_it(day, qtbot):
    st = station(day, qtbot, "step_2min")
    bert, visit = day.people["Bert"]
    scan(qtbot, st, bert.code)
    qtbot.keyClick(st.fields[0], Qt.Key.Key_F9)
    qtbot.keyClick(st.reason_buttons["declined"], Qt.Key.Key_4)  # stopped by tester
    assert st.stops.isVisible() and not st.reasons.isVisible()
    assert R.get_assessment(day.ctx.db, visit.id).result("step_2min") is None  # not yet
    qtbot.keyClick(st.stop_buttons["chest_pain"], Qt.Key.Key_1)  # chest pain
    r = R.get_assessment(day.ctx.db, visit.id).result("step_2min")
    assert (r.reason, r.stop_reason) == ("stopped_by_tester", "chest_pain")
    assert "stopped by tester (chest pain)" in st.status.text() and not st.stops.isVisible()


def test_an_unfinished_screening_blocks_every_test(day, qtbot):
    ada, visit = day.people["Ada"]
    R.record_screening(day.ctx.db, day.ctx.actor, visit.id, {"chest_pain": False})
    st = station(day, qtbot, "grip")
    scan(qtbot, st, ada.code)
    assert "Screening not finished" in st.warning.text()
    assert not st.fields[0].isEnabled() and not st.save_button.isEnabled()


def test_a_test_done_with_help_is_not_compared_at_the_station(day, qtbot):
    st = station(day, qtbot, "chair_stand")
    ada, _visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    qtbot.keyClicks(st.fields[0], "4")
    assert st.badge.band == "below_average"
    st.mod_boxes["arms_used"].setChecked(True)
    assert st.badge.band == "not_classified" and "Not compared" in st.badge.text()
    assert "used your arms" in st.range_text.text()


def test_screening_blocks_the_test_and_says_why(day, qtbot):
    ada, visit = day.people["Ada"]
    R.record_screening(
        day.ctx.db, day.ctx.actor, visit.id, screening.answers_with("osteoporosis_or_back_pain")
    )
    st = station(day, qtbot, "sit_and_reach")
    scan(qtbot, st, ada.code)
    assert "rules out sit and reach" in st.warning.text()
    assert not st.fields[0].isEnabled() and not st.save_button.isEnabled()
    assert st.not_done_button.isEnabled()
    R.record_screening(day.ctx.db, day.ctx.actor, visit.id, screening.answers_with("chest_pain"))
    st.clear()
    st.test_combo.setCurrentIndex(st.test_combo.findData("grip"))
    scan(qtbot, st, ada.code)
    assert "Do not test today" in st.warning.text() and not st.fields[0].isEnabled()


def test_wrong_or_unknown_codes(day, qtbot):
    st = station(day, qtbot)
    scan(qtbot, st, "K7PM-4QX")
    assert "typing mistake" in st.warning.text()
    scan(qtbot, st, "O000000")
    assert "never use 0, O, 1 or I" in st.warning.text()
    other = R.register_participant(
        day.ctx.db,
        day.ctx.actor,
        "Cleo",
        "Trialby",
        __import__("datetime").date(1950, 1, 1),
        "female",
        consents={"keep_results": True},
    )
    st.code.clear()
    scan(qtbot, st, other.code)
    assert "has not checked in" in st.warning.text() and not st.fields[0].isEnabled()


def typed_while_another_station_saves(day, qtbot):  # type: ignore[no-untyped-def]
    """12 typed for Ada here while another station saves 14 for her, then Enter here."""
    from ffmot.services.types import Actor

    st = station(day, qtbot)
    ada, visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    qtbot.keyClicks(st.fields[0], "12")
    other = connect(day.ctx.db.url)
    R.save_result(other, Actor("Kim", "Station 2"), visit.id, "chair_stand", [(14, "")])
    other.close()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    return st, visit


def test_a_conflict_with_another_station_loses_nothing(day, qtbot, tmp_path):
    st, visit = typed_while_another_station_saves(day, qtbot)
    assert "reload" in st.problem.text() and st.reload_button.isVisible()
    assert st.fields[0].text() == "12"  # our entry is still on screen
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand").value == 14
    qtbot.mouseClick(st.reload_button, Qt.MouseButton.LeftButton)
    # Reloading shows what the other station saved and keeps what was typed here.
    assert "Another station saved value 14" in st.status.text()
    assert st.fields[0].text() == "12" and st.has_unsaved()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)  # the practitioner chooses theirs
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand").value == 12


def test_after_a_conflict_esc_twice_keeps_the_other_stations_result(day, qtbot):
    st, visit = typed_while_another_station_saves(day, qtbot)
    qtbot.mouseClick(st.reload_button, Qt.MouseButton.LeftButton)
    assert st.fields[0].text() == "12"
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Escape)
    assert "Press Esc again" in st.problem.text()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Escape)
    assert st.person is None and not st.fields[0].text()
    assert R.get_assessment(day.ctx.db, visit.id).result("chair_stand").value == 14


def test_measurement_station(day, qtbot):
    st = station(day, qtbot, "bmi")
    ada, visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    for field, text in zip(st.fields, ("160", "62", "84"), strict=True):
        qtbot.keyClicks(field, text)
    qtbot.keyClick(st.fields[2], Qt.Key.Key_Return)
    a = R.get_assessment(day.ctx.db, visit.id)
    assert a.measurements.height_cm == 160 and a.result("bmi").value == 24.2
    assert a.result("waist").value == 84


def test_the_bmi_station_saves_although_the_activity_questions_were_saved_meanwhile(day, qtbot):
    """Another station saves the activity answers while the BMI station has the person open:
    different measurements, so no conflict, and both are kept."""
    from ffmot.services.types import Actor

    st = station(day, qtbot, "bmi")
    ada, visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    for field, text in zip(st.fields, ("160", "62", "84"), strict=True):
        qtbot.keyClicks(field, text)
    other = connect(day.ctx.db.url)
    seen = R.get_assessment(other, visit.id)
    R.save_measurements(
        other,
        Actor("Kim", "Station 2"),
        visit.id,
        Measurements(moderate_minutes=150, strength_days=2),
        only=["moderate_minutes", "strength_days"],
        seen=seen.measurements,
    )
    other.close()
    qtbot.keyClick(st.fields[2], Qt.Key.Key_Return)
    assert not st.problem.text() and st.person is None
    m = R.get_assessment(day.ctx.db, visit.id).measurements
    assert (m.height_cm, m.weight_kg, m.waist_cm, m.moderate_minutes) == (160, 62, 84, 150)


def test_the_measurement_station_by_enter_alone_with_a_live_reading(day, qtbot):
    """Height, Enter, weight, Enter, waist, Enter: typed as a practitioner does, into whatever
    has the focus. Nothing is saved half-typed and nothing lands in the card-code box."""
    from PySide6.QtWidgets import QApplication

    st = station(day, qtbot, "bmi")
    ada, visit = day.people["Ada"]
    scan(qtbot, st, ada.code)
    for text in ("160", "62", "84"):
        here = QApplication.focusWidget()
        assert here in st.fields, "the focus left the measurement fields"
        qtbot.keyClicks(here, text)
        if text == "62":
            assert "BMI 24.2" in st.counted.text() and "lowest health risk" in st.range_text.text()
            assert R.get_assessment(day.ctx.db, visit.id).measurements.height_cm is None
        qtbot.keyClick(here, Qt.Key.Key_Return)
    assert st.code.text() == ""
    a = R.get_assessment(day.ctx.db, visit.id)
    assert (a.measurements.height_cm, a.measurements.weight_kg) == (160, 62)
    assert a.result("bmi").value == 24.2 and a.result("waist").value == 84


def test_an_entry_survives_a_crash(day, qtbot, open_app):
    st = station(day, qtbot, "grip")
    bert, visit = day.people["Bert"]
    scan(qtbot, st, bert.code)
    qtbot.keyClicks(st.fields[0], "31")
    qtbot.keyClicks(st.fields[1], "33.5")
    qtbot.waitUntil(
        lambda: bool(list((day.ctx.settings.path.parent / "drafts").glob("*.json"))), timeout=3000
    )
    # On the encrypted database, the draft on disk is as unreadable as the database.
    assert day.ctx.db.encrypted
    (kept,) = (day.ctx.settings.path.parent / "drafts").glob("*.json")
    blob = kept.read_bytes()
    assert b"sealed" in blob and b"33.5" not in blob and bert.code.encode() not in blob
    # The window vanishes without saving (a crash or a power cut)...
    day.window.hide()
    url = day.ctx.db.url
    # ...and ffmot starts again.
    again = open_app(url)
    st2 = again.window.station
    assert st2.test.id == "grip" and st2.fields[0].text() == "31"
    assert st2.fields[1].text() == "33.5" and "Restored" in st2.status.text()
    qtbot.keyClick(st2.fields[1], Qt.Key.Key_Return)  # Enter on a filled field saves
    qtbot.keyClick(st2.fields[2], Qt.Key.Key_Return) if st2.fields[2].hasFocus() else None
    st2.save()
    assert R.get_assessment(again.ctx.db, visit.id).result("grip").value == 33.5
    assert not list((day.ctx.settings.path.parent / "drafts").glob("*.json"))


def test_looking_up_a_stored_result_writes_no_draft_and_asks_nothing(day, qtbot):
    st = station(day, qtbot, "chair_stand")
    ada, visit = day.people["Ada"]
    R.save_result(day.ctx.db, day.ctx.actor, visit.id, "chair_stand", [(14, "trial 1")])
    scan(qtbot, st, ada.code)
    assert st.fields[0].text() == "14"  # shown again, not typed
    st._write_draft()  # what the timer would do
    assert not list((day.ctx.settings.path.parent / "drafts").glob("*.json"))
    assert not st.has_unsaved()
    qtbot.keyClicks(st.fields[0], "5")  # now the practitioner types
    assert st.has_unsaved()


def test_a_restored_draft_never_takes_the_focus_from_another_tab(day, qtbot, open_app):
    st = station(day, qtbot, "grip")
    bert, _visit = day.people["Bert"]
    scan(qtbot, st, bert.code)
    qtbot.keyClicks(st.fields[0], "31")
    st._write_draft()
    day.window.hide()
    again = open_app(day.ctx.db.url)
    w = again.window
    assert w.current_view() is not w.station  # the app opens on another tab
    assert "Ctrl+3" in w.statusBar().currentMessage()  # and says where the entry waits
    st2 = w.station
    assert st2.fields[0].text() == "31" and st2.has_unsaved()
    focus = again.window.focusWidget()
    assert focus is None or not st2.isAncestorOf(focus)
    events = w.current_view()
    qtbot.keyClick(events, Qt.Key.Key_7)  # a key on the tab the person is looking at
    assert st2.fields[0].text() == "31"
    w.show_view("station")  # as Ctrl+3 does
    assert w.focusWidget() is st2.fields[0]  # at the station, straight back to the entry


def test_a_card_scanned_into_a_result_field_switches_person_or_says_why_not(day, qtbot):
    st = station(day, qtbot, "chair_stand")
    ada, _ = day.people["Ada"]
    bert, bert_visit = day.people["Bert"]
    scan(qtbot, st, ada.code)
    assert st.fields[0].hasFocus()
    # nothing typed for Ada: the scan into the Result field is the next person
    qtbot.keyClicks(st.fields[0], codes.display(bert.code))
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert st.person is not None and st.person.id == bert.id
    assert st.fields[0].text() == "" and "not a number" not in st.problem.text()
    # a result typed for Bert and not saved: the scan is refused, the result kept
    qtbot.keyClicks(st.fields[0], "12")
    qtbot.keyClicks(st.fields[0], ada.code)
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert st.person.id == bert.id and st.fields[0].text() == "12"
    assert "Save the result for Bert Demoworth first" in st.problem.text()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)  # saves 12 for Bert
    assert R.get_assessment(day.ctx.db, bert_visit.id).result("chair_stand").value == 12


def test_a_scanned_code_that_starts_with_digits_is_still_told_from_the_number(day, qtbot):
    import random

    st = station(day, qtbot, "chair_stand")
    bert, _ = day.people["Bert"]
    scan(qtbot, st, bert.code)
    rng = random.Random(4)
    code = next(c for c in iter(lambda: codes.new_code(rng), None) if c[:2].isdigit())
    qtbot.keyClicks(st.fields[0], "12" + codes.display(code))
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert st.fields[0].text() == "12" and codes.display(code) in st.problem.text()


def test_esc_asks_before_it_discards_a_typed_result(day, qtbot):
    st = station(day, qtbot, "chair_stand")
    ada, _ = day.people["Ada"]
    scan(qtbot, st, ada.code)
    qtbot.keyClicks(st.fields[0], "12")
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Escape)
    assert st.fields[0].text() == "12" and "Press Esc again to discard" in st.problem.text()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Escape)
    assert st.person is None and st.fields[0].text() == ""


def test_at_large_print_on_a_projector_the_station_scrolls_instead_of_clipping(
    open_app, settings, qtbot
):
    from PySide6.QtWidgets import QScrollArea

    from tests.helpers import ready_visit

    settings.large_print = True
    s = open_app()
    s.window.showNormal()
    s.window.resize(1024, 768)
    _e, p, _v = ready_visit(s.ctx)
    st = s.window.view("station")
    s.window.show_view("station")
    scan(qtbot, st, p.code)
    st.show_reasons()  # the "not done" panel, the tallest state of the page
    area = st.findChild(QScrollArea, "stationScroll")

    def panel_in_view() -> bool:
        top = st.reasons.mapTo(area.viewport(), st.reasons.rect().topLeft()).y()
        return top >= 0 and top + st.reasons.height() <= area.viewport().height()

    qtbot.waitUntil(panel_in_view)  # scrolled to, once laid out
    assert area is not None and area.widget().isAncestorOf(st.status)
    page = area.widget()
    assert page.sizeHint().height() > area.viewport().height()  # more than fits: it scrolls
    area.ensureWidgetVisible(st.status)
    qtbot.wait(20)
    top = st.status.mapTo(area.viewport(), st.status.rect().topLeft()).y()
    assert 0 <= top < area.viewport().height()  # the "Saved" line can be brought into view
