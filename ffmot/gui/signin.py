"""Signing in at the start of the day: who is working at this station, so every result, note
and print carries their name (not the computer's login)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from ffmot.gui.settings import Settings


class SignInDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in for today")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        intro = QLabel(
            "Who is working at this station today? Every result, note and print is recorded "
            "under this name."
        )
        intro.setWordWrap(True)
        self.name = QLineEdit(settings.practitioner)
        self.name.setObjectName("practitionerName")
        self.name.setAccessibleName("Your name")
        self.station = QLineEdit(settings.station)
        self.station.setObjectName("stationName")
        self.station.setAccessibleName("Station name")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Sign in")
        self.buttons.accepted.connect(self.accept)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow("Your &name", self.name)
        form.addRow("S&tation", self.station)
        form.addRow(self.buttons)
        self.name.textChanged.connect(self._check)
        self.name.selectAll()
        self._check()

    def _check(self) -> None:
        ok = bool(self.name.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def accept(self) -> None:
        if not self.name.text().strip():
            return
        self.settings.practitioner = self.name.text()
        if self.station.text().strip():
            self.settings.station = self.station.text().strip()
        super().accept()

    def reject(self) -> None:
        """Esc: kept open until someone signs in, unless a name is already there for today."""
        if self.settings.signed_in_today:
            super().reject()
