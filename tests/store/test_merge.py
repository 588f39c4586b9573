"""Merging station databases: union by UUID, idempotent, conflicts kept, never lost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.services.merge import merge
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import MergeConflict, Participant, Result
from tests.helpers import copy_database, raw_sqlite

D = dt.date


def station(path, actor, given, n_results=2):
    db = connect(str(path))
    e = R.create_event(db, actor, "MOT day", D(2026, 5, 1))
    p = R.register_participant(
        db, actor, given, "Sampleton", D(1950, 3, 14), "female", consents={"keep_results": True}
    )
    a = R.check_in(db, actor, p.id, e.id)
    R.record_screening(db, actor, a.id, screening.answers_with())
    for test, v in (("grip", 22), ("chair_stand", 11))[:n_results]:
        R.save_result(db, actor, a.id, test, [(v, "")])
    return db, e, p, a


def count(db, model):
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_union_and_idempotence(db, tmp_path, actor):
    one, *_ = station(tmp_path / "one.db", actor, "Ada")
    two, *_ = station(tmp_path / "two.db", Actor("Kim", "Station 2"), "Bea")
    one.close()
    two.close()
    r1 = merge(db, actor, str(tmp_path / "one.db"))
    r2 = merge(db, actor, str(tmp_path / "two.db"))
    assert r1.added["participant"] == 1 and r1.added["result"] == 2
    assert r2.added["participant"] == 1 and r2.added["event"] == 1
    assert sorted(r.name for r in R.search_participants(db, "samp")) == [
        "Ada Sampleton",
        "Bea Sampleton",
    ]
    before = (count(db, Participant), count(db, Result))
    again = merge(db, actor, str(tmp_path / "one.db"))
    assert sum(again.added.values()) == 0
    assert (
        sum(again.conflicts.values()) == 0 and (count(db, Participant), count(db, Result)) == before
    )


def test_the_other_file_is_never_changed(tmp_path, actor):
    one, *_ = station(tmp_path / "one.db", actor, "Ada")
    one.close()
    before = (tmp_path / "one.db").read_bytes()
    hub = connect(str(tmp_path / "hub.db"))
    merge(hub, actor, str(tmp_path / "one.db"))
    assert (tmp_path / "one.db").read_bytes() == before
    hub.close()


def test_a_record_changed_differently_is_a_conflict_with_both_versions_kept(tmp_path, actor):
    laptop, _, _, a = station(tmp_path / "laptop.db", actor, "Ada")
    laptop.close()
    hub = connect(str(tmp_path / "hub.db"))
    merge(hub, actor, str(tmp_path / "laptop.db"))
    # The same grip result is then corrected differently on each side.
    v = R.get_assessment(hub, a.id).result("grip").version
    R.save_result(hub, actor, a.id, "grip", [(30, "hub")], expected_version=v)
    laptop = connect(str(tmp_path / "laptop.db"))
    R.save_result(laptop, actor, a.id, "grip", [(18, "laptop")], expected_version=v)
    R.save_result(laptop, actor, a.id, "arm_curl", [(14, "")])
    laptop.close()
    report = merge(hub, actor, str(tmp_path / "laptop.db"))
    assert report.conflicts["result"] == 1 and report.added["result"] == 1
    assert "both versions kept for review" in report.line()
    assert R.get_assessment(hub, a.id).result("grip").value == 30  # ours is untouched
    with hub.transaction() as s:
        c = s.scalars(select(MergeConflict)).one()
    assert c.entity == "result" and c.local["value"] == 30 and c.incoming["value"] == 18
    assert c.incoming["trials"][0]["label"] == "laptop"
    again = merge(hub, actor, str(tmp_path / "laptop.db"))
    assert again.known_conflicts == 1 and count(hub, MergeConflict) == 1
    hub.close()


def test_a_code_clash_gets_a_new_code_and_is_reported(tmp_path, actor):
    one, _, p1, _ = station(tmp_path / "one.db", actor, "Ada")
    two, _, p2, _ = station(tmp_path / "two.db", actor, "Bea")
    R.update_participant(two, actor, p2.id, p2.version)  # nothing changes; version bumps
    with two.engine.begin() as c:
        c.exec_driver_sql("UPDATE participant SET code = ? WHERE id = ?", (p1.code, p2.id))
    one.close()
    two.close()
    hub = connect(str(tmp_path / "hub.db"))
    merge(hub, actor, str(tmp_path / "one.db"))
    report = merge(hub, actor, str(tmp_path / "two.db"))
    assert len(report.recoded) == 1 and report.recoded[0][0] == p1.code
    assert R.find_by_code(hub, p1.code).given_name == "Ada"
    assert R.find_by_code(hub, report.recoded[0][1]).given_name == "Bea"
    hub.close()


def test_merge_from_postgres_into_sqlite_and_back(pg_url, tmp_path, actor):
    shared = connect(pg_url)
    e = R.create_event(shared, actor, "Shared day", D(2026, 5, 1))
    p = R.register_participant(
        shared, actor, "Ada", "Sampleton", D(1950, 3, 14), "female", consents={"keep_results": True}
    )
    a = R.check_in(shared, actor, p.id, e.id)
    R.record_screening(shared, actor, a.id, screening.answers_with())
    R.save_result(shared, actor, a.id, "grip", [(22, "")])
    laptop = connect(str(tmp_path / "laptop.db"))
    assert merge(laptop, actor, pg_url).added["result"] == 1
    q = R.register_participant(
        laptop, actor, "Bea", "Offline", D(1948, 2, 29), "female", consents={"keep_results": True}
    )
    assert merge(shared, actor, str(tmp_path / "laptop.db")).added["participant"] == 1
    assert R.find_by_code(shared, q.code).family_name == "Offline"
    laptop.close()
    shared.close()


@pytest.mark.hostile("station files")
def test_bad_sources_are_refused(db, tmp_path, actor):
    with pytest.raises(InputError, match="cannot find"):
        merge(db, actor, str(tmp_path / "missing.db"))
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    with pytest.raises(
        InputError, match=r"not an ffmot station file.*Your own database is not affected"
    ):
        merge(db, actor, str(junk))


def copy_of(hub_path, to):
    """A station's laptop, started from a copy of the day's file (as handed out at the start)."""
    copy_database(hub_path, to)
    return connect(str(to))


def test_the_same_test_at_two_stations_is_one_conflict_and_the_rest_comes_in(tmp_path, actor):
    hub, _e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    five = copy_of(tmp_path / "hub.db", tmp_path / "five.db")
    R.save_result(two, Actor("Sam", "Station 2"), a.id, "grip", [(24, "right 1")])
    R.save_result(five, Actor("Jo", "Station 5"), a.id, "grip", [(26, "right 1")])
    R.save_result(five, Actor("Jo", "Station 5"), a.id, "arm_curl", [(15, "")])
    R.save_result(five, Actor("Jo", "Station 5"), a.id, "chair_stand", [(11, "")])
    R.save_result(two, Actor("Sam", "Station 2"), a.id, "chair_stand", [(11, "")])
    two.close()
    five.close()
    merge(hub, actor, str(tmp_path / "two.db"))
    report = merge(hub, actor, str(tmp_path / "five.db"))  # aborted whole, before
    results = {r.test_id: r.value for r in R.get_assessment(hub, a.id).results}
    assert results == {"grip": 24, "arm_curl": 15, "chair_stand": 11}
    assert report.conflicts["result"] == 1 and report.added["result"] == 1
    assert report.already["result"] == 1  # chair stand 11 at both: the same fact
    with hub.transaction() as s:
        c = s.scalars(select(MergeConflict)).one()
    assert c.local["value"] == 24 and c.incoming["value"] == 26 and c.incoming["station"]
    again = merge(hub, actor, str(tmp_path / "five.db"))
    assert again.known_conflicts == 1 and count(hub, MergeConflict) == 1
    hub.close()


def test_a_later_copy_of_a_stations_file_updates_its_own_result(tmp_path, actor):
    hub, _e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    sam = Actor("Sam", "Station 2")
    R.save_result(two, sam, a.id, "grip", [(24, "right 1")])
    first = tmp_path / "two-10am.db"
    copy_of(tmp_path / "two.db", first).close()
    merge(hub, actor, str(first))
    v = R.get_assessment(two, a.id).result("grip").version
    R.save_result(two, sam, a.id, "grip", [(25, "right 1")], expected_version=v)  # corrected
    two.close()
    report = merge(hub, actor, str(tmp_path / "two.db"))
    assert report.updated["result"] == 1 and sum(report.conflicts.values()) == 0
    assert R.get_assessment(hub, a.id).result("grip").value == 25
    late = merge(hub, actor, str(first))  # the older copy, brought in again afterwards
    assert sum(late.conflicts.values()) == 0
    assert R.get_assessment(hub, a.id).result("grip").value == 25
    assert "updated 1 result" in report.line()
    hub.close()


def test_a_result_changed_here_and_at_its_station_is_still_a_conflict(tmp_path, actor):
    hub, _e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    sam = Actor("Sam", "Station 2")
    R.save_result(two, sam, a.id, "grip", [(24, "right 1")])
    copy_of(tmp_path / "two.db", tmp_path / "two-10am.db").close()
    merge(hub, actor, str(tmp_path / "two-10am.db"))
    v = R.get_assessment(hub, a.id).result("grip").version
    R.save_result(hub, actor, a.id, "grip", [(30, "right 1")], expected_version=v)  # here
    R.save_result(two, sam, a.id, "grip", [(25, "right 1")], expected_version=v)  # there
    two.close()
    report = merge(hub, actor, str(tmp_path / "two.db"))
    assert report.conflicts["result"] == 1
    assert R.get_assessment(hub, a.id).result("grip").value == 30
    hub.close()


@pytest.mark.hostile("station files")
def test_a_file_copied_without_its_records_is_refused_with_the_reason(db, tmp_path, actor):

    raw = tmp_path / "station-copy.db"
    con = raw_sqlite(raw)  # what a copy made in the first hour held: no tables at all
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    with pytest.raises(InputError, match=r"holds no ffmot records.*Save this station's work"):
        merge(db, actor, str(raw))


def test_measurements_from_two_stations_fill_one_visit_without_conflicts(tmp_path, actor):
    """Check-in writes the visit; the BMI station and the activity questions each fill in their
    own facts on their own copy. Brought in, the visit holds all of them, with no conflict."""
    from ffmot.services.types import Measurements

    hub, _e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    bmi = copy_of(tmp_path / "hub.db", tmp_path / "bmi.db")
    act = copy_of(tmp_path / "hub.db", tmp_path / "act.db")
    seen = R.get_assessment(bmi, a.id)
    R.save_measurements(
        bmi, Actor("Sam", "BMI"), a.id, Measurements(160, 62, 84),
        only=["height_cm", "weight_kg", "waist_cm"], seen=seen.measurements,
        results_seen={"bmi": None},
    )  # fmt: skip
    seen = R.get_assessment(act, a.id)
    keys = ["moderate_minutes", "strength_days", "balance_days", "sitting_hours"]
    R.save_measurements(
        act, Actor("Jo", "Activity"), a.id,
        Measurements(moderate_minutes=150, strength_days=2, balance_days=1, sitting_hours=6),
        only=keys, seen=seen.measurements, results_seen={"activity": None},
    )  # fmt: skip
    R.save_notes(
        hub, actor, a.id, "Walks the dog", "", seen_notes="", seen_goals=""
    )  # the results table, meanwhile
    bmi.close()
    act.close()
    one = merge(hub, actor, str(tmp_path / "bmi.db"))
    two = merge(hub, actor, str(tmp_path / "act.db"))
    assert sum(one.conflicts.values()) == 0 and sum(two.conflicts.values()) == 0
    v = R.get_assessment(hub, a.id)
    m = v.measurements
    assert (m.height_cm, m.weight_kg, m.waist_cm, m.moderate_minutes, m.sitting_hours) == (
        160, 62, 84, 150, 6,
    )  # fmt: skip
    assert v.notes == "Walks the dog"
    assert {r.test_id: r.value for r in v.results} == {"bmi": 24.2, "waist": 84, "activity": 150}
    hub.close()


def test_two_different_heights_for_one_visit_are_a_conflict_and_the_rest_is_filled(tmp_path, actor):
    from ffmot.services.types import Measurements

    hub, _e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    one = copy_of(tmp_path / "hub.db", tmp_path / "one.db")
    seen = R.get_assessment(hub, a.id).measurements
    R.save_measurements(hub, actor, a.id, Measurements(height_cm=160), only=["height_cm"],
                        seen=seen)  # fmt: skip
    R.save_measurements(one, actor, a.id, Measurements(height_cm=166, weight_kg=70),
                        only=["height_cm", "weight_kg"], seen=seen)  # fmt: skip
    one.close()
    report = merge(hub, actor, str(tmp_path / "one.db"))
    assert report.conflicts["assessment"] == 1
    m = R.get_assessment(hub, a.id).measurements
    assert (m.height_cm, m.weight_kg) == (160, 70)  # ours kept, the blank filled
    hub.close()


def test_bringing_in_in_either_order_gives_the_same_day_once_settled(tmp_path, actor):
    """A then B equals B then A (and A twice equals A once), once the one planted disagreement
    is settled the same way on both."""
    from ffmot.services.conflicts import open_conflicts, settle
    from ffmot.services.types import Measurements

    day, e, _p, a = station(tmp_path / "day.db", actor, "Ada", n_results=0)
    day.close()
    two = copy_of(tmp_path / "day.db", tmp_path / "two.db")
    five = copy_of(tmp_path / "day.db", tmp_path / "five.db")
    R.save_result(two, Actor("Sam", "Station 2"), a.id, "grip", [(24, "right 1")])
    R.save_result(two, Actor("Sam", "Station 2"), a.id, "chair_stand", [(12, "")])
    R.save_result(five, Actor("Jo", "Station 5"), a.id, "grip", [(26, "right 1")])
    R.save_result(five, Actor("Jo", "Station 5"), a.id, "arm_curl", [(15, "")])
    seen = R.get_assessment(five, a.id).measurements
    R.save_measurements(five, Actor("Jo", "Station 5"), a.id, Measurements(160, 62, 84),
                        only=["height_cm", "weight_kg", "waist_cm"], seen=seen)  # fmt: skip
    two.close()
    five.close()

    def day_after(order: list[str], name: str) -> dict[str, object]:
        hub = copy_of(tmp_path / "day.db", tmp_path / name)
        for f in order:
            merge(hub, actor, str(tmp_path / f))
        for c in open_conflicts(hub, e.id):
            theirs = "26" in c.there.split(":")[0]
            settle(hub, actor, c.id, "there" if theirs else "here")
        v = R.get_assessment(hub, a.id)
        got = {
            "results": {r.test_id: r.value for r in v.results},
            "measurements": v.measurements,
            "open": len(open_conflicts(hub, e.id)),
        }
        hub.close()
        return got

    one = day_after(["two.db", "five.db"], "ab.db")
    other = day_after(["five.db", "two.db"], "ba.db")
    twice = day_after(["two.db", "five.db", "two.db", "five.db"], "abab.db")
    assert one == other == twice
    assert one["results"] == {
        "grip": 26, "chair_stand": 12, "arm_curl": 15, "bmi": 24.2, "waist": 84,
    }  # fmt: skip
    assert one["open"] == 0


# -- hostile station files: each a fault found by tests/hostile/test_station_attack.py ---------


def hostile_file(tmp_path, *statements, loosen=False):
    """A station's file (Ada with grip 22 and chair stand 11), changed by hand with sqlite3."""
    import re

    path = tmp_path / "station.db"
    two, _e, p, a = station(path, Actor("Kim", "Station 2"), "Ada")
    two.close()
    con = raw_sqlite(path)
    if loosen:  # its NOT NULL rules taken out, as a file made by hand need not have them
        con.execute("PRAGMA writable_schema = ON")
        for name, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"):
            loose = re.sub(r"(?<!IS) NOT NULL", "", sql)
            con.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (loose, name))
        con.commit()
        con.close()
        con = raw_sqlite(path)
    con.execute("PRAGMA ignore_check_constraints = ON")
    for s in statements:
        con.execute(s)
    con.commit()
    con.close()
    return path, p, a


