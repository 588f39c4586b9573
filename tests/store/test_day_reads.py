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


def test_an_import_reads_what_is_there_for_the_whole_file_not_row_by_row(tmp_path):
    """Importing checks each row against what the database holds with a few queries for the
    whole file: it used to ask two questions a row before writing it, and flush everything
    added so far at each (about 250 rows a second, slower as the file went on)."""
    from ffmot.services.export import export_file
    from ffmot.services.transfer import import_file
    from ffmot.services.types import Actor
    from ffmot.store.db import connect

    demo = make_demo(tmp_path / "ffmot.db", people=60)
    actor = Actor("Test Runner", "tests")
    out = tmp_path / "all.csv"
    try:
        rows = export_file(demo.db, actor, out, "csv").rows
    finally:
        demo.db.close()
    target = connect(str(tmp_path / "other.db"))
    said: list[str] = []

    def seen(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        said.append(statement)

    event.listen(target.engine, "before_cursor_execute", seen)
    try:
        made = import_file(target, actor, out, take_consents=True)
    finally:
        event.remove(target.engine, "before_cursor_execute", seen)
        target.close()
    assert made.results > 500 and rows > 500
    per_row = len(said) / rows
    assert per_row < 4.0, f"{len(said)} statements for {rows} rows ({per_row:.1f} a row)"
