"""A field day on station files, scaled down: check-in and the results table on one laptop, four
test stations on their own files. Every hour each station brings in check-in's work (to learn who
has arrived), tests whoever is there, and saves its work to the stick; the results table brings
the station files in, in a random order. Planted: the same test at two stations with different
values, a station file copied by hand without its '-wal', a withdrawal of consent. Checked
against the log of every acknowledged save: nothing lost, nothing wrong, nothing twice, and a
conflict exactly where the stations disagreed."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import board as B
from ffmot.services import records as R
from ffmot.services.conflicts import open_conflicts
from ffmot.services.merge import merge
from ffmot.services.station_file import save_station_work
from ffmot.services.types import Actor
from ffmot.store.db import connect

STATIONS = {"Station 1": "chair_stand", "Station 2": "grip", "Station 3": "arm_curl",
            "Station 4": "back_scratch"}  # fmt: skip
HOURS, PER_HOUR = 3, 6


def test_a_field_day_on_station_files(tmp_path: Path):
    rng = random.Random(7)
    desk = Actor("Desk", "Check-in")
    hub = connect(str(tmp_path / "hub.db"))
    event = R.create_event(
        hub, desk, "Field day", dt.date(2026, 6, 1), tests_offered=list(STATIONS.values())
    )
    stick = tmp_path / "stick"
    stick.mkdir()
    files = {}
    for name in STATIONS:  # each laptop starts from the day's file
        files[name] = tmp_path / f"{name.replace(' ', '')}.db"
        save_station_work(hub, stick, "start").rename(files[name])
    truth: dict[tuple[str, str], float] = {}  # (visit, test): the value a station acknowledged
    planted: set[tuple[str, str]] = set()
    withdrawn: set[str] = set()
    kept_at_withdrawal: set[tuple[str, str]] = set()
    people = []
    for hour in range(HOURS):
        for n in range(PER_HOUR):  # arrivals at check-in
            p = R.register_participant(
                hub, desk, f"P{hour}{n}", "Fieldday", dt.date(1945 + n, 1 + hour, 1 + n),
                "female" if n % 2 else "male", consents={"keep_results": True},
            )  # fmt: skip
            v = R.check_in(hub, desk, p.id, event.id)
            R.record_screening(hub, desk, v.id, screening.answers_with())
            people.append(v.id)
        desk_work = save_station_work(hub, stick, "check-in")
        for name, test in STATIONS.items():
            db = connect(str(files[name]))
            merge(db, Actor(name, name), str(desk_work))  # who has arrived
            me = Actor(name, name)
            for vid in people:
                if R.get_assessment(db, vid).result(test) is not None:
                    continue
                value = float(rng.randint(8, 20))
                R.save_result(db, me, vid, test, [(value, "right 1" if test == "grip" else "")])
                truth[(vid, test)] = value
            if hour == 0 and name == "Station 3":  # grip for the first person, here too
                first = people[0]
                if R.get_assessment(db, first).result("grip") is None:
                    R.save_result(db, me, first, "grip", [(99 / 3, "right 1")])
                    planted.add((first, "grip"))
            work = save_station_work(db, stick, name)
            db.close()
            files[f"{name} work {hour}"] = work
        if hour == 1:  # someone who came this hour withdraws at the desk, once tested
            late = people[PER_HOUR]
            pid = R.get_assessment(hub, late).participant_id
            R.record_consent(hub, desk, pid, "keep_results", False)
            withdrawn.add(late)
            kept_at_withdrawal = {(late, r.test_id) for r in R.get_assessment(hub, late).results}
        raw = tmp_path / "raw-copy.db"  # someone drags ffmot.db alone to the stick
        raw.write_bytes(b"")
        brought = [f"{name} work {hour}" for name in STATIONS]
        rng.shuffle(brought)
        for key in brought:
            merge(hub, desk, str(files[key]))
        try:
            merge(hub, desk, str(raw))
        except InputError as e:
            assert "not an ffmot database" in str(e) or "holds no ffmot records" in str(e)
    # Every acknowledged save is there, once, with its value; the planted one is a conflict.
    got = {}
    for vid in people:
        for r in R.get_assessment(hub, vid).results:
            got[(vid, r.test_id)] = r.value
    # Results of the person who withdrew, saved at stations that did not know yet, stay out.
    truth = {k: v for k, v in truth.items() if k[0] not in withdrawn or k in kept_at_withdrawal}
    assert set(got) == set(truth), "a result was lost or invented"
    wrong = {k for k in truth if got[k] != truth[k]}
    assert not wrong, f"{len(wrong)} results differ from what the stations saved"
    assert planted and withdrawn
    conflicts = open_conflicts(hub, event.id)
    assert {(c.visit_id, "grip") for c in conflicts} == planted and len(conflicts) == len(planted)
    rows = {r.assessment_id: r for r in B.board(hub, event.id)}
    assert len(rows) == HOURS * PER_HOUR
    for vid in people:
        want = "withdrawn" if vid in withdrawn else "conflict" if (vid, "grip") in planted else None
        if want:
            assert rows[vid].status == want, (vid, rows[vid].status)
        else:
            assert not rows[vid].still_needed, rows[vid]
    hub.close()