BAD_RECORDS = {
    "a word in a date": (
        "UPDATE result SET recorded_at = 'yesterday' WHERE test_id = 'grip'",
        "its recorded at is not a date",
    ),
    "a word in a number": (
        "UPDATE result SET value = 'twenty' WHERE test_id = 'grip'",
        "its value is not a number",
    ),
    "text that is not UTF-8": (
        "UPDATE result SET recorded_by = CAST(x'4b696dff' AS TEXT) WHERE test_id = 'grip'",
        "its recorded by holds a character that cannot be printed",
    ),
    "an impossible value": (
        "UPDATE result SET value = -5 WHERE test_id = 'grip'",
        "outside the plausible range",
    ),
    "a value of 1e308": (
        "UPDATE result SET value = 1e308 WHERE test_id = 'grip'",
        "outside the plausible range",
    ),
    "an unknown unit": (
        "UPDATE result SET unit = 'furlong' WHERE test_id = 'grip'",
        "its unit (furlong) is not one ffmot knows",
    ),
    "an escape sequence in a trial's label": (
        "UPDATE trial SET label = 'x' || char(27) || '[31m' WHERE unit = 'kg'",
        "one of its trials: its label holds a character that cannot be printed (U+001B)",
    ),
    "an id that is not a UUID": (
        "UPDATE result SET id = 'x'' OR 1=1 --' WHERE test_id = 'grip'",
        "its id is not one ffmot makes",
    ),
}


