"""The window reminds whoever may apply the retention period, on signing in, that people's
records are past it; a station practitioner is not told (they cannot act on it)."""

from __future__ import annotations

import datetime as dt

from ffmot.gui.app import Controller, _finish_work
from ffmot.gui.tasks import InlineRunner
from ffmot.services import practitioners as P
from ffmot.services import retention
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.store.test_retention import _person


def _window(settings, path, qtbot):  # type: ignore[no-untyped-def]
    c = Controller(settings, InlineRunner(), db_url=str(path))
    s = c.open()
    qtbot.addWidget(s.window)
    s.window.show()
    return c, s


def test_past_the_period_is_said_on_signing_in_to_who_can_act(settings, tmp_path, qtbot):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    old = dt.date.today() - dt.timedelta(days=800)
    _person(db, "Oldfield", old)
    _person(db, "Newman", dt.date.today())
    retention.set_period(db, Actor("Dana Lead", "Office"), 24)
    db.close()
    settings.practitioner, settings.station = "Dana Lead", "Office"  # signed in for today
    c, s = _window(settings, path, qtbot)
    qtbot.waitUntil(lambda: "Retention: 1 person" in s.window.statusBar().currentMessage())
    assert "24-month" in s.window.statusBar().currentMessage()
    s.window.close()
    _finish_work(c)
    # Protected: a station practitioner signing in is not told; the data lead is.
    db = connect(str(path))
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    P.add_practitioner(db, dana, "Sam Station", "station", "730146")
    db.close()
    for name, pin, told in (("Sam Station", "730146", False), ("Dana Lead", "482913", True)):
        c, s = _window(settings, path, qtbot)
        d = s.window.sign_in_dialog
        d.name.setText(name)
        d.pin.setText(pin)
        d.accept()
        qtbot.waitUntil(lambda s=s: s.ctx.signed is not None)
        said = s.window.statusBar().currentMessage()
        assert ("Retention:" in said) is told, said
        s.window.close()
        _finish_work(c)
