"""The main window: assembles the views, menus and shortcuts. Each view owns its own work.

A view is built the first time it is shown (or asked for), so the window opens with only the
first one built: the others cost their imports and widgets when someone goes to them.

Why one room: the menus and shortcuts are one table, and the keyboard help reads it (gui/help.py).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ffmot.core.i18n import N_, _
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.drafts import Drafts
from ffmot.gui.geometry import remember

if TYPE_CHECKING:
    from ffmot.gui.views.board import BoardView
    from ffmot.gui.views.checkin import CheckInView
    from ffmot.gui.views.events import EventsView
    from ffmot.gui.views.overview import OverviewView
    from ffmot.gui.views.station import StationView

VIEWS = ("events", "check-in", "station", "overview", "board", "scorecard")
# In training mode, the application's display name: Qt adds it to the title of every window and
# dialog on X11 and Windows ("About ffmot — TRAINING"). The main window's title ends with it, so
# it is not said twice there.
TRAINING_TITLE = N_("TRAINING")
TRAINING_WORDS = N_("TRAINING — practice data only: nothing here is real")
BANNER_SCALE = 1.4  # the banner's first line, against the window's text
LEAVE_TRAINING = N_(
    "To leave: View ▸ Training mode (Ctrl+Shift+T). "
    "To start the practice day again: View ▸ Reset training data."
)
_TABS = {  # view: (tab title, module, class)
    "events": (N_("&1 Events"), "ffmot.gui.views.events", "EventsView"),
    "check-in": (N_("&2 Check-in"), "ffmot.gui.views.checkin", "CheckInView"),
    "station": (N_("&3 Station"), "ffmot.gui.views.station", "StationView"),
    "overview": (N_("&4 Results"), "ffmot.gui.views.overview", "OverviewView"),
    "board": (N_("&5 Board"), "ffmot.gui.views.board", "BoardView"),
    "scorecard": (N_("&6 Score cards"), "ffmot.gui.views.scorecard", "ScoreCardView"),
}


class MainWindow(QMainWindow):
    def __init__(
        self, ctx: AppContext, drafts: Drafts, actions: dict[str, Callable[[], None]] | None = None
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.drafts = drafts
        self.setObjectName("mainWindow")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        # Ctrl+1 … Ctrl+6 choose a screen; the tab bar itself never takes the focus, so a key
        # typed next always lands in the screen's own first box, not on a tab.
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._views: dict[str, QWidget] = {}
        self._pages: dict[str, QWidget] = {}
        for name, (title, _module, _cls) in _TABS.items():
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(0, 0, 0, 0)
            self._pages[name] = page
            self.tabs.addTab(page, _(title))
        self.view(VIEWS[0])
        restored = drafts.exists(drafts.station_key(ctx.settings.station))
        if restored:
            self.view("station")  # it offers the entry left unsaved when ffmot last closed
        self.tabs.currentChanged.connect(self._focus_view)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        if ctx.training:
            layout.addWidget(self._training_banner())
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.where = QLabel()
        self.busy = QProgressBar()
        self.busy.setObjectName("busy")
        self.busy.setRange(0, 0)  # an indeterminate "working" bar while work runs
        self.busy.setMaximumWidth(160)
        self.busy.setAccessibleName(_("Working"))
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(self.where)
        ctx.runner.busy_changed.connect(self._busy)
        ctx.runner.unhandled.connect(self._unhandled)  # work no one waited for, said plainly
        ctx.show_visit.connect(self._show_visit)
        ctx.event_changed.connect(self._title)
        ctx.ready.connect(self._title)
        ctx.failed.connect(lambda _why: self._title())
        self._menus(actions or {})
        self._title()
        if restored:  # said where the practitioner is looking; the entry waits at the station
            self.statusBar().showMessage(
                _(
                    "An entry typed at the station was not saved when ffmot closed: it is kept. "
                    "Press Ctrl+3 to check it and save it."
                )
            )

    def _busy(self, jobs: int) -> None:
        self.busy.setVisible(jobs > 0)

    def _unhandled(self, error: BaseException) -> None:
        show_error(self, error, N_("working"))

    def _menus(self, extra: dict[str, Callable[[], None]]) -> None:
        file_menu = self.menuBar().addMenu(_("&File"))
        view_menu = self.menuBar().addMenu(_("&View"))
        for n, name in enumerate(VIEWS, start=1):
            # "Go to &1 Events": Alt+V, 1
            a = QAction(_("Go to {tab}", tab=_(_TABS[name][0])), self)
            a.setShortcut(QKeySequence(f"Ctrl+{n}"))
            a.triggered.connect(lambda _c=False, v=name: self.show_view(v))
            view_menu.addAction(a)
            self.addAction(a)
        labels: dict[str, tuple[str, QKeySequence | QKeySequence.StandardKey | None]] = {
            "settings": (_("&Settings…"), QKeySequence.StandardKey.Preferences),
            "large_print": (_("&Large print"), QKeySequence("Ctrl+Shift+L")),
            "training": (_("&Training mode"), QKeySequence("Ctrl+Shift+T")),
            "reset_training": (_("&Reset training data"), None),
            "sign_in": (_("Sign in as s&omeone else…"), None),
            "practitioners": (_("&Practitioners…"), None),
            "practise_sign_in": (_("Practise &signing in (training)"), None),
        }
        for key, (text, shortcut) in labels.items():
            if key not in extra:
                continue
            a = QAction(text, self)
            a.setObjectName(f"action_{key}")
            if shortcut is not None:
                keys = (
                    QKeySequence.keyBindings(shortcut)
                    if isinstance(shortcut, QKeySequence.StandardKey)
                    else [shortcut]
                )
                if key == "settings" and QKeySequence("Ctrl+,") not in keys:
                    keys.append(QKeySequence("Ctrl+,"))  # Linux has no standard Preferences key
                a.setShortcuts(keys)
            if key in ("large_print", "training"):
                a.setCheckable(True)
                a.setChecked(
                    self.ctx.settings.large_print if key == "large_print" else self.ctx.training
                )
            a.triggered.connect(extra[key])
            (
                view_menu
                if key in ("large_print", "training", "reset_training", "practise_sign_in")
                else file_menu
            ).addAction(a)
        from ffmot.gui import data_actions as data

        for text, slot in (
            (_("&Export results…"), lambda: data.export(self.ctx, self, False)),
            (_("Export &anonymised…"), lambda: data.export(self.ctx, self, True)),
            (_("&Import results…"), lambda: data.import_(self.ctx, self)),
            (_("Save this station's &work…"), lambda: data.save_work(self.ctx, self)),
            (_("&Bring in station work…"), lambda: data.merge(self.ctx, self)),
            (_("Bring in a s&hared database's work…"), lambda: data.merge_shared(self.ctx, self)),
            (_("Settle &disagreements…"), self.settle_disagreements),
        ):
            a = QAction(text, self)
            a.triggered.connect(slot)
            file_menu.addAction(a)
        self._help_menu()
        file_menu.addSeparator()
        quit_action = QAction(_("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    def _help_menu(self) -> None:
        """Help: the guide (F1), the keys (Ctrl+/ or Shift+F1), diagnostics to copy, About."""
        help_menu = self.menuBar().addMenu(_("&Help"))
        items: list[tuple[str, str, list[QKeySequence], Callable[[], None]]] = [
            (
                "guide",
                _("Practitioner's &guide"),
                QKeySequence.keyBindings(QKeySequence.StandardKey.HelpContents)
                or [QKeySequence("F1")],
                self.show_guide,
            ),
            (
                "shortcuts",
                _("&Keyboard shortcuts"),
                [QKeySequence("Ctrl+/"), QKeySequence("Shift+F1")],
                self.show_shortcuts,
            ),
            ("diagnostics", _("Copy &diagnostics"), [], self.copy_diagnostics),
            ("about", _("&About ffmot"), [], self.show_about),
        ]
        if importlib.util.find_spec("ffmot.gui.diagnostics") is None:  # not in this build
            items = [i for i in items if i[0] != "diagnostics"]
        for key, text, keys, slot in items:
            a = QAction(text, self)
            a.setObjectName(f"action_{key}")
            a.setShortcuts(keys)
            a.triggered.connect(slot)
            help_menu.addAction(a)
            if keys:
                self.addAction(a)  # the keys work whatever has the focus

    def _title(self) -> None:
        event = self.ctx.current_event
        parts = ["ffmot"]
        if event is not None:
            parts.append(event.name)
        parts.append(self.ctx.settings.station)
        if self.ctx.protected:
            signed = self.ctx.signed
            parts.append(signed.name if signed is not None else _("LOCKED: sign in to carry on"))
        elif self.ctx.settings.signed_in_today:
            parts.append(self.ctx.settings.practitioner)
        if self.ctx.training:
            parts.append(_(TRAINING_TITLE))
        # The norms are read with the database: a set that is not byte for byte the published
        # one says so in the title and in a line of the status bar that stays, on every screen.
        norms = self.ctx.norms if self.ctx.is_ready else None
        if norms is not None and not norms.verified:
            parts.append(_("LOCAL, UNVERIFIED NORM SET"))
        self.setWindowTitle(" — ".join(parts))
        shown = getattr(self, "norms_status", None)
        if norms is not None and not norms.verified and shown is None:
            shown = self.norms_status = QLabel()
            shown.setObjectName("normsStatus")
            shown.setStyleSheet("font-weight: bold")
            self.statusBar().insertPermanentWidget(0, shown)
        if shown is not None:
            shown.setText(norms.label if norms is not None and not norms.verified else "")
            shown.setAccessibleName(shown.text())
            shown.setVisible(bool(shown.text()))
        if self.ctx.is_ready:
            desk = self.ctx.desk
            where, warning = desk.where(), desk.warning()
            if warning:  # a cloud-sync folder: said where it is always seen
                said = _(
                    "WARNING: the database is in a cloud-sync folder and saves can be lost: "
                    "move it out (hover for why). Database: {where}",
                    where=where,
                )
                self.where.setToolTip(warning)
            elif desk.plain_file():  # made before encryption at rest
                said = _(
                    "NOT ENCRYPTED: anyone with this file can read it. A data lead can encrypt it "
                    "('ffmot db encrypt'). Database: {where}",
                    where=where,
                )
            elif not self.ctx.protected and not self.ctx.training:
                said = _(
                    "NO DATA LEAD: anyone here sees everything (File ▸ Practitioners). "
                    "Database: {where}",
                    where=where,
                )
            else:
                said = _("Database: {where}", where=where)
            self.where.setText(said)
        else:
            self.where.setText(self.ctx.not_ready_words)

    def say_organisation_problem(self, text: str) -> None:
        """A line in the status bar that stays while the organisation folder cannot be used."""
        if not text:
            return
        label = QLabel(text)
        label.setObjectName("organisationProblem")
        label.setWordWrap(True)
        label.setStyleSheet("font-weight: bold")
        label.setAccessibleName(text)
        self.statusBar().addWidget(label, 1)

    def _training_banner(self) -> QLabel:
        """Across the top in training mode: in large words and a dashed frame, not colour
        alone, with how to leave."""
        from html import escape

        from PySide6.QtCore import Qt

        from ffmot.gui.widgets import TrainingBanner

        banner = TrainingBanner()
        size = banner.font().pointSizeF() or 10.0
        banner.setTextFormat(Qt.TextFormat.RichText)
        banner.setText(
            f'<span style="font-size:{size * BANNER_SCALE:.1f}pt; font-weight:bold">'
            f"{escape(_(TRAINING_WORDS))}</span><br>"
            f'<span style="font-weight:normal">{escape(_(LEAVE_TRAINING))}</span>'
        )
        banner.setWordWrap(True)
        banner.setAccessibleDescription(f"{_(TRAINING_WORDS)}. {_(LEAVE_TRAINING)}")
        return banner

    def show_guide(self) -> None:
        """F1: the practitioner's guide that ships with ffmot, searchable, beside the work (it
        does not block the window). Pressed again, the open guide comes to the front."""
        from ffmot.gui.help import GuideDialog

        dialog = getattr(self, "guide_dialog", None)
        if dialog is None or not dialog.isVisible():
            dialog = self.guide_dialog = GuideDialog(self)  # alive as long as it is open
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        dialog.find_box.setFocus()

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts: every key, read from the window and its screens."""
        from ffmot.gui.help import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)  # alive as long as it is open
        self.shortcuts_dialog.open()

    def copy_diagnostics(self) -> None:
        """Help > Copy diagnostics: what a helper needs to know, to the clipboard (no one's
        personal data); ffmot.gui.diagnostics says what goes in."""
        importlib.import_module("ffmot.gui.diagnostics").copy_diagnostics(self)

    def about_text(self) -> str:
        from ffmot import __version__
        from ffmot.core.logs import log_file
        from ffmot.gui.help import database_words

        where = database_words(self.ctx)
        norms = self.ctx.norms.which if self.ctx.is_ready else ""
        return "\n".join(
            (
                f"ffmot {__version__}",
                _("Norm set: {norms}", norms=norms or _("not loaded yet")),
                _("Database: {where}", where=where),
                _("Log: {path}", path=log_file()),
                _(
                    "Signed in: {name} at {station}",
                    name=self.ctx.actor.name,
                    station=self.ctx.settings.station,
                ),
            )
        )

    def settle_disagreements(self) -> None:
        """File > Settle disagreements: the station files' differing values, one at a time."""
        from ffmot.gui.conflicts_dialog import open_dialog

        open_dialog(self.ctx, self)

    def show_about(self) -> None:
        """Help > About: version, norm set, database, log, and the libraries' licences."""
        from ffmot.gui.help import AboutDialog

        self.about_dialog = AboutDialog(self, self.about_text())  # alive as long as it is open
        self.about_dialog.open()

    def signed_in(self) -> None:
        """After signing in (or locking): the name in the title, the focus back to the work.
        While a protected database's window is locked nothing of the records shows behind
        the sign-in: the views are hidden (not closed: what was typed is kept)."""
        self._title()
        central = self.centralWidget()
        locked = self.ctx.protected and self.ctx.signed is None
        if central is not None:
            central.setVisible(not locked)
        if not locked:
            self._focus_view(self.tabs.currentIndex())

    def view(self, name: str) -> Any:
        """The view, built now if it has not been yet."""
        view = self._views.get(name)
        if view is None:
            _title, module, cls = _TABS[name]
            factory = getattr(importlib.import_module(module), cls)
            view = factory(self.ctx, self.drafts) if name == "station" else factory(self.ctx)
            self._views[name] = view
            layout = self._pages[name].layout()
            assert layout is not None
            layout.addWidget(view)
            if name == "events":
                view.opened.connect(lambda: self.show_view("check-in"))
        return view

    @property
    def events(self) -> EventsView:
        return self.view("events")  # type: ignore[no-any-return]

    @property
    def checkin(self) -> CheckInView:
        return self.view("check-in")  # type: ignore[no-any-return]

    @property
    def station(self) -> StationView:
        return self.view("station")  # type: ignore[no-any-return]

    @property
    def overview(self) -> OverviewView:
        return self.view("overview")  # type: ignore[no-any-return]

    @property
    def board(self) -> BoardView:
        return self.view("board")  # type: ignore[no-any-return]

    def current_view(self) -> Any:
        return self.view(VIEWS[self.tabs.currentIndex()])

    def show_view(self, name: str) -> None:
        self.view(name)
        self.tabs.setCurrentIndex(VIEWS.index(name))

    def _show_visit(self, assessment_id: str) -> None:
        built = "overview" in self._views
        self.show_view("overview")
        if not built:  # it was made just now, after this signal reached the views
            self.overview.show_visit(assessment_id)

    def _focus_view(self, index: int) -> None:
        view = self.view(VIEWS[index])
        focus = getattr(view, "focus_first", None)
        if callable(focus):
            focus()

    def closeEvent(self, event: QCloseEvent) -> None:
        if "station" in self._views and self.station.has_unsaved():
            answer = QMessageBox.question(
                self,
                "ffmot",
                _(
                    "A result at the station has not been saved yet. Close anyway? "
                    "(It will be offered again when ffmot next starts.)"
                ),
                QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Close:
                event.ignore()
                return
        remember(self, self.ctx.settings)
        event.accept()
