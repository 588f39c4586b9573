"""A database error's message never carries the values of the statement that failed: such
messages are logged, and the values are names, dates of birth and phone numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ffmot.services import records as R
from ffmot.store.models import Participant


def test_a_failed_statement_names_no_values(db, actor):
    p = R.register_participant(
        db, actor, "Maureen", "Secretname", dt.date(1950, 1, 1), "female", phone="07700 900123"
    )
    with db.transaction() as s:
        row = dict(
            s.execute(select(Participant.__table__).where(Participant.id == p.id)).one()._mapping
        )
    with pytest.raises(IntegrityError) as e, db.transaction() as s:
        s.execute(insert(Participant.__table__).values(**row))  # the same record again
    message = str(e.value)
    assert "07700 900123" not in message and "Secretname" not in message
    assert "hidden" in message.lower()
