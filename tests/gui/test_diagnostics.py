"""Help ▸ Copy diagnostics: the text on the clipboard, said in the status bar, with the Qt
version and the open database's kind, and nobody from the log even when errors named them."""

from __future__ import annotations

import logging

from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication

from ffmot import __version__
from ffmot.core import logs
from ffmot.gui.diagnostics import copy_diagnostics
from tests.helpers import log_handlers_kept


def test_copy_diagnostics_puts_the_text_on_the_clipboard_with_no_one_in_it(
    day, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # this test's own log
    with log_handlers_kept():
        assert logs.setup("gui") == tmp_path / "state" / "ffmot" / "log" / "ffmot.log"
        try:
            raise ValueError("could not save Ada Sampleton, born 1949-03-14")
        except ValueError:
            logging.getLogger("ffmot").exception("unexpected problem while saving")
        text = copy_diagnostics(day.window)
    clipboard = QGuiApplication.clipboard()
    assert clipboard is not None and clipboard.text() == text
    assert "Diagnostics copied" in day.window.statusBar().currentMessage()
    assert f"ffmot: {__version__}" in text and f"Qt {qVersion()}" in text
    assert "Database: a file on this computer, encrypted (SQLCipher)" in text
    assert "ValueError: could not save" in text and "unexpected problem while saving" in text
    assert "Norm set: " + day.ctx.norms.version in text
    for item in ("Ada", "Sampleton", "1949-03-14"):
        assert item not in text, item
