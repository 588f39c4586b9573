"""Export, import into an empty database, export again: nothing recorded about a visit is lost.

A whole MOT day (every screening outcome, tests stopped for a symptom and for something else,
modifications, notes and goals, measurements, a retest) goes out as CSV and as XLSX, into an
empty database of the same kind (a real SQLite file, a real PostgreSQL database), and out
again. The CSV is the same byte for byte; each visit's stored record, overview and take-home
sheet are the same. The one thing that differs by nature is each record's `version`: the
optimistic-lock counter of the database it lives in, which SQLAlchemy sets to 1 on every
insert, so an imported record starts at 1 whatever it had reached where it came from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ffmot.core import screening
from ffmot.core.paths import resources_dir
from ffmot.services import records as R
from ffmot.services.export import export_file
from ffmot.services.file_format import COLUMNS
from ffmot.services.transfer import import_file
from ffmot.services.types import Measurements
from ffmot.store.db import Database, connect

D = dt.date


@pytest.fixture
def empty_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database of the same kind as db_url."""
    if not db_url.startswith("postgresql"):
        yield str(tmp_path / f"copy-{uuid.uuid4().hex[:8]}.db")
        return
    server = request.getfixturevalue("pg_server")
    name = f"copy_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name)
    yield url
    server.drop_database(name)


def measure(db, actor, visit_id, m, notes=None, goals=None):
    v = R.get_assessment(db, visit_id)
    R.save_measurements(db, actor, visit_id, m, v.version, notes=notes, goals=goals)


def mot_day(db: Database, actor) -> dict[str, str]:
    """A day with every screening outcome, and a retest day; returns visit ids by name."""
    directory = str(resources_dir() / "activities" / "sample-directory.csv")
    spring = R.create_event(
        db,
        actor,
        "Spring MOT",
        D(2026, 3, 10),
        "Fellside Hall",
        "Cumbria Health",
        activities_directory=directory,
    )
    autumn = R.create_event(
        db, actor, "Autumn MOT", D(2026, 9, 15), "Fellside Hall", activities_directory=directory
    )
    nurse = type(actor)("Nurse Kay", "Check-in desk")
    other = type(actor)("Pat Station", "Station 2")
    visits: dict[str, str] = {}

    # Clear, with blood pressure: every kind of result.
    ada = R.register_participant(
        db,
        actor,
        "Ada",
        "Sampleton",
        D(1950, 3, 14),
        "female",
        phone="+44 1632 960001",
        email="ada@example.org",
        postcode_district="CA12",
        notes="Prefers large print.\nHard of hearing on the left.",
        consents={"keep_results": True, "retest_contact": True, "anonymous_reports": True},
    )
    R.record_consent(db, actor, ada.id, "share_gp", True)
    R.record_consent(db, actor, ada.id, "share_gp", False)  # withdrawn later
    v = R.check_in(db, nurse, ada.id, spring.id, practitioner="Jo Leader")
    visits["ada_spring"] = v.id
    R.record_screening(db, nurse, v.id, screening.answers_with(), 128, 82)
    R.save_result(db, actor, v.id, "grip", [(20, "left 1"), (24.5, "right 1")])
    R.save_result(db, actor, v.id, "chair_stand", [(9, "")], modifications=["arms_used"])
    R.save_result(
        db, other, v.id, "up_and_go", [(7.4, ""), (7.1, "")], modifications=["walking_aid"]
    )
    R.save_result(db, other, v.id, "sit_and_reach", [(-3, "right leg"), (-1.5, "right leg")])
    R.mark_not_done(
        db, actor, v.id, "single_leg_stance", "stopped_by_tester", stop_reason="chest_pain"
    )
    R.mark_not_done(db, other, v.id, "step_2min", "stopped_by_tester", stop_reason="other")
    R.mark_not_done(db, other, v.id, "back_scratch", "declined")
    measure(
        db,
        actor,
        v.id,
        Measurements(163.5, 71.2, 86, 90, 1, 0, 7.5),
        notes="=Walks the dog daily.\nKnee twinges on stairs.  ",
        goals="  Stand up from a chair without arms by autumn",
    )
    R.mark_printed(db, actor, v.id)

    # Test with care, screened twice (the first not finished): some tests ruled out.
    bert = R.register_participant(
        db, actor, "Bert", "Demoworth", D(1944, 1, 2), "male", consents={"keep_results": True}
    )
    v = R.check_in(db, actor, bert.id, spring.id)
    visits["bert"] = v.id
    R.record_screening(db, nurse, v.id, {"doctor_advised_no_exercise": False})
    R.record_screening(
        db,
        nurse,
        v.id,
        screening.answers_with("osteoporosis_or_back_pain", "cannot_walk_safely"),
    )
    assert R.get_assessment(db, v.id).screening.outcome == screening.CARE
    R.save_result(db, actor, v.id, "grip", [(31, "right 1"), (33, "right 2")])
    R.save_result(db, actor, v.id, "arm_curl", [(14, "")])
    R.mark_not_done(db, actor, v.id, "up_and_go", "felt_unsafe")
    measure(db, actor, v.id, Measurements(height_cm=178, weight_kg=88.4), goals="Walk to church")

    # Do not test today: blood pressure over the limit, no results at all.
    cleo = R.register_participant(
        db,
        actor,
        "Cleo",
        "Trialby",
        D(1938, 6, 30),
        "not_stated",
        consents={"keep_results": True, "anonymous_reports": True},
    )
    v = R.check_in(db, actor, cleo.id, spring.id)
    visits["cleo"] = v.id
    R.record_screening(db, nurse, v.id, screening.answers_with(), 172, 96)
    assert R.get_assessment(db, v.id).screening.outcome == screening.DO_NOT_TEST
    measure(db, actor, v.id, Measurements(), notes="Advised to see her GP about her blood pressure")

    # Screening not finished: two questions answered, nothing else.
    dev = R.register_participant(
        db, actor, "Dev", "Examplar", D(1955, 11, 1), "male", consents={"keep_results": True}
    )
    v = R.check_in(db, actor, dev.id, spring.id)
    visits["dev"] = v.id
    R.record_screening(db, nurse, v.id, {"doctor_advised_no_exercise": False, "dizziness": False})
    assert R.get_assessment(db, v.id).screening.outcome == screening.INCOMPLETE

    # Checked in, never screened.
    eve = R.register_participant(
        db, actor, "Eve", "Placeholder", D(1947, 5, 5), "female", consents={"keep_results": True}
    )
    visits["eve"] = R.check_in(db, actor, eve.id, spring.id).id

    # Ada's retest in the autumn: the spring visit is the previous one.
    v = R.check_in(db, actor, ada.id, autumn.id)
    visits["ada_autumn"] = v.id
    assert v.previous_id == visits["ada_spring"]
    R.record_screening(db, nurse, v.id, screening.answers_with("recent_fall_or_injury"))
    R.save_result(db, actor, v.id, "grip", [(23, "left 1"), (26, "right 1")])
    R.save_result(db, actor, v.id, "chair_stand", [(11, "")])
    R.mark_not_done(db, actor, v.id, "up_and_go", "stopped_by_tester", stop_reason="dizziness")
    measure(db, actor, v.id, Measurements(163.5, 69.0, 84, 150, 2, 2, 6), notes="Joined a class")
    return visits


