"""Help ▸ Copy diagnostics: ffmot/services/diagnostics.py's text, with the Qt versions and the
open database's own words, put on the clipboard for the practitioner to paste into a message."""

from __future__ import annotations

from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication

from ffmot.core.i18n import N_, _

if TYPE_CHECKING:
    from ffmot.gui.main_window import MainWindow

COPIED = N_(
    "Diagnostics copied: paste them into a message to whoever helps you with ffmot "
    "(they hold no one's personal data)"
)


def copy_diagnostics(window: MainWindow) -> str:
    """Copies the diagnostics to the clipboard, says so in the window's status bar, and
    returns the text."""
    from ffmot.services.diagnostics import diagnostics_text

    ctx = window.ctx
    if ctx.is_ready:
        url: str | None = ctx.db.url
        encrypted: bool | None = ctx.db.encrypted if ctx.db.kind == "sqlite" else None
        norms = ctx.norms.which
    else:  # still opening, or it could not be opened: what the settings name
        from ffmot.core.paths import data_dir

        sandbox = str(data_dir() / "training.db")
        url = sandbox if ctx.training else (ctx.settings.database_url or None)
        encrypted, norms = None, ""
    text = diagnostics_text(
        url,
        qt=f"Qt {qVersion()}, PySide6 {PySide6.__version__}",
        encrypted=encrypted,
        norms=norms,
        training=bool(ctx.training),
    )
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)
    window.statusBar().showMessage(_(COPIED), 10_000)
    return text
