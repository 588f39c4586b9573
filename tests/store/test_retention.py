"""Retention: a data lead sets how long records are kept; applying it erases everyone last seen
(and last agreeing to keep their results) before then, and nobody else; only a data lead may,
and each step is audited. SQLite and PostgreSQL; the command line as a person uses it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ffmot.core.access import NotAllowed
from ffmot.core.errors import InputError
from ffmot.services import practitioners as P
from ffmot.services import records as R
from ffmot.services import retention
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import AuditEntry, Consent, Participant

TODAY = dt.date(2027, 6, 15)
LEAD = Actor("Dana Lead", "Office")


def _person(db, family: str, seen: dt.date):  # type: ignore[no-untyped-def]
    e = R.create_event(db, LEAD, f"Day {seen}", seen)
    p = R.register_participant(
        db, LEAD, "Ann", family, dt.date(1950, 1, 1), "female", consents={"keep_results": True}
    )
    R.check_in(db, LEAD, p.id, e.id)
    with db.transaction() as s:  # they agreed at the desk that day, as in a hall
        s.execute(
            update(Consent)
            .where(Consent.participant_id == p.id)
            .values(recorded_at=dt.datetime.combine(seen, dt.time(10), dt.UTC))
        )
    return p


def test_people_last_seen_before_the_period_are_erased_and_no_one_else(db):
    old = _person(db, "Oldvisit", dt.date(2024, 1, 10))
    _person(db, "Recentvisit", dt.date(2026, 12, 1))
    renewed = _person(db, "Renewed", dt.date(2024, 2, 1))
    R.record_consent(db, LEAD, renewed.id, "keep_results", True)  # agreed again, today
    assert retention.period(db) is None
    with pytest.raises(InputError, match="no retention period"):
        retention.apply(db, LEAD, TODAY)
    retention.set_period(db, LEAD, 24)
    d = retention.due(db, LEAD, TODAY)
    assert d.cutoff == dt.date(2025, 6, 15) and d.codes == [old.code]
    d, unfinished = retention.apply(db, LEAD, TODAY)
    assert unfinished == ""
    with db.transaction() as s:
        left = set(s.scalars(select(Participant.family_name)))
        actions = list(s.scalars(select(AuditEntry.action)))
    assert left == {"Recentvisit", "Renewed"}
    assert "set_retention" in actions and "apply_retention" in actions


def test_the_period_must_be_sensible(db):
    for months in (0, 3, 11, 121):
        with pytest.raises(InputError, match="12 to 120 months"):
            retention.set_period(db, LEAD, months)


def test_only_a_data_lead_may_set_or_apply_it(db):
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    P.add_practitioner(db, dana, "Colin Coord", "coordinator", "730146")
    colin = P.sign_in(db, "Colin Coord", "730146", "Desk")
    with pytest.raises(NotAllowed, match="applying the retention period needs a data lead"):
        retention.set_period(db, colin, 24)
    retention.set_period(db, dana, 24)
    with pytest.raises(NotAllowed):
        retention.apply(db, colin, TODAY)


def test_the_command_lists_then_applies(tmp_path: Path):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _person(db, "Longago", dt.date(2020, 3, 3))
    _person(db, "Lastweek", dt.date.today() - dt.timedelta(days=7))
    db.close()

    def ffmot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ffmot", "--db", str(path), "retention", *args],
            capture_output=True,
            text=True,
        )

    p = ffmot()
    assert p.returncode == 0 and "no retention period is set" in p.stdout, p.stderr
    assert ffmot("--set-months", "36").returncode == 0
    p = ffmot()
    assert "1 person last seen before" in p.stdout and "--apply" in p.stdout, p.stdout
    p = ffmot("--apply", "--yes")
    assert p.returncode == 0 and "erased 1 person" in p.stdout, p.stderr
    db = connect(str(path))
    with db.transaction() as s:
        assert list(s.scalars(select(Participant.family_name))) == ["Lastweek"]
    db.close()
    assert b"Longago" not in path.read_bytes()
