"""A key typed at the station to the band shown.

The real main window (offscreen), its station view on a demo MOT day, a screened participant
looked up by their card code; then keys are typed into the trial fields with QTest.keyClick,
one at a time. Each sample is the time from pressing the key to the band badge showing its new
text, with the repaint that follows it (app.processEvents() after the key). The typing mixes
whole results, corrections (Backspace) and values across every band, on three stations:
chair stand (one field), grip (six fields, the best counts) and sit-and-reach in inches.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import summary_ms

# What is typed at each station: (test, field index, text). "\b" is Backspace.
SCRIPT: dict[str, list[tuple[int, str]]] = {
    "chair_stand": [
        (0, "12"),
        (0, "\b\b8"),
        (0, "\b17"),
        (0, "\b\b\b9"),
        (0, "\b25"),
        (0, "\b\b11"),
    ],
    "grip": [(0, "21"), (1, "23.5"), (2, "19"), (3, "30"), (4, "\b\b14"), (5, "26")],
    "sit_and_reach": [(0, "-2.5"), (1, "\b\b\b\b3"), (0, "\b\b\b\b1.5")],
}


def run(db_path: Path, rounds: int) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from ffmot.gui.app import Controller
    from ffmot.gui.settings import Settings
    from ffmot.gui.tasks import InlineRunner
    from ffmot.services import records as R
    from ffmot.services.board import board

    def quiet(_mode: object, _where: object, message: str) -> None:
        if "propagateSizeHints" not in message:  # the offscreen platform says it every window
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(quiet)
    folder = Path(tempfile.mkdtemp(prefix="ffmot-bench-keys-"))
    settings = Settings(folder / "ffmot.ini")
    settings.station = "Bench station"
    settings.practitioner = "Bench"  # signed in for the day
    c = Controller(settings, InlineRunner(), db_url=str(db_path), training=False)
    s = c.open()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    w = s.window
    w.resize(1280, 800)
    w.show()
    ctx = s.ctx
    event = max(R.list_events(ctx.db), key=lambda e: e.participants)
    ctx.set_event(event)
    visits = [R.get_assessment(ctx.db, r.assessment_id) for r in board(ctx.db, event.id)]
    clear = [v for v in visits if v.screening and v.screening.outcome == "clear"]
    st = w.station
    w.show_view("station")
    app.processEvents()
    keys = {"\b": Qt.Key.Key_Backspace, "-": Qt.Key.Key_Minus, ".": Qt.Key.Key_Period}
    samples: list[float] = []
    changed = 0
    for r in range(rounds):
        for test, steps in SCRIPT.items():
            st.test_combo.setCurrentIndex(st.test_combo.findData(test))
            if test == "sit_and_reach":
                st.unit_combo.setCurrentIndex(st.unit_combo.findData("in"))
            v = clear[r % len(clear)]
            person = R.get_participant(ctx.db, v.participant_id)
            st.clear()
            st.code.setText(person.code)
            st.lookup()
            app.processEvents()
            assert st.visit is not None, "the participant should be found"
            for field, text in steps:
                edit = st.fields[field]
                edit.setFocus()
                for ch in text:
                    key = keys.get(ch) or Qt.Key(ord(ch))
                    before = st.badge.text()
                    t = time.perf_counter()
                    QTest.keyClick(edit, key, Qt.KeyboardModifier.NoModifier)
                    app.processEvents()
                    samples.append(time.perf_counter() - t)
                    changed += st.badge.text() != before
    st.clear()
    w.hide()
    ctx.db.close()
    out = summary_ms(samples)
    out["badge_changes"] = changed
    return out
