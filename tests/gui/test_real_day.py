"""A ten-person MOT day by keyboard alone, in a real window with real key presses, at large print
on a 1024x768 projector (and the first four of it on a 1366x768 laptop): each person checked in
by a card scan, screened (nine answers), tested at the chair-stand station and, for the last one,
shown in the print preview. Then the database is read: a visit each, each screened, each with
the value typed for that person and no other; nobody checked in twice, no result for anybody
else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ffmot.services import records as R
from ffmot.services.types import Actor, ParticipantInfo
from ffmot.store.db import connect
from tests.gui.real_app import RealApp, prepare_day
from tests.xserver import x_display

NAMES = ("Ann", "Bryn", "Cath", "Dai", "Eirlys", "Fergus", "Gwen", "Huw", "Ifan", "Jo")


# The laptop's run is shorter: the same steps at the roomier size, in less of the suite's time.
@pytest.mark.parametrize(
    ("size", "large_print", "how_many"),
    [("1366x768", False, 4), ("1024x768", True, 10)],
    ids=["laptop", "projector"],
)
def test_a_ten_person_day_by_keyboard(tmp_path: Path, size: str, large_print: bool, how_many: int):
    with x_display(tmp_path / "x", size) as display:
        day = prepare_day(tmp_path / "day")
        db = connect(str(day.db))
        try:
            people: list[ParticipantInfo] = [
                R.register_participant(
                    db,
                    Actor("booking", "office"),
                    given,
                    "Dayperson",
                    dt.date(1940 + n, 1 + n, 1 + n),
                    "female" if n % 2 else "male",
                    consents={"keep_results": True},
                )
                for n, given in enumerate(NAMES[:how_many])
            ]
        finally:
            db.close()
        typed = {p.id: str(8 + n) for n, p in enumerate(people)}  # a different value each
        with RealApp(tmp_path / "app", display, day, large_print=large_print) as app:
            main = app.wait_for_main_window()
            for p in people:
                app.key("ctrl+2")
                app.key("ctrl+f")
                before = app.scan(p.code, main)  # their name is shown
                app.key("alt+i")
                app.settled(main, changed_from=before)  # checked in: the questions are next
                for n in range(9):
                    app.type("N")
                    if n < 8:
                        app.key("Tab")
                app.key("alt+r")
                app.key("ctrl+3")
                app.scan(p.code, main)
                app.type(typed[p.id])
                app.key("Return")
            app.preview_of(people[-1].code, tmp_path / f"day-{size}.png")
            app.assert_alive(f"after a {how_many}-person day")

            def all_saved() -> bool | None:
                check = connect(str(day.db))
                try:
                    n = 0
                    for p in people:
                        v = R.find_visit(check, p.id, day.event_id)
                        n += bool(v and v.result("chair_stand"))
                    return n == how_many or None
                finally:
                    check.close()

            app.wait_for(all_saved, "every result saved")
        check = connect(str(day.db))
        try:
            event = R.get_event(check, day.event_id)
            assert event.participants == how_many + 1  # they and the day's first person
            for p in people:
                v = R.find_visit(check, p.id, day.event_id)
                assert v is not None and v.screening is not None
                assert v.screening.outcome == "clear", p.given_name
                done = {r.test_id: r.value for r in v.results}
                assert done == {"chair_stand": float(typed[p.id])}, p.given_name
        finally:
            check.close()
