"""MOT days: open a recent one, or set up a new one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ffmot.core.errors import FfmotError
from ffmot.core.i18n import N_, _
from ffmot.core.organisation import Organisation
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.models import RowsModel
from ffmot.gui.widgets import DateEdit, heading, sentence
from ffmot.services.types import EventInfo


class EventsView(QWidget):
    opened = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("eventsView")
        self.model: RowsModel[EventInfo] = RowsModel(
            [
                (_("Date"), lambda e: e.date.strftime("%a %d %b %Y")),
                (
                    _("MOT day"),
                    lambda e: _("{name} (training)", name=e.name) if e.training else e.name,
                ),
                (_("Venue"), lambda e: e.venue),
                (_("People"), lambda e: e.participants),
            ]
        )
        self.table = QTableView()
        self.table.setObjectName("eventsTable")
        self.table.setAccessibleName(_("MOT days"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for col in (0, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.activated.connect(lambda _i: self.open_selected())
        self.open_button = QPushButton(_("&Open this MOT day"))
        self.open_button.clicked.connect(self.open_selected)

        left = QVBoxLayout()
        left.addWidget(heading(_("MOT days")))
        left.addWidget(self.table, 1)
        left.addWidget(self.open_button)

        form_box = QGroupBox(_("Set up a new MOT day"))
        form = QFormLayout(form_box)
        self.name = QLineEdit()
        self.name.setObjectName("eventName")
        self.name.setPlaceholderText(_("e.g. Lowthwaite MOT day"))
        self.date = DateEdit(QDate.currentDate())
        self.date.setObjectName("eventDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd/MM/yyyy")
        self.venue = QLineEdit()
        self.venue.setObjectName("eventVenue")
        self.organisation = QLineEdit()
        self.directory = QLineEdit()
        self.directory.setObjectName("eventDirectory")
        self.directory.setPlaceholderText(_("activities directory CSV (optional)"))
        self.directory.setAccessibleName(_("Local activities directory, a CSV file (optional)"))
        browse = QPushButton(_("&Browse…"))
        browse.clicked.connect(self._browse)
        drow = QHBoxLayout()
        drow.addWidget(self.directory, 1)
        drow.addWidget(browse)
        theirs = _organisation()  # new MOT days start with the organisation's name and list
        self.organisation.setText(theirs.name)
        if theirs.activities is not None:
            self.directory.setText(str(theirs.activities))
        form.addRow(_("&Name"), self.name)
        form.addRow(_("&Date"), self.date)
        form.addRow(_("V&enue"), self.venue)
        form.addRow(_("Or&ganisation"), self.organisation)
        form.addRow(_("Activities"), drow)
        tests_box = QGroupBox(_("Tests offered"))
        grid = QGridLayout(tests_box)
        self.test_boxes: dict[str, QCheckBox] = {}
        for i, t in enumerate(ctx.battery.values()):
            cb = QCheckBox(_(t.short_name))
            cb.setChecked(t.offered)
            cb.setAccessibleName(_("Offer {test}", test=_(t.name)))
            self.test_boxes[t.id] = cb
            grid.addWidget(cb, i // 2, i % 2)
        form.addRow(tests_box)
        self.create_button = QPushButton(_("&Create and open"))
        self.create_button.setObjectName("createEvent")
        self.create_button.clicked.connect(self.create_event)
        for box in (self.name, self.venue, self.organisation, self.directory):
            box.returnPressed.connect(self.create_event)  # Enter submits the form
        self.date.submitted.connect(self.create_event)
        form.addRow(self.create_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        form.addRow(self.message)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addWidget(form_box, 2)
        ctx.ready.connect(self.refresh)
        if ctx.is_ready:
            self.refresh()

    def refresh(self) -> None:
        self.ctx.runner.run(
            self.ctx.desk.events,
            self._show,
            lambda e: show_error(self, e, N_("reading the MOT days")),
        )

    def _show(self, events: list[EventInfo]) -> None:
        self.model.set_rows(events)
        if events and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Activities directory"), "", "CSV (*.csv)"
        )
        if path:
            self.directory.setText(path)

    def open_selected(self) -> None:
        event = self.model.row_at(self.table.currentIndex())
        if event is not None:
            self.ctx.set_event(event)
            self.opened.emit()

    def create_event(self) -> None:
        if not self.create_button.isEnabled():
            return  # one is being set up: a second Enter must not make a second day
        tests = [tid for tid, cb in self.test_boxes.items() if cb.isChecked()]
        d = self.date.date()
        directory = self.directory.text().strip()
        if directory and not Path(directory).is_file():
            self.message.setText(
                _("Cannot find the activities directory {directory}.", directory=directory)
            )
            return

        # What was typed, read here on the screen's thread (never by the worker).
        name, venue, organisation = self.name.text(), self.venue.text(), self.organisation.text()

        def work() -> EventInfo:
            return self.ctx.desk.create_event(
                name=name,
                date=dt.date(d.year(), d.month(), d.day()),
                venue=venue,
                organisation=organisation,
                tests_offered=tests,
                activities_directory=directory,
                training=self.ctx.training,
            )

        def done(event: EventInfo) -> None:
            self.create_button.setEnabled(True)
            self.message.setText(_("{name} is set up.", name=event.name))
            self.name.clear()
            self.refresh()
            self.ctx.set_event(event)
            self.opened.emit()

        def failed(e: BaseException) -> None:
            from ffmot.core.errors import FfmotError

            self.create_button.setEnabled(True)
            if isinstance(e, FfmotError):
                self.message.setText(sentence(e))
            else:
                show_error(self, e, N_("setting up the MOT day"))

        self.create_button.setEnabled(False)
        self.ctx.runner.run(work, done, failed)

    def focus_first(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)


def _organisation() -> Organisation:
    """The organisation folder in use, or none if it cannot be read now (the window has said
    why when it opened)."""
    from ffmot.core import organisation

    try:
        return organisation.current()
    except FfmotError:
        return organisation.Organisation()
