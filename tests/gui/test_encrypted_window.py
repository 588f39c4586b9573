"""The window on an encrypted database: a file that opens only with a practitioner's PIN is
unlocked by signing in, and an open one is protected from File ▸ Practitioners, which shows the
recovery code once and will not close until it is written down."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from ffmot.gui.app import Controller, _finish_work
from ffmot.gui.tasks import InlineRunner
from ffmot.services import practitioners as P
from ffmot.services import records as R
from ffmot.store import keys
from ffmot.store.db import connect


def _locked(path: Path) -> None:
    """A protected, encrypted file, its key forgotten by this process: as a laptop at rest."""
    db = connect(str(path))
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    R.create_event(db, dana, "Keswick MOT day", dt.date.today())
    db.close()
    keys.forget(path)


@pytest.fixture
def window(settings, tmp_path, qtbot):  # type: ignore[no-untyped-def]
    made = []

    def open_on(path: Path):  # type: ignore[no-untyped-def]
        c = Controller(settings, InlineRunner(), db_url=str(path))
        s = c.open()
        qtbot.addWidget(s.window)
        s.window.show()
        made.append((c, s))
        return s

    yield open_on
    for c, s in made:
        s.window.close()
        _finish_work(c)


def test_a_locked_file_opens_only_when_a_practitioner_signs_in(window, tmp_path, qtbot):
    path = tmp_path / "ffmot.db"
    _locked(path)
    s = window(path)
    d = s.window.sign_in_dialog
    assert d.isVisible() and d.protected and d.unlock is not None
    assert "encrypted" in d.intro.text()
    assert not s.ctx.is_ready and "LOCKED" in s.window.windowTitle()
    assert not s.window.centralWidget().isVisible()
    qtbot.keyClick(d, Qt.Key.Key_Escape)  # Esc does not get past it
    assert d.isVisible()
    d.name.setText("Dana Lead")
    d.pin.setText("000000")
    qtbot.keyClick(d.pin, Qt.Key.Key_Return)
    assert d.isVisible() and "do not match" in d.said.text() and d.pin.text() == ""
    assert not s.ctx.is_ready  # a wrong PIN opens nothing
    d.pin.setText("482913")
    qtbot.keyClick(d.pin, Qt.Key.Key_Return)
    assert not d.isVisible()
    assert s.ctx.is_ready and s.ctx.signed is not None and s.ctx.signed.name == "Dana Lead"
    assert "Dana Lead" in s.window.windowTitle() and "LOCKED" not in s.window.windowTitle()
    assert [e.name for e in R.list_events(s.ctx.db)] == ["Keswick MOT day"]
    assert s.idle is not None and s.lock is not None  # the idle lock, and the window's hold


def test_the_first_data_lead_is_made_in_the_window_and_the_recovery_code_shown_once(
    window, tmp_path, qtbot, settings
):
    path = tmp_path / "ffmot.db"
    settings.large_print = True  # where the warning was once cut off
    s = window(path)
    qtbot.waitUntil(lambda: s.ctx.is_ready)
    if getattr(s.window, "sign_in_dialog", None) is not None:
        s.window.sign_in_dialog.done(0)  # the day's name: not needed here
    assert keys.is_open_to_device(path)  # until a data lead is made, this account keeps the key
    assert "NO DATA LEAD" in s.window.where.text()  # said where it is always seen
    s.window.findChild(QAction, "action_practitioners").trigger()
    from ffmot.gui.practitioners import FirstLeadDialog, RecoveryCodeDialog

    d = s.window.findChild(FirstLeadDialog)
    assert d is not None and d.isVisible()
    d.name.setText("Dana Lead")
    d.pin.setText("482913")
    d.again.setText("482914")
    qtbot.keyClick(d.again, Qt.Key.Key_Return)
    assert d.isVisible() and "not the same" in d.said.text()
    for label in (d.words, d.said):
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    assert not P.is_protected(s.ctx.db)
    d.pin.setText("482913")
    d.again.setText("482913")
    qtbot.keyClick(d.again, Qt.Key.Key_Return)
    assert not d.isVisible()
    shown = s.window.findChild(RecoveryCodeDialog)
    assert shown is not None and shown.isVisible()
    code = shown.code.accessibleName().removeprefix("Recovery code ").replace(" ", "-")
    assert code == P.recovery_code(s.ctx.db)
    for label in (shown.words, shown.code):  # read whole, never cut off
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    assert not shown.close_button.isEnabled()
    qtbot.keyClick(shown, Qt.Key.Key_Escape)
    assert shown.isVisible()  # never lost by a stray key: it is not shown again
    qtbot.keyClick(shown.written, Qt.Key.Key_Space)
    assert shown.close_button.isEnabled()
    qtbot.mouseClick(shown.close_button, Qt.MouseButton.LeftButton)
    assert not shown.isVisible()
    # Protected, signed in, and the key no longer kept by this computer account.
    assert s.ctx.protected and s.ctx.signed is not None and s.ctx.signed.name == "Dana Lead"
    assert not keys.is_open_to_device(path)
    assert "NO DATA LEAD" not in s.window.where.text()
    s.window.close()
    s.ctx.db.close()
    keys.forget(path)
    with pytest.raises(keys.Locked):
        connect(str(path))
    keys.recover(path, code)  # the code written down opens it
    db = connect(str(path))
    assert P.is_protected(db)
    db.close()


def test_a_real_window_protects_its_database_by_keys_on_a_projector(tmp_path):
    """On a 1024x768 projector in large print, by keys alone: the data lead is made from the
    File menu, the recovery code is read off the screen, and the file then opens only for a PIN
    (the next start asks for one)."""
    from tests.gui.real_app import RealApp, prepare_day
    from tests.xserver import x_display

    day = prepare_day(tmp_path / "day")
    with (
        x_display(tmp_path / "x", size="1024x768") as display,
        RealApp(tmp_path / "app", display, day, large_print=True) as app,
    ):
        main = app.wait_for_main_window()
        app.key("alt+f")
        app.key("p")
        app.wait_for_window(lambda name: name.startswith("Protect this database"), "first lead")
        app.key("ctrl+a")
        app.type("Dana Lead")
        app.key("Tab")
        app.type("482913")
        app.key("Tab")
        app.type("482913")
        app.screenshot(tmp_path / "first-lead.png")
        app.key("Return")
        app.wait_for_window(lambda name: name == "Write down the recovery code", "the code")
        app.settled()
        app.screenshot(tmp_path / "recovery-code.png")
        app.key("space")  # "I have written it down"
        app.key("Tab")
        app.key("Return")
        app.wait_for(lambda: "Dana Lead" in app.window_name(main) or None, "signed in")
        app.assert_alive("after protecting the database")
    assert not keys.is_open_to_device(day.db)
    with (
        x_display(tmp_path / "x2", size="1024x768") as display,
        RealApp(tmp_path / "app2", display, day, large_print=True) as app,
    ):
        app.wait_for_window(lambda name: name == "Sign in for today", "sign-in")
        main = app.wait_for_window(lambda name: "LOCKED" in name, "the locked title")
        app.key("ctrl+a")
        app.type("Dana Lead")
        app.key("Tab")
        app.type("482913")
        app.settled()
        app.screenshot(tmp_path / "unlock.png")
        app.key("Return")
        app.wait_for(lambda: "Dana Lead" in app.window_name(main) or None, "unlocked")
        app.settled()
        app.screenshot(tmp_path / "unlocked.png")
        app.assert_alive("after unlocking")
    # Everything the app and the day left on disk, read byte by byte as a finder would: the
    # database, its key file, the log, the settings, drafts and locks hold nothing of Ada.
    found = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".png"]
    assert any(p.name == "day.db" for p in found) and any(p.name == "ffmot.log" for p in found)
    for p in found:
        blob = p.read_bytes()
        for secret in (b"Sampleton", day.code.encode(), b"Fellside", b"1949-03-14"):
            assert secret not in blob, (p, secret)


def test_a_file_made_before_encryption_says_so_where_it_is_always_seen(window, tmp_path, qtbot):
    from tests.helpers import plain_database_file

    plain = window(plain_database_file(tmp_path / "old.db"))
    qtbot.waitUntil(lambda: plain.ctx.is_ready)
    assert "NOT ENCRYPTED" in plain.window.where.text()
    assert "ffmot db encrypt" in plain.window.where.text()
    encrypted = window(tmp_path / "new.db")
    qtbot.waitUntil(lambda: encrypted.ctx.is_ready)
    assert encrypted.ctx.db.encrypted and "NOT ENCRYPTED" not in encrypted.window.where.text()


def test_the_first_start_of_the_day_on_an_open_database_asks_for_its_data_lead(tmp_path, qtbot):
    """Signing in for the day on an open database asks for its data lead at once; "Not now"
    (or Esc) leaves it open, with the footer saying so; a day already signed in is not asked."""
    from ffmot.gui.practitioners import FirstLeadDialog
    from ffmot.gui.settings import Settings

    fresh = Settings(tmp_path / "fresh" / "ffmot.ini")
    c = Controller(fresh, InlineRunner(), db_url=str(tmp_path / "new.db"))
    s = c.open()
    qtbot.addWidget(s.window)
    s.window.show()
    qtbot.waitUntil(lambda: getattr(s.window, "sign_in_dialog", None) is not None)
    d = s.window.sign_in_dialog
    qtbot.waitUntil(d.isVisible)
    assert s.window.findChild(FirstLeadDialog) is None  # one question at a time
    qtbot.keyClicks(d.name, "Morag Keyworth")
    qtbot.keyClick(d.name, Qt.Key.Key_Return)
    lead = s.window.findChild(FirstLeadDialog)
    assert lead is not None and lead.isVisible() and lead.name.text() == "Morag Keyworth"
    assert "&Not now" in [b.text() for b in lead.buttons.buttons()]
    qtbot.keyClick(lead, Qt.Key.Key_Escape)
    assert not lead.isVisible() and not s.ctx.protected
    assert "NO DATA LEAD" in s.window.where.text()
    s.window.close()
    _finish_work(c)
    # The same day, already signed in: not asked again at start.
    c = Controller(fresh, InlineRunner(), db_url=str(tmp_path / "new.db"))
    s = c.open()
    qtbot.addWidget(s.window)
    s.window.show()
    qtbot.waitUntil(lambda: s.ctx.is_ready)
    found = s.window.findChild(FirstLeadDialog)
    assert found is None or not found.isVisible()
    s.window.close()
    _finish_work(c)
