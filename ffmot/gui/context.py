"""What every view shares: the database, the norms, settings, the runner and the MOT day open."""

from __future__ import annotations

import getpass
import logging
import traceback

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ffmot.core.errors import FfmotError
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import Runner
from ffmot.services.types import Actor, EventInfo
from ffmot.store.db import Database

log = logging.getLogger("ffmot")


class AppContext(QObject):
    event_changed = Signal()
    records_changed = Signal(str)  # the visit that changed, or "" for many
    show_visit = Signal(str)  # ask the overview to show a visit

    def __init__(
        self,
        db: Database,
        settings: Settings,
        runner: Runner,
        norms: NormSet | None = None,
        training: bool = False,
    ) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.runner = runner
        self.norms = norms or default_norm_set()
        self.training = training
        self.current_event: EventInfo | None = None

    @property
    def actor(self) -> Actor:
        name = self.settings.practitioner
        if not name:
            try:
                name = getpass.getuser()
            except (KeyError, OSError):
                name = "practitioner"
        return Actor(name, self.settings.station)

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
    box = QMessageBox(
        QMessageBox.Icon.Warning, "ffmot", text, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("errorBox")
    box.open()
