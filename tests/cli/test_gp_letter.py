"""`ffmot gp-letter` as a real process, on a real SQLite file and a real PostgreSQL server: a
letter only for someone whose latest answer to sharing with their GP is yes (and who agreed
to keep their results); written for a clinician, read back from the PDF; audited."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select

from ffmot.core import codes, screening
from ffmot.core import gp_words as G
from ffmot.core.errors import NormDataError
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import AuditEntry
from tests.cli.test_cli import assert_refused, ffmot

ACTOR = Actor("Sam Tester", "Station 1")
GRIP = [(22.0, "left 1"), (24.5, "right 1")]  # 24.5 kg counts


@pytest.fixture(params=["sqlite", "postgresql"])
def day(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An MOT day: Ada shares with her GP; Bea never said; Cai said no; Dot said yes then
    withdrew keeping her results; Eve was screened out; Fay's step test was stopped."""
    url = (
        str(tmp_path / "ffmot.db")
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    db = connect(url)
    e = R.create_event(
        db, ACTOR, "Letter day", dt.date(2026, 6, 1), tests_offered=["grip", "step_2min"],
        venue="Fellside Hall", organisation="Fellside Health",
    )  # fmt: skip
    consents = {
        "Ada": {"keep_results": True, "share_gp": True},
        "Bea": {"keep_results": True},
        "Cai": {"keep_results": True, "share_gp": False},
        "Dot": {"keep_results": True, "share_gp": True},
        "Eve": {"keep_results": True, "share_gp": True},
        "Fay": {"keep_results": True, "share_gp": True},
    }
    people = {}
    for given, agreed in consents.items():
        p = R.register_participant(
            db, ACTOR, given, "Lettersby", dt.date(1950, 1, 1), "female", consents=agreed
        )
        v = R.check_in(db, ACTOR, p.id, e.id)
        if given == "Eve":
            R.record_screening(db, ACTOR, v.id, screening.answers_with("chest_pain"))
        else:
            R.record_screening(db, ACTOR, v.id, screening.answers_with(), 128, 76)
            R.save_result(db, ACTOR, v.id, "grip", GRIP)
        if given == "Fay":
            R.mark_not_done(
                db, ACTOR, v.id, "step_2min", "stopped_by_tester", stop_reason="chest_pain"
            )
        people[given] = (p, v)
    R.record_consent(db, ACTOR, people["Dot"][0].id, "keep_results", False)
    db.close()
    return url, people


def _text(path: Path) -> tuple[str, int, float]:
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        smallest = min(c["size"] for page in pdf.pages for c in page.chars)
        return text, len(pdf.pages), smallest


def test_the_letter_says_the_results_for_a_clinician_on_one_page(day, tmp_path):
    url, people = day
    ada, visit = people["Ada"]
    out = tmp_path / "ada.pdf"
    p = ffmot("--db", url, "gp-letter", codes.display(ada.code), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert f"wrote the letter for {codes.display(ada.code)}'s GP practice (1 page)" in p.stdout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text, pages, smallest = _text(out)
    assert pages == 1 and smallest >= 9
    flat = " ".join(text.split())
    for said in (
        "Functional Fitness MOT: results for the GP practice",
        "Ada Lettersby", "1 January 1950", "1 June 2026", "Fellside Hall", "Fellside Health",
        "Cleared to test: no to every screening question",
        "Blood pressure before testing: 128/76 mmHg",
        "Grip strength 24.5 kg", "percentile", "Normal range",
        "Dodds et al. 2014",  # the grip norms' source, with its status
        "not a diagnosis",
    ):  # fmt: skip
        assert said in flat, said
    db = connect(url)
    try:
        with db.transaction() as s:
            entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "gp_letter")).all()
            assert [(a.entity, a.entity_id) for a in entries] == [("assessment", visit.id)]
            assert "Ada" not in entries[0].detail and "Lettersby" not in entries[0].detail
    finally:
        db.close()


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("Bea", "has not agreed to share their results with their GP"),
        ("Cai", "latest answer to sharing their results with their GP is no"),
        ("Dot", "withdrawn consent to keep their results"),
    ],
)
def test_no_letter_without_consent_and_nothing_written(day, tmp_path, who, words):
    url, people = day
    person, _visit = people[who]
    out = tmp_path / "letter.pdf"
    p = ffmot("--db", url, "gp-letter", person.code, "--out", str(out))
    assert_refused(p, words, codes.display(person.code))
    assert who not in p.stderr and not out.exists()
    db = connect(url)
    try:
        with db.transaction() as s:
            made = s.scalars(select(AuditEntry).where(AuditEntry.action == "gp_letter")).all()
            assert made == []
    finally:
        db.close()


@pytest.mark.parametrize(
    ("who", "said"),
    [
        ("Eve", "Not tested, after a yes to (or a reading of): Do you get chest pain"),
        ("Fay", "Stopped by the tester: chest pain"),  # a test stopped for a symptom
    ],
)
def test_no_targets_after_a_screen_out_or_a_symptom_and_the_reason_is_said(
    day, tmp_path, who, said
):
    url, people = day
    person, _visit = people[who]
    out = tmp_path / "letter.pdf"
    assert ffmot("--db", url, "gp-letter", person.code, "--out", str(out)).returncode == 0
    flat = " ".join(_text(out)[0].split())
    assert said in flat
    assert "No exercise targets or classes were given" in flat
    assert "exercises at the" not in flat


def test_mistakes_are_one_line_before_any_work(day, tmp_path):
    url, people = day
    ada, _visit = people["Ada"]
    p = ffmot("--db", url, "gp-letter", ada.code, "--out", str(tmp_path / "letter.txt"))
    assert_refused(p, "--out must name a .pdf file")
    p = ffmot("--db", url, "gp-letter", "K7PM-4QX", "--out", str(tmp_path / "x.pdf"))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert not (tmp_path / "x.pdf").exists()


def _words_file(tmp_path: Path, change: tuple[str, str]) -> Path:
    text = G.letter_words_file().read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "gp_letter.toml"
    path.write_text(text.replace(*change), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (('title = "', 'titel = "'), "[letter]: title is missing or empty"),
        (("{systolic}/{diastolic}", "{systolic}/{diastolc}"), "does not fill in 'diastolc'"),
        (('recent_fall = "Reported', 'recent_fall = "{name} reported'), "take out the braces"),
    ],
)
def test_the_wording_file_is_checked_and_named(tmp_path, change, said):
    assert G.load_words()  # ffmot's own is whole
    with pytest.raises(NormDataError, match=r"gp_letter\.toml") as e:
        G.load_words(_words_file(tmp_path, change))
    assert said in str(e.value)
