"""A station's file keeps coming in all day: its old copies of facts corrected since at the
results table change nothing and raise nothing, while a change made at the station since is
taken (or, when both changed, is one disagreement)."""

from __future__ import annotations

import datetime as dt

import pytest

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.services.conflicts import open_conflicts, settle
from ffmot.services.merge import merge
from ffmot.services.people import merge_participants
from ffmot.services.types import Actor, Measurements
from tests.helpers import raw_sqlite
from tests.store.test_merge import copy_of, station

TWO = Actor("Sam", "Station 2")
BMI = Actor("Kim", "BMI")


def second_record(hub, actor, event_id, given, dob, check_in=True):  # type: ignore[no-untyped-def]
    """Someone registered (again) at the desk, checked in and screened."""
    p = R.register_participant(
        hub, actor, given, "Sampleton", dob, "female", consents={"keep_results": True}
    )
    if not check_in:
        return p, None
    v = R.check_in(hub, actor, p.id, event_id)
    R.record_screening(hub, actor, v.id, screening.answers_with())
    return p, v


def test_a_correction_after_printing_survives_the_stations_old_file(tmp_path, actor):
    hub, e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    R.save_result(two, TWO, a.id, "grip", [(24, "right 1")])
    merge(hub, actor, str(tmp_path / "two.db"))
    R.mark_printed(hub, actor, a.id)
    seen = R.get_assessment(hub, a.id).result("grip")
    R.save_result(hub, actor, a.id, "grip", [(42, "right 1")], expected_version=seen.version)
    R.save_result(two, TWO, a.id, "chair_stand", [(11, "")])  # the station goes on working
    again = merge(hub, actor, str(tmp_path / "two.db"))
    assert sum(again.conflicts.values()) == 0, again.line()
    after = R.get_assessment(hub, a.id)
    assert after.result("grip").value == 42 and after.result("chair_stand").value == 11
    assert open_conflicts(hub, e.id) == []
    two.close()
    hub.close()


def test_a_change_at_the_station_since_is_taken_and_both_changing_is_one_disagreement(
    tmp_path, actor
):
    hub, e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    first = R.save_result(two, TWO, a.id, "grip", [(24, "right 1")])
    merge(hub, actor, str(tmp_path / "two.db"))
    R.save_result(two, TWO, a.id, "grip", [(25, "right 1")], expected_version=first.version)
    assert sum(merge(hub, actor, str(tmp_path / "two.db")).updated.values()) == 1
    assert R.get_assessment(hub, a.id).result("grip").value == 25
    here = R.get_assessment(hub, a.id).result("grip")
    R.save_result(hub, actor, a.id, "grip", [(30, "right 1")], expected_version=here.version)
    there = R.get_assessment(two, a.id).result("grip")
    R.save_result(two, TWO, a.id, "grip", [(31, "right 1")], expected_version=there.version)
    merge(hub, actor, str(tmp_path / "two.db"))
    (c,) = open_conflicts(hub, e.id)
    assert c.here.startswith("30 kg") and c.there.startswith("31 kg")
    settle(hub, actor, c.id, "here")
    report = merge(hub, actor, str(tmp_path / "two.db"))  # the same file: settled, not raised
    assert sum(report.conflicts.values()) == 0 and report.known_conflicts == 0, report.line()
    assert R.get_assessment(hub, a.id).result("grip").value == 30
    two.close()
    hub.close()


def test_a_height_corrected_at_the_results_table_survives_the_bmi_stations_old_file(
    tmp_path, actor
):
    hub, e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    bmi = copy_of(tmp_path / "hub.db", tmp_path / "bmi.db")
    keys = ["height_cm", "weight_kg"]
    seen = R.get_assessment(bmi, a.id).measurements
    R.save_measurements(bmi, BMI, a.id, Measurements(160, 62), only=keys, seen=seen)
    merge(hub, actor, str(tmp_path / "bmi.db"))
    seen = R.get_assessment(hub, a.id).measurements
    R.save_measurements(hub, actor, a.id, Measurements(166, 62), only=keys, seen=seen)
    report = merge(hub, actor, str(tmp_path / "bmi.db"))
    assert sum(report.conflicts.values()) == 0, report.line()
    after = R.get_assessment(hub, a.id)
    assert after.measurements.height_cm == 166
    assert after.result("bmi").value == round(62 / 1.66**2, 1)
    assert open_conflicts(hub, e.id) == []
    bmi.close()
    hub.close()


