"""The main window: assembles the views, menus and shortcuts. Each view owns its own work."""

from __future__ import annotations

from collections.abc import Callable

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

from ffmot.gui.context import AppContext
from ffmot.gui.drafts import Drafts
from ffmot.gui.views.board import BoardView
from ffmot.gui.views.checkin import CheckInView
from ffmot.gui.views.events import EventsView
from ffmot.gui.views.overview import OverviewView
from ffmot.gui.views.station import StationView
from ffmot.gui.widgets import TrainingBanner
from ffmot.store.db import describe

VIEWS = ("events", "check-in", "station", "overview", "board")


class MainWindow(QMainWindow):
    def __init__(
        self, ctx: AppContext, drafts: Drafts, actions: dict[str, Callable[[], None]] | None = None
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("mainWindow")
        self.events = EventsView(ctx)
        self.checkin = CheckInView(ctx)
        self.station = StationView(ctx, drafts)
        self.overview = OverviewView(ctx)
        self.board = BoardView(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        for view, title in (
            (self.events, "&1 Events"),
            (self.checkin, "&2 Check-in"),
            (self.station, "&3 Station"),
            (self.overview, "&4 Results"),
            (self.board, "&5 Board"),
        ):
            self.tabs.addTab(view, title)
        self.tabs.currentChanged.connect(self._focus_view)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        if ctx.training:
            layout.addWidget(TrainingBanner())
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.where = QLabel()
        self.busy = QProgressBar()
        self.busy.setObjectName("busy")
        self.busy.setRange(0, 0)  # an indeterminate "working" bar while work runs
        self.busy.setMaximumWidth(160)
        self.busy.setAccessibleName("Working")
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(self.where)
        busy_changed = getattr(ctx.runner, "busy_changed", None)
        if busy_changed is not None:
            busy_changed.connect(lambda n: self.busy.setVisible(n > 0))
        self.events.opened.connect(lambda: self.show_view("check-in"))
        ctx.show_visit.connect(lambda _id: self.show_view("overview"))
        ctx.event_changed.connect(self._title)
        self._menus(actions or {})
        self._title()

    def _menus(self, extra: dict[str, Callable[[], None]]) -> None:
        file_menu = self.menuBar().addMenu("&File")
        view_menu = self.menuBar().addMenu("&View")
        for n, name in enumerate(VIEWS, start=1):
            a = QAction(f"Go to {name}", self)
            a.setShortcut(QKeySequence(f"Ctrl+{n}"))
            a.triggered.connect(lambda _c=False, v=name: self.show_view(v))
            view_menu.addAction(a)
            self.addAction(a)
        labels: dict[str, tuple[str, QKeySequence | QKeySequence.StandardKey | None]] = {
            "settings": ("&Settings…", QKeySequence.StandardKey.Preferences),
            "large_print": ("&Large print", QKeySequence("Ctrl+Shift+L")),
            "training": ("&Training mode", QKeySequence("Ctrl+Shift+T")),
            "reset_training": ("&Reset training data", None),
        }
        for key, (text, shortcut) in labels.items():
            if key not in extra:
                continue
            a = QAction(text, self)
            a.setObjectName(f"action_{key}")
            if shortcut is not None:
                a.setShortcut(shortcut)
            if key in ("large_print", "training"):
                a.setCheckable(True)
                a.setChecked(
                    self.ctx.settings.large_print if key == "large_print" else self.ctx.training
                )
            a.triggered.connect(extra[key])
            (
                view_menu if key in ("large_print", "training", "reset_training") else file_menu
            ).addAction(a)
        from ffmot.gui import data_actions as data

        for text, slot in (
            ("&Export results…", lambda: data.export(self.ctx, self, False)),
            ("Export &anonymised…", lambda: data.export(self.ctx, self, True)),
            ("&Import results…", lambda: data.import_(self.ctx, self)),
            ("&Merge another station's database…", lambda: data.merge(self.ctx, self)),
        ):
            a = QAction(text, self)
            a.triggered.connect(slot)
            file_menu.addAction(a)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    def _title(self) -> None:
        event = self.ctx.current_event
        parts = ["ffmot"]
        if event is not None:
            parts.append(event.name)
        parts.append(self.ctx.settings.station)
        if self.ctx.training:
            parts.append("TRAINING")
        self.setWindowTitle(" — ".join(parts))
        self.where.setText(f"Database: {describe(self.ctx.db.url)}")

    def show_view(self, name: str) -> None:
        self.tabs.setCurrentIndex(VIEWS.index(name))

    def _focus_view(self, index: int) -> None:
        view = self.tabs.widget(index)
        focus = getattr(view, "focus_first", None)
        if callable(focus):
            focus()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.station.has_unsaved():
            answer = QMessageBox.question(
                self,
                "ffmot",
                "A result at the station has not been saved yet. Close anyway? "
                "(It will be offered again when ffmot next starts.)",
                QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Close:
                event.ignore()
                return
        event.accept()
