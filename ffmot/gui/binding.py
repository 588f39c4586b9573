"""A check, at start, that the Qt binding keeps Python's reference counts.

PySide6 6.12.0 on Python 3.11 drops a reference to None on every Qt call that returns nothing;
a station then aborts ("none_dealloc") after a few hundred saves, losing what is on screen.
The supported versions (README, constraints.txt) do not, but an installation made another way
might. Two hundred calls cost well under a millisecond and tell for certain."""

from __future__ import annotations

import sys
from collections.abc import Callable

import PySide6
from PySide6.QtWidgets import QLabel

from ffmot.core.i18n import _


def refcount_drift(call: Callable[[], object], times: int = 200) -> int:
    """How far the reference count of None moves over `times` calls (0 when nothing leaks)."""
    call()
    before = sys.getrefcount(None)
    for _time in range(times):
        call()
    return sys.getrefcount(None) - before


def fault(call: Callable[[], object] | None = None) -> str:
    """Why this Qt binding cannot run a station all day, or "" when it can. Needs a
    QApplication."""
    if call is None:
        label = QLabel()
        call = lambda: label.setText("ffmot")  # noqa: E731
    if refcount_drift(call) >= 0:
        return ""
    return _(
        "this installation of ffmot uses PySide6 {pyside} on Python {python}, which has a known "
        "fault: it would stop without warning after a few hundred saves. Please reinstall ffmot "
        "with its supported versions (see the README: 'make run' does this), or ask whoever "
        "installed it.",
        pyside=PySide6.__version__,
        python=sys.version.split()[0],
    )
