"""The main window's size and place: fitted to the screen it opens on, and remembered."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ffmot.gui.settings import Settings

PREFERRED = QSize(1280, 800)


def fit_to_screen(window: QWidget, settings: Settings) -> None:
    """The size and place it had last time if that still fits a screen; otherwise the
    preferred size, shrunk to the screen's free area (a 1366x768 laptop, a 1024x768
    projector), and maximised when the screen is smaller than the preferred size."""
    saved = settings.window_geometry
    if saved and window.restoreGeometry(QByteArray.fromHex(saved.encode("ascii"))):
        screen = window.screen() or QGuiApplication.primaryScreen()
        if screen is None or screen.availableGeometry().intersects(window.frameGeometry()):
            return
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(PREFERRED)
        return
    free = screen.availableGeometry()
    size = PREFERRED.boundedTo(free.size())
    window.resize(size)
    window.move(free.center() - window.rect().center())
    if free.width() < PREFERRED.width() or free.height() < PREFERRED.height():
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def remember(window: QWidget, settings: Settings) -> None:
    settings.window_geometry = bytes(window.saveGeometry().toHex().data()).decode("ascii")