def test_corrected_details_survive_an_old_copy_and_a_real_disagreement_reads_in_words(
    tmp_path, actor
):
    hub, _e, p, _a = station(tmp_path / "hub.db", actor, "Ada", n_results=1)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    p = R.update_participant(hub, actor, p.id, p.version, phone="01228 000111")
    assert sum(merge(hub, actor, str(tmp_path / "two.db")).conflicts.values()) == 0
    assert R.get_participant(hub, p.id).phone == "01228 000111"
    q = R.get_participant(two, p.id)
    R.update_participant(two, TWO, p.id, q.version, phone="01228 999999")
    merge(hub, actor, str(tmp_path / "two.db"))
    (c,) = open_conflicts(hub)
    assert c.what == "Their details: phone"
    assert c.here == "Phone: 01228 000111" and c.there == "Phone: 01228 999999"
    settle(hub, actor, c.id, "there")
    assert R.get_participant(hub, p.id).phone == "01228 999999"
    assert sum(merge(hub, actor, str(tmp_path / "two.db")).conflicts.values()) == 0
    two.close()
    hub.close()


def test_one_person_checked_in_on_two_laptops_is_one_visit_with_both_stations_facts(
    tmp_path, actor
):
    hub, e, _p, _a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    other, _ = second_record(hub, actor, e.id, "Bea", dt.date(1948, 1, 2), check_in=False)
    bmi = copy_of(tmp_path / "hub.db", tmp_path / "bmi.db")
    here = R.check_in(hub, actor, other.id, e.id)
    R.record_screening(hub, actor, here.id, screening.answers_with())
    there = R.check_in(bmi, BMI, other.id, e.id)  # she went straight to the BMI station
    keys = ["height_cm", "weight_kg"]
    R.save_measurements(
        bmi, BMI, there.id, Measurements(158, 60), only=keys, seen=there.measurements
    )
    R.save_result(hub, actor, here.id, "grip", [(20, "right 1")])
    report = merge(hub, actor, str(tmp_path / "bmi.db"))  # an IntegrityError, before
    visit = R.find_visit(hub, other.id, e.id)
    assert visit is not None and visit.id == here.id
    assert visit.measurements.height_cm == 158 and visit.result("grip").value == 20
    assert sum(report.conflicts.values()) == 0, report.line()
    assert sum(merge(hub, actor, str(tmp_path / "bmi.db")).added.values()) == 0
    bmi.close()
    hub.close()


def test_a_station_measuring_the_old_record_of_a_merged_person_measures_the_kept_one(
    tmp_path, actor
):
    hub, e, p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    twin, b = second_record(hub, actor, e.id, "Ada", dt.date(1950, 3, 14))
    bmi = copy_of(tmp_path / "hub.db", tmp_path / "bmi.db")
    merge_participants(hub, actor, p.id, twin.id)
    keys = ["height_cm", "weight_kg"]
    R.save_measurements(bmi, BMI, b.id, Measurements(158, 60), only=keys, seen=b.measurements)
    merge(hub, actor, str(tmp_path / "bmi.db"))
    kept = R.get_assessment(hub, a.id)
    assert kept.measurements.height_cm == 158 and kept.result("bmi") is not None
    assert R.find_visit(hub, twin.id, e.id) is None
    bmi.close()
    hub.close()


def test_a_disagreement_about_details_is_shown_for_the_day_and_holds_the_sheet(tmp_path, actor):
    import pytest

    from ffmot.core.errors import InputError
    from ffmot.services import board as B
    from ffmot.services.overview import load_for_sheet

    hub, e, p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=1)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    R.update_participant(hub, actor, p.id, p.version, date_of_birth=dt.date(1950, 3, 15))
    q = R.get_participant(two, p.id)
    R.update_participant(two, TWO, p.id, q.version, date_of_birth=dt.date(1951, 3, 14))
    merge(hub, actor, str(tmp_path / "two.db"))
    (c,) = open_conflicts(hub, e.id)  # for the day open, not only for all days
    assert c.visit_id == a.id and c.what == "Their details: date of birth"
    assert c.here == "Date of birth: 15 March 1950" and c.there == "Date of birth: 14 March 1951"
    assert [r.status for r in B.board(hub, e.id)] == ["conflict"]
    with pytest.raises(InputError, match="settle them first"):
        load_for_sheet(hub, a.id)
    settle(hub, actor, c.id, "there")
    assert R.get_participant(hub, p.id).date_of_birth == dt.date(1951, 3, 14)
    load_for_sheet(hub, a.id)
    two.close()
    hub.close()


