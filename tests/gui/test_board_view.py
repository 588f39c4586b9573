"""The board as a practitioner uses it: a refresh keeps the chosen person, and at large print on
a small screen the codes stay whole while long names are cut short."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ffmot.core import codes
from ffmot.services import records as R
from tests.helpers import screened_visit


def test_a_refresh_keeps_the_chosen_person(day, qtbot):
    w = day.window
    w.show_view("board")
    board = w.board
    qtbot.waitUntil(lambda: board.model.rowCount() == 2)
    board.table.setFocus()
    qtbot.keyClick(board.table, Qt.Key.Key_Down)
    qtbot.keyClick(board.table, Qt.Key.Key_Down)
    chosen = board._selected_id()
    assert chosen is not None
    _ada, visit = day.people["Ada"]
    R.save_result(day.ctx.db, day.ctx.actor, visit.id, "chair_stand", [(12, "")])
    board.refresh()  # what the 15-second timer does
    qtbot.waitUntil(lambda: board.model.rows[0].done + board.model.rows[1].done > 0)
    assert board._selected_id() == chosen
    assert board.table.selectionModel().isRowSelected(board.table.currentIndex().row())


def test_codes_stay_whole_and_long_names_are_cut_short(day, qtbot):
    ctx = day.ctx
    p, _visit = screened_visit(
        ctx.db,
        ctx.actor,
        ctx.current_event.id,
        "Maximiliana-Josephine Anastasia",
        "Featherstonehaugh-Cholmondeley-Wolstenholme",
        __import__("datetime").date(1950, 1, 1),
        "female",
    )
    w = day.window
    w.resize(1024, 600)
    w.show_view("board")
    board = w.board
    board.refresh()
    qtbot.waitUntil(lambda: board.model.rowCount() == 3)
    qtbot.wait(10)
    fm = board.table.fontMetrics()
    header = board.table.horizontalHeader()
    assert header.sectionSize(0) >= fm.horizontalAdvance(codes.display(p.code))
    assert header.length() <= board.table.viewport().width() + 2  # no sideways scrolling


def test_check_in_keeps_codes_whole_and_its_buttons_uncut_at_large_print(open_app, settings, qtbot):
    from PySide6.QtWidgets import QPushButton

    from tests.helpers import ready_visit

    settings.large_print = True
    s = open_app()
    s.window.showNormal()
    s.window.resize(1024, 768)
    _e, p, _v = ready_visit(s.ctx)
    s.window.show_view("check-in")
    ci = s.window.view("check-in")
    ci.search.setText(p.given_name)
    qtbot.waitUntil(lambda: ci.model.rowCount() == 1)
    ci.table.selectRow(0)
    qtbot.waitUntil(lambda: ci.checkin_button.isEnabled() or ci.card_button.isEnabled())
    qtbot.wait(10)
    fm = ci.table.fontMetrics()
    assert ci.table.horizontalHeader().sectionSize(0) >= fm.horizontalAdvance(codes.display(p.code))
    from PySide6.QtWidgets import QScrollArea

    area = next(
        a for a in ci.findChildren(QScrollArea) if a.widget().isAncestorOf(ci.checkin_button)
    )
    for b in (ci.checkin_button, ci.card_button, ci.correct_button, ci.merge_button):
        assert isinstance(b, QPushButton)
        assert b.width() >= b.fontMetrics().horizontalAdvance(b.text().replace("&", "")), b.text()
        right = b.mapTo(area.viewport(), b.rect().topRight()).x()
        assert right <= area.viewport().width(), f"{b.text()} is cut off at the right"
