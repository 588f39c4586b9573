"""One person from check-in to their sheet by keyboard alone, counting every key pressed, as
README's keystroke figure says. Keys go to whatever has the focus, as a keyboard or a card
scanner would; a scan (the code and Enter, typed by the scanner) counts as one."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from ffmot.core import screening
from ffmot.gui.printing import open_previews
from ffmot.services import records as R

# One number per test, typed at its station.
VALUES = {
    "chair_stand": "14",
    "arm_curl": "17",
    "grip": "26",
    "up_and_go": "5.9",
    "single_leg_stance": "12",
    "step_2min": "80",
    "sit_and_reach": "1.5",
    "back_scratch": "-6",
    "bmi": ("160", "62", "84"),
    "activity": ("150", "2", "1", "6"),
}


class Keys:
    """Presses keys into the focused widget and counts them."""

    def __init__(self, qtbot) -> None:  # type: ignore[no-untyped-def]
        self.qtbot = qtbot
        self.count = 0
        self.scans = 0

    def focused(self):  # type: ignore[no-untyped-def]
        w = QApplication.focusWidget()
        assert w is not None, "nothing has the keyboard focus"
        return w

    def press(self, key: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier):
        QTest.keyClick(self.focused(), key, mod)
        self.count += 1

    def type(self, text: str) -> None:
        for ch in text:
            QTest.keyClicks(self.focused(), ch)
            self.count += 1

    def scan(self, code: str) -> None:
        """The scanner types the code and Enter: one action for the practitioner."""
        QTest.keyClicks(self.focused(), code)
        QTest.keyClick(self.focused(), Qt.Key.Key_Return)
        self.scans += 1


def test_one_person_from_check_in_to_their_sheet_by_keyboard(day, qtbot):
    ctx, w = day.ctx, day.window
    p = R.register_participant(
        ctx.db,
        ctx.actor,
        "Siân",
        "Ó Briain",
        dt.date(1948, 2, 2),
        "female",
        consents={"keep_results": True},
    )
    keys = Keys(qtbot)
    ctrl, alt = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier

    # Check-in: find them by their card, check them in, nine screening answers, record.
    keys.press(Qt.Key.Key_2, ctrl)
    ci = w.checkin
    qtbot.waitUntil(lambda: ci.search.hasFocus())
    keys.scan(p.code)
    qtbot.waitUntil(lambda: ci.person is not None and ci.person.id == p.id)
    keys.press(Qt.Key.Key_I, alt)
    qtbot.waitUntil(lambda: ci.visit is not None)
    for n, _q in enumerate(screening.QUESTIONS):
        keys.type("N")  # "No"
        if n < len(screening.QUESTIONS) - 1:
            keys.press(Qt.Key.Key_Tab)
    keys.press(Qt.Key.Key_R, alt)
    qtbot.waitUntil(lambda: ci.visit is not None and ci.visit.screening is not None)
    assert ci.visit.screening.outcome == screening.CLEAR
    check_in_keys = keys.count + keys.scans

    # Stations: each station's test is chosen once for the day; for this person, a scan,
    # the numbers, Enter between them and Enter to save.
    before = keys.count + keys.scans
    keys.press(Qt.Key.Key_3, ctrl)
    st = w.station
    offered = list(ctx.current_event.tests_offered)
    for tid in (t for t in offered if t != "waist"):  # measured at the BMI station
        st.test_combo.setCurrentIndex(st.test_combo.findData(tid))  # the station's set-up
        st.code.setFocus()
        keys.scan(p.code)
        qtbot.waitUntil(lambda: st.visit is not None and st.fields[0].hasFocus())
        for value in (VALUES[tid],) if isinstance(VALUES[tid], str) else VALUES[tid]:
            keys.type(value)
            keys.press(Qt.Key.Key_Return)
        if st.person is not None and tid in (
            "grip",
            "up_and_go",
            "single_leg_stance",
            "sit_and_reach",
            "back_scratch",
        ):
            keys.press(Qt.Key.Key_Return)  # Enter on the next, empty, trial: the last one
        qtbot.waitUntil(lambda: st.person is None, timeout=5000)
    station_keys = keys.count + keys.scans - before
    a = R.find_visit(ctx.db, p.id, ctx.current_event.id)
    assert a is not None and {r.test_id for r in a.results if r.done} >= set(offered)

    # Results: open their card and print preview.
    before = keys.count + keys.scans
    keys.press(Qt.Key.Key_4, ctrl)
    ov = w.overview
    keys.press(Qt.Key.Key_C, alt)
    keys.scan(p.code)
    qtbot.waitUntil(lambda: ov.overview is not None)  # type: ignore[attr-defined]
    keys.press(Qt.Key.Key_P, ctrl)
    qtbot.waitUntil(lambda: bool(open_previews()))
    dialog = open_previews()[0]
    assert isinstance(dialog, QDialog)
    qtbot.wait(50)  # the event loop runs with the preview open
    QTest.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Escape)  # the preview's focus
    keys.count += 1
    qtbot.waitUntil(lambda: not dialog.isVisible())
    results_keys = keys.count + keys.scans - before
    total = keys.count + keys.scans
    figures = (check_in_keys, station_keys, results_keys, total, keys.scans)
    # README ("Keystrokes for one person") states these figures: change both together.
    assert figures == (21, 62, 5, 88, 12), f"keys now {figures}: update README's figure"