@pytest.mark.hostile("station files")
def test_one_bad_record_is_named_and_the_rest_of_the_file_comes_in(db, tmp_path, actor):

    from ffmot.services.station_file import save_station_work

    two, _e, p, a = station(tmp_path / "two.db", TWO, "Ada", n_results=2)
    folder = tmp_path / "stick"
    folder.mkdir()
    work = save_station_work(two, folder, "Station 2")
    two.close()
    raw = raw_sqlite(work)  # a record damaged on the station's disk, or by hand
    raw.execute("PRAGMA ignore_check_constraints = ON")
    raw.execute(
        "INSERT INTO participant (id, code, given_name, family_name, search_given, search_family,"
        " date_of_birth, sex, notes, created_at, updated_at, version) VALUES ('bad-person',"
        " 'ZZZZZZZ', 'Robo', 'Tester', 'robo', 'tester', '1950-01-01', 'robot', '',"
        " '2026-05-01 09:00:00', '2026-05-01 09:00:00', 1)"
    )
    raw.execute(
        "UPDATE result SET value = NULL WHERE test_id = 'grip'"
    )  # done, but no value: breaks the store's rule
    raw.commit()
    raw.close()
    work.with_name(work.name + ".sha256").unlink()  # the sum would (rightly) refuse it whole
    report = merge(db, actor, str(work))
    line = report.line()
    assert len(report.bad) == 2, line
    assert "the Grip result of " in line and "a person's details" in line
    assert "the rest did" in line and "save its work again" in line
    assert "its sex is not female, male or not stated" in line
    assert "marked done without a value" in line
    kept = R.get_assessment(db, a.id)
    assert kept.result("chair_stand").value == 11 and kept.result("grip") is None
    assert R.get_participant(db, p.id).given_name == "Ada"


def test_two_records_made_one_at_a_station_are_made_one_here_too(tmp_path, actor):
    hub, e, p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    twin, b = second_record(hub, actor, e.id, "Ada", dt.date(1950, 3, 14))
    R.save_result(hub, actor, a.id, "grip", [(20, "right 1")])
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    R.save_result(two, TWO, b.id, "chair_stand", [(12, "")])
    merge_participants(two, TWO, p.id, twin.id)  # the station saw they are one person
    report = merge(hub, actor, str(tmp_path / "two.db"))
    assert report.people_merged == [(twin.id, p.id)] and not report.bad, report.line()
    assert "made one, as at the station" in report.line()
    kept = R.get_assessment(hub, a.id)
    assert {r.test_id: r.value for r in kept.results} == {"grip": 20, "chair_stand": 12}
    assert R.find_visit(hub, twin.id, e.id) is None
    again = merge(hub, actor, str(tmp_path / "two.db"))
    assert not again.people_merged and sum(again.conflicts.values()) == 0, again.line()
    two.close()
    hub.close()


def test_a_merged_persons_measurements_keep_their_history(tmp_path, actor):
    hub, e, p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    twin, b = second_record(hub, actor, e.id, "Ada", dt.date(1950, 3, 14))
    bmi = copy_of(tmp_path / "hub.db", tmp_path / "bmi.db")
    keys = ["height_cm", "weight_kg"]
    R.save_measurements(bmi, BMI, b.id, Measurements(158, 60), only=keys, seen=b.measurements)
    merge(hub, actor, str(tmp_path / "bmi.db"))
    merge_participants(hub, actor, p.id, twin.id)
    seen = R.get_assessment(hub, a.id).measurements
    R.save_measurements(hub, actor, a.id, Measurements(161, 60), only=keys, seen=seen)
    report = merge(hub, actor, str(tmp_path / "bmi.db"))  # its old height: not a disagreement
    assert sum(report.conflicts.values()) == 0, report.line()
    assert R.get_assessment(hub, a.id).measurements.height_cm == 161
    bmi.close()
    hub.close()


@pytest.mark.hostile("station files")
def test_hostile_station_files_are_refused_or_named_never_blamed_on_this_database(
    db, tmp_path, actor
):
    import tempfile
    from pathlib import Path

    from ffmot.core.errors import InputError
    from ffmot.services.station_file import save_station_work

    two, _e, _p, a = station(tmp_path / "two.db", TWO, "Ada", n_results=2)
    stick = tmp_path / "stick"
    stick.mkdir()
    saved = save_station_work(two, stick, "Station 2")
    two.close()
    odd = stick / "Station #2?.db"  # a '#' or '?' once cut the path short: nothing merged
    saved.rename(odd)
    before = set(Path(tempfile.gettempdir()).glob("ffmot-merge-*"))
    assert merge(db, actor, str(odd)).added["result"] == 2
    assert R.get_assessment(db, a.id).result("grip").value == 22
    assert set(Path(tempfile.gettempdir()).glob("ffmot-merge-*")) == before  # no copy on disk
    damaged = stick / "damaged.db"
    data = bytearray(odd.read_bytes())
    data[4096 * 2 : 4096 * 3] = b"\xff" * 4096  # a page of the file overwritten
    damaged.write_bytes(bytes(data))
    with pytest.raises(InputError) as e:
        merge(db, actor, str(damaged))
    said = str(e.value)
    assert "damaged.db is damaged" in said and "Your own database is not affected" in said
    import os

    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="is not a regular file"):
        merge(db, actor, str(pipe))


