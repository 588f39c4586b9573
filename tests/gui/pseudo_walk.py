"""Reading the window as a translator's check does: every text a person can see on each screen
and in the menus, and the words of it that never went through translation (in the
pseudo-language every translated word has an accented letter). Used by
tests/gui/test_pseudo_window.py and tools/pseudo-window."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTableView,
    QWidget,
)

# Not words of ffmot's: the product's name and the keys' names Qt prints in shortcuts.
NOT_WORDS = ["ffmot", "MOT", "Ctrl", "Alt", "Shift", "Esc", "Enter", "Tab", "PgUp", "PgDown"]


def texts(root: QWidget) -> list[str]:
    """Everything a person can read on `root` (visible widgets), or hear (accessible names)."""
    found = [root.windowTitle()] if root.isWindow() else []
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root):
            continue
        if isinstance(w, QLabel | QAbstractButton):
            found.append(w.text())
        elif isinstance(w, QGroupBox):
            found.append(w.title())
        elif isinstance(w, QLineEdit):
            found.append(w.placeholderText())
        elif isinstance(w, QComboBox):
            found += [w.itemText(i) for i in range(w.count())]
        elif isinstance(w, QTableView) and w.model() is not None:
            m = w.model()
            found += [
                str(m.headerData(c, Qt.Orientation.Horizontal) or "")
                for c in range(m.columnCount())
            ]
        found += [w.toolTip(), w.accessibleName()]
    return [t for t in found if t]


def menu_texts(window: QMainWindow) -> list[str]:
    found = []
    for menu in window.menuBar().actions():
        found.append(menu.text())
        if menu.menu() is not None:
            found += [a.text() for a in menu.menu().actions() if a.text()]
    return found


def plain_words(found: list[str], data: list[str]) -> list[str]:
    """Words of plain ASCII letters, once markup, mnemonics and `data` (people, places: not
    words of ffmot's) are taken out."""
    words = []
    for t in found:
        rest = re.sub(r"<[^>]+>", " ", t).replace("&", "")
        for item in sorted([*data, *NOT_WORDS], key=len, reverse=True):
            rest = rest.replace(item, " ")
        words += [w for w in re.findall(r"[^\W\d_]+", rest) if re.fullmatch(r"[A-Za-z]{2,}", w)]
    return words
