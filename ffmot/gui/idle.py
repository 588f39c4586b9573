"""The idle lock: on a protected database, a window left untouched for a while (the policy in
resources/access.toml) locks. Whoever comes back signs in with their own PIN; what was being
typed stays on screen, and nothing can be saved under the last person's name meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

# What counts as someone at the keyboard: typing, clicking, scrolling, or moving the pointer.
_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleLock(QObject):
    def __init__(self, minutes: int, lock: Callable[[], None]) -> None:
        super().__init__()
        self.minutes = minutes
        self._lock = lock
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(minutes * 60_000)
        self.timer.timeout.connect(self._timed_out)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: ARG002 (Qt's)
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()  # from now
        return False

    def _timed_out(self) -> None:
        self._lock()

    def resume(self) -> None:
        """Someone signed in again: the clock starts afresh."""
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