def without_versions(x):
    """The same data with every record's version counter set to 0 (see the module docstring)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        changes = {
            f.name: 0 if f.name == "version" else without_versions(getattr(x, f.name))
            for f in dataclasses.fields(x)
            if f.init
        }
        return dataclasses.replace(x, **changes)
    if isinstance(x, tuple):
        return tuple(without_versions(i) for i in x)
    if isinstance(x, list):
        return [without_versions(i) for i in x]
    if isinstance(x, dict):
        return {k: without_versions(v) for k, v in x.items()}
    return x


def assert_same_visits(before: Database, after: Database, visits: dict[str, str]) -> None:
    """Every visit's stored record, participant, overview and take-home sheet are the same."""
    from ffmot.report.sheet import sheet_pdf
    from ffmot.services.overview import load_overview

    for name, vid in visits.items():
        a, b = R.get_assessment(before, vid), R.get_assessment(after, vid)
        assert without_versions(a) == without_versions(b), name
        pa, pb = (
            R.get_participant(before, a.participant_id),
            R.get_participant(after, b.participant_id),
        )
        assert without_versions(pa) == without_versions(pb), name
        oa, ob = load_overview(before, vid), load_overview(after, vid)
        assert without_versions(oa) == without_versions(ob), name
        assert sheet_pdf(oa) == sheet_pdf(ob), name