@pytest.mark.hostile("station files")
@pytest.mark.parametrize("case", BAD_RECORDS)
def test_a_record_with_a_bad_value_is_named_and_left_out_and_the_rest_comes_in(
    tmp_path, actor, case
):
    change, why = BAD_RECORDS[case]
    path, _p, a = hostile_file(tmp_path, change)
    hub = connect(str(tmp_path / "hub.db"))
    report = merge(hub, actor, str(path))
    assert len(report.bad) == 1 and why in report.bad[0], report.line()
    assert report.bad[0].startswith("the Grip result of "), report.bad[0]
    kept = R.get_assessment(hub, a.id)
    assert kept.result("grip") is None and kept.result("chair_stand").value == 11
    hub.close()


@pytest.mark.hostile("station files")
def test_a_person_with_hostile_text_or_no_family_name_is_named_not_stored(tmp_path, actor):
    path, _p, _a = hostile_file(
        tmp_path,
        "UPDATE participant SET given_name = 'Ada' || char(0)",
        "INSERT INTO participant (id, code, given_name, family_name, search_given, search_family,"
        " date_of_birth, sex, notes, created_at, updated_at, version) VALUES"
        " ('6d1f3c2a-0000-4000-8000-000000000001', 'ZZZZZZZ', 'Bea', NULL, 'bea', '',"
        " '1950-01-01', 'female', '', '2026-05-01 09:00:00', '2026-05-01 09:00:00', 1)",
        loosen=True,
    )
    hub = connect(str(tmp_path / "hub.db"))
    report = merge(hub, actor, str(path))
    said = " | ".join(report.bad)
    assert "its given name holds a character that cannot be printed (U+0000)" in said
    assert "its family name is empty (a required part)" in said
    assert R.search_participants(hub, "ada") == [] and R.search_participants(hub, "bea") == []
    hub.close()


