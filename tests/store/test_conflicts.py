"""Disagreements between station files: shown in words, held back from the board's 'ready' and
from the sheet, and settled with one choice that is written to the record and the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ffmot.core.errors import InputError
from ffmot.services import board as B
from ffmot.services import records as R
from ffmot.services.conflicts import open_conflicts, settle, visits_with_conflicts
from ffmot.services.merge import merge
from ffmot.services.overview import load_for_sheet
from ffmot.services.types import Actor, Measurements
from ffmot.store.models import AuditEntry
from tests.store.test_merge import copy_of, station


def grip_at_two_stations(tmp_path, actor):  # type: ignore[no-untyped-def]
    hub, e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    five = copy_of(tmp_path / "hub.db", tmp_path / "five.db")
    R.save_result(two, Actor("Sam", "Station 2"), a.id, "grip", [(24, "right 1")])
    R.save_result(five, Actor("Jo", "Station 5"), a.id, "grip", [(26, "right 1")])
    two.close()
    five.close()
    merge(hub, actor, str(tmp_path / "two.db"))
    merge(hub, actor, str(tmp_path / "five.db"))
    return hub, e, a


def test_a_disagreement_is_shown_in_words_and_holds_the_board_and_the_sheet(tmp_path, actor):
    hub, e, a = grip_at_two_stations(tmp_path, actor)
    (c,) = open_conflicts(hub, e.id)
    assert c.what == "Grip strength"
    assert c.here.startswith("24 kg: ") and c.there.startswith("26 kg: ")  # and their bands
    assert "usual range" in c.here + c.there
    assert c.here_from.startswith("Station 2") and c.there_from.startswith("Station 5")
    assert "Ada Sampleton" in c.who
    assert [r.status for r in B.board(hub, e.id)] == ["conflict"]
    with pytest.raises(InputError, match="disagree: settle them first"):
        load_for_sheet(hub, a.id)
    hub.close()


def test_keeping_the_stations_value_writes_it_and_the_audit(tmp_path, actor):
    hub, e, a = grip_at_two_stations(tmp_path, actor)
    (c,) = open_conflicts(hub, e.id)
    settle(hub, actor, c.id, "there")
    r = R.get_assessment(hub, a.id).result("grip")
    assert r.value == 26 and r.station == "Station 5" and r.trials[0].value == 26
    assert open_conflicts(hub, e.id) == [] and visits_with_conflicts(hub, [a.id]) == set()
    assert B.board(hub, e.id)[0].status != "conflict"
    load_for_sheet(hub, a.id)  # no longer held
    with hub.transaction() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "settle")).one()
    with pytest.raises(InputError, match="settled already"):
        settle(hub, actor, c.id, "here")
    again = merge(hub, actor, str(tmp_path / "five.db"))  # settled stays settled
    assert sum(again.conflicts.values()) == 0 and again.known_conflicts == 0, again.line()
    assert open_conflicts(hub, e.id) == []
    hub.close()


def test_keeping_this_computers_value_changes_nothing_else(tmp_path, actor):
    hub, e, a = grip_at_two_stations(tmp_path, actor)
    (c,) = open_conflicts(hub, e.id)
    settle(hub, actor, c.id, "here")
    assert R.get_assessment(hub, a.id).result("grip").value == 24
    assert open_conflicts(hub, e.id) == []
    hub.close()


def test_a_measurement_disagreement_settled_updates_the_bmi(tmp_path, actor):
    hub, e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    one = copy_of(tmp_path / "hub.db", tmp_path / "one.db")
    seen = R.get_assessment(hub, a.id).measurements
    keys = ["height_cm", "weight_kg"]
    R.save_measurements(hub, actor, a.id, Measurements(160, 62), only=keys, seen=seen)
    R.save_measurements(one, actor, a.id, Measurements(166, 62), only=keys, seen=seen)
    one.close()
    merge(hub, actor, str(tmp_path / "one.db"))
    height, bmi = sorted(open_conflicts(hub, e.id), key=lambda c: c.entity)
    assert height.what == "Height" and "160" in height.here and "166" in height.there
    assert (
        bmi.what == "Body mass index (BMI)" and bmi.here != bmi.there
    )  # it follows from the height
    settle(hub, actor, height.id, "there")
    v = R.get_assessment(hub, a.id)
    assert v.measurements.height_cm == 166 and v.result("bmi").value == 22.5
    assert open_conflicts(hub, e.id) == []  # the BMI now agrees: settled with it
    hub.close()
