"""The window on a protected database: signing in with a PIN the database checks, Esc never
getting past it, the idle lock that keeps what was typed, and a real window driven by keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from ffmot.core.access import NotAllowed
from ffmot.gui.app import Controller, _finish_work
from ffmot.gui.tasks import InlineRunner
from ffmot.services import practitioners as P
from ffmot.services import records as R
from ffmot.store.db import connect
from tests.gui.real_app import RealApp, prepare_day
from tests.xserver import x_display


def _protect(path: Path) -> None:
    db = connect(str(path))
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    P.add_practitioner(db, dana, "Colin Coord", "coordinator", "730146")
    db.close()


@pytest.fixture
def protected_window(settings, tmp_path, qtbot):  # type: ignore[no-untyped-def]
    path = tmp_path / "ffmot.db"
    _protect(path)
    settings.practitioner = "Colin Coord"
    c = Controller(settings, InlineRunner(), db_url=str(path))
    s = c.open()
    qtbot.addWidget(s.window)
    s.window.show()
    yield c, s
    s.window.close()
    _finish_work(c)


def _dialog(s):  # type: ignore[no-untyped-def]
    d = getattr(s.window, "sign_in_dialog", None)
    assert d is not None and d.isVisible() and d.protected
    return d


def test_the_window_asks_for_a_pin_and_esc_does_not_get_past_it(protected_window, qtbot):
    _c, s = protected_window
    d = _dialog(s)
    assert "LOCKED" in s.window.windowTitle()
    assert not s.window.centralWidget().isVisible()  # no records show behind the sign-in
    qtbot.keyClick(d, Qt.Key.Key_Escape)
    assert d.isVisible()
    with pytest.raises(NotAllowed):  # nothing can be done under a name without its PIN
        R.create_event(s.ctx.db, s.ctx.actor, "Day", dt.date.today())


def test_a_wrong_pin_is_said_and_cleared_the_right_one_signs_in(protected_window, qtbot):
    _c, s = protected_window
    d = _dialog(s)
    assert d.pin.echoMode() == QLineEdit.EchoMode.Password
    d.name.setText("Colin Coord")
    d.pin.setText("000000")
    qtbot.keyClick(d.pin, Qt.Key.Key_Return)
    assert d.isVisible() and "do not match" in d.said.text() and d.pin.text() == ""
    # the refusal is read whole: the dialog grew to hold it and the words above it
    for label in (d.said, d.intro):
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    d.pin.setText("730146")
    qtbot.keyClick(d.pin, Qt.Key.Key_Return)
    assert not d.isVisible()
    assert "Colin Coord" in s.window.windowTitle() and "LOCKED" not in s.window.windowTitle()
    assert s.ctx.actor.practitioner_id
    e = R.create_event(s.ctx.db, s.ctx.actor, "Day", dt.date.today())
    assert e.name == "Day"


def test_the_idle_lock_keeps_what_was_typed_and_needs_a_pin_again(protected_window, qtbot):
    c, s = protected_window
    d = _dialog(s)
    d.name.setText("Colin Coord")
    d.pin.setText("730146")
    qtbot.keyClick(d.pin, Qt.Key.Key_Return)
    idle = c.session.idle
    assert idle is not None and idle.timer.isActive()
    assert idle.timer.interval() == 10 * 60_000  # resources/access.toml
    s.window.show_view("check-in")
    s.window.checkin.search.setText("half-typed search")
    idle.timer.timeout.emit()  # ten minutes untouched
    again = _dialog(s)
    assert "locked after 10 minutes untouched" in again.intro.text()
    assert "LOCKED" in s.window.windowTitle() and s.ctx.signed is None
    with pytest.raises(NotAllowed):
        R.create_event(s.ctx.db, s.ctx.actor, "Day", dt.date.today())
    assert not s.window.centralWidget().isVisible()
    assert s.window.checkin.search.text() == "half-typed search"
    again.pin.setText("730146")
    qtbot.keyClick(again.pin, Qt.Key.Key_Return)
    assert not again.isVisible() and "Colin Coord" in s.window.windowTitle()
    assert s.window.centralWidget().isVisible()
    assert s.window.checkin.search.text() == "half-typed search"
    assert idle.timer.isActive()


def test_an_open_database_asks_for_no_pin(settings, tmp_path, qtbot):
    c = Controller(settings, InlineRunner(), db_url=str(tmp_path / "open.db"))
    s = c.open()
    qtbot.addWidget(s.window)
    assert not s.ctx.protected and c.session.idle is None
    d = getattr(s.window, "sign_in_dialog", None)
    assert d is None or not d.protected
    s.window.close()
    _finish_work(c)


def test_a_real_window_signs_in_by_keys(tmp_path):
    day = prepare_day(tmp_path / "day")
    _protect(day.db)
    with x_display(tmp_path / "x") as display, RealApp(tmp_path / "app", display, day) as app:
        app.wait_for_window(lambda name: name == "Sign in for today", "sign-in")
        main = app.wait_for_window(lambda name: "LOCKED" in name, "the locked title")
        app.key("ctrl+a")
        app.type("Dana Lead")
        app.key("Tab")
        app.type("482913")
        app.screenshot(tmp_path / "sign-in.png")
        app.key("Return")
        app.wait_for(lambda: "Dana Lead" in app.window_name(main) or None, "the name in the title")
        app.screenshot(tmp_path / "signed-in.png")
        app.assert_alive("after signing in")
