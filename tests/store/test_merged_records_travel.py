"""Two registrations of one person made one at the results table: a station file that still
holds the other record brings its facts to the kept one and never brings the record back, nor
after the person is erased."""

from __future__ import annotations

import datetime as dt

from ffmot.core import screening
from ffmot.services import people as P
from ffmot.services import records as R
from ffmot.services.erase import erase_participant
from ffmot.services.merge import merge
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.store.test_merge import copy_of

SAM = Actor("Sam", "Station 2")


def registered_twice(tmp_path, actor):  # type: ignore[no-untyped-def]
    hub = connect(str(tmp_path / "hub.db"))
    e = R.create_event(hub, actor, "MOT day", dt.date(2026, 5, 1))
    ids = []
    for given in ("Sian", "Siân"):
        p = R.register_participant(
            hub, actor, given, "O Briain", dt.date(1950, 3, 14), "female",
            consents={"keep_results": True},
        )  # fmt: skip
        v = R.check_in(hub, actor, p.id, e.id)
        R.record_screening(hub, actor, v.id, screening.answers_with())
        ids.append((p, v))
    station = copy_of(tmp_path / "hub.db", tmp_path / "station.db")  # handed out: both records
    return hub, station, e, ids


def test_a_station_file_with_the_other_record_brings_its_result_to_the_kept_one(tmp_path, actor):
    hub, station, _e, [(keep, kv), (other, ov)] = registered_twice(tmp_path, actor)
    R.save_result(station, SAM, ov.id, "grip", [(24, "right 1")])  # tested as the other record
    station.close()
    P.merge_participants(hub, actor, keep.id, other.id)
    report = merge(hub, actor, str(tmp_path / "station.db"))
    assert report.merged_away >= 2  # the other person and their visit
    found = R.search_participants(hub, "briain")
    assert [p.id for p in found] == [keep.id]  # not brought back
    assert R.get_assessment(hub, kv.id).result("grip").value == 24  # on the kept visit
    again = merge(hub, actor, str(tmp_path / "station.db"))
    assert sum(again.added.values()) == 0 and sum(again.conflicts.values()) == 0
    hub.close()


def test_after_erasure_a_station_file_brings_back_neither_record(tmp_path, actor):
    hub, station, _e, [(keep, _kv), (other, ov)] = registered_twice(tmp_path, actor)
    R.save_result(station, SAM, ov.id, "grip", [(24, "right 1")])
    station.close()
    P.merge_participants(hub, actor, keep.id, other.id)
    erase_participant(hub, actor, keep.code)
    report = merge(hub, actor, str(tmp_path / "station.db"))
    assert R.search_participants(hub, "briain") == []
    assert all(report.added[t] == 0 for t in ("participant", "consent", "assessment", "result"))
    hub.close()