@pytest.mark.hostile("station files")
def test_a_result_is_never_moved_to_another_persons_visit_by_a_file(tmp_path, actor):
    """A file that puts this database's result under someone else's visit, and claims to have
    seen every change to it, is refused for that result: a result never changes person."""
    import json

    hub, e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=1)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    bea = R.register_participant(
        two, actor, "Bea", "Other", D(1949, 1, 2), "female", consents={"keep_results": True}
    )
    vb = R.check_in(two, actor, bea.id, e.id)
    two.close()
    grip = R.get_assessment(hub, a.id).result("grip")
    con = raw_sqlite(tmp_path / "two.db")
    con.execute(
        "UPDATE result SET assessment_id = ?, lineage = ? WHERE id = ?",
        (vb.id, json.dumps({"Station 1": 9, "Evil": 9}), grip.id),
    )
    con.commit()
    con.close()
    report = merge(hub, actor, str(tmp_path / "two.db"))
    assert any("a result never moves to another visit" in b for b in report.bad), report.line()
    assert R.get_assessment(hub, a.id).result("grip").value == 22
    assert not R.get_assessment(hub, vb.id).results
    hub.close()


@pytest.mark.hostile("station files")
@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE result DROP COLUMN lineage",
        "UPDATE sqlite_master SET sql = sql || ' ' || CAST(x'9f9f' AS TEXT) "
        "WHERE name = 'assessment'",
    ],
    ids=["a column missing", "a schema holding bytes that are not text"],
)
def test_a_file_whose_schema_is_damaged_is_refused_with_the_reason(tmp_path, actor, change):

    path, _p, _a = hostile_file(tmp_path)
    con = raw_sqlite(path)
    con.execute("PRAGMA writable_schema = ON")
    con.execute(change)
    con.commit()
    con.close()
    hub = connect(str(tmp_path / "hub.db"))
    with pytest.raises(InputError, match=r"station\.db is (damaged|not an ffmot station file)"):
        merge(hub, actor, str(path))
    assert count(hub, Participant) == 0
    hub.close()


@pytest.mark.hostile("station files")
def test_a_damaged_record_of_people_made_one_is_named_not_a_crash(tmp_path, actor):
    path, _p, a = hostile_file(
        tmp_path,
        "INSERT INTO merged_record VALUES ('6d1f3c2a-0000-4000-8000-000000000002', "
        "'6d1f3c2a-0000-4000-8000-000000000003', 'participant', 'never')",
        "INSERT INTO tombstone (id, erased_at) VALUES (x'ff', 'never')",
    )
    hub = connect(str(tmp_path / "hub.db"))
    report = merge(hub, actor, str(path))
    assert report.bad == ["a record of two made one (record 6d1f3c2a): its merged at is not a date"]
    assert R.get_assessment(hub, a.id).result("grip").value == 22
    hub.close()
