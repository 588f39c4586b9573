"""Training mode as a trainer meets it: a practice day in full swing with people still to
arrive, a mode that says so at start instead of carrying on silently, and every window marked.
Real widgets on real SQLite files, with the event loop running."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from ffmot.gui.app import Controller, training_db_path
from ffmot.gui.main_window import BANNER_SCALE, TRAINING_TITLE
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import InlineRunner
from ffmot.services import records as R
from ffmot.services.board import board
from tests.helpers import CEILING_MS


def _start(qtbot, settings: Settings, db: Path, training: bool | None = None):  # type: ignore[no-untyped-def]
    """ffmot as `run` starts it: training None means as the settings left it."""
    c = Controller(settings, InlineRunner(), db_url=str(db), training=training)
    s = c.open()
    s.window.resize(1280, 800)
    s.window.show()
    qtbot.waitExposed(s.window)
    return c, s


def _question(qtbot, window) -> QMessageBox:  # type: ignore[no-untyped-def]
    """The 'still in training mode' question, once it is on screen."""
    qtbot.waitUntil(lambda: getattr(window, "training_box", None) is not None)
    box: QMessageBox = window.training_box
    qtbot.waitUntil(box.isVisible)
    return box


def _close(c: Controller) -> None:
    s = c.session
    if s is not None:
        s.window.close()
        if s.ctx.is_ready:
            s.ctx.db.close()


def test_the_practice_day_is_in_full_swing_and_someone_booked_is_checked_in_live(open_app, qtbot):
    s = open_app(training=True)
    w, ctx = s.window, s.ctx
    event = ctx.current_event
    assert event is not None and event.date == dt.date.today() and event.training
    rows = board(ctx.db, event.id)
    status = {r.name: r.status for r in rows}
    assert status["Eileen Coursewell"] == "printed"
    assert status["Zoë Handoutson"] == "ready" and status["Dorothy Lessonby"] == "ready"
    assert status["Siân Tutor-Pryce"] == "testing" and status["Bernard Drillingham"] == "testing"
    assert status["Aoife Practisley"] == "screening"
    by_name = {r.name: r for r in rows}
    assert by_name["Dorothy Lessonby"].screening == "do_not_test"
    assert by_name["Siân Tutor-Pryce"].screening == "care"
    for name in ("Niamh Runthwaite", "José Showcastle", "Hélène Demofield", "Gwen Tryalldale"):
        assert name not in status  # booked, not arrived
    # The board on screen says the same.
    w.show_view("board")
    qtbot.waitUntil(lambda: w.board.model.rowCount() == len(rows))

    # Niamh arrives: find her by name, Enter, check her in.
    w.show_view("check-in")
    view = w.checkin
    w.activateWindow()  # a shortcut reaches only the active window (a busy machine may lag)
    qtbot.waitUntil(w.isActiveWindow, timeout=CEILING_MS)
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(view.search.hasFocus)
    qtbot.keyClicks(view.search, "niamh runth")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.title.text() == "Niamh Runthwaite")
    qtbot.waitUntil(view.checkin_button.isEnabled)
    qtbot.mouseClick(view.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Niamh Runthwaite" in {r.name for r in board(ctx.db, event.id)})
    row = next(r for r in board(ctx.db, event.id) if r.name == "Niamh Runthwaite")
    assert row.status == "screening"

    # Gwen came to an earlier day here: checked in, today is her retest.
    gwen = R.search_participants(ctx.db, "gwen tryalldale")
    assert len(gwen) == 1 and gwen[0].last_assessed is not None
    visit = R.check_in(ctx.db, ctx.actor, gwen[0].id, event.id)
    assert visit.previous_id is not None


def test_training_left_on_asks_at_start_and_enter_goes_back_to_the_real_database(
    qtbot, settings, tmp_path
):
    real = tmp_path / "real.db"
    settings.training = True  # left on last time
    c, s = _start(qtbot, settings, real)
    assert c.training and s.ctx.training
    box = _question(qtbot, s.window)
    qtbot.wait(100)  # painted, with the event loop running
    assert "still in training mode from last time" in box.text()
    assert "Ctrl+Shift+T" in box.text()  # how to leave, said at once
    assert TRAINING_TITLE in box.windowTitle() and TRAINING_TITLE in s.window.windowTitle()
    assert QApplication.applicationDisplayName() == TRAINING_TITLE
    banner = s.window.findChild(QLabel, "trainingBanner")
    assert banner is not None and banner.isVisible()
    assert "nothing here is real" in banner.text() and "Training mode" in banner.text()
    # Large words, not colour alone: the first line is bigger than the window's text.
    assert f"{banner.font().pointSizeF() * BANNER_SCALE:.1f}pt" in banner.text()
    assert BANNER_SCALE >= 1.3

    qtbot.keyClick(box, Qt.Key.Key_Return)  # the default: the real database
    qtbot.waitUntil(lambda: c.session is not s)
    fresh = c.session
    assert fresh is not None and not fresh.ctx.training and not c.training
    assert not s.window.isVisible()
    qtbot.waitUntil(lambda: fresh.ctx.is_ready)
    assert Path(fresh.ctx.db.path) == real
    assert TRAINING_TITLE not in fresh.window.windowTitle()
    assert fresh.window.findChild(QLabel, "trainingBanner") is None
    assert QApplication.applicationDisplayName() != TRAINING_TITLE
    assert not settings.training  # and the next start is a real one, without asking
    _close(c)
    c2, s2 = _start(qtbot, settings, real)
    qtbot.wait(100)  # a question would be open by now
    assert not c2.training and getattr(s2.window, "training_box", None) is None
    _close(c2)


def test_keep_practising_stays_in_training_and_asks_again_next_time(qtbot, settings, tmp_path):
    settings.training = True
    c, s = _start(qtbot, settings, tmp_path / "real.db")
    box = _question(qtbot, s.window)
    keep = box.findChild(type(box.defaultButton()), "keepPractisingButton")
    assert box.defaultButton() is not keep and box.escapeButton() is not keep
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible())
    qtbot.wait(50)
    assert c.session is s and c.training and settings.training
    assert Path(s.ctx.db.path) == training_db_path()
    _close(c)
    # Next start: asked again, never carried on silently.
    c2, s2 = _start(qtbot, settings, tmp_path / "real.db")
    box2 = _question(qtbot, s2.window)
    qtbot.keyClick(box2, Qt.Key.Key_Escape)  # Escape is the real database too
    qtbot.waitUntil(lambda: not c2.training)
    _close(c2)


def test_asking_for_training_on_the_command_line_does_not_ask_again(qtbot, settings, tmp_path):
    c, s = _start(qtbot, settings, tmp_path / "real.db", training=True)
    qtbot.wait(100)  # a question would be open by now
    assert getattr(s.window, "training_box", None) is None
    assert not [b for b in s.window.findChildren(QMessageBox) if b.isVisible()]
    assert s.ctx.training and settings.training
    _close(c)


def test_the_practice_day_open_never_replaces_the_real_one(open_app, settings, qtbot):
    real = open_app()
    e = R.create_event(real.ctx.db, real.ctx.actor, "Real MOT day", dt.date.today())
    real.ctx.set_event(R.get_event(real.ctx.db, e.id))
    practice = open_app(training=True)
    assert practice.ctx.current_event is not None
    assert practice.ctx.current_event.id != e.id
    back = open_app()
    assert back.ctx.current_event is not None and back.ctx.current_event.id == e.id


def test_the_practice_team_signs_in_to_the_sandbox_and_never_to_the_real_database(
    qtbot, settings, tmp_path
):
    """View ▸ Practise signing in: the sandbox gets the handout's practice team and locks, as a
    protected database does; a practice PIN opens it next time too; the real database never
    hears of them, and resetting the sandbox makes it open again."""
    import pytest
    from PySide6.QtGui import QAction

    from ffmot.core.access import NotAllowed
    from ffmot.services import practitioners as P
    from ffmot.services.demo_load import PRACTICE_TEAM
    from ffmot.store import keys
    from ffmot.store.db import connect

    real = tmp_path / "real.db"
    c, s = _start(qtbot, settings, real, training=True)
    qtbot.waitUntil(lambda: s.ctx.is_ready)
    assert s.window.findChild(QAction, "action_practitioners") is not None
    s.window.findChild(QAction, "action_practise_sign_in").trigger()
    d = s.window.sign_in_dialog
    qtbot.waitUntil(d.isVisible)
    assert d.protected and "LOCKED" in s.window.windowTitle()
    for name, _, pin in PRACTICE_TEAM:
        assert name in d.intro.text() and pin in d.intro.text()
    name, _, pin = PRACTICE_TEAM[0]  # Sam Station: a station practitioner
    d.name.setText(name)
    d.pin.setText(pin)
    qtbot.keyClick(d.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: s.ctx.signed is not None)
    assert s.ctx.signed.name == name and name in s.window.windowTitle()
    with pytest.raises(NotAllowed, match="station practitioner"):  # the role is real here
        P.add_practitioner(s.ctx.db, s.ctx.actor, "Eve", "data_lead", "615243")
    _close(c)
    keys.forget(training_db_path())
    # Next time in training the sandbox opens only for the practice team.
    c, s = _start(qtbot, settings, real, training=True)
    d = s.window.sign_in_dialog
    qtbot.waitUntil(d.isVisible)
    assert d.unlock is not None and "practice team" in d.intro.text()
    name, _, pin = PRACTICE_TEAM[2]
    d.name.setText(name)
    d.pin.setText(pin)
    qtbot.keyClick(d.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: s.ctx.is_ready and s.ctx.signed is not None)
    _close(c)
    db = connect(str(real))
    assert not P.is_protected(db)  # the real database never had the practice team
    db.close()
