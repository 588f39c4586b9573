"""File ▸ Practitioners: making the data lead of an open database, and the recovery code.

An open database (no named practitioners) is protected here by making its first data lead,
who signs in at once. On an encrypted file that also moves its key from this computer account
to the data lead's PIN (ffmot/store/keys.py), and the recovery code is shown once, in large
print, with what losing it means; the dialog closes only when the person says they have written
it down. On a protected database a data lead sees who may sign in and can add practitioners
or give someone a new PIN; the command line does the rest ('ffmot practitioners').
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from ffmot.core.i18n import N_, _

if TYPE_CHECKING:
    from ffmot.gui.context import AppContext
    from ffmot.services.types import Actor

RECOVERY_WORDS = N_(
    "The records are encrypted, and now open only with a practitioner's PIN. This is the "
    "recovery code. Write it down now and keep it locked away, apart from this computer. If "
    "every data lead forgets their PIN, or the file ending '.keys' beside the database is "
    "lost, this code is the only way to open the records: without it nobody, not even "
    "ffmot's makers, can get them back."
)


def _hold_words(label: QLabel, width: int) -> None:
    """A wrapped label at least this wide and as tall as its words need at that width: a
    layout does not ask a label how tall it must be at the width it is given, and the window
    manager on a projector gave the recovery warning too little height (the words were cut)."""
    label.setMinimumWidth(width)
    label.setMinimumHeight(label.heightForWidth(width))


def _pin_field(name: str, accessible: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)  # translated by the caller
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class _Form(QDialog):
    """A name (or not), a PIN typed twice, a message line, OK and Cancel; the work runs on a
    worker and the dialog says what went wrong, in words, without closing."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, title: str, intro: str) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.form = QFormLayout(self)
        self.form.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # words never cut
        words = QLabel(intro)
        words.setWordWrap(True)
        self.words = words
        self.form.addRow(words)
        _hold_words(words, self.fontMetrics().averageCharWidth() * 58)
        self.name = QLineEdit()
        self.name.setObjectName("leadName")
        self.name.setAccessibleName(_("Name"))
        self.pin = _pin_field("newPin", _("New PIN or password"))
        self.again = _pin_field("newPinAgain", _("The same PIN again"))
        self.said = QLabel("")
        self.said.setObjectName("practitionerMessage")
        self.said.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)

    def finish_layout(self) -> None:
        self.form.addRow(_("&PIN or password"), self.pin)
        self.form.addRow(_("The same PIN &again"), self.again)
        self.form.addRow(self.said)
        self.form.addRow(self.buttons)

    def say(self, text: str) -> None:
        self.said.setText(text)
        self.said.setAccessibleName(text)
        self.adjustSize()

    def run(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        if self.pin.text() != self.again.text():
            self.say(_("The two PINs are not the same: type them again."))
            self.pin.clear()
            self.again.clear()
            self.pin.setFocus()
            return
        self.buttons.setEnabled(False)
        self.say(_("Saving…"))

        def failed(e: BaseException) -> None:
            from ffmot.core.errors import FfmotError, sentence

            self.buttons.setEnabled(True)
            self.say(sentence(e) if isinstance(e, FfmotError) else _("That could not be saved."))

        def finished(result: object) -> None:
            self.buttons.setEnabled(True)
            done(result)

        self.ctx.runner.run(work, finished, failed)


class FirstLeadDialog(_Form):
    """Protects an open database: its data lead, signed in at once."""

    def __init__(
        self, ctx: AppContext, parent: QWidget | None, on_done: Callable[[Actor, str], None]
    ) -> None:
        super().__init__(
            ctx,
            parent,
            _("Protect this database: its data lead"),
            _(
                "Anyone who can start ffmot can see and change everything in this database until "
                "it has a data lead. The data lead signs in with their own name and PIN, adds "
                "the other practitioners, and is the only one who can give out records or erase "
                "them."
            ),
        )
        self.setObjectName("firstLeadDialog")
        self.on_done = on_done
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("&Not now"))
        self.name.setText(ctx.settings.practitioner)
        self.form.addRow(_("Data lead's &name"), self.name)
        self.finish_layout()

    def accept(self) -> None:
        ctx, name, pin = self.ctx, self.name.text().strip(), self.pin.text()
        station = ctx.settings.station

        def work() -> object:
            from ffmot.services import practitioners as P

            P.first_data_lead(ctx.db, name, pin)
            return P.sign_in(ctx.db, name, pin, station), P.recovery_code(ctx.db)

        def done(result: object) -> None:
            from ffmot.services.types import Actor

            assert isinstance(result, tuple)
            actor, code = result
            assert isinstance(actor, Actor)
            super(FirstLeadDialog, self).accept()
            self.on_done(actor, str(code))

        self.run(work, done)


