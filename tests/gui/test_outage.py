"""The shared PostgreSQL server stops in the middle of a day, with several windows' worth of
background work going on: one calm box, no driver text or traceback on screen, the detail in
the log, and the box says so when the server is back. A real server, stopped and restarted,
and the real window with its work on worker threads."""

from __future__ import annotations

import datetime as dt
import logging
import shlex

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ffmot.core import screening
from ffmot.gui.app import Controller
from ffmot.gui.context import BACK_WORDS, OUTAGE_WORDS
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import ThreadRunner
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.pgserver import PostgresServer

TECHNICAL = ("psycopg", "connection", "refused", "127.0.0.1", "port", "Traceback", "FATAL")


def _pg_ctl(server: PostgresServer, *args: str) -> None:
    server._run(
        "pg_ctl",
        ["-D", str(server._data), "-l", str(server._log), "-w", "-t", "60"],
        list(args),
        timeout=90,
    )


def _restart(server: PostgresServer) -> None:
    options = (
        f"-p {server.port} -c listen_addresses=127.0.0.1 -k {shlex.quote(str(server.folder))} "
        "-c fsync=off"
    )
    _pg_ctl(server, "-o", options, "start")


_before: set[int] = set()  # boxes another test left open are not this test's
_held: list[QMessageBox] = []  # (held, so no new box can take the id of one of them)


def _boxes() -> list[QMessageBox]:
    """Every message box this test has put on screen (parentless or on its window)."""
    found = [w for w in QApplication.allWidgets() if isinstance(w, QMessageBox)]
    return [b for b in found if b.isVisible() and id(b) not in _before]


@pytest.fixture
def server(pg_server: PostgresServer):  # type: ignore[no-untyped-def]
    """A server of this test's own, to stop and start again."""
    with PostgresServer(pg_server.bindir) as s:
        yield s


def test_an_outage_is_one_calm_box_and_it_says_when_the_server_is_back(
    server, settings: Settings, qtbot, caplog
):
    url = server.create_database("shared")
    db = connect(url)
    actor = Actor("Sam Tester", "Station 1")
    e = R.create_event(db, actor, "Outage day", dt.date.today(), "Hall")
    people = []
    for given in ("Ada", "Bert", "Cleo"):
        p = R.register_participant(
            db,
            actor,
            given,
            "Outageby",
            dt.date(1950, 1, 1),
            "female",
            consents={"keep_results": True},
        )
        v = R.check_in(db, actor, p.id, e.id)
        R.record_screening(db, actor, v.id, screening.answers_with())
        people.append((p, v))
    db.close()

    runner = ThreadRunner(QApplication.instance())
    s = Controller(settings, runner, db_url=url, training=False).open()
    w = s.window
    w.resize(1280, 800)
    w.show()
    qtbot.waitUntil(lambda: s.ctx.is_ready, timeout=30000)
    s.ctx.set_event(R.get_event(s.ctx.db, e.id))
    qtbot.waitUntil(lambda: w.board.model.rowCount() == 3, timeout=30000)
    st = w.station
    w.show_view("station")
    st.test_combo.setCurrentIndex(st.test_combo.findData("chair_stand"))
    ada, ada_visit = people[0]
    st.code.setText(ada.code)
    st.lookup()
    qtbot.waitUntil(lambda: st.fields[0].isEnabled() and not runner._live, timeout=30000)
    qtbot.keyClicks(st.fields[0], "12")
    qtbot.waitUntil(lambda: not runner._live, timeout=30000)
    assert st.person is not None and st.save_button.isEnabled()
    caplog.set_level(logging.INFO, logger="ffmot")
    _held.extend(b for b in QApplication.allWidgets() if isinstance(b, QMessageBox))
    _before.update(id(b) for b in _held)

    _pg_ctl(server, "-m", "immediate", "stop")  # the shared server dies
    try:
        # the board's timer, the results screen, the events list, the check-in search and
        # the station's save all fail, on worker threads, one after another
        for _ in range(3):
            w.board.refresh()
        w.events.refresh()
        w.overview.code.setText(people[1][0].code)
        w.overview.lookup()
        qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not runner._live, timeout=60000)  # every call has failed
        qtbot.waitUntil(lambda: len(_boxes()) >= 1, timeout=10000)
        for _ in range(2):  # and the board's timer fires again meanwhile
            w.board.refresh()
        qtbot.waitUntil(lambda: not runner._live, timeout=60000)
        boxes = _boxes()
        assert len(boxes) == 1, [b.text() for b in boxes]  # one box, not a pile
        box = boxes[0]
        qtbot.waitUntil(lambda: box.isVisible() and box.windowHandle() is not None)
        assert box.text() == OUTAGE_WORDS
        # the station says the same in its own words, with the entry still there
        problem = st.problem.text()
        assert "Cannot reach the shared database" in problem and st.fields[0].text() == "12"
        for said in (box.text(), problem, w.overview.message.text()):
            assert not any(t in said for t in TECHNICAL), said
        # the detail, with the driver's own words, is in the log only
        logged = [r.getMessage() for r in caplog.records if "out of reach" in r.getMessage()]
        assert len(logged) >= 5 and all("shared" in m for m in logged)
    finally:
        _restart(server)
    # the server is back: the same box says so (tried again in the background)
    qtbot.waitUntil(lambda: box.text() == BACK_WORDS, timeout=60000)
    assert box.isVisible() and len(_boxes()) == 1
    assert box.icon() == QMessageBox.Icon.Information
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)  # save again: it goes through
    qtbot.waitUntil(lambda: "Saved 12 stands" in st.status.text(), timeout=30000)
    assert R.get_assessment(s.ctx.db, ada_visit.id).result("chair_stand").value == 12
    box.accept()
    qtbot.waitUntil(lambda: not _boxes())
    st.clear()
    w.close()
    runner.wait()
    s.ctx.db.close()
