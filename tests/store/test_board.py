"""The MOT day board as the store works it out, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from ffmot.core import screening
from ffmot.services import records as R
from ffmot.services.board import board


def _person(db, actor, e, given, answers, bp=(None, None)):  # type: ignore[no-untyped-def]
    p = R.register_participant(
        db, actor, given, "Boardby", dt.date(1950, 1, 1), "female", consents={"keep_results": True}
    )
    v = R.check_in(db, actor, p.id, e.id)
    if answers is not None:
        R.record_screening(db, actor, v.id, answers, *bp)
    return v


def test_the_board_follows_screening_printing_and_changes_after_printing(db, actor):
    e = R.create_event(db, actor, "Board day", dt.date(2026, 6, 1), tests_offered=["grip"])
    unscreened = _person(db, actor, e, "Una", None)
    unfinished = _person(db, actor, e, "Ursula", {"chest_pain": False})
    stopped = _person(db, actor, e, "Stella", screening.answers_with("heart_failure"))
    tested = _person(db, actor, e, "Tess", screening.answers_with())
    R.save_result(db, actor, tested.id, "grip", [(20, "left 1")])
    status = {r.name.split()[0]: (r.status, r.complete) for r in board(db, e.id)}
    assert status["Una"] == ("screening", False)
    assert status["Ursula"] == ("screening", False)  # not finished is not screened
    assert status["Stella"] == ("ready", True)  # not tested today: only her sheet to come
    assert status["Tess"] == ("ready", True)
    R.mark_printed(db, actor, tested.id)
    assert {r.name: r.status for r in board(db, e.id)}["Tess Boardby"] == "printed"
    r = R.get_assessment(db, tested.id).result("grip")
    R.save_result(db, actor, tested.id, "grip", [(23, "left 1")], expected_version=r.version)
    assert {r.name: r.status for r in board(db, e.id)}["Tess Boardby"] == "reprint"
    R.mark_printed(db, actor, tested.id)
    assert {r.name: r.status for r in board(db, e.id)}["Tess Boardby"] == "printed"
    assert unscreened and unfinished and stopped
