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
    assert open_conflicts(s.ctx.db, e.id) == []
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
