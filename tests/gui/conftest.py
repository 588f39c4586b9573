from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ffmot.core import screening
from ffmot.gui.app import Controller, Session
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import InlineRunner


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own data and config folders: nothing touches the real home."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("FFMOT_DATABASE_URL", raising=False)


@pytest.fixture(autouse=True)
def fresh_outage_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is an app of its own: the process's one outage watcher (which keeps its box
    and says an outage once) starts new, so an outage another test left open in this process
    does not swallow this test's box. (Run alone, tests/gui/test_outage.py passed; after a test
    that had left an outage open, its box never came.)"""
    from ffmot.gui import context

    monkeypatch.setattr(context, "_outage", None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(tmp_path / "config" / "ffmot.ini")
    s.station = "Station 1"
    s.practitioner = "Sam Tester"
    return s


@pytest.fixture
def open_app(qtbot, settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Opens the real main window on a real SQLite file; work runs inline."""
    sessions: list[Session] = []

    def opener(db: str | None = None, training: bool = False) -> Session:
        c = Controller(
            settings, InlineRunner(), db_url=db or str(tmp_path / "ffmot.db"), training=training
        )
        s = c.open()
        s.window.resize(1280, 800)
        s.window.show()
        s.window.activateWindow()
        qtbot.waitActive(s.window)
        s.controller = c  # type: ignore[attr-defined]
        sessions.append(s)
        return s

    yield opener
    # Closed here rather than by qtbot, after clearing any half-typed entry: a failed test
    # must not leave the "close anyway?" question waiting for an answer.
    for s in sessions:
        s.window.station.clear()
        s.window.close()
        s.ctx.db.close()
        s.release()


@pytest.fixture
def day(open_app) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A window with an MOT day open and two people checked in and screened."""
    import datetime as dt

    from ffmot.services import records as R

    s = open_app()
    ctx = s.ctx
    e = R.create_event(ctx.db, ctx.actor, "Lowthwaite MOT day", dt.date.today(), "Fellside Hall")
    people = {}
    for given, family, dob, sex in (
        ("Ada", "Sampleton", dt.date(1949, 3, 14), "female"),
        ("Bert", "Demoworth", dt.date(1944, 1, 2), "male"),
    ):
        p = R.register_participant(
            ctx.db,
            ctx.actor,
            given,
            family,
            dob,
            sex,
            consents={"keep_results": True, "anonymous_reports": True},
        )
        v = R.check_in(ctx.db, ctx.actor, p.id, e.id)
        R.record_screening(ctx.db, ctx.actor, v.id, screening.answers_with())
        people[given] = (p, v)
    ctx.set_event(R.get_event(ctx.db, e.id))
    s.people = people  # type: ignore[attr-defined]
    yield s
