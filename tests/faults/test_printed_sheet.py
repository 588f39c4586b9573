"""Two stations mark one take-home sheet printed at once, on a shared PostgreSQL server: the
later print time stands and neither station sees an error."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.errors import StoreError
from tests.helpers import screened_visit


def test_two_stations_marking_one_sheet_printed_is_no_error_and_the_later_time_wins(pg_url, actor):
    """On a shared server: station B reads the visit, station A's "printed" lands first, then
    B's. B used to fail with an unhandled StaleDataError; now both are recorded as printed and
    B's (later) time stands."""
    db_a, db_b = connect(pg_url), connect(pg_url)
    e = R.create_event(db_a, actor, "Shared day", dt.date(2026, 5, 1))
    _, visit = screened_visit(db_a, actor, e.id, "Ada", "Printwell", dt.date(1950, 1, 1), "female")
    R.mark_printed(db_a, actor, visit.id)
    first = R.get_assessment(db_a, visit.id).printed_at
    assert first is not None
    station_b = Actor("Other Tester", "Station 2")
    # Station A holds the row, as its own mark_printed does between its UPDATE and COMMIT.
    with db_a.engine.connect() as a:
        a.exec_driver_sql(
            "UPDATE assessment SET printed_at = now(), version = version + 1 WHERE id = %s",
            (visit.id,),
        )
        outcome: list[BaseException | None] = []

        def print_at_b() -> None:
            try:
                R.mark_printed(db_b, station_b, visit.id)
                outcome.append(None)
            except BaseException as err:  # reported below, in the test's own thread
                outcome.append(err)

        t = threading.Thread(target=print_at_b)
        t.start()
        _wait_until_blocked(db_a, t)
        a.commit()  # A's print lands while B is waiting on the row
        t.join(30)
    assert outcome == [None], outcome
    after = R.get_assessment(db_a, visit.id)
    assert after.printed_at is not None and after.printed_at > first
    with db_a.engine.connect() as c:
        prints = c.exec_driver_sql(
            "SELECT station FROM audit WHERE action = 'print' ORDER BY at"
        ).fetchall()
    assert [p[0] for p in prints][-1] == "Station 2"
    db_a.close()
    db_b.close()


def _wait_until_blocked(db, t: threading.Thread) -> None:
    """Until another session of this database waits on a row lock (B's UPDATE behind A's)."""
    deadline = time.monotonic() + 20
    with db.engine.connect() as c:
        while time.monotonic() < deadline and t.is_alive():
            waiting = c.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).scalar()
            if waiting:
                return
            c.rollback()
            time.sleep(0.02)
    pytest.fail("station B never reached the row station A held")


def test_marking_a_sheet_printed_twice_on_one_station_keeps_the_later_time(tmp_path, actor):
    db = connect(str(tmp_path / "ffmot.db"))
    e = R.create_event(db, actor, "Day", dt.date(2026, 5, 1))
    _, visit = screened_visit(db, actor, e.id, "Ada", "Twice", dt.date(1950, 1, 1), "female")
    R.mark_printed(db, actor, visit.id)
    first = R.get_assessment(db, visit.id).printed_at
    R.mark_printed(db, actor, visit.id)
    second = R.get_assessment(db, visit.id).printed_at
    assert first is not None and second is not None and second >= first
    with pytest.raises(StoreError, match="no longer in the database"):
        R.mark_printed(db, actor, "00000000-0000-4000-8000-000000000000")
    db.close()
