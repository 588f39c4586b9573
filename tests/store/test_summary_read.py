"""The MOT-day summary reads the database a table at a time and scores a test at a time; it must
count exactly what the visit overviews (the sheets) show, person for person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from ffmot.core.advice import load_directory
from ffmot.core.paths import resources_dir
from ffmot.core.published import CONSENT
from ffmot.demo import generate
from ffmot.services import records as R
from ffmot.services.day_people import Person, read_people
from ffmot.services.demo_load import load_demo
from ffmot.services.summary import (
    event_overviews,
    person_from_overview,
    summarise,
    summary_data,
)
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import Assessment, Participant

TODAY = dt.date(2026, 6, 1)


def _key(p: Person) -> tuple[Any, ...]:
    return (
        p.age,
        p.sex,
        tuple(sorted(p.bands.items())),
        tuple(sorted(p.flags)),
        tuple(sorted(p.work_on)),
        p.activities,
        p.retested,
        tuple(sorted((k, round(v, 9)) for k, v in p.changes.items())),
    )


def _odd_cases(db: Database, actor: Actor, event_id: str) -> None:
    """What the demo rarely makes: a withdrawal, sex not stated, values a norm table does not
    cover, results in other units and a stored value `score` would refuse (an old import)."""
    with db.transaction() as s:
        visits = s.scalars(
            select(Assessment).where(Assessment.event_id == event_id).order_by(Assessment.id)
        ).all()
        consenting = [
            a
            for a in visits
            if R.get_participant(db, a.participant_id).consented(CONSENT) and a.results
        ]
        a0, a1, a2, a3 = consenting[:4]
        s.get(Participant, a1.participant_id).sex = "not_stated"  # type: ignore[union-attr]
        # someone of 55 at the visit: below every SFT table
        s.get(Participant, a2.participant_id).date_of_birth = a2.assessed_on.replace(  # type: ignore[union-attr]
            year=a2.assessed_on.year - 55
        )
        for r in a3.results:
            if r.done and r.value is not None and r.test_id == "grip":
                r.value, r.unit = round(r.value / 0.45359237, 1), "lb"
            if r.done and r.value is not None and r.test_id == "sit_and_reach":
                r.value, r.unit = round(r.value / 2.54, 1), "in"
        bad = next(r for r in a0.results if r.done and r.value is not None)
        bad.value = 10_000.0  # beyond the plausible range: no band, no flag
        withdrawn = consenting[4].participant_id
    R.record_consent(db, actor, withdrawn, CONSENT, False)


@pytest.fixture
def day(db: Database, actor: Actor):
    load_demo(db, actor, generate(160, 3, today=TODAY), seed=3)
    events = R.list_events(db)
    event = max(events, key=lambda e: e.date)  # the day with retests
    _odd_cases(db, actor, event.id)
    return event


def test_the_summary_counts_what_the_sheets_show(db, day):
    d = load_directory(resources_dir() / "activities" / "sample-directory.csv")
    fast = read_people(db, day, directory=d)
    slow = [person_from_overview(o) for o in event_overviews(db, day.id, CONSENT, directory=d)]
    assert sorted(map(_key, fast)) == sorted(map(_key, slow))

    # The comparison covers every kind of difference it could miss.
    bands = [b for p in fast for b in p.bands.values()]
    assert {"below_average", "normal", "above_average", "not_classified", "not_done"} <= set(bands)
    assert any(p.flags for p in fast) and any(not p.flags for p in fast)
    assert any(len(p.work_on) >= 2 for p in fast) and any(not p.work_on for p in fast)
    assert any(p.activities for p in fast)
    assert any(p.changes for p in fast) and any(not p.retested for p in fast)
    assert any(p.sex == "not_stated" for p in fast) and any(p.age < 60 for p in fast)


def test_summary_data_equals_the_summary_of_the_overviews(db, day):
    from_sheets = summarise(day, event_overviews(db, day.id, CONSENT))
    assert summary_data(db, day.id) == from_sheets
    assert from_sheets.people.n is not None and from_sheets.people.n > 20


def test_mapped_reads_last_only_as_long_as_the_read(tmp_path):
    """The summary reads SQLite through memory-mapped I/O, then turns it off again, even when
    the read fails: writes never go through it."""
    from ffmot.store.db import connect, mapped_reads

    db = connect(str(tmp_path / "ffmot.db"))
    try:
        with db.engine.connect() as c:
            size = "PRAGMA mmap_size"
            with mapped_reads(c):
                assert c.exec_driver_sql(size).scalar() > 0
            assert c.exec_driver_sql(size).scalar() == 0
            with pytest.raises(RuntimeError), mapped_reads(c):
                raise RuntimeError("the read went wrong")
            assert c.exec_driver_sql(size).scalar() == 0
    finally:
        db.close()
