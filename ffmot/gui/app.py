"""Starting the desktop app: settings, database, window, the training day and signing in.

Why one room: start-up, the training day and signing in all rebuild or unlock the same window and
session. The README's pictures are staged in gui/staging.py.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from ffmot.core.errors import FfmotError
from ffmot.core.i18n import N_, _
from ffmot.core.paths import data_dir, resources_dir
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.drafts import Drafts
from ffmot.gui.geometry import fit_to_screen
from ffmot.gui.main_window import TRAINING_TITLE, VIEWS, MainWindow
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import Runner, ThreadRunner
from ffmot.services.types import Actor, EventInfo

if TYPE_CHECKING:
    from ffmot.core.norms import NormSet
    from ffmot.gui.idle import IdleLock
    from ffmot.store.db import Database
    from ffmot.store.lock import WindowLock

log = logging.getLogger("ffmot")
LARGE = 1.35
STILL_TRAINING = N_(
    "ffmot is still in training mode from last time.\n\n"
    "Everything on screen is practice data: nobody in it is real, and nothing done here "
    "reaches the real database.\n\n"
    "Keep practising, or go back to the real database?\n\n"
    "(You can leave training mode at any time: View ▸ Training mode, or Ctrl+Shift+T. "
    "View ▸ Reset training data starts a fresh practice day dated today.)"
)


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") in ("offscreen", "minimal", "vnc"):
        return True
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def training_db_path() -> Path:
    return data_dir() / "training.db"


def application(large_print: bool) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(sys.argv[:1])
        app.setApplicationName("ffmot")
        app.setOrganizationName("ffmot")
        app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "ffmot.svg")))
        app.setProperty("ffmot_base_pt", app.font().pointSizeF() or 10.0)
        _load_font(app)
    base = float(app.property("ffmot_base_pt") or 10.0)
    f = QFont(app.font())
    f.setPointSizeF(base * (LARGE if large_print else 1.0) * 1.15)
    app.setFont(f)
    return app


def _load_font(app: QApplication) -> None:
    """The printed sheets' font (FFMOT Hyperlegible, from resources/fonts) on screen too. A
    missing file is logged and the window keeps Qt's own font."""
    from ffmot.report.fonts import font_files

    try:
        files = font_files()
    except FfmotError as e:
        log.warning("%s", e)
        return
    family = None
    for ttf in files:
        fid = QFontDatabase.addApplicationFont(str(ttf))
        if fid >= 0 and family is None:
            families = QFontDatabase.applicationFontFamilies(fid)
            family = families[0] if families else None
    if family:
        f = QFont(family)
        f.setPointSizeF(app.font().pointSizeF())
        app.setFont(f)


@dataclass
class Session:
    """One open window and what it stands on; rebuilt when the database or mode changes."""

    ctx: AppContext
    window: MainWindow
    lock: WindowLock | None = None  # keeps a second window off the same SQLite file
    idle: IdleLock | None = None  # locks a protected database's window left untouched

    def release(self) -> None:
        if self.idle is not None:
            self.idle.stop()
            self.idle = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None


