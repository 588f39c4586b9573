"""What every view shares: the database, the norms, settings, the runner and the MOT day open."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ffmot.core.battery import TestDef, load_battery
from ffmot.core.errors import FfmotError
from ffmot.core.i18n import N_, _
from ffmot.core.paths import norms_dir
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import Runner
from ffmot.services.desk import Desk, UnreachableError
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
        # A protected database (named practitioners): who signed in with their PIN, or None
        # while nobody has (the window is locked). On an open database both stay unused.
        self.protected = False
        self.signed: Actor | None = None
        # The services, bound once to the database, the norms and who is at work: what the
        # views call (each part is read at the call, so it follows a reopened database).
        self.desk = Desk(db=lambda: self.db, norms=lambda: self.norms, actor=lambda: self.actor)

    @property
    def is_ready(self) -> bool:
        return self._db is not None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise NotOpenYet(
                self._failure or _("the database is still opening: try again in a moment")
            )
        return self._db

    @property
    def not_ready_words(self) -> str:
        return self._failure or _("Opening the database…")

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
        """The practitioner signed in at this station today; never the computer's login. On a
        protected database only one who signed in with their PIN: the services check them."""
        if self.protected:
            return self.signed or Actor("not signed in", self.settings.station)
        name = self.settings.practitioner if self.settings.signed_in_today else ""
        return Actor(name or "not signed in", self.settings.station)

    def set_event(self, event: EventInfo | None) -> None:
        self.current_event = event
        if event is not None:
            self.settings.last_event = event.id
        self.event_changed.emit()


def show_error(parent: QWidget | None, error: BaseException, doing: str) -> None:
    """Tells the person what went wrong in plain words; never a traceback. A shared database
    out of reach is said once for the whole outage, however many calls fail meanwhile.
    `doing` is English marked with N_ ("saving the result"): the log keeps it so, the person
    reads it translated."""
    if isinstance(error, UnreachableError):
        outage().report(parent, error, doing)
        return
    if isinstance(error, FfmotError):
        text = str(error)
    else:
        log.error(
            "unexpected problem while %s:\n%s", doing, "".join(traceback.format_exception(error))
        )
        text = _(
            "Something unexpected went wrong while {doing} ({kind}). "
            "Anything already saved is safe. Please try again; if it happens again, "
            "tell your coordinator.",
            doing=_(doing),
            kind=type(error).__name__,
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


OUTAGE_WORDS = N_(
    "The shared database cannot be reached just now.\n\n"
    "Everything saved before is safe, and what you were entering is still on screen (a result "
    "being typed is also kept on this computer). Check the network or the server, then try "
    "again. This message changes when the database can be reached again."
)
BACK_WORDS = N_(
    "The shared database can be reached again.\n\n"
    "Anything that did not save while it was away can be saved now: press Enter or Save again."
)


class Outage(QObject):
    """One message for a shared database out of reach, however many calls fail meanwhile.

    The first failure opens a box saying so in plain words; later ones only go to the log
    (with the driver's own words, which never reach the screen). While it is out of reach the
    server is tried every few seconds, off the screen's thread; when it answers, the box says
    it is back (or, if the box was closed, a new one does)."""

    back = Signal()
    RETRY_MS = 3000

    def __init__(self) -> None:
        super().__init__()
        self.box: QMessageBox | None = None
        self.down = False
        self.failures = 0
        self._probe: Callable[[], None] | None = None
        self._probing = False
        self.timer = QTimer(self)
        self.timer.setInterval(self.RETRY_MS)
        self.timer.timeout.connect(self._try_again)
        self.back.connect(self._came_back)

    def report(self, parent: QWidget | None, error: UnreachableError, doing: str) -> None:
        self.failures += 1
        log.warning(
            "shared database out of reach while %s (failure %d): %s",
            doing,
            self.failures,
            error.detail or error,
        )
        if error.probe is not None:
            self._probe = error.probe
        self.down = True
        if self._probe is not None and not self.timer.isActive():
            self.timer.start()
        if self.box is not None:  # already said: the same box says it again if it said "back"
            self._say(self.box, QMessageBox.Icon.Warning, _(OUTAGE_WORDS))
            return
        self.box = self._open(parent, QMessageBox.Icon.Warning, _(OUTAGE_WORDS))

    def _open(self, parent: QWidget | None, icon: QMessageBox.Icon, text: str) -> QMessageBox:
        box = QMessageBox(icon, "ffmot", text, QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("outageBox")
        keep_open(box)
        box.finished.connect(lambda *_: self._closed(box))
        box.destroyed.connect(lambda *_: self._closed(box))  # its window went first
        box.open()
        return box

    def _say(self, box: QMessageBox, icon: QMessageBox.Icon, text: str) -> None:
        if box.text() != text:
            box.setIcon(icon)
            box.setText(text)

    def _closed(self, box: QMessageBox) -> None:
        if self.box is box:
            self.box = None

    def _try_again(self) -> None:
        probe = self._probe
        if probe is None or self._probing:
            return
        self._probing = True

        def attempt() -> None:
            try:
                probe()
            except Exception as e:  # still out of reach (or something else): try again later
                log.info("shared database still out of reach: %s", getattr(e, "detail", e))
                self._probing = False
                return
            self._probing = False
            self.back.emit()  # queued to the screen's thread

        threading.Thread(target=attempt, name="ffmot-reconnect", daemon=True).start()

    def _came_back(self) -> None:
        if not self.down:
            return
        self.down = False
        self.timer.stop()
        log.warning("shared database reachable again after %d failed calls", self.failures)
        self.failures = 0
        if self.box is not None:
            self._say(self.box, QMessageBox.Icon.Information, _(BACK_WORDS))
        else:
            self.box = self._open(None, QMessageBox.Icon.Information, _(BACK_WORDS))


_outage: Outage | None = None


def outage() -> Outage:
    """The app's one outage watcher (made on first use, on the screen's thread)."""
    global _outage
    if _outage is None:
        _outage = Outage()
    return _outage
