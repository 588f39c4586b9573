"""When many people match what is typed (a first letter matches a quarter of everyone), find
as you type walks the participants in the order it shows them and stops at its limit instead of
sorting every match; the people found are exactly those the sort would give."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import event, text

from ffmot.services import records as R
from ffmot.store.db import connect
from ffmot.store.models import NameWord, Participant, new_id, search_columns

GIVEN = ("Sam", "Sarah", "Sean", "Sìne", "Mary", "Mark", "Ada", "Jo", "José", "Zoë")
FAMILY = ("Smith", "Sampleton", "Shaw", "Mason", "McAdam", "Jones", "O'Brien", "Ó Briain")


@pytest.fixture
def crowd(db):  # type: ignore[no-untyped-def]
    return _crowd(db)


def _crowd(db):  # type: ignore[no-untyped-def]
    """400 people written whole (as an import or the demo does), many sharing first letters."""
    from ffmot.core import codes
    from ffmot.core.names import words

    rng = random.Random(3)
    people, name_words = [], []
    for _ in range(400):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        pid = new_id()
        people.append(
            {
                "id": pid,
                "code": codes.new_code(rng),
                "given_name": given,
                "family_name": family,
                **search_columns(given, family),
                "date_of_birth": dt.date(1940 + rng.randrange(20), 1 + rng.randrange(12), 1),
                "sex": "female",
                "notes": "",
                "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            }
        )
        name_words += [{"participant_id": pid, "word": w} for w in sorted(words(given, family))]
    with db.transaction() as s:
        s.execute(Participant.__table__.insert(), people)
        s.execute(NameWord.__table__.insert(), name_words)
    return db


TYPED = ("s", "m", "a", "sa", "sm", "ma", "jo", "o", "s s", "sam s", "z", "q", "01/01/1950")


def test_walking_finds_exactly_what_sorting_finds(crowd, monkeypatch):
    sorted_rows = {t: R.search_participants(crowd, t, limit=25) for t in TYPED}
    monkeypatch.setattr(R, "MANY", 20)  # now most of what is typed counts as many
    walked_rows = {t: R.search_participants(crowd, t, limit=25) for t in TYPED}
    assert walked_rows == sorted_rows
    assert len(sorted_rows["s"]) == 25 and sorted_rows["q"] == []


def test_many_matches_are_walked_in_order_not_sorted(tmp_path, monkeypatch):
    # SQLite's: PostgreSQL's planner makes the same choice from its own statistics.
    crowd = _crowd(connect(str(tmp_path / "crowd.db")))
    monkeypatch.setattr(R, "MANY", 20)
    plans: list[str] = []

    def explain(conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "ORDER BY participant.search_family" in statement and not plans:
            raw = conn.connection.dbapi_connection
            rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            plans.append(" | ".join(r[-1] for r in rows))

    event.listen(crowd.engine, "before_cursor_execute", explain)
    try:
        R.search_participants(crowd, "s", limit=25)
    finally:
        event.remove(crowd.engine, "before_cursor_execute", explain)
    assert "ix_participant_search_order" in plans[0], plans
    assert "TEMP B-TREE FOR ORDER BY" not in plans[0], plans
    with crowd.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM participant")).scalar() == 400
    crowd.close()
