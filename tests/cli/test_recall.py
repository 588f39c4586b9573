"""`ffmot recall` and `ffmot recall-mark` as real processes, on a real SQLite file and a real
PostgreSQL server: only people who agreed to be contacted are listed or invited, a withdrawal
takes them off at once, and the list says how far each has got (due, invited, booked, came)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select

from ffmot.core import codes, screening
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import AuditEntry, RecallMark
from tests.cli.test_cli import assert_refused, ffmot

ACTOR = Actor("Sam Tester", "Station 1")
FIRST = dt.date(2026, 9, 5)  # a retest is due 12 weeks on: 28 November 2026
DUE = FIRST + dt.timedelta(weeks=12)
RANGE = ("--from", "2026-11-01", "--to", "2026-11-30")


@pytest.fixture(params=["sqlite", "postgresql"])
def day(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A first MOT day: Ada and Bea agreed to be contacted, Cai did not, Dot agreed then
    withdrew, Eve agreed but withdrew keeping her results, Fay agreed and came back."""
    url = (
        str(tmp_path / "ffmot.db")
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    db = connect(url)
    first = R.create_event(
        db, ACTOR, "First day", FIRST, "Fellside Hall", "Fellside Health", tests_offered=["grip"]
    )
    back = R.create_event(db, ACTOR, "Back day", DUE, "Fellside Hall", tests_offered=["grip"])
    agreed = {"keep_results": True, "retest_contact": True}
    people = {}
    for given, consents in {
        "Ada": agreed, "Bea": agreed, "Cai": {"keep_results": True}, "Dot": agreed,
        "Eve": agreed, "Fay": agreed,
    }.items():  # fmt: skip
        p = R.register_participant(
            db, ACTOR, given, "Recallby", dt.date(1950, 1, 1), "female", consents=consents,
            phone="01632 960000", email=f"{given.lower()}@example.org",
        )  # fmt: skip
        v = R.check_in(db, ACTOR, p.id, first.id)
        R.record_screening(db, ACTOR, v.id, screening.answers_with())
        R.save_result(db, ACTOR, v.id, "grip", [(22.0, "left 1")])
        people[given] = (p, v)
    R.record_consent(db, ACTOR, people["Dot"][0].id, "retest_contact", False)
    R.record_consent(db, ACTOR, people["Eve"][0].id, "keep_results", False)
    R.check_in(db, ACTOR, people["Fay"][0].id, back.id)
    db.close()
    return url, people


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return {r["given_name"]: r for r in csv.DictReader(f)}


def _marks(url: str) -> set[tuple[str, str]]:
    db = connect(url)
    try:
        with db.transaction() as s:
            return {(m.participant_id, m.state) for m in s.scalars(select(RecallMark))}
    finally:
        db.close()


def test_the_list_has_only_those_who_may_be_contacted_and_how_far_each_has_got(day, tmp_path):
    url, people = day
    out = tmp_path / "recall.csv"
    p = ffmot("--db", url, "recall", *RANGE, "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "wrote 3 people due for a retest" in p.stdout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = _rows(out)
    assert set(rows) == {"Ada", "Bea", "Fay"}  # not Cai (never agreed), Dot, Eve (withdrew)
    ada = rows["Ada"]
    assert ada["code"] == codes.display(people["Ada"][0].code)
    assert (ada["phone"], ada["email"]) == ("01632 960000", "ada@example.org")
    assert (ada["last_visit"], ada["due_on"], ada["state"]) == (
        FIRST.isoformat(), DUE.isoformat(), "due"
    )  # fmt: skip
    assert rows["Fay"]["state"] == "came"
    p = ffmot("--db", url, "recall", "--from", "2027-01-01", "--to", "2027-01-31",
              "--out", str(out))  # fmt: skip
    assert p.returncode == 0 and _rows(out) == {}  # nobody due then


def test_letters_need_a_day_to_invite_them_to_and_mark_them_invited(day, tmp_path):
    url, people = day
    letters = tmp_path / "letters.pdf"
    p = ffmot("--db", url, "recall", *RANGE, "--letters", str(letters))
    assert_refused(p, "no MOT day is set up on or after", "no letters were made")
    assert not letters.exists() and _marks(url) == set()
    soon = dt.date.today() + dt.timedelta(days=10)
    db = connect(url)
    retest = R.create_event(db, ACTOR, "Retest day", soon, "Fellside Hall", "Fellside Health")
    R.record_consent(db, ACTOR, people["Bea"][0].id, "retest_contact", True)  # (again)
    db.close()
    p = ffmot("--db", url, "recall", *RANGE, "--letters", str(letters))
    assert p.returncode == 0, p.stderr
    assert "wrote 2 invitation letters (2 pages)" in p.stdout  # Ada and Bea; Fay came back
    with pdfplumber.open(letters) as pdf:
        texts = [" ".join((pg.extract_text() or "").split()) for pg in pdf.pages]
        smallest = min(c["size"] for pg in pdf.pages for c in pg.chars)
    assert smallest >= 12
    assert "Ada Recallby" in texts[0] and "Bea Recallby" in texts[1]
    for text in texts:
        assert f"When: {soon.day} " in text and "Where: Fellside Hall (Retest day)" in text
        assert "Flat shoes" in text and "You do not have to take part" in text
    ids = {people[g][0].id for g in ("Ada", "Bea")}
    assert _marks(url) == {(pid, "invited") for pid in ids}
    db = connect(url)
    try:
        with db.transaction() as s:
            said = [
                a.detail for a in s.scalars(select(AuditEntry).where(AuditEntry.action == "recall"))
            ]
        assert "marked invited: 2 people" in said and not any("Recallby" in d for d in said)
    finally:
        db.close()
    assert retest.id


def test_booking_is_marked_and_a_withdrawal_takes_them_off(day, tmp_path):
    url, people = day
    ada, bea = people["Ada"][0], people["Bea"][0]
    p = ffmot("--db", url, "recall-mark", ada.code, "booked")
    assert p.returncode == 0, p.stderr
    assert f"marked {codes.display(ada.code)} booked for the retest due {DUE}" in p.stdout
    p = ffmot("--db", url, "recall-mark", ada.code, "booked")
    assert "already marked booked" in p.stdout
    p = ffmot("--db", url, "recall-mark", people["Cai"][0].code, "booked")
    assert_refused(p, "has not agreed to be contacted for a retest")
    db = connect(url)
    R.record_consent(db, ACTOR, bea.id, "retest_contact", False)
    db.close()
    out = tmp_path / "recall.csv"
    assert ffmot("--db", url, "recall", *RANGE, "--out", str(out)).returncode == 0
    rows = _rows(out)
    assert rows["Ada"]["state"] == "booked" and "Bea" not in rows
    p = ffmot("--db", url, "recall-mark", bea.code, "invited")
    assert_refused(p, "has not agreed to be contacted for a retest")
    assert _marks(url) == {(ada.id, "booked")}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--from", "2026-12-01", "--to", "2026-11-01", "--out", "x.csv"), "before --from"),
        (("--from", "2026-11-31", "--to", "2026-12-01", "--out", "x.csv"), "--from"),
        ((*RANGE, "--out", "x.txt"), "--out must name a .csv file"),
        ((*RANGE, "--letters", "x.csv"), "--letters must name a .pdf file"),
        ((*RANGE, "--weeks", "0", "--out", "x.csv"), "--weeks must be between 1 and 104"),
        ((*RANGE, "--out", "x.csv", "--event", "abcd"), "--event goes with --letters"),
    ],
)
def test_mistakes_are_one_line_before_any_work(day, tmp_path, args, said):
    url, _people = day
    p = ffmot("--db", url, "recall", *args, cwd=tmp_path)
    assert_refused(p, said)
    assert not any(tmp_path.glob("x.*"))