class Controller:
    def __init__(
        self,
        settings: Settings,
        runner: Runner | None = None,
        db_url: str | None = None,
        training: bool | None = None,
        config: str | None = None,
    ) -> None:
        self.settings = settings
        self.runner = runner
        self.db_url = db_url
        self.config = config  # --config: this run's organisation folder, over Settings
        self.training = settings.training if training is None else training
        # Training left on last time (not asked for now): say so at start and ask, never
        # carry on in it silently.
        self.ask_training = training is None and self.training
        # Asked to make the data lead: once someone signs in for the day on an open database.
        self.lead_wanted = False
        self.session: Session | None = None

    def open(self) -> Session:
        """The window at once; the database opens on a worker and the views fill in when it is
        ready (at once with an InlineRunner). If it cannot be opened, the window stays up, says
        why, and File ▸ Settings can choose another."""
        app = application(self.settings.large_print)
        self.settings.training = self.training  # the mode ffmot was last in, asked about next time
        if self.training:
            app.setApplicationDisplayName(_(TRAINING_TITLE))
        elif app.applicationDisplayName() == _(TRAINING_TITLE):
            app.setApplicationDisplayName("")  # titles as they were before training
        runner = self.runner or ThreadRunner(app)
        problem = self._use_organisation()  # before the norms are read with the database
        _speak(app, self.settings.screen_language)
        url = self.db_url
        if self.training:
            url = str(training_db_path())
        url = url or self.settings.database_url or None
        ctx = AppContext(None, self.settings, runner, training=self.training)
        drafts = Drafts(self.settings.path.parent / "drafts")
        window = MainWindow(
            ctx,
            drafts,
            {
                "settings": self.edit_settings,
                "large_print": self.toggle_large_print,
                "training": self.toggle_training,
                "reset_training": self.reset_training,
                "sign_in": self.sign_in,
                "practitioners": self.practitioners,
                **({"practise_sign_in": self.practise_signing_in} if self.training else {}),
            },
        )
        fit_to_screen(window, self.settings)
        window.say_organisation_problem(problem)
        self.session = Session(ctx, window)
        if self.ask_training:
            self.ask_training = False
            QTimer.singleShot(0, lambda: self.ask_to_keep_training(window))
        elif not self.settings.signed_in_today:
            QTimer.singleShot(0, lambda: self.sign_in(window))
        training = self.training
        who = ", ".join(v for v in (self.settings.practitioner, self.settings.station) if v)
        runner.run(
            lambda: _open_database(url, training, who),
            lambda opened: self._opened(ctx, opened),
            lambda error: self._not_opened(ctx, window, error),
        )
        return self.session

    def _use_organisation(self) -> str:
        """The organisation folder (--config, else Settings', else the environment's) put in
        use; a folder that cannot be used is said, and ffmot's own wording and norms are used
        meanwhile: a broken file never stops an MOT day."""
        from ffmot.core import organisation
        from ffmot.core.errors import sentence

        chosen = (
            self.config or self.settings.organisation_folder or os.environ.get(organisation.ENV)
        )
        try:
            organisation.use(chosen)
        except FfmotError as e:
            organisation.use(None)
            log.warning("organisation folder not used: %s", e)
            return _(
                "Your organisation's folder is not in use: {why} ffmot's own wording "
                "and norms are used until it is put right (File ▸ Settings).",
                why=sentence(e),
            )
        return ""

    def _opened(self, ctx: AppContext, opened: _Opened) -> None:
        if self.session is None or self.session.ctx is not ctx:  # rebuilt meanwhile
            opened.close()
            return
        self.session.lock = opened.lock
        ctx.protected = opened.protected
        self.session.window.drafts.use_key(opened.db.key)  # sealed like the database
        ctx.attach(opened.db, opened.norms)
        if ctx.protected:
            self._protect(self.session)
        elif self.settings.signed_in_today:
            self._remind_retention(self.session)
        _reopen_last_event(ctx, opened.events)
        self._offer_data_lead()  # signed in for the day before the database was open

    def _not_opened(self, ctx: AppContext, window: MainWindow, error: BaseException) -> None:
        if self.session is None or self.session.ctx is not ctx:
            return
        from ffmot.store import keys

        if isinstance(error, keys.Locked) and keys.keyfile(error.path).exists():
            self._unlock(ctx, window, error.path)
            return
        if not isinstance(error, FfmotError):
            log.error("opening the database", exc_info=error)
        why = str(error) if isinstance(error, FfmotError) else type(error).__name__
        message = _(
            "ffmot cannot open its database: {why}. Nothing has been changed. Choose "
            "another database in File ▸ Settings, or ask your coordinator.",
            why=why,
        )
        ctx.fail(message)
        box = QMessageBox(QMessageBox.Icon.Critical, "ffmot", message, parent=window)
        box.setObjectName("openFailedBox")
        box.open()

    def _rebuild(self) -> None:
        """A new window on the new settings, where the old one was and on the same view."""
        old = self.session
        view = VIEWS[0]
        if old is not None:
            view = VIEWS[old.window.tabs.currentIndex()]
            old.window.close()
            if old.ctx.is_ready:
                old.ctx.db.close()
            old.release()
        s = self.open()
        s.window.show()
        s.window.show_view(view)

    def toggle_large_print(self) -> None:
        self.settings.large_print = not self.settings.large_print
        self._rebuild()

    def toggle_training(self) -> None:
        self.training = not self.training
        self.settings.training = self.training
        self._rebuild()

    def ask_to_keep_training(self, window: MainWindow) -> None:
        """At start, in training mode left on last time: keep practising, or the real database
        (the default, for Enter and Escape)."""
        if self.session is None or self.session.window is not window or not self.training:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"ffmot — {_(TRAINING_TITLE)}",
            _(STILL_TRAINING),
            parent=window,
        )
        box.setObjectName("stillTrainingBox")
        real = box.addButton(_("Go back to the &real database"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(_("&Keep practising"), QMessageBox.ButtonRole.RejectRole)
        real.setObjectName("backToRealButton")
        keep.setObjectName("keepPractisingButton")
        box.setDefaultButton(real)
        box.setEscapeButton(real)

        def answered(button: object) -> None:
            if button is keep:
                if not self.settings.signed_in_today:
                    self.sign_in(window)
            else:  # after the box has gone: the rebuild takes its window away
                QTimer.singleShot(0, lambda: self._leave_training(window))

        box.buttonClicked.connect(answered)
        window.training_box = box  # type: ignore[attr-defined]  # alive while open
        box.open()

    def _leave_training(self, window: MainWindow) -> None:
        if self.training and self.session is not None and self.session.window is window:
            self.toggle_training()

    def reset_training(self) -> None:
        """Asks first: everything practised in the sandbox goes."""
        if not self.training or self.session is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"ffmot — {_(TRAINING_TITLE)}",
            _(
                "Reset the training sandbox? Everything practised in it is replaced by a fresh "
                "demo day. Real data are not touched."
            ),
            QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
            self.session.window,
        )
        box.setObjectName("resetTrainingBox")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Reset).clicked.connect(self._reset_training)
        self.session.window.reset_box = box  # type: ignore[attr-defined]  # alive while open
        box.open()

    def _reset_training(self) -> None:
        old = self.session
        if not self.training or old is None:
            return
        view = VIEWS[old.window.tabs.currentIndex()]
        old.window.close()  # the old window goes, not left open behind the new one
        if old.ctx.is_ready:
            old.ctx.db.close()
        old.release()
        for f in training_db_path().parent.glob(training_db_path().name + "*"):
            f.unlink()
        self.session = None
        s = self.open()
        s.window.show()
        s.window.show_view(view)

    def sign_in(self, window: MainWindow | None = None, locked_after: int = 0) -> None:
        """Asks who is working at this station (at the start of each day, or from the menu);
        on a protected database, with their PIN."""
        from ffmot.gui.signin import SignInDialog

        w = window or (self.session.window if self.session else None)
        if w is None or (self.session is not None and self.session.window is not w):
            return  # rebuilt meanwhile
        ctx = self.session.ctx if self.session is not None else None
        shown = getattr(w, "sign_in_dialog", None)
        if shown is not None and shown.isVisible():
            if shown.protected or not (ctx is not None and ctx.protected):
                return  # already asking
            shown.done(0)  # asked before the database said it has practitioners
        dialog = SignInDialog(self.settings, w, ctx=ctx, locked_after=locked_after)
        dialog.accepted.connect(lambda: self._signed_in(w))
        w.sign_in_dialog = dialog  # type: ignore[attr-defined]  # alive as long as it is open
        dialog.open()

    def _unlock(self, ctx: AppContext, window: MainWindow, path: Path) -> None:
        """An encrypted database that opens only with a practitioner's PIN: the window stays
        locked (nothing of the records is there to show) until someone signs in, which opens
        it (on a worker: Argon2 takes a moment) and signs them in with the same PIN."""
        from ffmot.gui.signin import SignInDialog

        ctx.protected = True
        ctx.fail(_("The records are encrypted: sign in with your name and PIN to open them."))
        window.signed_in()  # the title says it is locked
        url, training = str(path), self.training
        who = ", ".join(v for v in (self.settings.practitioner, self.settings.station) if v)
        opened: list[_Opened] = []

        def unlock(name: str, pin: str, station: str) -> object:
            from ffmot.services.practitioners import sign_in
            from ffmot.services.practitioners import unlock as open_with

            open_with(path, name, pin, station)
            done = _open_database(url, training, who)
            try:
                actor = sign_in(done.db, name, pin, station)
            except BaseException:
                done.close()
                raise
            opened.append(done)
            return actor

        shown = getattr(window, "sign_in_dialog", None)
        if shown is not None and shown.isVisible():
            shown.done(0)  # asked before the database said it is locked
        dialog = SignInDialog(self.settings, window, ctx=ctx, unlock=unlock)

        def unlocked() -> None:
            if opened:
                self._opened(ctx, opened.pop())
            self._signed_in(window)

        dialog.accepted.connect(unlocked)
        window.sign_in_dialog = dialog  # type: ignore[attr-defined]
        dialog.open()

    def _signed_in(self, window: MainWindow) -> None:
        if self.session is not None and self.session.idle is not None:
            self.session.idle.resume()
        window.signed_in()
        if self.session is not None and self.session.window is window:
            self._remind_retention(self.session)
            self.lead_wanted = True
            self._offer_data_lead()

    def _offer_data_lead(self) -> None:
        """The first start of the day on an open database (no practitioners) asks for its data
        lead, once the database is open; "Not now" leaves it open, and the footer says so."""
        session = self.session
        if not self.lead_wanted or session is None or not session.ctx.is_ready:
            return
        self.lead_wanted = False
        if not session.ctx.protected and not session.ctx.training:
            self.practitioners()

    def _remind_retention(self, session: Session) -> None:
        """Whoever may apply the retention period (a data lead, or anyone on an open database)
        is told on signing in when people's records are past it; nobody else is."""
        ctx = session.ctx
        if not ctx.is_ready or ctx.training:
            return
        actor = ctx.actor

        def work() -> object:
            from ffmot.core.access import NotAllowed
            from ffmot.services import retention

            try:
                return retention.due(ctx.db, actor)
            except NotAllowed:
                return None

        def done(due: object) -> None:
            from ffmot.services.retention import Due

            if self.session is not session or not isinstance(due, Due) or not due.codes:
                return
            n = len(due.codes)
            # Short enough for a 1024x768 projector in large print: the status bar cuts.
            session.window.statusBar().showMessage(
                _(
                    "Retention: 1 person is past the {months}-month period. A data lead erases "
                    "them: ffmot retention --apply",
                    months=due.months,
                )
                if n == 1
                else _(
                    "Retention: {n} people are past the {months}-month period. A data lead "
                    "erases them: ffmot retention --apply",
                    n=n,
                    months=due.months,
                )
            )

        ctx.runner.run(work, done, lambda e: log.warning("retention reminder: %s", e))

    def _protect(self, session: Session) -> None:
        """A protected database: sign in with a PIN now, and lock when left untouched."""
        from ffmot.core.access import rules
        from ffmot.gui.idle import IdleLock

        minutes = rules().policy.idle_lock_minutes
        window, ctx = session.window, session.ctx

        def lock() -> None:
            if self.session is not session:
                return
            ctx.signed = None
            window.signed_in()  # the title says it is locked
            self.sign_in(window, locked_after=minutes)

        session.idle = IdleLock(minutes, lock)
        if ctx.signed is None:
            window.signed_in()  # locked until someone signs in: nothing shows behind it
            self.sign_in(window)

    def practise_signing_in(self) -> None:
        """Training only: the sandbox gets its practice team (names and PINs on the handout) and
        locks until one of them signs in, as a protected real database does."""
        session = self.session
        if session is None or not self.training or not session.ctx.is_ready:
            return
        ctx, window = session.ctx, session.window
        if ctx.protected:
            self.sign_in(window)
            return

        def work() -> object:
            from ffmot.services.demo_load import add_practice_team

            add_practice_team(ctx.db)
            return None

        def done(_none: object) -> None:
            if self.session is not session:
                return
            ctx.protected = True
            ctx.signed = None
            self._protect(session)

        ctx.runner.run(work, done, lambda e: show_error(window, e, N_("adding the practice team")))

    def practitioners(self) -> None:
        """File ▸ Practitioners: the data lead of an open database (and the recovery code of
        an encrypted one), or a data lead's list of who may sign in."""
        from ffmot.gui.practitioners import (
            FirstLeadDialog,
            PractitionersDialog,
            RecoveryCodeDialog,
        )

        session = self.session
        if session is None or not session.ctx.is_ready:
            return
        window, ctx = session.window, session.ctx
        if ctx.protected:
            PractitionersDialog(ctx, window).open()
            return

        def made(actor: Actor, code: str) -> None:
            if self.session is not session:
                return
            ctx.protected = True
            ctx.signed = actor
            self._protect(session)
            window.signed_in()
            if code:
                RecoveryCodeDialog(code, window).open()

        FirstLeadDialog(ctx, window, made).open()

    def edit_settings(self) -> None:
        from ffmot.gui.settings_dialog import SettingsDialog

        if self.session is None:
            return
        dialog = SettingsDialog(self.settings, self.session.ctx.runner, self.session.window)
        dialog.accepted.connect(lambda: self._rebuild() if dialog.needs_restart else None)
        dialog.open()


