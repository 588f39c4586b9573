"""`ffmot subject-access CODE --out DIR`: everything held about one person and nobody else,
their sheets as PDFs read back, owner-only files, audited. Real database, real command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import stat
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select

from ffmot.core import codes
from ffmot.services import records as R
from ffmot.services.subject_access import gather
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import AuditEntry, Base
from tests.cli.test_cli import assert_refused, ffmot
from tests.helpers import screened_visit

ACTOR = Actor("Dana Lead", "Office")


@pytest.fixture
def two_people(tmp_path: Path) -> tuple[Path, str, str]:
    """Maureen (two visits, contact details, notes, consents, tries at a test) and Dennis."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    first = R.create_event(db, ACTOR, "Spring MOT day", dt.date(2026, 3, 3), "Fellside Hall")
    second = R.create_event(db, ACTOR, "Summer MOT day", dt.date(2026, 6, 9), "Market Hall")
    maureen = R.register_participant(
        db,
        ACTOR,
        "Maureen",
        "O'Hara",
        dt.date(1950, 5, 6),
        "female",
        phone="07700 900123",
        email="maureen@example.org",
        postcode_district="CA12",
        notes="Prefers mornings",
        consents={"keep_results": True, "retest_contact": True},
    )
    for e in (first, second):
        v = R.check_in(db, ACTOR, maureen.id, e.id)
        from ffmot.core import screening

        R.record_screening(db, ACTOR, v.id, screening.answers_with())
        R.save_result(db, ACTOR, v.id, "grip", [(21.5, "kg"), (23.0, "kg")])
        R.save_result(db, ACTOR, v.id, "chair_stand", [(11, "")])
    from ffmot.services import recall

    recall.mark(db, ACTOR, [recall.find(db, maureen.code)], "invited")  # (the retest recall)
    dennis, dv = screened_visit(
        db, ACTOR, first.id, "Dennis", "Hiddenname", dt.date(1946, 1, 2), "male"
    )
    R.save_result(db, ACTOR, dv.id, "grip", [(40.0, "kg")])
    db.close()
    return path, maureen.code, dennis.id


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_everything_about_the_person_and_nothing_about_anyone_else(two_people, tmp_path):
    db_path, code, dennis_id = two_people
    out = tmp_path / "request"
    p = ffmot("--db", str(db_path), "subject-access", codes.display(code), "--out", str(out))
    assert p.returncode == 0, p.stderr
    names = sorted(f.name for f in out.iterdir())
    for expected in (
        "README.txt",
        "participant.csv",
        "consent.csv",
        "event.csv",
        "assessment.csv",
        "screening.csv",
        "result.csv",
        "trial.csv",
        "name_word.csv",
        "recall_mark.csv",
        "audit.csv",
    ):
        assert expected in names, names
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in out.iterdir())
    person = _csv(out / "participant.csv")
    assert len(person) == 1
    assert person[0]["family_name"] == "O'Hara" and person[0]["phone"] == "07700 900123"
    assert person[0]["email"] == "maureen@example.org" and person[0]["notes"] == "Prefers mornings"
    assert len(_csv(out / "assessment.csv")) == 2
    assert {r["name"] for r in _csv(out / "event.csv")} == {"Spring MOT day", "Summer MOT day"}
    results = _csv(out / "result.csv")
    assert sorted(r["test_id"] for r in results) == ["chair_stand", "chair_stand", "grip", "grip"]
    assert len(_csv(out / "trial.csv")) == 6
    everything = "".join(f.read_text(encoding="utf-8", errors="replace") for f in out.glob("*.csv"))
    assert "Dennis" not in everything and "Hiddenname" not in everything
    assert dennis_id not in everything
    assert "lineage" not in everything.splitlines()[0]
    sheets = sorted(out.glob("sheet-*.pdf"))
    assert [s.name for s in sheets] == ["sheet-1-2026-03-03.pdf", "sheet-2-2026-06-09.pdf"]
    for sheet in sheets:
        with pdfplumber.open(sheet) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert "Maureen" in text and "Dennis" not in text
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert codes.display(code) in readme and "result.csv (4)" in readme


def test_the_request_is_audited_by_who_gave_it_out(two_people, tmp_path):
    db_path, code, _ = two_people
    db = connect(str(db_path))
    try:
        found = gather(db, ACTOR, code)
        with db.transaction() as s:
            entries = s.scalars(
                select(AuditEntry).where(AuditEntry.action == "subject_access")
            ).all()
        assert [(e.actor, e.entity) for e in entries] == [("Dana Lead", "participant")]
        assert found.counts["participant"] == 1
    finally:
        db.close()


def test_every_table_that_can_hold_something_about_a_person_is_walked(two_people, tmp_path):
    """A table added later that points at a person (or at their visits) is found by the walk
    itself: the files name every such table where the person has rows."""
    db_path, code, _ = two_people
    db = connect(str(db_path))
    try:
        found = gather(db, ACTOR, code)
    finally:
        db.close()
    linked = {"participant"}
    grew = True
    while grew:
        grew = False
        for t in Base.metadata.sorted_tables:
            if t.name not in linked and any(
                fk.column.table.name in linked for fk in t.foreign_keys
            ):
                linked.add(t.name)
                grew = True
    assert linked <= set(found.counts), linked - set(found.counts)


def test_a_folder_that_already_holds_files_is_refused_and_left_alone(two_people, tmp_path):
    db_path, code, _ = two_people
    out = tmp_path / "busy"
    out.mkdir()
    (out / "someone-else.csv").write_text("x")
    p = ffmot("--db", str(db_path), "subject-access", code, "--out", str(out))
    assert_refused(p, "already holds files")
    assert [f.name for f in out.iterdir()] == ["someone-else.csv"]


def test_an_unknown_code_is_refused_in_one_line(two_people, tmp_path):
    db_path, _, _ = two_people
    p = ffmot("--db", str(db_path), "subject-access", "ZZZZ-ZZZ", "--out", str(tmp_path / "o"))
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "o").exists()
