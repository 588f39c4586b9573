"""What every view shares: the database, the norms, settings, the runner and the MOT day open."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ffmot.core.battery import TestDef, load_battery
from ffmot.core.errors import FfmotError
from ffmot.core.paths import norms_dir
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import Runner
from ffmot.services.types import Actor, EventInfo

if TYPE_CHECKING:
    from ffmot.core.norms import NormSet
    from ffmot.store.db import Database

log = logging.getLogger("ffmot")


class NotOpenYet(FfmotError):
    """Work asked for before the database is open (or after it failed to open)."""


class AppContext(QObject):
    """Made before the database is open, so the window can show at once: `ready` is emitted
    when `attach` hands it the open database (views load their data then)."""

    ready = Signal()
    failed = Signal(str)  # the database could not be opened: why, and what to do
    event_changed = Signal()
    records_changed = Signal(str)  # the visit that changed, or "" for many
    show_visit = Signal(str)  # ask the overview to show a visit

    def __init__(
        self,
        db: Database | None,
        settings: Settings,
        runner: Runner,
        norms: NormSet | None = None,
        training: bool = False,
    ) -> None:
        super().__init__()
        self._db = db
        self.settings = settings
        self.runner = runner
        self._norms = norms
        self._battery: dict[str, TestDef] | None = None
        self.training = training
        self.current_event: EventInfo | None = None
        self._failure: str | None = None

    @property
    def is_ready(self) -> bool:
        return self._db is not None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise NotOpenYet(
                self._failure or "the database is still opening: try again in a moment"
            )
        return self._db

    @property
    def not_ready_words(self) -> str:
        return self._failure or "Opening the database…"

    def attach(self, db: Database, norms: NormSet | None = None) -> None:
        if norms is not None:
            self._norms = norms
        self._db = db
        self._failure = None
        self.ready.emit()

    def fail(self, message: str) -> None:
        self._failure = message
        self.failed.emit(message)

    @property
    def norms(self) -> NormSet:
        """The norm set (read on first use: the app reads it while the database opens)."""
        if self._norms is None:
            from ffmot.core.norms import default_norm_set

            self._norms = default_norm_set()
        return self._norms

    @property
    def battery(self) -> dict[str, TestDef]:
        """The tests, without the norm tables: enough to build the screens."""
        if self._norms is not None:
            return self._norms.battery
        if self._battery is None:
            self._battery = load_battery(norms_dir() / "battery.toml")
        return self._battery

    @property
    def actor(self) -> Actor:
        """The practitioner signed in at this station today; never the computer's login."""
        name = self.settings.practitioner if self.settings.signed_in_today else ""
        return Actor(name or "not signed in", self.settings.station)

    def set_event(self, event: EventInfo | None) -> None:
        self.current_event = event
        if event is not None:
            self.settings.last_event = event.id
        self.event_changed.emit()


def show_error(parent: QWidget | None, error: BaseException, doing: str) -> None:
    """Tells the person what went wrong in plain words; never a traceback."""
    if isinstance(error, FfmotError):
        text = str(error)
    else:
        log.error(
            "unexpected problem while %s:\n%s", doing, "".join(traceback.format_exception(error))
        )
        text = (
            f"Something unexpected went wrong while {doing} ({type(error).__name__}). "
            "Anything already saved is safe. Please try again; if it happens again, "
            "tell your coordinator."
        )
    if any(b.text() == text for b in _boxes):
        return  # the same message is already on screen: one box, not a pile of them
    box = QMessageBox(
        QMessageBox.Icon.Warning, "ffmot", text, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("errorBox")
    keep_open(box)
    box.open()


# Message boxes on screen. One without a parent window is owned by Python alone, so it would be
# freed (and never seen) as soon as the function that made it returned; each is kept here until
# it is closed.
_boxes: list[QMessageBox] = []


def keep_open(box: QMessageBox) -> None:
    """Keeps a non-modal box alive while it is open, and lets it go when it is closed."""
    _boxes.append(box)
    box.finished.connect(lambda *_: _boxes.remove(box) if box in _boxes else None)
