"""Someone who withdraws consent to keep their results: the board says so, and no sheet of
theirs is made, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from ffmot.core import codes, screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.services.board import board
from ffmot.services.consent import printable
from ffmot.services.overview import load_for_sheet
from ffmot.services.summary import event_overviews


def _visit(db, actor, e, given, consents):  # type: ignore[no-untyped-def]
    p = R.register_participant(
        db, actor, given, "Consentby", dt.date(1948, 2, 2), "male", consents=consents
    )
    v = R.check_in(db, actor, p.id, e.id)
    R.record_screening(db, actor, v.id, screening.answers_with())
    return p, v


def test_a_withdrawal_shows_on_the_board_and_is_never_to_test_or_ready_to_print(db, actor):
    e = R.create_event(db, actor, "Consent day", dt.date(2026, 6, 1), tests_offered=["grip"])
    wyn, wv = _visit(db, actor, e, "Wyn", {"keep_results": True, "anonymous_reports": True})
    tom, _tv = _visit(db, actor, e, "Tom", {"keep_results": True})
    R.save_result(db, actor, wv.id, "grip", [(30, "left 1")])
    rows = {r.name.split()[0]: r for r in board(db, e.id)}
    assert rows["Wyn"].status == "ready" and rows["Tom"].status == "testing"
    R.mark_printed(db, actor, wv.id)
    # Wyn withdraws consent to keep his results; Tom withdraws before any test
    R.record_consent(db, actor, wyn.id, "keep_results", False)
    R.record_consent(db, actor, tom.id, "keep_results", False)
    rows = {r.name.split()[0]: r for r in board(db, e.id)}
    assert rows["Wyn"].status == "withdrawn" and rows["Tom"].status == "withdrawn"
    assert rows["Tom"].still_needed == () and rows["Tom"].done == 0  # not "still to test"
    assert rows["Wyn"].done == 1
    # withdrawing another purpose only changes nothing on the board
    R.record_consent(db, actor, wyn.id, "keep_results", True)
    R.record_consent(db, actor, wyn.id, "anonymous_reports", False)
    assert {r.name.split()[0]: r.status for r in board(db, e.id)}["Wyn"] == "printed"


def test_someone_checked_in_who_never_agreed_to_keep_results_is_shown_too(db, actor):
    e = R.create_event(db, actor, "Consent day", dt.date(2026, 6, 1), tests_offered=["grip"])
    _visit(db, actor, e, "Nell", {"share_gp": True})  # as an import or a merge may bring
    (row,) = board(db, e.id)
    assert row.status == "no_consent" and row.still_needed == ()


def test_no_sheet_for_someone_who_withdrew_by_either_path(db, actor):
    e = R.create_event(db, actor, "Consent day", dt.date(2026, 6, 1), tests_offered=["grip"])
    wyn, wv = _visit(db, actor, e, "Wyn", {"keep_results": True})
    tom, tv = _visit(db, actor, e, "Tom", {"keep_results": True})
    for v in (wv, tv):
        R.save_result(db, actor, v.id, "grip", [(30, "left 1")])
    assert load_for_sheet(db, wv.id).participant.id == wyn.id
    R.record_consent(db, actor, wyn.id, "keep_results", False)
    with pytest.raises(InputError, match="withdrawn consent to keep their results") as said:
        load_for_sheet(db, wv.id)
    assert codes.display(wyn.code) in str(said.value) and "Wyn" not in str(said.value)
    kept, held = printable(event_overviews(db, e.id))
    assert [o.participant.id for o in kept] == [tom.id]
    assert [o.participant.id for o in held] == [wyn.id]