class RecoveryCodeDialog(QDialog):
    """The recovery code, shown once, large; closed only once it is written down."""

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryCodeDialog")
        self.setWindowTitle(_("Write down the recovery code"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(self)
        # Never smaller than its words need at its width: a wrapped label's height depends on
        # the width, which a plain layout does not ask about, and the warning was cut off.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        words = QLabel(_(RECOVERY_WORDS))
        words.setObjectName("recoveryWords")
        words.setWordWrap(True)
        self.words = words
        layout.addWidget(words)
        self.code = QLabel("\n".join(code[i : i + 24] for i in range(0, len(code), 25)))
        self.code.setObjectName("recoveryCode")
        self.code.setAccessibleName(_("Recovery code {code}", code=" ".join(code.split("-"))))
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(16.0, self.font().pointSizeF() * 1.6))
        font.setBold(True)
        self.code.setFont(font)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.code)
        self.written = QCheckBox(
            _("I have &written it down, and will keep it apart from this computer")
        )
        self.written.setObjectName("writtenDown")
        layout.addWidget(self.written)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setEnabled(False)
        self.written.toggled.connect(self.close_button.setEnabled)
        _hold_words(words, self.fontMetrics().averageCharWidth() * 58)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)

    def reject(self) -> None:
        """Esc does nothing until the box is ticked: the code is never shown again."""
        if self.written.isChecked():
            super().reject()


class PractitionersDialog(_Form):
    """A data lead's list of who may sign in, adding one, and giving someone a new PIN."""

    def __init__(self, ctx: AppContext, parent: QWidget | None) -> None:
        super().__init__(
            ctx,
            parent,
            _("Practitioners"),
            _(
                "Who may sign in to this database. Add a practitioner, or give someone who "
                "forgot theirs a new PIN: type their name (as listed, for a new PIN), choose the "
                "role, and type the PIN twice. Only a data lead can do this."
            ),
        )
        self.setObjectName("practitionersDialog")
        self.listing = QListWidget()
        self.listing.setObjectName("practitionerList")
        self.listing.setAccessibleName(_("Practitioners"))
        self.listing.currentTextChanged.connect(
            lambda text: self.name.setText(text.split("  (")[0])
        )
        self.form.addRow(self.listing)
        self.form.addRow(_("&Name"), self.name)
        self.role = QComboBox()
        self.role.setObjectName("role")
        from ffmot.core.access import rules

        for key, label in rules().labels.items():
            self.role.addItem(_(label), key)
        self.what = QComboBox()
        self.what.setObjectName("practitionerAction")
        self.what.addItem(_("Add a new practitioner"), "add")
        self.what.addItem(_("Give a new PIN"), "pin")
        self.form.addRow(_("&Do"), self.what)
        self.form.addRow(_("&Role (new practitioner)"), self.role)
        self.finish_layout()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("&Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("&Close"))
        self.refresh()

    def refresh(self) -> None:
        ctx, actor = self.ctx, self.ctx.actor

        def work() -> object:
            from ffmot.services import practitioners as P

            P.check(ctx.db, actor, "manage_practitioners")
            return P.list_practitioners(ctx.db)

        def done(found: object) -> None:
            from ffmot.core.access import rules

            labels = rules().labels
            self.listing.clear()
            for p in found:  # type: ignore[attr-defined]
                role = _(labels[p.role]) if p.role in labels else p.role
                self.listing.addItem(
                    f"{p.name}  ({role})"
                    if p.active
                    else f"{p.name}  ({_('{role}, disabled', role=role)})"
                )

        def failed(e: BaseException) -> None:
            from ffmot.core.errors import FfmotError, sentence

            self.say(sentence(e) if isinstance(e, FfmotError) else _("The list could not be read."))
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

        ctx.runner.run(work, done, failed)

    def accept(self) -> None:
        ctx, actor = self.ctx, self.ctx.actor
        name, pin = self.name.text().strip(), self.pin.text()
        what, role = self.what.currentData(), self.role.currentData()

        def work() -> object:
            from ffmot.services import practitioners as P

            if what == "add":
                P.add_practitioner(ctx.db, actor, name, role, pin)
                return _("{name} can now sign in.", name=name)
            P.change_secret(ctx.db, actor, name, pin)
            return _("{name} has a new PIN.", name=name)

        def done(said: object) -> None:
            self.pin.clear()
            self.again.clear()
            self.say(str(said))
            self.refresh()

        self.run(work, done)
