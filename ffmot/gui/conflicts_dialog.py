"""Settling disagreements between station files, one at a time, by keyboard: 1 keeps the value
this computer has, 2 the station file's, Esc leaves it for later. Each choice is audited."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ffmot.core.i18n import N_, _
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.widgets import heading, notice, sentence
from ffmot.services.conflicts import ConflictInfo


class ConflictsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("conflictsDialog")
        self.setWindowTitle(_("Settle disagreements between stations"))
        self.conflicts: list[ConflictInfo] = []
        self.count = QLabel()
        self.count.setObjectName("conflictCount")
        self.who = heading("", 1.2)
        self.who.setWordWrap(True)
        self.what = QLabel()
        self.what.setWordWrap(True)
        grid = QGridLayout()
        self.here = QLabel()
        self.here.setObjectName("conflictHere")
        self.there = QLabel()
        self.there.setObjectName("conflictThere")
        self.here_from = QLabel()
        self.there_from = QLabel()
        for w in (self.here, self.there, self.here_from, self.there_from):
            w.setWordWrap(True)
        here_words, there_words = _("On this computer"), _("In the station's file")
        self.headings = (QLabel(f"<b>{here_words}</b>"), QLabel(f"<b>{there_words}</b>"))
        grid.addWidget(self.headings[0], 0, 0)
        grid.addWidget(self.headings[1], 0, 1)
        grid.addWidget(self.here, 1, 0)
        grid.addWidget(self.there, 1, 1)
        grid.addWidget(self.here_from, 2, 0)
        grid.addWidget(self.there_from, 2, 1)
        self.keep_here = QPushButton(_("&1 Keep this computer's"))
        self.keep_here.setObjectName("keepHere")
        self.keep_here.clicked.connect(lambda: self.settle("here"))
        self.keep_there = QPushButton(_("&2 Keep the station's"))
        self.keep_there.setObjectName("keepThere")
        self.keep_there.clicked.connect(lambda: self.settle("there"))
        later = QPushButton(_("Later (Esc)"))
        later.clicked.connect(self.reject)
        self.problem = notice("conflictProblem")
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_here)
        buttons.addWidget(self.keep_there)
        buttons.addStretch(1)
        buttons.addWidget(later)
        layout = QVBoxLayout(self)
        layout.addWidget(self.count)
        layout.addWidget(self.who)
        layout.addWidget(self.what)
        layout.addLayout(grid)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        QShortcut(QKeySequence(Qt.Key.Key_1), self, lambda: self.settle("here"))
        QShortcut(QKeySequence(Qt.Key.Key_2), self, lambda: self.settle("there"))
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        self.finished.connect(self.deleteLater)

    def load(self) -> None:
        from ffmot.services.conflicts import open_conflicts

        event = self.ctx.current_event
        self.ctx.runner.run(
            lambda: open_conflicts(self.ctx.db, event.id if event else None),
            self._show,
            lambda e: show_error(self, e, N_("reading the disagreements")),
        )

    def _show(self, conflicts: list[ConflictInfo]) -> None:
        self.conflicts = conflicts
        if not conflicts:
            self.count.setText(_("Nothing to settle: the stations agree."))
            for w in (self.who, self.what, self.here, self.there, self.here_from, self.there_from):
                w.setText("")
            self.keep_here.setEnabled(False)
            self.keep_there.setEnabled(False)
            for part in (*self.headings, self.keep_here, self.keep_there):
                part.hide()
            return
        for part in (*self.headings, self.keep_here, self.keep_there):
            part.show()
        c = conflicts[0]
        n = len(conflicts)
        self.count.setText(
            _("1 disagreement to settle. This one:")
            if n == 1
            else _("{n} disagreements to settle. This one:", n=n)
        )
        self.who.setText(c.who)
        self.what.setText(c.what)
        self.here.setText(c.here)
        self.there.setText(c.there)
        self.here_from.setText(_("Saved by {who}", who=c.here_from))
        self.there_from.setText(_("Saved by {who}", who=c.there_from))
        self.keep_here.setEnabled(True)
        self.keep_there.setEnabled(True)
        self.keep_here.setFocus()

    def settle(self, keep: str) -> None:
        if not self.conflicts or not self.keep_here.isEnabled():
            return
        from ffmot.core.errors import FfmotError
        from ffmot.services.conflicts import settle

        c = self.conflicts[0]
        self.keep_here.setEnabled(False)
        self.keep_there.setEnabled(False)

        def failed(e: BaseException) -> None:
            if isinstance(e, FfmotError):
                self.problem.setText(sentence(e))
                self.load()
            else:
                show_error(self, e, N_("settling the disagreement"))

        def done(_r: object) -> None:
            self.problem.setText("")
            self.ctx.records_changed.emit(c.visit_id or "")
            self.load()

        self.ctx.runner.run(lambda: settle(self.ctx.db, self.ctx.actor, c.id, keep), done, failed)


def open_dialog(ctx: AppContext, parent: QWidget) -> ConflictsDialog:
    dialog = ConflictsDialog(ctx, parent)
    parent.conflicts_dialog = dialog  # type: ignore[attr-defined]  # alive while it is open
    dialog.load()
    dialog.open()
    return dialog
