"""A station's whole day in one process: the real app, its real window and worker threads, and
key presses typed into whatever has the keyboard focus, the way a practitioner and a card
scanner would. Run by tests/gui/test_soak.py as a separate process (so a crash is a crash):

    python -m tests.gui.soak_station --db FILE --saves 2000 --out RESULT.json

Each save: type the card code, Enter (the person is looked up on a worker), type the result,
Enter (saved on a worker). The next save starts when the app says the last one is saved. It
stops after the given number of saves; there is no time window. At checkpoints it records the
process's resident memory, the number of live Python objects and, on Pythons where it moves,
the reference count of None (a Qt binding that drops a reference on each call shows here long
before it aborts the process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from ffmot.gui.app import Controller
from ffmot.gui.settings import Settings
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.helpers import screened_visit

TEST = "chair_stand"
STALL_MS = int(
    os.environ.get("FFMOT_SOAK_STALL_MS", "120000")
)  # no step for two minutes: the app is stuck, say where and stop


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def prepare(db_url: str, people: int) -> tuple[str, list[str]]:
    """An MOT day today with people checked in and screened clear; returns its id and codes."""
    db = connect(db_url)
    actor = Actor("soak test", station="Station 1")
    event = R.create_event(db, actor, "Soak MOT day", dt.date.today(), "Fellside Hall")
    codes = []
    for n in range(people):
        p, _v = screened_visit(
            db,
            actor,
            event.id,
            f"Person{n:03d}",
            "Soakley",
            dt.date(1940 + n % 25, 1 + n % 12, 1 + n % 28),
            "female" if n % 2 else "male",
        )
        codes.append(p.code)
    db.close()
    return event.id, codes


class Driver(QObject):
    def __init__(self, session, codes: list[str], saves: int, every: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.s = session
        self.codes = codes
        self.target = saves
        self.every = every
        self.done = 0
        self.phase = "waiting for the MOT day"
        self.samples: list[dict[str, int]] = []
        self.failure = ""
        self.watchdog = QTimer(self)
        self.watchdog.setSingleShot(True)
        self.watchdog.setInterval(STALL_MS)
        self.watchdog.timeout.connect(self.stalled)
        self.watchdog.start()
        station = session.window.station
        self.station = station
        station.saved.connect(self.on_saved)
        QApplication.instance().focusChanged.connect(self.on_focus)  # type: ignore[union-attr]
        session.ctx.event_changed.connect(self.on_event)
        if session.ctx.current_event is not None:
            QTimer.singleShot(0, self.on_event)

    # --- the practitioner's hands --------------------------------------------------------
    def type_here(self, text: str, enter: bool = True) -> None:
        """Keys to whichever widget has the focus, as a keyboard or scanner would."""
        target = QApplication.focusWidget()
        if target is None:
            self.fail("nothing had the keyboard focus")
            return
        if text:
            QTest.keyClicks(target, text)
        if enter:
            QTest.keyClick(target, Qt.Key.Key_Return)

    def on_event(self, *_args: object) -> None:
        if self.phase != "waiting for the MOT day":
            return
        w = self.s.window
        QTest.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # the station
        st = w.station
        if w.current_view() is not st:
            self.fail("Ctrl+3 did not open the station")
            return
        st.test_combo.setCurrentIndex(st.test_combo.findData(TEST))
        st.code.setFocus()
        self.sample()
        self.next_person()

    def next_person(self) -> None:
        if QApplication.focusWidget() is not self.station.code:
            self.fail(f"after save {self.done} the focus was not on the card code")
            return
        self.phase = "scanning"
        code = self.codes[self.done % len(self.codes)]
        self.type_here(code)
        self.phase = "looking up"
        # The person arrives from a worker; the result field takes the focus (on_focus).

    def on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.phase != "looking up" or not isinstance(new, QLineEdit):
            return
        if not self.station.fields or new is not self.station.fields[0]:
            return
        self.watchdog.start()
        self.phase = "saving"
        # After the focus change has finished (the view selects any earlier result then),
        # as a person's typing always comes after the screen has changed.
        QTimer.singleShot(0, lambda: self.type_here(str(8 + self.done % 12)))

    def on_saved(self, _visit_id: str) -> None:
        if self.phase != "saving":
            self.fail(f"a save arrived while {self.phase}")
            return
        self.done += 1
        self.watchdog.start()
        if self.done % self.every == 0 or self.done == self.target:
            self.sample()
        if self.done >= self.target:
            self.phase = "finished"
            self.s.window.station.clear()
            QTimer.singleShot(0, self.s.window.close)
            return
        QTimer.singleShot(0, self.next_person)

    # --- what is measured ----------------------------------------------------------------
    def sample(self) -> None:
        gc.collect()
        self.samples.append(
            {
                "saves": self.done,
                "rss_kb": rss_kb(),
                "objects": len(gc.get_objects()),
                "none_refs": sys.getrefcount(None),
            }
        )

    def fail(self, why: str) -> None:
        self.failure = why
        self.phase = "failed"
        self.s.window.station.clear()
        QTimer.singleShot(0, self.s.window.close)

    def stalled(self) -> None:
        st = self.station
        self.fail(
            f"no progress for {STALL_MS // 1000} s while {self.phase} after {self.done} saves "
            f"(status: {st.status.text()!r}; problem: {st.problem.text()!r}; "
            f"warning: {st.warning.text()!r})"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--saves", type=int, default=2000)
    ap.add_argument("--people", type=int, default=90)
    ap.add_argument("--every", type=int, default=250, help="a memory sample every N saves")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    event_id, codes = prepare(args.db, args.people)
    settings = Settings(Path(os.environ["XDG_CONFIG_HOME"]) / "ffmot" / "ffmot.ini")
    settings.station = "Station 1"
    settings.practitioner = "Soak Tester"
    settings.last_event = event_id
    controller = Controller(settings, db_url=args.db)  # the real worker threads
    session = controller.open()
    session.window.resize(1280, 740)
    session.window.show()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    driver = Driver(session, codes, args.saves, args.every)
    app.exec()
    from ffmot.gui.app import _finish_work

    _finish_work(controller)
    session.ctx.db.close() if session.ctx.is_ready else None
    result = {
        "saves": driver.done,
        "failure": driver.failure,
        "samples": driver.samples,
        "platform": app.platformName(),
        "python": sys.version.split()[0],
    }
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0 if not driver.failure else 3


if __name__ == "__main__":
    sys.exit(main())
