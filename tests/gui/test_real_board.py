"""The board in the real program, in a real X window, by real keys, at 1366x768 and at large
print on a 1024x768 projector: a practitioner chooses someone on the board, another station
saves a result and someone withdraws, the board is refreshed (Alt+R), and Enter still opens the
person they had chosen (the refresh changes rows in place; a reset would lose the choice).
The audit says whose visit was opened, and the window stays on the screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import AuditEntry
from tests.gui.real_app import RealApp, prepare_day
from tests.helpers import screened_visit
from tests.xserver import x_display

STATION = Actor("Second station", "Station 2")


@pytest.mark.parametrize(
    ("size", "large_print"), [("1366x768", False), ("1024x768", True)], ids=["laptop", "projector"]
)
def test_a_refresh_keeps_the_chosen_person_in_a_real_window(
    tmp_path: Path, size: str, large_print: bool
):
    with x_display(tmp_path / "x", size) as display:
        day = prepare_day(tmp_path / "day")  # Ada Sampleton, screened, two results
        db = connect(str(day.db))
        try:
            others = {
                given: screened_visit(
                    db, STATION, day.event_id, given, family, dt.date(1945, 5, 5), "female"
                )
                for given, family in (
                    ("Bert", "Boardman"),
                    ("Cath", "Featherstonehaugh-Cholmondeley"),
                    ("Dai", "Daywell"),
                )
            }
        finally:
            db.close()
        with RealApp(tmp_path / "app", display, day, large_print=large_print) as app:
            main = app.wait_for_main_window()
            app.key("ctrl+5")
            app.settled(main)
            app.key("Home")  # Ada, the first by name
            app.key("Down")  # Bert
            before = app.settled(main)
            db = connect(str(day.db))
            try:
                R.save_result(db, STATION, others["Cath"][1].id, "chair_stand", [(11, "")])
                R.record_consent(db, STATION, others["Dai"][0].id, "keep_results", False)
            finally:
                db.close()
            app.key("alt+r")
            app.settled(main, changed_from=before)  # Cath's count and Dai's withdrawal shown
            app.screenshot(tmp_path / f"board-{size}.png", main)
            # Every column and the Refresh button on the screen: the line of counts, longer
            # with a withdrawal in it, once made the window wider than a projector's screen.
            assert app.width(main) <= int(size.split("x")[0])
            app.key("Return")
            bert_visit = others["Bert"][1].id

            def opened() -> str | None:
                check = connect(str(day.db))
                try:
                    with check.transaction() as s:
                        return s.scalar(
                            select(AuditEntry.entity_id)
                            .where(AuditEntry.action == "view", AuditEntry.entity == "assessment")
                            .order_by(AuditEntry.at.desc())
                            .limit(1)
                        )
                finally:
                    check.close()

            assert app.wait_for(opened, "a visit opened from the board") == bert_visit
            app.assert_alive("after opening a visit from the refreshed board")
