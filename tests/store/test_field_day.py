"""A whole MOT day on station files, checked against the same day on one shared database.

36 people arrive over six hours at a check-in laptop; six stations (BMI, grip, legs, arms,
flexibility, activity questions) and the results table each keep their own file. Every hour
each station brings in check-in's work to learn who has arrived, tests whoever it is its turn
for, and saves its work to the stick; the results table brings in all seven files in a random
order. Planted: the same test at two stations with different values, a person registered a
second time (and later merged), a correction after printing, a withdrawal of consent that
stations hear of late, two tests not done, and station files dragged to the stick without
their '-wal'. Every save a station acknowledged is logged.

The same script then runs with every laptop on one shared PostgreSQL database: the reference.
At the end of the day the results table's file must hold every acknowledged save once and
unchanged (0 lost, 0 wrong, 0 duplicated), must have raised a conflict exactly for the planted
disagreement, and its board, results and summary must equal the reference's.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import board as B
from ffmot.services import records as R
from ffmot.services.conflicts import open_conflicts, settle
from ffmot.services.merge import merge
from ffmot.services.people import merge_participants
from ffmot.services.station_file import save_station_work
from ffmot.services.summary import summary_data
from ffmot.services.types import Actor, Measurements
from ffmot.store.db import Database, connect
from ffmot.store.errors import ConflictError
from ffmot.store.models import Assessment, Participant, Result

HOURS, PER_HOUR = 6, 6  # 36 people: every planted event has its hour; the suite stays quick
DAY = dt.date(2026, 6, 1)
BODY = ["height_cm", "weight_kg", "waist_cm"]
ANSWERS = ["moderate_minutes", "strength_days", "balance_days", "sitting_hours"]
STATIONS = {  # station: the tests it gives ("body" and "answers" are measurements)
    "BMI": ["body"],
    "Grip": ["grip"],
    "Legs": ["chair_stand", "up_and_go"],
    "Arms": ["arm_curl", "back_scratch"],
    "Flexibility": ["sit_and_reach"],
    "Activity": ["answers"],
}
OFFERED = ["grip", "chair_stand", "up_and_go", "arm_curl", "back_scratch", "sit_and_reach"]
RANGES = {"grip": (14, 40), "chair_stand": (7, 20), "up_and_go": (4, 9), "arm_curl": (9, 22),
          "back_scratch": (-20, 8), "sit_and_reach": (-12, 10)}  # fmt: skip
DESK, TABLE = Actor("Desk", "Check-in"), Actor("Results", "Results table")
# The planted events, by person (hour of arrival, number in that hour).
REGISTERED_TWICE = (0, 3)  # leaves after three stations, comes back at hour 2 as "Margret"
CORRECTED = (0, 5)  # printed at the end of hour 1, then chair stand corrected
TWO_GRIPS = (1, 4)  # grip at the grip station and at the flexibility station, apart
WITHDRAWS = (2, 5)  # withdraws at the desk in hour 4; the legs station hears of it late
NOT_DONE = {(1, 1): "declined", (3, 2): "unable"}  # sit and reach


def who(h: int, n: int) -> str:
    return f"P{h}{n:02d}"


@dataclass
class Plan:
    """Who each station tests in which hour, and the values: the same in both worlds."""

    turns: dict[tuple[str, str], int] = field(default_factory=dict)  # (person, station): hour
    values: dict[tuple[str, str], float] = field(default_factory=dict)  # (person, test)

    @classmethod
    def make(cls, seed: int) -> Plan:
        rng, plan = random.Random(seed), cls()
        for h in range(HOURS):
            for n in range(PER_HOUR):
                p = who(h, n)
                for st, tests in STATIONS.items():
                    plan.turns[(p, st)] = min(HOURS - 1, h + rng.choice((0, 0, 1)))
                    for t in tests:
                        lo, hi = RANGES.get(t, (0, 0))
                        plan.values[(p, t)] = float(rng.randint(lo, hi))
                if (h, n) == CORRECTED:
                    for st in STATIONS:
                        plan.turns[(p, st)] = 0
        twice = who(*REGISTERED_TWICE)
        for st in ("Arms", "Flexibility", "Activity"):
            plan.turns[(twice, st)] = -1  # gone before these: done when she comes back
        w = who(*WITHDRAWS)
        plan.turns[(w, "Legs")], plan.turns[(w, "Activity")] = 4, 5
        g = who(*TWO_GRIPS)
        plan.turns[(g, "Grip")] = plan.turns[(g, "Flexibility")] = TWO_GRIPS[0]
        return plan


@dataclass
class Log:
    """Every save a station acknowledged, by person and test (the last one acknowledged)."""

    results: dict[tuple[str, str], tuple[bool, float | None, str | None]] = field(
        default_factory=dict
    )
    measures: dict[tuple[str, str], float | int] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (person, test) not saved
    planted_grip: set[float] = field(default_factory=set)
    # what was saved for the person who withdrew before she did: kept, as on one database
    before_withdrawal: set[tuple[str, str]] = field(default_factory=set)
    withdrawn: bool = False
    unheard: set[tuple[str, str]] = field(default_factory=set)  # acknowledged after it


class World:
    """Where each laptop writes. Files: a file per laptop and the stick; shared: one database."""

    def __init__(self, tmp_path: Path, shared_url: str | None) -> None:
        self.shared = shared_url is not None
        self.stick = tmp_path / "stick"
        self.stick.mkdir(parents=True)
        self.tmp = tmp_path
        names = ["Check-in", "Results table", *STATIONS]
        if shared_url is not None:
            one = connect(shared_url)
            self.dbs = {n: one for n in names}
        else:
            self.dbs = {n: connect(str(tmp_path / f"{n.replace(' ', '')}.db")) for n in names}
        self.work: dict[str, Path] = {}
        self.minute = 0

    def save(self, name: str, hour: int) -> None:
        if self.shared:
            return
        self.minute += 1
        when = dt.datetime(2026, 6, 1, 9 + hour, self.minute % 60, self.minute // 60)
        self.work[name] = save_station_work(self.dbs[name], self.stick, name, when)

    def bring_in(self, into: str, names: list[str]) -> None:
        if self.shared:
            return
        for name in names:
            if name in self.work:
                report = merge(self.dbs[into], Actor(into, into), str(self.work[name]))
                assert "unexpected" not in report.line()

    def close(self) -> None:
        for db in {id(d): d for d in self.dbs.values()}.values():
            db.close()


def run_day(world: World, plan: Plan, seed: int) -> tuple[Log, str, dict[str, str]]:
    """The day, the same in both worlds. Returns the log, the MOT day and person -> visit id
    (on the results table)."""
    log, rng = Log(), random.Random(seed + 1)
    desk, table = world.dbs["Check-in"], world.dbs["Results table"]
    event = R.create_event(desk, DESK, "Field day", DAY, tests_offered=OFFERED)
    world.save("Check-in", 0)
    world.bring_in("Results table", ["Check-in"])
    for st in STATIONS:
        world.bring_in(st, ["Check-in"])
    visits: dict[str, str] = {}  # person -> visit id
    people: dict[str, str] = {}  # person -> participant id
    for hour in range(HOURS):
        for n in range(PER_HOUR):  # arrivals at check-in
            p = who(hour, n)
            given = "Margaret" if (hour, n) == REGISTERED_TWICE else p
            pp = R.register_participant(
                desk, DESK, given, "Fieldday", dt.date(1940 + n, 1 + hour, 1 + n),
                "female" if n % 2 else "male",
                consents={"keep_results": True, "anonymous_reports": True},
            )  # fmt: skip
            v = R.check_in(desk, DESK, pp.id, event.id)
            R.record_screening(desk, DESK, v.id, screening.answers_with())
            visits[p], people[p] = v.id, pp.id
        if hour == 2:  # she is back, and registered again under a misspelt name
            h, n = REGISTERED_TWICE
            again = R.register_participant(
                desk, DESK, "Margret", "Fieldday", dt.date(1940 + n, 1 + h, 1 + n), "male",
                consents={"keep_results": True, "anonymous_reports": True},
            )  # fmt: skip
            v = R.check_in(desk, DESK, again.id, event.id)
            R.record_screening(desk, DESK, v.id, screening.answers_with())
            visits["again"], people["again"] = v.id, again.id
        world.save("Check-in", hour)
        if hour == 4:  # after check-in's file went round: the stations hear of it next hour
            w = who(*WITHDRAWS)
            for purpose in ("keep_results", "anonymous_reports"):
                R.record_consent(desk, DESK, people[w], purpose, False)
            log.before_withdrawal = {k for k in log.results if k[0] == w}
            log.withdrawn = True
        for st, tests in STATIONS.items():
            db = world.dbs[st]
            world.bring_in(st, ["Check-in"])
            me = Actor(f"Tester {st}", st)
            for p in list(visits):
                twice = p == "again"
                turn = plan.turns.get((who(*REGISTERED_TWICE) if twice else p, st))
                if twice:
                    turn = 2 if st in ("Arms", "Flexibility", "Activity") else -1
                if turn != hour:
                    continue
                base = who(*REGISTERED_TWICE) if twice else p
                for t in tests:
                    _station_saves(db, me, visits[p], base, t, plan, log)
            if hour == TWO_GRIPS[0] and st == "Flexibility":  # the grip again, here
                g = who(*TWO_GRIPS)
                value = plan.values[(g, "grip")] + 3
                try:
                    R.save_result(db, me, visits[g], "grip", [(value, "right 1")])
                    log.planted_grip = {plan.values[(g, "grip")], value}
                except ConflictError:  # on one database the station is told at once
                    assert world.shared
            world.save(st, hour)
        if hour == 4:
            world.save("Check-in", hour)  # with the withdrawal
        order = ["Check-in", *STATIONS]
        rng.shuffle(order)
        world.bring_in("Results table", order)
        if not world.shared:
            _raw_copy_dragged_to_the_stick(world, hour)
        if hour == 1:  # the sheet is printed, then the chair stand is found mistyped
            c = who(*CORRECTED)
            R.mark_printed(table, TABLE, visits[c])
            seen = R.get_assessment(table, visits[c]).result("chair_stand")
            value = plan.values[(c, "chair_stand")] + 2
            R.save_result(table, TABLE, visits[c], "chair_stand", [(value, "")],
                          expected_version=seen.version)  # fmt: skip
            log.results[(c, "chair_stand")] = (True, value, None)
        if hour == 3:  # the results table sees Margret is Margaret: one record
            merge_participants(table, TABLE, people[who(*REGISTERED_TWICE)], people["again"],
                               accept_different_details=True)  # fmt: skip
    for st in STATIONS:  # the end of the day: the last files, twice and in another order
        world.save(st, HOURS - 1)
    final = ["Check-in", *STATIONS]
    world.bring_in("Results table", final)
    world.bring_in("Results table", final[::-1])
    del visits["again"]
    return log, event.id, visits


def _station_saves(
    db: Database, me: Actor, vid: str, person: str, test: str, plan: Plan, log: Log
) -> None:
    a = R.get_assessment(db, vid)
    try:
        if test == "body":
            h = 150 + plan.values.get((person, "grip"), 20)
            m = Measurements(h, 55 + plan.values[(person, "chair_stand")], 80)
            R.save_measurements(db, me, vid, m, only=BODY, seen=a.measurements)
            for k in BODY:
                log.measures[(person, k)] = getattr(m, k)
        elif test == "answers":
            m = Measurements(
                None, None, None, 30 * (plan.values[(person, "arm_curl")] % 7), 2, 1, 6
            )
            R.save_measurements(db, me, vid, m, only=ANSWERS, seen=a.measurements)
            for k in ANSWERS:
                log.measures[(person, k)] = getattr(m, k)
        else:
            reason = _not_done(person) if test == "sit_and_reach" else None
            if reason:
                R.mark_not_done(db, me, vid, test, reason)
                log.results[(person, test)] = (False, None, reason)
            else:
                value = plan.values[(person, test)]
                R.save_result(db, me, vid, test, [(value, "right 1" if test == "grip" else "")])
                log.results[(person, test)] = (True, value, None)
        if log.withdrawn and person == who(*WITHDRAWS):
            log.unheard.add((person, test))
    except InputError:  # withdrawn: nothing more is recorded for them
        log.refused.append((person, test))


def _not_done(person: str) -> str | None:
    for (h, n), reason in NOT_DONE.items():
        if who(h, n) == person:
            return reason
    return None


def _raw_copy_dragged_to_the_stick(world: World, hour: int) -> None:
    """Someone drags a station's live ffmot.db alone to the stick: early in the day it holds
    no records yet (they sit in the '-wal' beside it) and is refused with the reason; later
    it is an older copy and changes nothing."""
    st = "Activity" if hour == 0 else "Legs"
    raw = world.stick / f"ffmot-{hour}.db"
    shutil.copyfile(world.tmp / f"{st}.db", raw)
    shutil.copyfile(world.tmp / f"{st}.db.keys", f"{raw}.keys")  # the folder, less its -wal
    try:
        report = merge(world.dbs["Results table"], TABLE, str(raw))
    except InputError as e:  # its records all still in the -wal: refused, with the reason
        assert "-wal" in str(e), e
    else:  # an older copy: it comes in, changes nothing newer, and is warned about
        assert "not its saved work" in report.warning, report.line()


def _held(db: Database, visits: dict[str, str]) -> dict[tuple[str, str], tuple]:
    got: dict[tuple[str, str], tuple] = {}
    for p, vid in visits.items():
        for r in R.get_assessment(db, vid).results:
            if r.test_id in OFFERED:
                got[(p, r.test_id)] = (r.done, r.value, r.reason)
    return got


def _measured(db: Database, visits: dict[str, str]) -> dict[tuple[str, str], float | int]:
    got = {}
    for p, vid in visits.items():
        m = R.get_assessment(db, vid).measurements
        for k in (*BODY, *ANSWERS):
            if getattr(m, k) is not None:
                got[(p, k)] = getattr(m, k)
    return got


def _board(db: Database, event_id: str) -> dict[str, tuple]:
    return {
        r.name: (r.done, r.offered, r.still_needed, r.screening, r.status)
        for r in B.board(db, event_id)
    }


def _counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(m)) for m in (Participant, Assessment, Result)
        )


def _settle_as_the_reference(db: Database, event_id: str, keep: float) -> None:
    (c,) = open_conflicts(db, event_id)
    assert c.what == "Grip strength"
    settle(db, TABLE, c.id, "here" if c.here.startswith(f"{keep:g} kg") else "there")


@pytest.mark.slow
def test_a_field_day_on_station_files_equals_one_shared_database(tmp_path: Path, pg_url: str):
    plan = Plan.make(seed=13)
    files = World(tmp_path / "files", None)
    log, event_id, visits = run_day(files, plan, seed=13)
    hub = files.dbs["Results table"]

    # Conflicts: exactly the planted one, nothing else (before, 197 rows).
    conflicts = open_conflicts(hub, event_id)
    g = who(*TWO_GRIPS)
    assert [(c.visit_id, c.what) for c in conflicts] == [(visits[g], "Grip strength")]
    assert len(log.planted_grip) == 2
    assert _board(hub, event_id)[f"{g} Fieldday"][-1] == "conflict"
    _settle_as_the_reference(hub, event_id, plan.values[(g, "grip")])

    # Against the log of acknowledged saves: 0 lost, 0 wrong, 0 duplicated.
    w = who(*WITHDRAWS)
    expected = {k: v for k, v in log.results.items() if k[0] != w}
    assert not log.before_withdrawal - set(log.results)
    expected[(g, "grip")] = (True, plan.values[(g, "grip")], None)  # as settled
    held = _held(hub, visits)
    mine = {k: v for k, v in held.items() if k[0] != w}
    lost = set(expected) - set(mine)
    assert not lost, f"{len(lost)} acknowledged results lost: {sorted(lost)[:5]}"
    assert not set(mine) - set(expected), "results nobody saved"
    wrong = {k for k in expected if mine[k] != expected[k]}
    assert not wrong, f"{len(wrong)} results differ: {sorted(wrong)[:5]}"
    assert log.before_withdrawal  # she had results before she withdrew: the late news matters
    assert {k for k in held if k[0] == w} == log.before_withdrawal  # nothing after she withdrew
    assert _measured(hub, visits) == {k: v for k, v in log.measures.items()}
    c = who(*CORRECTED)
    assert held[(c, "chair_stand")][1] == plan.values[(c, "chair_stand")] + 2
    twice = who(*REGISTERED_TWICE)
    assert {t for (p, t) in held if p == twice} == set(OFFERED)  # both visits, one record
    n_people = HOURS * PER_HOUR
    body = {p for (p, k) in log.measures if k == "height_cm"}
    answers = {p for (p, k) in log.measures if k == "moderate_minutes"}
    n_results = len(expected) + len(log.before_withdrawal) + 2 * len(body) + len(answers)
    counts = _counts(hub)
    assert counts == (n_people, n_people, n_results), counts
    # Merging everything again changes nothing: A twice = A once.
    for name in files.work:
        again = merge(hub, TABLE, str(files.work[name]))
        assert sum(again.added.values()) + sum(again.updated.values()) == 0, again.line()
        assert sum(again.conflicts.values()) == 0, again.line()
    assert _counts(hub) == counts

    # The same day on one shared database: the reference.
    ref_world = World(tmp_path / "shared", pg_url)
    ref_log, ref_event, ref_visits = run_day(ref_world, plan, seed=13)
    ref = ref_world.dbs["Results table"]
    assert open_conflicts(ref, ref_event) == []
    assert _held(ref, ref_visits) == held
    assert _measured(ref, ref_visits) == _measured(hub, visits)
    assert _board(ref, ref_event) == _board(hub, event_id)
    assert summary_data(ref, ref_event) == summary_data(hub, event_id)
    assert _counts(ref) == counts
    assert log.unheard == {(w, "chair_stand"), (w, "up_and_go")}  # left out at the table
    assert log.refused == [(w, "answers")] and not ref_log.unheard
    assert ref_log.refused == [(w, "chair_stand"), (w, "up_and_go"), (w, "answers")]
    files.close()
    ref_world.close()
