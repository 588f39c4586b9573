"""Settling disagreements by keyboard: File > Settle disagreements, 2 keeps the station's
value, 1 this computer's; the board and the results follow."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ffmot.services import records as R
from ffmot.services.conflicts import open_conflicts
from tests.store.test_conflicts import grip_at_two_stations


def test_settle_a_disagreement_by_keys(open_app, qtbot, tmp_path):
    from ffmot.services.types import Actor

    actor = Actor("Results table", "Results")
    hub, e, a = grip_at_two_stations(tmp_path, actor)
    hub.close()
    s = open_app(str(tmp_path / "hub.db"))
    s.ctx.set_event(R.get_event(s.ctx.db, e.id))
    s.window.settle_disagreements()
    dialog = s.window.conflicts_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.keep_there.isEnabled())
    qtbot.wait(10)  # the event loop runs with the dialog open
    assert "1 disagreement" in dialog.count.text() and dialog.here.text().startswith("24 kg")
    assert dialog.there.text().startswith("26 kg") and "Station 5" in dialog.there_from.text()
    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: "Nothing to settle" in dialog.count.text())
    assert R.get_assessment(s.ctx.db, a.id).result("grip").value == 26
    assert not dialog.headings[0].isVisible() and not dialog.keep_here.isVisible()
    assert open_conflicts(s.ctx.db, e.id) == []
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_a_details_disagreement_reads_in_words_and_fits_the_projector(open_app, qtbot, tmp_path):
    import datetime as dt

    from ffmot.services.merge import merge
    from ffmot.services.types import Actor
    from tests.store.test_merge import copy_of, station

    actor = Actor("Results table", "Results")
    hub, e, p, _a = station(tmp_path / "hub.db", actor, "Ada", n_results=1)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    R.update_participant(hub, actor, p.id, p.version, date_of_birth=dt.date(1950, 3, 15))
    q = R.get_participant(two, p.id)
    R.update_participant(two, Actor("Sam", "Station 2"), p.id, q.version, phone="01228 999999",
                         date_of_birth=dt.date(1951, 3, 14))  # fmt: skip
    two.close()
    merge(hub, actor, str(tmp_path / "two.db"))
    hub.close()
    s = open_app(str(tmp_path / "hub.db"))
    s.window.resize(1024, 768)
    s.ctx.set_event(R.get_event(s.ctx.db, e.id))
    s.window.settle_disagreements()
    dialog = s.window.conflicts_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.keep_there.isEnabled())
    assert "date of birth" in dialog.what.text().lower()
    assert "14 March 1951" in dialog.there.text() and "15 March 1950" in dialog.here.text()
    assert dialog.frameGeometry().width() <= 1024 and dialog.frameGeometry().height() <= 768
    assert dialog.there_from.text().startswith("Saved by Station 2 at ")
    dialog.grab().save(str(tmp_path / "details-conflict.png"))
    qtbot.waitUntil(lambda: dialog.isActiveWindow() and dialog.focusWidget() is dialog.keep_here)
    qtbot.keyClick(dialog.keep_here, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: "Nothing to settle" in dialog.count.text())
    assert R.get_participant(s.ctx.db, p.id).date_of_birth == dt.date(1951, 3, 14)
    assert R.get_participant(s.ctx.db, p.id).phone == "01228 999999"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