def test_a_long_chain_of_previous_visits_comes_in(tmp_path, actor):
    from ffmot.services.merge import _previous_first

    rows = [{"id": f"v{i}", "previous_id": f"v{i - 1}" if i else None} for i in range(5000)]
    ordered = _previous_first(list(reversed(rows)))
    assert [r["id"] for r in ordered] == [f"v{i}" for i in range(5000)]
    loop = [{"id": "a", "previous_id": "b"}, {"id": "b", "previous_id": "a"}]
    assert sorted(r["id"] for r in _previous_first(loop)) == ["a", "b"]


def test_a_shared_databases_password_is_never_kept(tmp_path, pg_url, actor):
    from sqlalchemy import select

    from ffmot.store.db import connect
    from ffmot.store.models import AuditEntry, MergeConflict

    shared = connect(pg_url)
    e = R.create_event(shared, actor, "MOT day", dt.date(2026, 5, 1))
    p, v = second_record(shared, actor, e.id, "Ada", dt.date(1950, 3, 14))
    R.save_result(shared, TWO, v.id, "grip", [(24, "right 1")])
    hub = copy_of_url(pg_url, tmp_path / "hub.db", actor)
    a = R.find_visit(hub, p.id, e.id)
    R.save_result(
        hub, actor, a.id, "grip", [(30, "right 1")], expected_version=a.result("grip").version
    )
    r = R.get_assessment(shared, v.id).result("grip")
    R.save_result(shared, TWO, v.id, "grip", [(26, "right 1")], expected_version=r.version)
    with_password = pg_url.replace("app@", "app:s3cret-pw@")
    merge(hub, actor, with_password)
    with hub.transaction() as s:
        sources = list(s.scalars(select(MergeConflict.source)))
        details = " ".join(s.scalars(select(AuditEntry.detail)))
    assert sources and not any("s3cret" in x for x in sources) and "s3cret" not in details
    hub.close()
    shared.close()


def copy_of_url(url, to, actor):  # type: ignore[no-untyped-def]
    """A laptop that brought in the shared database's work."""
    from ffmot.store.db import connect

    laptop = connect(str(to))
    merge(laptop, actor, url)
    return laptop


@pytest.mark.hostile("station files")
def test_an_erasure_in_a_station_file_is_reviewed_never_applied_to_someone_living(tmp_path, actor):
    from ffmot.services.erase import erase_participant
    from ffmot.services.overview import load_for_sheet

    hub, e, p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=1)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    erase_participant(two, TWO, p.code)  # erased there (or a forged file saying so)
    two.close()
    report = merge(hub, actor, str(tmp_path / "two.db"))
    assert report.conflicts.get("erasure") == 1, report.line()
    (c,) = open_conflicts(hub, e.id)
    assert c.what == "Erased at another station" and "Ada Sampleton" in c.who
    assert R.get_assessment(hub, a.id).result("grip").value == 22  # nothing dropped
    with pytest.raises(InputError, match="settle them first"):
        load_for_sheet(hub, a.id)
    settle(hub, actor, c.id, "here")  # kept: their records keep coming in
    three = copy_of(tmp_path / "hub.db", tmp_path / "three.db")
    R.save_result(three, TWO, a.id, "chair_stand", [(12, "")])
    three.close()
    merge(hub, actor, str(tmp_path / "three.db"))
    assert R.get_assessment(hub, a.id).result("chair_stand").value == 12
    merge(hub, actor, str(tmp_path / "two.db"))
    assert open_conflicts(hub, e.id) == []  # settled stays settled
    hub.close()


def test_confirming_a_stations_erasure_erases_here(tmp_path, actor):
    hub, e, p, _a = station(tmp_path / "hub.db", actor, "Ada", n_results=1)
    two = copy_of(tmp_path / "hub.db", tmp_path / "two.db")
    from ffmot.services.erase import erase_participant

    erase_participant(two, TWO, p.code)
    two.close()
    merge(hub, actor, str(tmp_path / "two.db"))
    (c,) = open_conflicts(hub, e.id)
    settle(hub, actor, c.id, "there")
    assert R.find_visit(hub, p.id, e.id) is None
    assert sum(merge(hub, actor, str(tmp_path / "two.db")).added.values()) == 0
    hub.close()
