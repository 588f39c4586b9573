"""Looking is audited too: a person opened at check-in, a card scanned at a station, a visit's
results shown, everyone listed; by the practitioner who did it, with no personal data in the
entry. On a protected database only someone signed in may look at all."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from ffmot.core.access import NotAllowed
from ffmot.services import practitioners as P
from ffmot.services import records as R
from ffmot.services.overview import load_overview
from ffmot.services.types import Actor
from ffmot.store.db import connect


def _views(db):  # type: ignore[no-untyped-def]
    """The audit's view and list entries, newest first, read straight from the table."""
    from sqlalchemy import text

    with db.engine.connect() as c:
        return [
            tuple(r)
            for r in c.execute(
                text(
                    "SELECT actor, action, entity, entity_id, detail FROM audit "
                    "WHERE action IN ('view', 'list') ORDER BY seq DESC"
                )
            )
        ]


def test_what_the_window_shows_is_audited_by_who_looked(day, qtbot):
    ada, visit = day.people["Ada"]
    bert, _ = day.people["Bert"]
    before = len(_views(day.ctx.db))
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # check-in
    ci = w.checkin
    qtbot.keyClicks(ci.search, "sampleton")
    qtbot.waitUntil(lambda: ci.model.rows and ci.model.rows[0].id == ada.id)
    ci.table.setFocus()
    ci.table.selectRow(0)
    qtbot.waitUntil(lambda: ci.person is not None and ci.person.id == ada.id)
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # a station
    st = w.station
    st.code.setFocus()
    qtbot.keyClicks(st.code, bert.code)
    qtbot.keyClick(st.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: st.person is not None)
    day.ctx.show_visit.emit(visit.id)  # the results of a visit, on screen
    qtbot.waitUntil(lambda: len(_views(day.ctx.db)) >= before + 3)
    seen = _views(day.ctx.db)[: len(_views(day.ctx.db)) - before]
    who = day.ctx.actor.name
    assert (who, "view", "participant", ada.id, "") in seen
    assert (who, "view", "participant", bert.id, "") in seen
    assert (who, "view", "assessment", visit.id, "") in seen
    for entry in seen:  # nothing of the person in the entry itself
        assert "Sampleton" not in entry[4] and "Ada" not in entry[4]


def test_on_a_protected_database_only_a_signed_in_practitioner_may_look(tmp_path):
    db = connect(str(tmp_path / "ffmot.db"))
    e = R.create_event(db, Actor("Set up"), "Day", dt.date.today())
    p = R.register_participant(
        db, Actor("Set up"), "Ada", "Sampleton", dt.date(1949, 3, 14), "female",
        consents={"keep_results": True},
    )  # fmt: skip
    v = R.check_in(db, Actor("Set up"), p.id, e.id)
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    claimed = Actor("Dana Lead", "Office")  # the name, without having signed in
    with pytest.raises(NotAllowed):
        R.get_participant(db, p.id, seen_by=claimed)
    with pytest.raises(NotAllowed):
        R.find_by_code(db, p.code, seen_by=claimed)
    with pytest.raises(NotAllowed):
        load_overview(db, v.id, seen_by=claimed)
    assert R.get_participant(db, p.id, seen_by=dana).id == p.id
    assert load_overview(db, v.id, seen_by=dana).participant.id == p.id
    assert [(a, x) for a, x, *_ in _views(db)][:2] == [
        ("Dana Lead", "view"),
        ("Dana Lead", "view"),
    ]
    db.close()
