"""A whole MOT day through the window: set up the day, check people in, the board, results."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from ffmot.core import codes
from ffmot.services import records as R
from ffmot.services.board import board


def test_set_up_a_day_from_the_keyboard(open_app, qtbot):
    s = open_app()
    w = s.window
    ev = w.events
    assert w.current_view() is ev
    qtbot.mouseClick(ev.create_button, Qt.MouseButton.LeftButton)
    assert "name of the MOT day is empty" in ev.message.text()
    qtbot.keyClicks(ev.name, "Lowthwaite MOT day")
    qtbot.keyClicks(ev.venue, "Fellside Hall")
    ev.test_boxes["walk_6min"].setChecked(True)
    ev.test_boxes["step_2min"].setChecked(False)
    qtbot.mouseClick(ev.create_button, Qt.MouseButton.LeftButton)
    assert s.ctx.current_event is not None and s.ctx.current_event.name == "Lowthwaite MOT day"
    assert "walk_6min" in s.ctx.current_event.tests_offered
    assert "step_2min" not in s.ctx.current_event.tests_offered
    assert w.current_view() is w.checkin
    assert "Lowthwaite MOT day" in w.windowTitle() and "Station 1" in w.windowTitle()
    assert ev.model.rowCount() == 1
    ev.directory.setText("/no/such/directory.csv")
    ev.name.setText("Another day")
    qtbot.mouseClick(ev.create_button, Qt.MouseButton.LeftButton)
    assert "Cannot find the activities directory" in ev.message.text()


def test_register_consent_check_in_and_screen(day, qtbot):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    ci = w.checkin
    assert ci.search.hasFocus()
    qtbot.keyClicks(ci.search, "cleo trialby")
    ci.timer.stop()
    ci.run_search()
    assert ci.model.rowCount() == 0
    qtbot.keyClick(ci, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert ci.new_box.isVisible() and ci.given.text() == "Cleo" and ci.family.text() == "Trialby"
    qtbot.keyClicks(ci.dob, "30/02/1950")
    ci.sex.setCurrentIndex(ci.sex.findData("female"))
    qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)
    assert "not a date of birth" in ci.new_message.text() and ci.new_box.isVisible()
    ci.dob.clear()
    qtbot.keyClicks(ci.dob, "30/06/1938")
    ci.new_consents["keep_results"].setChecked(True)
    qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)
    assert ci.person is not None and ci.person.name == "Cleo Trialby"
    assert ci.person.consented("keep_results") and not ci.person.consented("share_gp")
    ci.consent_boxes["share_gp"].setChecked(True)
    assert R.get_participant(day.ctx.db, ci.person.id).consented("share_gp")
    ci.consent_boxes["share_gp"].setChecked(False)  # withdrawn, recorded the same way
    assert not R.get_participant(day.ctx.db, ci.person.id).consented("share_gp")
    qtbot.mouseClick(ci.checkin_button, Qt.MouseButton.LeftButton)
    assert ci.visit is not None and ci.screen_box.isEnabled()
    assert all(c.currentIndex() == 0 for c in ci.answers.values())  # starts "not asked"
    ci.answers["osteoporosis_or_back_pain"].setCurrentIndex(1)  # Yes
    qtbot.mouseClick(ci.screen_button, Qt.MouseButton.LeftButton)
    # a question not asked is never taken as "no"
    assert ci.outcome.text().startswith("… Screening not finished") and "8 still to ask" in (
        ci.outcome.text()
    )
    for combo in ci.answers.values():
        if combo.currentIndex() == 0:
            combo.setCurrentIndex(2)  # No
    ci.answers["cannot_walk_safely"].setCurrentIndex(1)  # Yes
    qtbot.mouseClick(ci.screen_button, Qt.MouseButton.LeftButton)
    text = ci.outcome.text()
    assert text.startswith("⚠ Test with care") and "Sit and reach" in text
    assert "One-leg stand" in text and "Up and go" in text  # walking rules out balance too
    ci.systolic.setValue(172)
    ci.diastolic.setValue(96)
    qtbot.mouseClick(ci.screen_button, Qt.MouseButton.LeftButton)
    assert ci.outcome.text().startswith("✖ Do not test today") and "160/100" in ci.outcome.text()
    statuses = {r.name: r.screening for r in board(day.ctx.db, day.ctx.current_event.id)}
    assert statuses["Cleo Trialby"] == "do_not_test"
    # the next person's form shows their own stored answers, never Cleo's
    ci._show_person(R.get_participant(day.ctx.db, day.people["Ada"][0].id))
    assert all(c.currentIndex() == 2 for c in ci.answers.values())  # Ada: all "no"
    assert ci.systolic.value() == 0  # not Cleo's 172/96


def test_no_check_in_without_consent_to_keep_results(day, qtbot):
    ci = day.window.checkin
    p = R.register_participant(
        day.ctx.db, day.ctx.actor, "Dora", "Refuserby", dt.date(1950, 1, 1), "female"
    )
    ci._show_person(R.get_participant(day.ctx.db, p.id))
    qtbot.mouseClick(ci.checkin_button, Qt.MouseButton.LeftButton)
    assert ci.visit is None and "Keep my results" in ci.outcome.text()


def test_find_as_you_type_by_name_code_and_date_of_birth(day, qtbot):
    ci = day.window.checkin
    ada = day.people["Ada"][0]
    for text in ("samp", ada.code[:4], "14/03/1949"):
        ci.search.clear()
        qtbot.keyClicks(ci.search, text)
        qtbot.waitUntil(lambda: not ci.timer.isActive(), timeout=2000)  # searched as typed
        assert [r.name for r in ci.model.rows] == ["Ada Sampleton"], text
    qtbot.keyClick(ci.search, Qt.Key.Key_Return)
    assert ci.person is not None and ci.person.id == ada.id


def test_board_follows_the_stations(day, qtbot):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    b = w.board
    assert b.model.rowCount() == 2
    first = b.model.rows[0]
    assert first.status == "testing" and first.done == 0
    ada, visit = day.people["Ada"]
    for t in day.ctx.current_event.tests_offered:
        R.mark_not_done(day.ctx.db, day.ctx.actor, visit.id, t, "declined")
    day.ctx.records_changed.emit(visit.id)
    row = next(r for r in b.model.rows if r.name == "Ada Sampleton")
    assert row.status == "ready" and row.complete
    assert "Ready to print: 1" in b.summary.text()
    index = b.proxy.index(
        next(i for i in range(b.proxy.rowCount()) if b.proxy.index(i, 1).data() == "Ada Sampleton"),
        0,
    )
    b.table.setCurrentIndex(index)
    qtbot.keyClick(b.table, Qt.Key.Key_Return)
    assert w.current_view() is w.overview
    assert w.overview.overview is not None
    assert w.overview.overview.participant.id == ada.id


def test_every_input_has_a_name_a_screen_reader_can_say(day):
    missing = []
    for view in (day.window.events, day.window.checkin, day.window.station):
        for widget in view.findChildren(QWidget):
            internal = widget.objectName().startswith("qt_")  # parts of a spin box or date
            if (
                isinstance(widget, QLineEdit | QComboBox)
                and widget.isVisibleTo(view)
                and not internal
            ):
                has_buddy = any(
                    getattr(lab, "buddy", lambda: None)() is widget
                    for lab in view.findChildren(type(day.window.where))
                )
                if not widget.accessibleName() and not has_buddy:
                    missing.append(f"{view.objectName()}:{widget.objectName()}")
            if isinstance(widget, QCheckBox):
                assert widget.text() or widget.accessibleName()
    assert missing == []


class _HeldRunner:
    """Runs work only when the test says so, as a busy database would: the order of events a
    person meets when a search is still running while they press Enter."""

    def __init__(self) -> None:
        self.queue: list = []

    def run(self, fn, on_done=None, on_error=None):  # type: ignore[no-untyped-def]
        self.queue.append((fn, on_done, on_error))

    def release(self) -> None:
        while self.queue:
            fn, on_done, on_error = self.queue.pop(0)
            try:
                result = fn()
            except Exception as e:  # delivered as the real runner would
                if on_error is None:
                    raise
                on_error(e)
                continue
            if on_done is not None:
                on_done(result)


def test_enter_never_opens_a_person_from_an_earlier_search(day, qtbot):
    ci = day.window.checkin
    ada, bert = day.people["Ada"][0], day.people["Bert"][0]
    qtbot.keyClicks(ci.search, "samp")
    ci.timer.stop()
    ci.run_search()
    assert [r.name for r in ci.model.rows] == ["Ada Sampleton"]  # listed
    held = _HeldRunner()
    ci.ctx.runner = held
    ci.search.clear()
    qtbot.keyClicks(ci.search, "demow")
    qtbot.keyClick(ci.search, Qt.Key.Key_Return)  # before Bert's search has come back
    held.release()
    qtbot.keyClick(ci.table, Qt.Key.Key_Return)
    held.release()
    assert ci.person is not None and ci.person.id == bert.id
    # a scanned card opens its person at once, whatever is listed
    ci.search.clear()
    qtbot.keyClicks(ci.search, codes.display(ada.code))
    qtbot.keyClick(ci.search, Qt.Key.Key_Return)
    held.release()
    assert ci.person is not None and ci.person.id == ada.id


def test_registering_someone_already_there_warns_and_shows_them(day, qtbot):
    ci = day.window.checkin
    ada = day.people["Ada"][0]
    ci.start_new()
    qtbot.keyClicks(ci.given, "Ada")
    qtbot.keyClicks(ci.family, "Sampleton")
    qtbot.keyClicks(ci.dob, "14/03/1949")
    ci.sex.setCurrentIndex(ci.sex.findData("female"))
    ci.new_consents["keep_results"].setChecked(True)
    before = len(R.search_participants(day.ctx.db, "sampleton"))
    qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)
    assert "may be someone already registered" in ci.new_message.text()
    assert codes.display(ada.code) in ci.new_message.text()
    assert [r.id for r in ci.model.rows] == [ada.id]  # listed, to open with a key
    assert len(R.search_participants(day.ctx.db, "sampleton")) == before  # nothing added
    qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)  # a new person after all
    assert len(R.search_participants(day.ctx.db, "sampleton")) == before + 1


def test_correcting_a_persons_details_from_check_in(day, qtbot):
    from PySide6.QtWidgets import QDialogButtonBox

    ci = day.window.checkin
    ada = day.people["Ada"][0]
    ci._show_person(R.get_participant(day.ctx.db, ada.id))
    qtbot.mouseClick(ci.correct_button, Qt.MouseButton.LeftButton)
    dialog = ci.correct_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.wait(50)  # painted, the event loop running
    dialog.dob.setText("31/02/1949")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(dialog.isVisible)  # a date that is not a date: says so, stays open
    assert "not a date of birth" in dialog.message.text()
    dialog.dob.setText("15/03/1949")
    dialog.sex.setCurrentIndex(dialog.sex.findData("not_stated"))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    p = R.get_participant(day.ctx.db, ada.id)
    assert (p.date_of_birth, p.sex) == (dt.date(1949, 3, 15), "not_stated")
    assert "Details corrected" in ci.outcome.text() and ci.person.sex == "not_stated"


def test_enter_registers_from_the_new_participant_form(day, qtbot):
    ci = day.window.checkin
    ci.start_new()
    qtbot.keyClicks(ci.given, "Dilys")
    qtbot.keyClicks(ci.family, "Enterby")
    qtbot.keyClicks(ci.dob, "02/02/1946")
    ci.sex.setCurrentIndex(ci.sex.findData("female"))
    ci.new_consents["keep_results"].setChecked(True)
    qtbot.keyClick(ci.dob, Qt.Key.Key_Return)
    assert ci.person is not None and ci.person.name == "Dilys Enterby"


def test_someone_already_checked_in_and_screened_is_shown_as_they_are(day, qtbot):
    ci = day.window.checkin
    ada = day.people["Ada"][0]
    qtbot.keyClicks(ci.search, codes.display(ada.code))
    qtbot.keyClick(ci.search, Qt.Key.Key_Return)
    assert ci.person is not None and ci.person.id == ada.id
    assert ci.visit is not None and ci.screen_box.isEnabled()
    assert ci.outcome.text().startswith("✔ Clear to test")
    assert all(c.currentIndex() == 2 for c in ci.answers.values())  # her stored "no"s