@dataclass
class _Opened:
    db: Database
    norms: NormSet
    events: list[EventInfo]
    lock: WindowLock | None
    protected: bool = False  # has named practitioners: sign in with a PIN

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.release()


def _open_database(url: str | None, training: bool, who: str = "") -> _Opened:
    """On a worker: the database layer, the norms and the MOT days, all loaded at once. A
    SQLite file is held for this window (ffmot/store/lock.py): a second window on it is
    refused, saying whose window has it."""
    from ffmot.core.norms import default_norm_set
    from ffmot.gui.lazy import warm_up
    from ffmot.services.records import list_events
    from ffmot.store.db import connect
    from ffmot.store.lock import hold

    warm_up()
    db = connect(url)
    lock = None
    try:
        if db.path is not None:
            lock = hold(db.path, who)
        if training and _is_empty(db):
            _fill_training(db)
        from ffmot.services.practitioners import is_protected

        return _Opened(db, default_norm_set(), list_events(db), lock, is_protected(db))
    except BaseException:
        db.close()
        if lock is not None:
            lock.release()
        raise


def _is_empty(db: Database) -> bool:
    from ffmot.services.records import list_events

    return not list_events(db)


TRAINING_SEED = 1  # the course handout names the training day's people: keep it fixed


def _fill_training(db: Database, participants: int = 60) -> None:
    """Earlier MOT days, and today's in full swing (ffmot.demo.training_day)."""
    from ffmot.demo import training_day
    from ffmot.services.demo_load import load_training_day
    from ffmot.services.types import Actor

    day = training_day(TRAINING_SEED, participants)
    load_training_day(db, Actor("training"), day, seed=TRAINING_SEED)