def test_csv_round_trip_keeps_every_visit_exactly(db_url, empty_url, tmp_path, actor):
    src = connect(db_url)
    visits = mot_day(src, actor)
    first = tmp_path / "first.csv"
    summary = export_file(src, actor, first, "csv")
    rows = first.read_text(encoding="utf-8").splitlines()
    assert rows[0].split(",") == list(COLUMNS)
    assert summary.participants == 5
    copy = connect(empty_url)
    imported = import_file(copy, actor, first, take_consents=True)
    assert (imported.participants, imported.events, imported.visits) == (5, 2, 6)
    assert imported.results == summary.rows - 3  # Cleo, Dev and Eve: a visit row each
    second = tmp_path / "second.csv"
    export_file(copy, actor, second, "csv")
    assert second.read_bytes() == first.read_bytes()
    assert_same_visits(src, copy, visits)

    # What the bare ids cannot show: the things this change added, as they arrived.
    ada = R.get_assessment(copy, visits["ada_spring"])
    stops = {r.test_id: (r.reason, r.stop_reason) for r in ada.results if not r.done}
    assert stops == {
        "single_leg_stance": ("stopped_by_tester", "chest_pain"),
        "step_2min": ("stopped_by_tester", "other"),
        "back_scratch": ("declined", None),
    }
    assert ada.result("up_and_go").modifications == ("walking_aid",)
    assert ada.result("up_and_go").recorded_by == "Pat Station"
    assert ada.result("up_and_go").station == "Station 2"
    assert ada.result("chair_stand").modifications == ("arms_used",)
    assert ada.notes == "=Walks the dog daily.\nKnee twinges on stairs.  "
    assert ada.goals.startswith("  Stand up")
    assert ada.printed_at is not None and ada.practitioner == "Jo Leader"
    assert ada.measurements == Measurements(163.5, 71.2, 86, 90, 1, 0, 7.5)
    sc = ada.screening
    assert (sc.outcome, sc.systolic, sc.diastolic, sc.recorded_by) == (
        "clear",
        128,
        82,
        "Nurse Kay",
    )
    assert sc.answers == screening.answers_with()
    bert = R.get_assessment(copy, visits["bert"]).screening
    assert bert.outcome == "care" and "sit_and_reach" in bert.excluded_tests
    assert "up_and_go" in bert.excluded_tests and "grip" not in bert.excluded_tests
    cleo = R.get_assessment(copy, visits["cleo"])
    assert cleo.results == () and cleo.screening.outcome == "do_not_test"
    assert (cleo.screening.systolic, cleo.screening.diastolic) == (172, 96)
    dev = R.get_assessment(copy, visits["dev"]).screening
    assert dev.outcome == "incomplete" and dev.answers == {
        "doctor_advised_no_exercise": False,
        "dizziness": False,
    }
    assert R.get_assessment(copy, visits["eve"]).screening is None
    autumn = R.get_assessment(copy, visits["ada_autumn"])
    assert autumn.previous_id == visits["ada_spring"]
    people = R.get_participant(copy, ada.participant_id)
    assert people.notes == "Prefers large print.\nHard of hearing on the left."
    assert people.consents["share_gp"].granted is False
    assert people.consents["keep_results"].recorded_by == "Sam Tester"

    # Importing the same file again adds nothing, not even a second screening.
    again = import_file(copy, actor, first, take_consents=True)
    assert again.results == 0 and again.visits == 0
    third = tmp_path / "third.csv"
    export_file(copy, actor, third, "csv")
    assert third.read_bytes() == first.read_bytes()
    assert len(R.get_assessment(copy, visits["bert"]).screening.answers) == len(
        screening.QUESTION_IDS
    )
    src.close()
    copy.close()


def sheet_cells(path: Path) -> list[list[object]]:
    ws = load_workbook(path, read_only=True).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_xlsx_round_trip_keeps_every_visit_exactly(db_url, empty_url, tmp_path, actor):
    """The workbook's cells are the same after the round trip. Its bytes are not: an XLSX file
    records when it was made (docProps/core.xml and each zip entry's time). The imported
    database's CSV export is the source's, byte for byte."""
    src = connect(db_url)
    visits = mot_day(src, actor)
    first = tmp_path / "first.xlsx"
    export_file(src, actor, first, "xlsx")
    copy = connect(empty_url)
    import_file(copy, actor, first, take_consents=True)
    second = tmp_path / "second.xlsx"
    export_file(copy, actor, second, "xlsx")
    cells = sheet_cells(first)
    assert cells[0] == list(COLUMNS)
    assert sheet_cells(second) == cells
    src_csv, copy_csv = tmp_path / "src.csv", tmp_path / "copy.csv"
    export_file(src, actor, src_csv, "csv")
    export_file(copy, actor, copy_csv, "csv")
    assert copy_csv.read_bytes() == src_csv.read_bytes()
    assert_same_visits(src, copy, visits)
    src.close()
    copy.close()


def test_free_text_keeps_its_spaces_and_line_breaks(db, tmp_path, actor):
    """Notes and goals come back exactly as typed from CSV, carriage returns and all. XLSX
    keeps everything but a carriage return, which XML reads back as a line feed."""
    e = R.create_event(db, actor, "MOT day", D(2026, 5, 1))
    p = R.register_participant(
        db, actor, "Ada", "Sampleton", D(1950, 3, 14), "female", consents={"keep_results": True}
    )
    v = R.check_in(db, actor, p.id, e.id)
    notes = "  Line one\r\nline two\n\n\tindented, with a trailing space "
    measure(db, actor, v.id, Measurements(), notes=notes, goals="\n")
    out = tmp_path / "notes.csv"
    export_file(db, actor, out, "csv")
    copy = connect(str(tmp_path / "copy.db"))
    import_file(copy, actor, out, take_consents=True)
    got = R.get_assessment(copy, v.id)
    assert (got.notes, got.goals) == (notes, "\n")
    copy.close()
    book = tmp_path / "notes.xlsx"
    export_file(db, actor, book, "xlsx")
    copy = connect(str(tmp_path / "copy2.db"))
    import_file(copy, actor, book, take_consents=True)
    got = R.get_assessment(copy, v.id)
    assert (got.notes, got.goals) == (notes.replace("\r\n", "\n"), "\n")
    copy.close()
