"""The station timer: a countdown or a stopwatch for the station's test (core/timers.py), in
digits large enough to read from a few metres, started and stopped by one key (F5, from
anywhere on the station screen) without taking the keyboard from the result being typed.

At the end of a countdown, or when a stopwatch reaches the most the test counts, it beeps and
says "Time: stop" in large print on a flashing black and white band (a noisy hall may not hear
the beep; nothing is said by colour alone). F5 again starts a fresh timing.

The clock is passed in (`clock`, seconds as a float) so that tests move time themselves; the
display is worked out from it each tenth of a second, so a busy machine makes the display
late, never the timing wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget

from ffmot.core.i18n import _
from ffmot.core.timers import COUNTDOWN, TimerSpec

IDLE, RUNNING, STOPPED, DONE = "idle", "running", "stopped", "done"
FLASHES = 10  # half-second flashes of the "Time: stop" band


def shown(spec: TimerSpec, elapsed: float) -> str:
    """The digits: time left of a countdown (rounded up: "0:01" until it is over), or a
    stopwatch's time in tenths."""
    if spec.kind == COUNTDOWN:
        left = max(0.0, (spec.seconds or 0.0) - elapsed)
        whole = int(left) + (0 if left == int(left) else 1)
        return f"{whole // 60}:{whole % 60:02d}"
    if spec.seconds is not None:
        elapsed = min(elapsed, spec.seconds)
    return _("{seconds} s", seconds=f"{int(elapsed * 10) / 10:.1f}")


class StationTimer(QWidget):
    finished = Signal()  # a countdown ran out, or a stopwatch reached where it stops

    def __init__(
        self,
        parent: QWidget | None = None,
        clock: Callable[[], float] = time.monotonic,
        beep: Callable[[], None] = QApplication.beep,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stationTimer")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays with the result
        self.clock, self.beep = clock, beep
        self.spec: TimerSpec | None = None
        self.state = IDLE
        self.started = 0.0
        self.elapsed = 0.0
        self.flashes = 0
        self.digits = QLabel()
        self.digits.setObjectName("timerDigits")
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 3.2)
        big.setBold(True)
        self.digits.setFont(big)
        self.digits.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.said = QLabel()
        self.said.setObjectName("timerSaid")
        loud = QFont(self.font())
        loud.setPointSizeF(loud.pointSizeF() * 2.0)
        loud.setBold(True)
        self.said.setFont(loud)
        self.said.setMargin(6)
        self.said.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.digits)
        row.addWidget(self.said, 1)
        self.ticker = QTimer(self)
        self.ticker.setInterval(100)
        self.ticker.timeout.connect(self.tick)
        self.flasher = QTimer(self)
        self.flasher.setInterval(500)
        self.flasher.timeout.connect(self._flash)
        self.set_test(None)

    # --- what the buttons and keys do ----------------------------------------------------------

    def set_test(self, spec: TimerSpec | None) -> None:
        """The station's test changed: its timer, ready (hidden if the test has none)."""
        self.spec = spec
        self._reset()
        self.setVisible(spec is not None)

    def toggle(self) -> None:
        """F5: start (a fresh timing after one has stopped or run out), or stop."""
        if self.spec is None:
            return
        if self.state == RUNNING:
            self.elapsed = self.clock() - self.started
            self.state = STOPPED
            self.ticker.stop()
            self._show()
            return
        self._reset()
        self.state = RUNNING
        self.started = self.clock()
        self.ticker.start()
        self._show()

    def tick(self) -> None:
        if self.state != RUNNING or self.spec is None:
            return
        self.elapsed = self.clock() - self.started
        if self.spec.seconds is not None and self.elapsed >= self.spec.seconds:
            self.elapsed = self.spec.seconds
            self.state = DONE
            self.ticker.stop()
            self.flashes = FLASHES
            self.flasher.start()
            self.beep()
            self._show()
            self.finished.emit()
            return
        self._show()

    # --- what it shows --------------------------------------------------------------------------

    def _reset(self) -> None:
        self.ticker.stop()
        self.flasher.stop()
        self.state, self.elapsed, self.flashes = IDLE, 0.0, 0
        self._show()

    def _flash(self) -> None:
        self.flashes -= 1
        if self.flashes <= 0:
            self.flasher.stop()
        self._show()

    def _show(self) -> None:
        spec = self.spec
        if spec is None:
            self.digits.setText("")
            self.said.setText("")
            return
        self.digits.setText(shown(spec, self.elapsed))
        inverted = False
        if self.state == IDLE:
            said = _("F5: start the timer")
        elif self.state == RUNNING:
            said = _("Timing… F5: stop")
        elif self.state == STOPPED:
            said = _("Stopped. F5: time again")
        else:
            said = _("Time: stop")
            inverted = self.flashes % 2 == 0  # on, off, on... then left on
        self.said.setText(said)
        # Black on white, or white on black while it flashes: the words say it either way.
        self.said.setStyleSheet(
            "QLabel { background: black; color: white; border: 3px solid black; }"
            if inverted
            else "QLabel { border: 3px solid black; }"
            if self.state == DONE
            else ""
        )
        self.setAccessibleName(_("Timer: {time}. {said}", time=self.digits.text(), said=said))
