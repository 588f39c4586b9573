"""A card scanned into the wrong box. A scanner types the card code and Enter into whatever has
the focus: a name box, a date box, a screening answer. Left alone, that would put the code in a
name, or (in an answer box, where typed letters choose an item) quietly change an answer.

ScanCatcher watches the boxes it is given. It remembers what a box held when a run of keys
began (the keys since the last Enter, Tab or change of box), and when Enter ends a run that is a
whole card code (check character and all), it puts every box back as it was and says which card
was scanned. A run that is not a card code is left alone: the box behaves as it always does.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox, QWidget

from ffmot.core import codes
from ffmot.core.errors import InputError

Kept = str | int


def _state(w: QWidget) -> Kept | None:
    if isinstance(w, QLineEdit):
        return w.text()
    if isinstance(w, QComboBox):
        return w.currentIndex()
    if isinstance(w, QSpinBox):
        return w.value()
    return None


def _restore(w: QWidget, kept: Kept) -> None:
    w.blockSignals(True)
    try:
        if isinstance(w, QLineEdit) and isinstance(kept, str):
            w.setText(kept)
        elif isinstance(w, QComboBox) and isinstance(kept, int):
            w.setCurrentIndex(kept)
        elif isinstance(w, QSpinBox) and isinstance(kept, int):
            w.setValue(kept)
    finally:
        w.blockSignals(False)


class ScanCatcher(QObject):
    """Emits `scanned(code)` when a card is scanned into one of the watched boxes, after putting
    the box back as it was; the Enter of the scan goes no further (it submits nothing)."""

    scanned = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run: list[str] = []
        self._box: QWidget | None = None
        self._kept: Kept | None = None

    def watch(self, *boxes: QWidget) -> None:
        for box in boxes:
            box.installEventFilter(self)

    def _reset(self, box: QWidget | None = None) -> None:
        self._run = []
        self._box = box
        self._kept = _state(box) if box is not None else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, QWidget):
            return False
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self._reset()
            return False
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if watched is not self._box:
            self._reset(watched)
        text = event.text()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            typed = "".join(self._run)
            kept = self._kept
            self._reset(watched)
            code = _card(typed)
            if code is None:
                return False
            if kept is not None:
                _restore(watched, kept)
            self.scanned.emit(code)
            return True
        if text and text.isprintable() and not text.isspace():
            if not self._run:
                self._kept = _state(watched)
            self._run.append(text)
        else:
            self._reset(watched)
        return False


def _card(typed: str) -> str | None:
    """The card code, if what was typed is one (and has a letter: a number never is)."""
    if len(typed) < 5 or not any(ch.isalpha() for ch in typed):
        return None
    try:
        return codes.normalise(typed)
    except InputError:
        return None