def _reopen_last_event(ctx: AppContext, events: list[EventInfo]) -> None:
    last = next((e for e in events if e.id == ctx.settings.last_event), None)
    if last is None and ctx.training and events:  # the latest day: today's, in full swing
        last = max(events, key=lambda e: (e.date, e.participants))
    if last is not None:
        ctx.set_event(last)


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    log.error("uncaught", exc_info=(kind, error, tb))
    if QApplication.instance() is not None:
        show_error(QApplication.activeWindow(), error, N_("working"))


def _setup_logging() -> None:
    """The window's records go to ffmot's log (ffmot/core/logs.py: rotated, owner-only, and
    scrubbed of personal data); the file is made now, so Help ▸ About names one that exists."""
    from ffmot import __version__
    from ffmot.core import logs

    if logs.setup("gui", eager=True) is not None:
        log.info("ffmot %s started", __version__)


def run(
    db_url: str | None,
    training: bool,
    settings_path: Path | None = None,
    config: str | None = None,
) -> int:
    if not has_display():
        raise FfmotError(
            _(
                "no screen to show the desktop app on (no DISPLAY): run it on the "
                "desktop, or use the commands in 'ffmot --help'"
            )
        )
    _setup_logging()
    sys.excepthook = _excepthook
    settings = Settings(settings_path)
    from ffmot.gui.binding import fault

    application(settings.large_print)
    why = fault()
    if why:
        log.error("refusing to start: %s", why)
        QMessageBox.critical(None, _("ffmot cannot start safely"), why[0].upper() + why[1:])
        raise FfmotError(why)
    controller = Controller(settings, db_url=db_url, training=training or None, config=config)
    session = controller.open()
    session.window.show()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    code = app.exec()
    _finish_work(controller)
    return code


