"""A test added to the battery by data alone (tests/test_a_test_is_data.py) is entered at a
station and read back on the results screen, by keyboard, like any other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel

from ffmot.core import codes, organisation, screening
from ffmot.services import records as R
from tests.gui.test_station import scan
from tests.test_a_test_is_data import TEST_ID, make_folder


@pytest.fixture
def balance_day(open_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(organisation.ENV, raising=False)
    monkeypatch.delenv("FFMOT_NORMS_DIR", raising=False)
    organisation.use(make_folder(tmp_path / "organisation"))
    try:
        s = open_app()
        ctx = s.ctx
        e = R.create_event(
            ctx.db,
            ctx.actor,
            "Balance day",
            dt.date.today(),
            "Fellside Hall",
            tests_offered=["chair_stand", TEST_ID],
            norms=ctx.norms,
        )
        p = R.register_participant(
            ctx.db,
            ctx.actor,
            "Ada",
            "Sampleton",
            dt.date(1949, 3, 14),
            "female",
            consents={"keep_results": True},
        )
        v = R.check_in(ctx.db, ctx.actor, p.id, e.id)
        R.record_screening(ctx.db, ctx.actor, v.id, screening.answers_with())
        ctx.set_event(R.get_event(ctx.db, e.id))
        s.person, s.visit = p, v  # type: ignore[attr-defined]
        yield s
    finally:
        organisation.use(None)


def test_the_new_test_is_entered_read_and_saved_by_keyboard(balance_day, qtbot, tmp_path):
    w = balance_day.window
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    st = w.station
    assert st.test_combo.findData(TEST_ID) >= 0, "the MOT day's new test is not offered"
    st.test_combo.setCurrentIndex(st.test_combo.findData(TEST_ID))
    scan(qtbot, st, codes.display(balance_day.person.code))
    assert "Ada Sampleton" in st.who.text() and st.fields[0].hasFocus()
    qtbot.keyClicks(st.fields[0], "5")  # more stances than there are: refused, naming the range
    assert "0 to 4" in st.problem.text()
    st.fields[0].clear()
    qtbot.keyClicks(st.fields[0], "4")
    assert "Within its published level" in st.badge.text()
    assert st.range_text.text() == "Held the heel-to-toe stance for 10 seconds"
    st.fields[0].clear()
    qtbot.keyClicks(st.fields[0], "2")
    assert st.counted.text() == "2 stages"
    assert "Past its published level" in st.badge.text()
    assert st.range_text.text() == "Could not hold the heel-to-toe stance for 10 seconds"
    assert not st.chart.isVisible()  # no range to draw: the reading says it
    qtbot.waitUntil(lambda: st.badge.width() >= st.badge.sizeHint().width())  # laid out
    w.grab().save(str(tmp_path / "station.png"))
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert "Saved 2 stages for Ada Sampleton" in st.status.text()
    saved = R.get_assessment(balance_day.ctx.db, balance_day.visit.id).result(TEST_ID)
    assert saved is not None and saved.value == 2

    # The results screen: the reading, the component to work on, and its balance steps.
    qtbot.keyClick(w, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    w.overview.show_visit(balance_day.visit.id)
    qtbot.waitUntil(
        lambda: w.overview.findChild(QGroupBox, "component_balance_mobility") is not None
    )
    box = w.overview.findChild(QGroupBox, "component_balance_mobility")
    qtbot.waitUntil(box.isVisible)
    text = " ".join(lab.text() for lab in box.findChildren(QLabel))
    assert "Could not hold the heel-to-toe stance for 10 seconds." in text
    assert "something to work on" in box.title()
    assert "Balance: next steps" in text and "worktop" in text
    w.grab().save(str(tmp_path / "results.png"))
