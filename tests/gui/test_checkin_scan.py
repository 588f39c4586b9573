"""A card scanned into any box at check-in opens that person and changes nothing: not a name,
not a date, not a screening answer. Keys go to the focused box as a scanner types them."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffmot.services import records as R


def scan_into(qtbot, widget, code):  # type: ignore[no-untyped-def]
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    for ch in code:
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def half_screened(ci, ctx, qtbot):  # type: ignore[no-untyped-def]
    """Nia, checked in at check-in, every answer "No" so far and not recorded yet; returns her
    and the first answer box."""
    p = R.register_participant(
        ctx.db, ctx.actor, "Nia", "Yarwood", dt.date(1950, 1, 1), "female",
        consents={"keep_results": True},
    )  # fmt: skip
    ci.search.setText(p.code)
    ci._first()
    qtbot.waitUntil(lambda: ci.person is not None and ci.person.id == p.id)
    ci.check_in()
    qtbot.waitUntil(lambda: ci.visit is not None)
    for c in ci.answers.values():
        c.setCurrentIndex(2)
    return p, next(iter(ci.answers.values()))


def test_a_card_scanned_into_a_screening_answer_changes_no_answer(day, qtbot):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    ci = w.checkin
    ctx = day.ctx
    # Someone whose card has a Y in it: typed into an answer box, Y chooses "Yes".
    other = None
    for n in range(200):
        q = R.register_participant(
            ctx.db, ctx.actor, f"Yolanda{n}", "Cardy", dt.date(1950, 1, 1), "female"
        )
        if "Y" in q.code:
            other = q
            break
    assert other is not None
    p, first = half_screened(ci, ctx, qtbot)
    scan_into(qtbot, first, other.code)
    qtbot.waitUntil(lambda: ci.person is not None and ci.person.id == other.id)
    assert R.find_visit(ctx.db, p.id, ctx.current_event.id).screening is None


def test_a_scanned_card_nobody_has_leaves_the_answers_as_they_were(day, qtbot):
    from ffmot.core import codes

    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    ci = w.checkin
    ctx = day.ctx
    nobody = next(c for c in (codes.new_code() for _ in range(500)) if "Y" in c)
    _nia, first = half_screened(ci, ctx, qtbot)
    scan_into(qtbot, first, nobody)  # Y would choose "Yes"
    qtbot.waitUntil(lambda: ci.search.text() == nobody)
    assert first.currentIndex() == 2, "the scan changed an answer"


def test_a_card_scanned_into_a_new_persons_name_opens_that_person_and_registers_nobody(day, qtbot):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    ci = w.checkin
    ada, _ = day.people["Ada"]
    ci.start_new()
    qtbot.keyClicks(ci.family, "Newcombe")
    scan_into(qtbot, ci.given, ada.code)
    qtbot.waitUntil(lambda: ci.person is not None and ci.person.id == ada.id)
    assert ci.given.text() == "" and ci.family.text() == "Newcombe"  # kept, code not in it
    assert R.search_participants(day.ctx.db, "Newcombe") == []


def test_a_name_typed_and_entered_is_not_taken_for_a_card(day, qtbot):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    ci = w.checkin
    ci.start_new()
    qtbot.keyClicks(ci.given, "Bronwen")
    qtbot.keyClicks(ci.family, "Tegwyn")
    qtbot.keyClicks(ci.dob, "02/02/1950")
    ci.sex.setCurrentIndex(ci.sex.findData("female"))
    ci.new_consents["keep_results"].setChecked(True)
    qtbot.keyClick(ci.dob, Qt.Key.Key_Return)  # Enter submits the form, as before
    qtbot.waitUntil(lambda: bool(R.search_participants(day.ctx.db, "Tegwyn")))
