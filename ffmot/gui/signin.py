"""Signing in at the start of the day: who is working at this station, so every result, note
and print carries their name (not the computer's login).

On a protected database (named practitioners, services/practitioners.py) the practitioner
signs in with their own PIN, checked by the database, every time the window opens and
whenever it has been locked; Esc does not get past it, and "Quit ffmot" is the only other way
out. What was being typed stays on screen behind it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from ffmot.core.i18n import _
from ffmot.gui.settings import Settings

if TYPE_CHECKING:
    from ffmot.gui.context import AppContext


def _practice_words() -> str:
    from ffmot.services.demo_load import practice_team_words

    return " " + _(
        "Training: sign in as one of the practice team ({team}).", team=practice_team_words()
    )


class SignInDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        ctx: AppContext | None = None,
        locked_after: int = 0,
        unlock: Callable[[str, str, str], object] | None = None,
    ) -> None:
        """`unlock`: for an encrypted database that opens only with a practitioner's PIN
        (ffmot/store/keys.py): run on a worker with the name, PIN and station, it opens the
        database and signs them in, returning their Actor."""
        super().__init__(parent)
        self.settings = settings
        self.ctx = ctx
        self.unlock = unlock
        self.protected = ctx is not None and (ctx.protected or unlock is not None)
        self.setObjectName("signInDialog")
        self.setWindowTitle(_("Sign in for today"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        intro = QLabel(
            _(
                "Who is working at this station today? Every result, note and print is "
                "recorded under this name."
            )
        )
        intro.setWordWrap(True)
        self.intro = intro
        self.name = QLineEdit(settings.practitioner)
        self.name.setObjectName("practitionerName")
        self.name.setAccessibleName(_("Your name"))
        self.station = QLineEdit(settings.station)
        self.station.setObjectName("stationName")
        self.station.setAccessibleName(_("Station name"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("&Sign in"))
        self.buttons.accepted.connect(self.accept)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow(_("Your &name"), self.name)
        if self.protected:
            intro.setText(
                (
                    _(
                        "The window was locked after {minutes} minutes untouched. Anything "
                        "typed is kept.",
                        minutes=locked_after,
                    )
                    + " "
                    if locked_after
                    else ""
                )
                + _(
                    "Sign in with your own name and PIN. Every result, note and print is "
                    "recorded under your name."
                )
                + (
                    " " + _("The records are encrypted on this computer: your PIN unlocks them.")
                    if unlock is not None
                    else ""
                )
                + (_practice_words() if ctx is not None and ctx.training else "")
            )
            self.pin = QLineEdit()
            self.pin.setObjectName("pin")
            self.pin.setAccessibleName(_("Your PIN or password"))
            self.pin.setEchoMode(QLineEdit.EchoMode.Password)
            form.addRow(_("Your &PIN"), self.pin)
            self.pin.textChanged.connect(self._check)
            quit_button = self.buttons.addButton(
                _("&Quit ffmot"), QDialogButtonBox.ButtonRole.DestructiveRole
            )
            quit_button.setObjectName("quitButton")
            quit_button.clicked.connect(self._quit)
        form.addRow(_("S&tation"), self.station)
        self.said = QLabel("")
        self.said.setObjectName("signInMessage")
        self.said.setWordWrap(True)
        form.addRow(self.said)
        form.addRow(self.buttons)
        # Wide enough for a sentence a line at any print size (the PIN refusal is two lines).
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 56)
        self.name.textChanged.connect(self._check)
        self.name.selectAll()
        self._check()

    def _check(self) -> None:
        ok = bool(self.name.text().strip())
        if self.protected:
            ok = ok and bool(self.pin.text())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def accept(self) -> None:
        if not self.name.text().strip():
            return
        if self.protected:
            self._check_pin()
            return
        self._signed_in()

    def _signed_in(self) -> None:
        self.settings.practitioner = self.name.text()
        if self.station.text().strip():
            self.settings.station = self.station.text().strip()
        super().accept()

    def _check_pin(self) -> None:
        """The PIN is checked by the database, on a worker (Argon2 takes a moment)."""
        ctx = self.ctx
        assert ctx is not None
        name, pin = self.name.text().strip(), self.pin.text()
        station = self.station.text().strip() or self.settings.station
        self.buttons.setEnabled(False)
        self.said.setText(_("Checking…"))

        unlock = self.unlock

        def work() -> object:
            if unlock is not None:
                return unlock(name, pin, station)
            from ffmot.services.practitioners import sign_in

            return sign_in(ctx.db, name, pin, station)

        def done(actor: object) -> None:
            from ffmot.services.types import Actor

            assert isinstance(actor, Actor)
            ctx.signed = actor
            self.buttons.setEnabled(True)
            self._signed_in()

        def failed(e: BaseException) -> None:
            from ffmot.core.errors import FfmotError, sentence

            self.buttons.setEnabled(True)
            why = sentence(e) if isinstance(e, FfmotError) else _("The PIN could not be checked.")
            self.said.setText(why)
            self.said.setAccessibleName(why)
            self.adjustSize()  # the dialog grows to hold the words, never cuts them off
            self.pin.clear()
            self.pin.setFocus()

        ctx.runner.run(work, done, failed)

    def _quit(self) -> None:
        parent = self.parentWidget()
        self.done(QDialog.DialogCode.Rejected)
        if parent is not None:
            parent.close()

    def reject(self) -> None:
        """Esc: kept open until someone signs in, unless a name is already there for today
        (never on a protected database: only a PIN, or Quit, gets past it)."""
        if self.protected:
            return
        if self.settings.signed_in_today:
            super().reject()
