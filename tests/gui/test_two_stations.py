"""Two station windows on one database (a SQLite file, or a PostgreSQL server) both look up the
same person before either saves the same test. The second to save is told, its entry stays on
screen, and the first one's value is never silently replaced."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ffmot.core import codes, screening
from ffmot.gui.app import Controller
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import InlineRunner
from ffmot.services import records as R
from tests.helpers import CEILING_MS


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def two_windows(qtbot, open_app, shared_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Station A (the usual test window) and station B (its own settings, drafts and
    connection), both on the same MOT day with Ada checked in and screened."""
    a = open_app(shared_url)
    e = R.create_event(a.ctx.db, a.ctx.actor, "Shared day", dt.date.today(), "Hall")
    ada = R.register_participant(
        a.ctx.db,
        a.ctx.actor,
        "Ada",
        "Sampleton",
        dt.date(1949, 3, 14),
        "female",
        consents={"keep_results": True},
    )
    visit = R.check_in(a.ctx.db, a.ctx.actor, ada.id, e.id)
    R.record_screening(a.ctx.db, a.ctx.actor, visit.id, screening.answers_with())
    a.ctx.set_event(R.get_event(a.ctx.db, e.id))
    settings_b = Settings(tmp_path / "config-b" / "ffmot.ini")
    settings_b.station = "Station 2"
    settings_b.practitioner = "Kim Second"
    b = Controller(settings_b, InlineRunner(), db_url=shared_url, training=False).open()
    b.window.resize(1280, 800)
    b.window.show()
    b.ctx.set_event(R.get_event(b.ctx.db, e.id))
    yield a, b, ada, visit
    b.window.station.clear()
    b.window.close()
    b.ctx.db.close()


def _station(qtbot, session, test: str):  # type: ignore[no-untyped-def]
    w = session.window
    w.activateWindow()
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    st = w.station
    st.test_combo.setCurrentIndex(st.test_combo.findData(test))
    return st


def _scan(qtbot, st, code: str) -> None:  # type: ignore[no-untyped-def]
    st.code.setFocus()
    qtbot.keyClicks(st.code, codes.display(code))
    qtbot.keyClick(st.code, Qt.Key.Key_Return)


def test_both_look_up_a_saves_then_b_saves_b_is_told_and_keeps_its_entry(two_windows, qtbot):
    a, b, ada, visit = two_windows
    st_a = _station(qtbot, a, "chair_stand")
    _scan(qtbot, st_a, ada.code)
    st_b = _station(qtbot, b, "chair_stand")
    _scan(qtbot, st_b, ada.code)
    assert st_a.fields[0].text() == "" and st_b.fields[0].text() == ""  # no result yet
    qtbot.keyClicks(st_a.fields[0], "12")
    qtbot.keyClick(st_a.fields[0], Qt.Key.Key_Return)
    assert "Saved 12 stands" in st_a.status.text()
    qtbot.keyClicks(st_b.fields[0], "15")
    qtbot.keyClick(st_b.fields[0], Qt.Key.Key_Return)
    assert "reload" in st_b.problem.text() and st_b.reload_button.isVisible()
    assert st_b.fields[0].text() == "15"  # B's entry is still on screen
    kept = R.get_assessment(b.ctx.db, visit.id).result("chair_stand")
    assert kept.value == 12 and kept.station == "Station 1"


def test_both_look_up_a_saves_then_b_marks_it_not_done_b_is_told(two_windows, qtbot):
    a, b, ada, visit = two_windows
    st_a = _station(qtbot, a, "arm_curl")
    _scan(qtbot, st_a, ada.code)
    st_b = _station(qtbot, b, "arm_curl")
    _scan(qtbot, st_b, ada.code)
    qtbot.keyClicks(st_a.fields[0], "16")
    qtbot.keyClick(st_a.fields[0], Qt.Key.Key_Return)
    assert "Saved 16" in st_a.status.text()
    b.window.activateWindow()  # back to B's window: its keys reach only the active window
    qtbot.waitUntil(b.window.isActiveWindow, timeout=CEILING_MS)
    qtbot.keyClick(st_b.fields[0], Qt.Key.Key_F9)  # B's screen still shows no result
    qtbot.waitUntil(st_b.reasons.isVisible)
    qtbot.keyClick(st_b.reason_buttons["declined"], Qt.Key.Key_1)  # declined
    assert "reload" in st_b.problem.text() and "not done" not in st_b.status.text()
    kept = R.get_assessment(b.ctx.db, visit.id).result("arm_curl")
    assert kept.done and kept.value == 16
