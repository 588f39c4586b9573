"""Settings: the database (local file or shared PostgreSQL, with a connection test), the
station, the printer, large print and the organisation's own folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ffmot.core.i18n import _
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import Runner
from ffmot.gui.widgets import language_box


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(_("ffmot settings"))
        self.settings = settings
        self.runner = runner
        self.needs_restart = False
        form = QFormLayout(self)
        self.url = QLineEdit(settings.database_url)
        self.url.setObjectName("databaseUrl")
        self.url.setPlaceholderText(
            _("empty: this computer's own file; or a shared postgresql+psycopg://user@host/ffmot")
        )
        self.test_button = QPushButton(_("&Test connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setObjectName("connectionResult")
        self.test_result.setWordWrap(True)
        self.station = QLineEdit(settings.station)
        self.station.setObjectName("stationName")
        self.practitioner = QLineEdit(settings.practitioner)
        self.printer = QComboBox()
        self.printer.addItem(_("System default"), "")
        for name in QPrinterInfo.availablePrinterNames():
            self.printer.addItem(name, name)
        self.printer.setCurrentIndex(max(self.printer.findData(settings.printer), 0))
        self.large = QCheckBox(_("&Large print on screen"))
        self.large.setChecked(settings.large_print)
        self.language = language_box(settings.screen_language)
        self.language.setObjectName("screenLanguage")
        self.organisation = QLineEdit(settings.organisation_folder)
        self.organisation.setObjectName("organisationFolder")
        self.organisation.setPlaceholderText(_("empty: ffmot's own wording, norms and activities"))
        self.organisation.setAccessibleName(
            _(
                "Your organisation's folder: its name and logo, advice wording, local "
                "activities and norms"
            )
        )
        browse = QPushButton(_("&Browse…"))
        browse.clicked.connect(self._browse)
        org_row = QHBoxLayout()
        org_row.addWidget(self.organisation, 1)
        org_row.addWidget(browse)
        form.addRow(_("&Database"), self.url)
        form.addRow("", self.test_button)
        form.addRow("", self.test_result)
        form.addRow(_("&Station name"), self.station)
        form.addRow(_("&Practitioner"), self.practitioner)
        form.addRow(_("P&rinter"), self.printer)
        form.addRow("", self.large)
        if self.language.count() > 1:  # only English: nothing to choose
            form.addRow(_("Screen lan&guage"), self.language)
        org_label = QLabel(_("&Organisation folder"))
        org_label.setBuddy(self.organisation)  # a row of a box and a button: Alt+O reaches the box
        form.addRow(org_label, org_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        # Wide enough for a PostgreSQL address and a sentence about it, at any print size.
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)

    def test_connection(self) -> None:
        url = self.url.text().strip() or None
        self.test_result.setText(_("Connecting…"))

        def work() -> str:
            from ffmot.store.db import connect, describe

            db = connect(url)
            try:
                return _("Connected to {where}.", where=describe(db.url))
            finally:
                db.close()

        def failed(e: BaseException) -> None:
            from ffmot.core.errors import FfmotError, sentence

            why = sentence(e) if isinstance(e, FfmotError) else _("it did not answer.")
            self._said(_("Cannot connect: {why}", why=f"{why[0].lower()}{why[1:]}"))

        self.runner.run(work, self._said, failed)

    def _said(self, text: str) -> None:
        """The result of the test, in full: the dialog grows to hold it, never cuts it off."""
        self.test_result.setText(text)
        self.test_result.setAccessibleName(text)
        self.adjustSize()

    def _browse(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        chosen = QFileDialog.getExistingDirectory(
            self, _("Your organisation's folder"), self.organisation.text()
        )
        if chosen:
            self.organisation.setText(chosen)

    def save(self) -> None:
        from ffmot.core import organisation
        from ffmot.core.errors import FfmotError, sentence

        s = self.settings
        folder = self.organisation.text().strip()
        if folder != s.organisation_folder and folder:
            try:
                organisation.read(Path(folder))  # checked whole before it is kept
            except FfmotError as e:
                self._said(_("Not saved: {why}", why=sentence(e)))
                return
        before = s.database_url
        try:
            s.database_url = self.url.text()  # its password, if any, goes to PostgreSQL's file
        except (FfmotError, OSError) as e:
            self._said(_("Not saved: {why}", why=sentence(e) if isinstance(e, FfmotError) else e))
            return
        self.url.setText(s.database_url)
        self.needs_restart = (
            s.database_url != before
            or self.large.isChecked() != s.large_print
            or self.station.text().strip() != s.station
            or folder != s.organisation_folder
            or self.language.currentData() != s.screen_language
        )
        s.screen_language = self.language.currentData() or "en"
        s.organisation_folder = folder
        s.station = self.station.text()
        s.practitioner = self.practitioner.text()
        s.printer = self.printer.currentData() or ""
        s.large_print = self.large.isChecked()
        self.accept()
