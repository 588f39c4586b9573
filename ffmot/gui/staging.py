"""README screenshots: one view of the real window, rendered offscreen on made-up people.

Staging a view adds invented people and marks sheets printed, so it happens only in a database
this module makes itself, in a temporary folder removed afterwards. A database named on the
command line (--db) is refused, never opened: somebody's real data must not gain invented
people. The view is put into a state worth showing the way a practitioner would, through the
window's own Desk (ffmot/services/desk.py).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffmot.core import screening
from ffmot.core.errors import FfmotError
from ffmot.core.i18n import _
from ffmot.core.paths import check_output_file
from ffmot.gui.app import Controller
from ffmot.gui.context import AppContext
from ffmot.gui.main_window import VIEWS, MainWindow
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import InlineRunner

if TYPE_CHECKING:
    from ffmot.core.battery import TestDef
    from ffmot.store.db import Database


def _fill_demo(db: Database, participants: int = 60) -> None:
    """Finished demo MOT days, for the README's screenshots."""
    from ffmot.demo import generate
    from ffmot.services.demo_load import load_demo
    from ffmot.services.types import Actor

    load_demo(db, Actor("training"), generate(participants, seed=1))


def screenshot(
    path: Path,
    view: str,
    db_url: str | None = None,
    large_print: bool = False,
    size: tuple[int, int] = (1280, 860),
) -> Path:
    """Renders one view offscreen on demo data, for the README.

    Staging a view adds made-up people and marks sheets printed, so it is done in a database of
    its own, made in a temporary folder and removed afterwards. A database named here (--db) is
    refused, never opened: somebody's real data must not gain invented people."""
    if db_url:
        raise FfmotError(
            _(
                "--screenshot makes its pictures of made-up people in a database of its own and "
                "never opens yours: leave out --db"
            )
        )
    if view not in VIEWS:
        raise FfmotError(
            _(
                "unknown view '{view}': choose one of {views}",
                view=view,
                views=", ".join(VIEWS),
            )
        )
    check_output_file(path)
    with tempfile.TemporaryDirectory(prefix="ffmot-shot-", ignore_cleanup_errors=True) as tmp:
        return _screenshot_in(Path(tmp), path, view, large_print, size)


def _screenshot_in(
    folder: Path, path: Path, view: str, large_print: bool, size: tuple[int, int]
) -> Path:
    settings = Settings(folder / "ffmot.ini")
    settings.large_print = large_print
    settings.station = "Station 2"
    settings.practitioner = "Practitioner A"
    from ffmot.store.db import connect

    url = str(folder / "demo.db")  # always the staging database, whatever the settings say
    db = connect(url)
    try:
        _fill_demo(db)
    finally:
        db.close()
    controller = Controller(settings, InlineRunner(), db_url=url, training=False)
    s = controller.open()
    ctx, w = s.ctx, s.window
    try:
        events = ctx.desk.events()
        ctx.set_event(max(events, key=lambda e: e.participants))
        w.setWindowState(Qt.WindowState.WindowNoState)  # the asked-for size, not the screen's
        w.resize(*size)
        _stage(w, view)
        w.show()
        app = QApplication.instance()
        assert app is not None
        for _round in range(5):
            app.processEvents()
        image = w.grab()
        if not image.save(str(path)):
            raise FfmotError(_("cannot write the screenshot {path}", path=path))
    finally:
        w.hide()  # not close(): a staged station entry would ask whether to discard it
        w.deleteLater()
        if ctx.is_ready:
            ctx.db.close()
    return path


def _first_entered(ctx: AppContext) -> TestDef:
    """The first test of the day entered as trials (the battery's order): what a station shows."""
    return next(t for t in ctx.battery.values() if not t.fields)


def _stage(w: MainWindow, view: str) -> None:
    """Puts a view into a state worth showing, the way a practitioner would."""
    ctx = w.ctx
    desk = ctx.desk
    assert ctx.current_event is not None
    rows = desk.board(ctx.current_event.id)
    visits = [desk.visit(r.assessment_id) for r in rows[:40]]
    retest = next(
        (v for v in visits if v.previous_id and v.screening and v.screening.outcome == "clear"),
        None,
    )
    w.show_view(view)
    if view == "check-in":
        person = desk.person(visits[0].participant_id)
        w.checkin.search.setText(person.family_name[:5])
        w.checkin.timer.stop()
        w.checkin.run_search()
        w.checkin.table.selectRow(0)
    elif view == "station":
        test = _first_entered(ctx)
        w.station.test_combo.setCurrentIndex(w.station.test_combo.findData(test.id))
        v = next(v for v in visits if v.screening and v.screening.outcome == "clear")
        person = desk.person(v.participant_id)
        w.station.code.setText(person.code)
        w.station.lookup()
        w.station.fields[0].setText(f"{_typical(test):g}")
    elif view == "overview":
        target = retest or visits[0]
        w.overview.show_visit(target.id)
    elif view == "board":
        _arrivals(ctx)
        w.board.refresh()


def _typical(test: TestDef) -> float:
    """A value a third of the way up the test's typical range, in its own unit."""
    low, high = test.typical
    value = low + (high - low) / 3
    return float(round(value)) if test.whole_numbers else round(value, 1)


def _arrivals(ctx: AppContext) -> None:
    """A day in progress: a few people still arriving, some printed already."""
    desk = ctx.desk
    assert ctx.current_event is not None
    day = ctx.current_event.id
    test = _first_entered(ctx)
    for n, (given, family) in enumerate(
        (("Iris", "Latecomerby"), ("Owen", "Queueworth"), ("Enid", "Arrivalston"))
    ):
        p = desk.register(
            given=given,
            family=family,
            dob=dt.date(1948 + n, 5, 1),
            sex="female" if n != 1 else "male",
            consents={"keep_results": True},
        )
        v = desk.check_in(p.id, event_id=day)
        if n < 2:
            desk.screen(v.id, answers=screening.answers_with())
        if n == 0:
            desk.save_result(
                v.id,
                test_id=test.id,
                trials=[(_typical(test), "result")],
                unit=test.unit,
                expected_version=None,
            )
    for row in [r for r in desk.board(day) if r.complete][::4]:
        desk.printed(row.assessment_id)
