"""Random text typed where people type: the station's trial fields and check-in's date of birth.
Never an exception (pytest-qt fails the test on any raised in a slot); always a message, or a
result that was taken."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from ffmot.gui.app import Controller, Session
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import InlineRunner
from ffmot.services import records as R
from tests.helpers import ready_visit

typed = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.text("0123456789.,-+eE ", max_size=8),
    st.sampled_from(["12", "12.5", "1,5", "-3", "nan", "inf", "1e309", "99999", "٣", "½"]),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
)
GUI = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def app(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("FFMOT_DATABASE_URL", raising=False)
    settings_ = Settings(tmp_path / "config" / "ffmot.ini")
    settings_.station, settings_.practitioner = "Station 1", "Fault Tester"
    s = Controller(settings_, InlineRunner(), db_url=str(tmp_path / "ffmot.db")).open()
    ctx = s.ctx
    _, p, _ = ready_visit(ctx, "Typing day")
    s.window.resize(1280, 800)
    s.window.show()
    s.person_code = p.code  # type: ignore[attr-defined]
    yield s
    s.window.station.clear()
    s.window.close()
    s.ctx.db.close()


def type_text(widget: QWidget, text: str) -> None:
    """Types each character as a key press carrying that text, as a keyboard or an input method
    delivers it (QTest.keyClicks only knows ASCII and aborts on anything else)."""
    for ch in text:
        key = ord(ch.upper()) if " " <= ch <= "~" else 0
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))


def _number(text: str) -> float | None:
    try:
        v = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


@pytest.mark.parametrize("test", ["chair_stand", "grip", "up_and_go", "sit_and_reach"])
def test_random_text_in_a_trial_field_always_gets_a_message_or_a_result(app, qtbot, test):
    st_ = app.window.station
    app.window.show_view("station")
    st_.test_combo.setCurrentIndex(st_.test_combo.findData(test))

    @GUI
    @given(text=typed, field=st.integers(0, 5), enter=st.booleans())
    def examples(text: str, field: int, enter: bool) -> None:
        if st_.visit is None:
            st_.code.setText(app.person_code)
            st_.lookup()
        assert st_.visit is not None
        edit = st_.fields[field % len(st_.fields)]
        for f in st_.fields:
            f.clear()
        type_text(edit, text)
        shown = edit.text()  # what the field took (it may refuse some characters)
        if shown.strip():
            # Either it is a result (counted shown) or the problem says why not.
            assert st_.counted.text() or st_.problem.text(), shown
            if _number(shown) is None:
                assert "not a number" in st_.problem.text(), shown
        if enter:
            qtbot.keyClick(edit, Qt.Key.Key_Return)
            if st_.visit is not None and st_.problem.text() and "unusual" in st_.problem.text():
                qtbot.keyClick(edit, Qt.Key.Key_Return)  # yes, save it as it is
            saved = st_.visit is None  # a save clears the station for the next person
            i = st_.fields.index(edit)
            moved_on = i + 1 < len(st_.fields)  # Enter goes to the next, empty, trial first
            assert saved or st_.problem.text() or moved_on or not shown.strip(), shown
            if saved:
                assert st_.status.text().startswith("Saved"), st_.status.text()

    examples()


def test_random_dates_of_birth_are_registered_or_refused_with_a_reason(app, qtbot):
    ci = app.window.checkin
    app.window.show_view("check-in")
    ci.start_new()

    @GUI
    @given(text=typed)
    def examples(text: str) -> None:
        ci.given.setText("Bea")
        ci.family.setText("Typeworth")
        ci.sex.setCurrentIndex(ci.sex.findData("female"))
        ci.dob.clear()
        type_text(ci.dob, text)
        ci.new_message.clear()
        before = len(R.search_participants(app.ctx.db, "typeworth", limit=10_000))
        qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)
        after = len(R.search_participants(app.ctx.db, "typeworth", limit=10_000))
        if after == before:  # refused: and says why
            assert len(ci.new_message.text()) > 10, text
        else:
            assert after == before + 1 and not ci.new_message.text()
            ci.start_new()

    examples()


def test_a_full_disk_at_check_in_and_at_the_station_is_a_message_not_a_crash(app, qtbot):
    """The views show what the store says (the disk is full), keep what was typed, and raise no
    'something unexpected' box. (A capped database: page by page it fills, so keep going until
    it is full, as a hall's laptop would.)"""
    from sqlalchemy import event

    db = app.ctx.db
    with db.engine.connect() as c:
        cap = c.exec_driver_sql("PRAGMA page_count").scalar()
    db.engine.dispose()

    @event.listens_for(db.engine, "connect")
    def _full(conn, _record):  # type: ignore[no-untyped-def]
        conn.execute(f"PRAGMA max_page_count={cap}")

    ci = app.window.checkin
    app.window.show_view("check-in")
    refused = ""
    for n in range(300):
        ci.start_new()
        ci.given.setText(f"Cy{n}")  # a different person each time (no duplicate warning)
        ci.family.setText(f"Fullerton{n}")
        ci.sex.setCurrentIndex(ci.sex.findData("male"))
        ci.dob.clear()
        type_text(ci.dob, "01/02/1950")
        qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)
        refused = ci.new_message.text()
        if refused:
            break
    assert "full" in refused and ci.family.text().startswith("Fullerton"), refused

    st_ = app.window.station
    app.window.show_view("station")
    problem = ""
    # Save after save until the disk is full: which save finds it full depends on which table
    # needed a new page last, so keep going (each save also adds an audit entry).
    # (Looking someone up is audited too: the look-up may be what finds it full, said where
    # the person would be shown.)
    for n in range(200):
        test = ("chair_stand", "arm_curl")[n % 2]
        st_.test_combo.setCurrentIndex(st_.test_combo.findData(test))
        st_.code.setText(app.person_code)
        st_.lookup()
        problem = st_.warning.text()
        if "full" in problem:
            assert st_.code.text() == app.person_code  # the code typed is still there
            break
        typed = str(12 + n % 5)
        type_text(st_.fields[0], typed)
        qtbot.keyClick(st_.fields[0], Qt.Key.Key_Return)
        problem = st_.problem.text()
        if "full" in problem:
            assert st_.fields[0].text() == typed  # what was typed is still there
            break
    assert "full" in problem, problem
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if w.objectName() == "errorBox" and _belongs_to(w, app.window)
    ]
    assert not [b.text() for b in boxes if b.isVisible()]
    event.remove(db.engine, "connect", _full)
    db.engine.dispose()
    st_.clear()


def _belongs_to(widget, window) -> bool:  # type: ignore[no-untyped-def]
    """Whether a dialog was opened over this window (not one left by an earlier test)."""
    w = widget.parentWidget()
    while w is not None:
        if w is window:
            return True
        w = w.parentWidget()
    return False
