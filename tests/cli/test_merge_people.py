"""`ffmot merge-people` as a person runs it: a real process, a real SQLite file or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ffmot.core import codes, screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "ffmot.db")
    return str(request.getfixturevalue("pg_url"))


def merge_people(url: str, *args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FFMOT_DEBUG"}
    p = subprocess.run(
        [sys.executable, "-m", "ffmot", "--db", url, "merge-people", *args],
        capture_output=True,
        text=True,
        input=answer,
        env=env,
        timeout=60,
    )
    assert "Traceback" not in p.stderr, p.stderr
    return p


@pytest.fixture
def twice(url):  # type: ignore[no-untyped-def]
    """Sian registered twice, with a result under each card at the same MOT day."""
    db = connect(url)
    actor = Actor("Sam Tester", "Station 1")
    e = R.create_event(db, actor, "Spring MOT day", dt.date(2026, 3, 2), "Fellside Hall")
    people = []
    for given, family, test, value in (
        ("Sian", "Obrien", "chair_stand", 12),
        ("Siân", "Ó Briain", "grip", 22),
    ):
        p = R.register_participant(
            db, actor, given, family, dt.date(1950, 2, 3), "female", consents={"keep_results": True}
        )
        v = R.check_in(db, actor, p.id, e.id)
        R.record_screening(db, actor, v.id, screening.answers_with())
        R.save_result(db, actor, v.id, test, [(value, "")])
        people.append(p)
    yield db, actor, e, people[0], people[1]
    db.close()


def test_shows_both_asks_and_merges(url, twice):
    db, _actor, e, keep, other = twice
    k, o = codes.display(keep.code), codes.display(other.code)
    p = merge_people(url, k, o, answer="no\n")
    assert p.returncode != 0 and "nothing was merged" in p.stdout
    assert "Sian Obrien" in p.stdout and "Siân Ó Briain" in p.stdout
    assert "Spring MOT day" in p.stdout and "combined" in p.stdout
    assert R.find_by_code(db, other.code).id == other.id  # still there

    p = merge_people(url, k.lower(), o, answer="yes\n")
    assert p.returncode == 0, p.stderr
    assert f"merged {o} into {k}" in p.stdout
    with pytest.raises(InputError):
        R.find_by_code(db, other.code)
    v = R.find_visit(db, keep.id, e.id)
    assert v is not None
    assert v.result("chair_stand").value == 12 and v.result("grip").value == 22


def test_refusals_are_one_clear_line_and_change_nothing(url, twice):
    db, actor, e, keep, other = twice
    k, o = codes.display(keep.code), codes.display(other.code)
    v = R.find_visit(db, other.id, e.id)
    assert v is not None
    R.save_result(db, actor, v.id, "chair_stand", [(14, "")])  # a clash with Sian's 12

    p = merge_people(url, k, o, "--yes")
    assert p.returncode == 2 and "cannot be merged yet" in p.stderr
    assert "Chair stand" in p.stderr and "12 count" in p.stderr and "14 count" in p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("ffmot: ")
    assert R.find_by_code(db, other.code).id == other.id

    p = merge_people(url, k, k, "--yes")
    assert p.returncode == 2 and "same record twice" in p.stderr

    p = merge_people(url, k, "K7PM-4QY", "--yes")
    assert p.returncode == 2 and "typing mistake" in p.stderr

    p = merge_people(url, k)
    assert p.returncode == 2 and "OTHER_CODE" in p.stderr


def test_different_details_need_the_flag(url, twice):
    db, actor, _e, keep, other = twice
    k, o = codes.display(keep.code), codes.display(other.code)
    R.update_participant(db, actor, other.id, other.version, sex="not_stated")
    p = merge_people(url, k, o, "--yes")
    assert p.returncode == 2 and "--accept-different-details" in p.stderr
    assert "female" in p.stderr and "sex not stated" in p.stderr
    assert R.find_by_code(db, other.code).id == other.id
    p = merge_people(url, k, o, "--yes", "--accept-different-details")
    assert p.returncode == 0, p.stderr
    assert R.get_participant(db, keep.id).sex == "female"
    with pytest.raises(InputError):
        R.find_by_code(db, other.code)
