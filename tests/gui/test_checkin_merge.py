"""Check-in: two records of one person made one, from the keyboard, with the dialog on screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from ffmot.core import codes, screening
from ffmot.core.errors import InputError
from ffmot.services import records as R


def mnemonics(widgets: list[QWidget]) -> list[str]:
    out = []
    for w in widgets:
        if isinstance(w, QAbstractButton | QLabel) and w.isVisibleTo(w.window()):
            m = re.search(r"&(\w)", w.text().replace("&&", ""))
            if m:
                out.append(m.group(1).lower())
    return out


@pytest.fixture
def twice(day):  # type: ignore[no-untyped-def]
    """Ada registered a second time under another spelling, seen at a station under it."""
    ctx = day.ctx
    ada, ada_visit = day.people["Ada"]
    again = R.register_participant(
        ctx.db,
        ctx.actor,
        "Adá",
        "Sámpleton",
        dt.date(1949, 3, 14),
        "female",
        consents={"keep_results": True},
    )
    v = R.check_in(ctx.db, ctx.actor, again.id, ctx.current_event.id)
    R.record_screening(ctx.db, ctx.actor, v.id, screening.answers_with())
    R.save_result(ctx.db, ctx.actor, v.id, "grip", [(21, "")])
    R.save_result(ctx.db, ctx.actor, ada_visit.id, "chair_stand", [(12, "")])
    return day, ada, again


def open_merge(day, ada, qtbot):  # type: ignore[no-untyped-def]
    w = day.window
    w.show_view("check-in")
    ci = w.checkin
    qtbot.keyClicks(ci.search, codes.display(ada.code))
    qtbot.keyClick(ci.search, Qt.Key.Key_Return)
    assert ci.person is not None and ci.person.id == ada.id and ci.merge_button.isEnabled()
    qtbot.keyClick(ci, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # its mnemonic
    qtbot.waitUntil(lambda: getattr(ci, "merge_dialog", None) is not None)
    dialog = ci.merge_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.code.hasFocus)  # painted and waiting for the other card
    return ci, dialog


def test_merge_two_records_from_the_keyboard(twice, qtbot):
    day, ada, again = twice
    ci, dialog = open_merge(day, ada, qtbot)
    assert not dialog.merge_button.isEnabled()  # nothing to merge with yet
    m = mnemonics(dialog.findChildren(QWidget))
    assert len(m) == len(set(m)) and "m" in m, m
    qtbot.keyClicks(dialog.code, codes.display(again.code))  # as a scanner types it
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.merge_button.isEnabled)
    side = dialog.side.text()
    for text in ("Ada Sampleton", "Adá Sámpleton", codes.display(ada.code), "14/03/1949"):
        assert text in side
    assert codes.display(again.code) in side and "Lowthwaite MOT day" in side
    assert "combined" in dialog.moves.text()
    qtbot.waitUntil(dialog.merge_button.hasFocus)
    qtbot.wait(50)  # the event loop runs with both records on screen
    assert dialog.isVisible()
    qtbot.keyClick(dialog.merge_button, Qt.Key.Key_Return)  # Enter confirms
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert ci.person is not None and ci.person.id == ada.id
    assert "Merged" in ci.outcome.text() and codes.display(again.code) in ci.outcome.text()
    with pytest.raises(InputError):
        R.find_by_code(day.ctx.db, again.code)
    v = R.find_visit(day.ctx.db, ada.id, day.ctx.current_event.id)
    assert v is not None
    assert v.result("grip").value == 21 and v.result("chair_stand").value == 12
    assert [r.id for r in R.search_participants(day.ctx.db, "sampleton")] == [ada.id]


def test_escape_cancels_and_a_clash_cannot_be_merged(twice, qtbot):
    day, ada, again = twice
    v = R.find_visit(day.ctx.db, again.id, day.ctx.current_event.id)
    assert v is not None
    R.save_result(day.ctx.db, day.ctx.actor, v.id, "chair_stand", [(15, "")])  # a clash
    _ci, dialog = open_merge(day, ada, qtbot)
    qtbot.keyClicks(dialog.code, codes.display(again.code))
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "cannot be merged yet" in dialog.message.text())
    assert "Chair stand" in dialog.message.text() and "Correct one" in dialog.message.text()
    assert not dialog.merge_button.isEnabled()
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)  # Enter does not merge a clash
    assert dialog.isVisible() and R.find_by_code(day.ctx.db, again.code).id == again.id
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert R.find_by_code(day.ctx.db, again.code).id == again.id  # nothing changed


def test_different_details_need_a_tick_and_an_unknown_card_is_said(twice, qtbot):
    day, ada, again = twice
    R.update_participant(
        day.ctx.db, day.ctx.actor, again.id, again.version, date_of_birth=dt.date(1949, 4, 14)
    )
    _ci, dialog = open_merge(day, ada, qtbot)
    qtbot.keyClicks(dialog.code, "K7PM-4QY")
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "typing mistake" in dialog.message.text())
    assert not dialog.merge_button.isEnabled() and dialog.isVisible()
    dialog.code.clear()
    qtbot.keyClicks(dialog.code, codes.display(again.code))
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.accept_box.isVisible)
    assert "14/04/1949" in dialog.message.text() and "14/03/1949" in dialog.message.text()
    assert not dialog.merge_button.isEnabled()
    qtbot.keyClick(dialog.accept_box, Qt.Key.Key_Space)
    qtbot.waitUntil(dialog.merge_button.isEnabled)
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert R.get_participant(day.ctx.db, ada.id).date_of_birth == dt.date(1949, 3, 14)


def test_merge_is_offered_only_for_someone_chosen_and_its_key_is_its_own(day, qtbot):
    ci = day.window.checkin
    day.window.show_view("check-in")
    ci._show_person(None)
    assert not ci.merge_button.isEnabled()
    ci._show_person(R.get_participant(day.ctx.db, day.people["Bert"][0].id))
    assert ci.merge_button.isEnabled()
    shown = {id(w): w for w in ci.findChildren(QWidget) if w.isVisibleTo(ci)}  # this screen
    keys = mnemonics(list(shown.values()))
    assert keys.count("m") == 1, keys


def test_the_duplicate_warning_says_records_can_be_merged(day, qtbot):
    ci = day.window.checkin
    ci.start_new()
    qtbot.keyClicks(ci.given, "Ada")
    qtbot.keyClicks(ci.family, "Sampleton")
    qtbot.keyClicks(ci.dob, "14/03/1949")
    ci.sex.setCurrentIndex(ci.sex.findData("female"))
    qtbot.keyClick(ci.dob, Qt.Key.Key_Return)
    assert "may be someone already registered" in ci.new_message.text()
    assert "Merge with another record" in ci.new_message.text()
