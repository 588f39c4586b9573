"""The keyboard model in forms: Tab leaves the date box, Enter submits a form once, the tab
bar never holds the focus, and a line said of one person never shows under the next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffmot.services import records as R


def test_tab_leaves_the_date_and_enter_sets_up_the_day_once(day, qtbot):
    s = day
    before = [e.name for e in R.list_events(s.ctx.db)]
    w = s.window
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    ev = w.events
    ev.name.setFocus()
    qtbot.keyClicks(ev.name, "Keswick MOT day")
    qtbot.keyClick(ev.name, Qt.Key.Key_Tab)
    assert ev.date.hasFocus(), f"Tab went to {QApplication.focusWidget()}"
    qtbot.keyClick(ev.date, Qt.Key.Key_Tab)  # a plain date box moved to the month here
    assert ev.venue.hasFocus(), f"Tab went to {QApplication.focusWidget()}"
    qtbot.keyClicks(ev.venue, "Fitz Park pavilion")
    ev.create_button.setEnabled(False)  # as while the first is being set up
    qtbot.keyClick(ev.venue, Qt.Key.Key_Return)
    assert [e.name for e in R.list_events(s.ctx.db)] == before
    ev.create_button.setEnabled(True)
    qtbot.keyClick(ev.venue, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: s.ctx.current_event.name == "Keswick MOT day")
    names = [e.name for e in R.list_events(s.ctx.db)]
    assert sorted(names) == sorted([*before, "Keswick MOT day"])
    assert s.ctx.current_event.venue == "Fitz Park pavilion"


def test_enter_in_the_date_box_submits_the_form(day, qtbot):
    s = day
    s.window.show_view("events")
    ev = s.window.events
    ev.name.setText("Penrith MOT day")
    ev.date.setFocus()
    qtbot.keyClick(ev.date, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: s.ctx.current_event.name == "Penrith MOT day")
    assert s.ctx.current_event.name == "Penrith MOT day"


def test_the_tab_bar_never_takes_the_focus(day, qtbot):
    w = day.window
    bar = w.tabs.tabBar()
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # the MOT days
    for _ in range(40):  # Tab round the whole screen: it must never stop on the tabs
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert not bar.hasFocus()
    for n, key in enumerate((Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_6)):
        qtbot.keyClick(w, key, Qt.KeyboardModifier.ControlModifier)
        here = QApplication.focusWidget()
        assert here is not None and here is not bar, n
        assert w.current_view().isAncestorOf(here)


def test_already_recorded_is_not_said_under_the_next_person(day, qtbot):
    from tests.gui.test_station import scan, station

    st = station(day, qtbot)
    ada, visit = day.people["Ada"]
    bert, _ = day.people["Bert"]
    R.save_result(day.ctx.db, day.ctx.actor, visit.id, "chair_stand", [(12, "")])
    scan(qtbot, st, ada.code)
    assert "Already recorded" in st.status.text()
    st.clear()
    scan(qtbot, st, bert.code)
    assert st.person.code == bert.code and "Already recorded" not in st.status.text()
