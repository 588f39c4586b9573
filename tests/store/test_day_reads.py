"""A day's sheets are read with a few queries for the whole day, not a few for each visit, and
what is read is what the visit-by-visit reads give."""

from __future__ import annotations

from sqlalchemy import event

from ffmot.services import records as R
from ffmot.services.summary import event_overviews
from tests.report.conftest import make_demo


def test_a_days_overviews_take_a_few_queries_whatever_the_days_size(tmp_path):
    demo = make_demo(tmp_path / "ffmot.db", people=60)
    try:
        said: list[str] = []

        def seen(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
            said.append(statement)

        counts = []
        for day in demo.events:
            said.clear()
            event.listen(demo.db.engine, "before_cursor_execute", seen)
            try:
                overviews = event_overviews(demo.db, day.id)
            finally:
                event.remove(demo.db.engine, "before_cursor_execute", seen)
            assert len(overviews) == day.participants > 20
            counts.append(len(said))
            # The same as reading each visit on its own, as opening one on screen does.
            for o in overviews[:: max(1, len(overviews) // 7)]:
                alone = R.get_assessment(demo.db, o.assessment.id)
                assert o.assessment == alone
                assert o.participant == R.get_participant(demo.db, alone.participant_id)
        # Visit by visit it was about nine queries a visit (over 500 for these days).
        assert max(counts) <= 25, counts
    finally:
        demo.db.close()
