"""`ffmot sheet` and `ffmot sheets` as a real process: no sheet for someone who withdrew consent
to keep their results, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ffmot.core import codes, screening
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.cli.test_cli import assert_refused, ffmot

ACTOR = Actor("Sam Tester", "Station 1")


@pytest.fixture(params=["sqlite", "postgresql"])
def day(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An MOT day with three people tested; Wyn then withdraws consent to keep his results."""
    url = (
        str(tmp_path / "ffmot.db")
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    db = connect(url)
    e = R.create_event(db, ACTOR, "Consent day", dt.date(2026, 6, 1), tests_offered=["grip"])
    people = {}
    for given in ("Ada", "Bea", "Wyn"):
        p = R.register_participant(
            db,
            ACTOR,
            given,
            "Sheetsby",
            dt.date(1950, 1, 1),
            "female",
            consents={"keep_results": True},
        )
        v = R.check_in(db, ACTOR, p.id, e.id)
        R.record_screening(db, ACTOR, v.id, screening.answers_with())
        R.save_result(db, ACTOR, v.id, "grip", [(22, "left 1")])
        people[given] = (p, v)
    R.record_consent(db, ACTOR, people["Wyn"][0].id, "keep_results", False)
    db.close()
    return url, e, people


def test_one_sheet_is_refused_in_plain_words_and_nothing_is_written(day, tmp_path):
    url, _e, people = day
    wyn, visit = people["Wyn"]
    out = tmp_path / "wyn.pdf"
    p = ffmot("--db", url, "sheet", wyn.code, "--out", str(out))
    assert_refused(p, "withdrawn consent to keep their results", codes.display(wyn.code))
    assert "Wyn" not in p.stderr and not out.exists()
    db = connect(url)
    assert R.get_assessment(db, visit.id).printed_at is None  # not recorded as printed
    db.close()
    ada = people["Ada"][0]
    p = ffmot("--db", url, "sheet", ada.code, "--out", str(tmp_path / "ada.pdf"))
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("into", ["all.pdf", "folder"])
def test_the_batch_leaves_them_out_and_says_so_by_code(day, tmp_path, into):
    url, e, people = day
    wyn, visit = people["Wyn"]
    out = tmp_path / into
    p = ffmot("--db", url, "sheets", "--event", e.id[:8], "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "wrote 2 sheets" in p.stdout
    assert "Left out 1 person who withdrew consent" in p.stdout
    assert codes.display(wyn.code) in p.stdout
    assert "Wyn" not in p.stdout + p.stderr  # codes only, no names
    if into == "folder":
        names = {f.name for f in out.iterdir()}
        assert names == {f"{codes.display(people[g][0].code)}.pdf" for g in ("Ada", "Bea")}
    else:
        from pypdf import PdfReader

        text = " ".join(pg.extract_text() for pg in PdfReader(str(out)).pages)
        assert "Ada" in text and "Bea" in text and "Wyn" not in text
    db = connect(url)
    assert R.get_assessment(db, visit.id).printed_at is None
    assert R.get_assessment(db, people["Ada"][1].id).printed_at is not None
    db.close()


def test_a_batch_with_no_one_to_print_is_refused(day, tmp_path):
    url, e, people = day
    db = connect(url)
    for given in ("Ada", "Bea"):
        R.record_consent(db, ACTOR, people[given][0].id, "keep_results", False)
    db.close()
    out = tmp_path / "all.pdf"
    p = ffmot("--db", url, "sheets", "--event", e.id[:8], "--out", str(out))
    assert_refused(p, "no sheets were made", "left out 3 people")
    assert not out.exists()
