"""One keyboard model: on each screen every Alt+letter reaches one thing. A letter shared by
two labels or buttons (or by a label and a menu) means Alt+letter cannot reach one of them."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget

from ffmot.gui.main_window import VIEWS

AMP = re.compile(r"&([^&\s])")


def mnemonic(text: str) -> str | None:
    m = AMP.search(text.replace("&&", ""))
    return m.group(1).lower() if m else None


def letters(root: QWidget) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for w in root.findChildren(QWidget):
        # hidden panels count too: they share the screen when they are open
        if isinstance(w, QLabel | QAbstractButton):
            text = w.text()
        elif isinstance(w, QGroupBox):
            text = w.title()
        else:
            continue
        key = mnemonic(text)
        if key is not None and not key.isdigit():  # 1-5 are the 'not done' panel keys
            found[key].append(text)
    return found


@pytest.mark.parametrize("name", VIEWS)
def test_every_alt_letter_on_a_screen_reaches_one_thing(day, qtbot, name):
    w = day.window
    w.show_view(name)
    view = w.view(name)
    if name == "station":
        ada, _ = day.people["Ada"]
        view.code.setText(ada.code)
        view.lookup()
    qtbot.wait(10)
    found = letters(view)
    for action in w.menuBar().actions():
        key = mnemonic(action.text())
        if key is not None:
            found[key].append(f"menu {action.text()}")
    shared = {k: v for k, v in found.items() if len(v) > 1}
    assert not shared, f"{name}: shared Alt+letters {shared}"


def test_every_station_test_keeps_alt_letters_unique(day, qtbot):
    w = day.window
    w.show_view("station")
    st = w.station
    menus = [mnemonic(a.text()) for a in w.menuBar().actions()]
    for i in range(st.test_combo.count()):
        st.test_combo.setCurrentIndex(i)
        found = letters(st)
        for key in menus:
            if key is not None:
                found[key].append("menu")
        shared = {k: v for k, v in found.items() if len(v) > 1}
        assert not shared, f"{st.test_combo.currentText()}: shared Alt+letters {shared}"


def test_every_menu_item_has_its_own_letter(day):
    for action in day.window.menuBar().actions():
        menu = action.menu()
        assert menu is not None
        found: dict[str, list[str]] = defaultdict(list)
        for item in menu.actions():
            key = mnemonic(item.text())
            if key is not None:
                found[key].append(item.text())
        shared = {k: v for k, v in found.items() if len(v) > 1}
        assert not shared, f"menu {action.text()}: shared letters {shared}"