def _speak(app: QApplication, code: str) -> None:
    """The screens in `code`: ffmot's words from its catalogue, Qt's own (its buttons' OK and
    Cancel) from Qt's translations where Qt has that language. A language no longer installed
    falls back to English; the pseudo-language (set in the settings file, never offered) is
    for checking the screens' layouts and words (tools/pseudo-window)."""
    from PySide6.QtCore import QLibraryInfo, QTranslator

    from ffmot.core import i18n

    if code not in i18n.available() and code != i18n.PSEUDO:
        code = i18n.ENGLISH
    i18n.use_default(code)
    old = getattr(app, "ffmot_qt_words", None)
    if old is not None:
        app.removeTranslator(old)
        app.ffmot_qt_words = None  # type: ignore[attr-defined]
    if code != i18n.ENGLISH:
        qt = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt.load(f"qtbase_{code}", folder):
            app.installTranslator(qt)
            app.ffmot_qt_words = qt  # type: ignore[attr-defined]


def _finish_work(controller: Controller) -> None:
    """After the window closes, let work still running finish (a save pressed just before
    quitting, the database still opening) before Python shuts down under it."""
    session = controller.session
    wait = getattr(session.ctx.runner, "wait", None) if session else None
    if callable(wait) and not wait(30_000):
        log.error("work was still running 30 s after the window closed")
    if session is not None:
        session.release()  # the window has gone: another may open this file now
