"""Check-in: find or register the person, record consent and screening, print their card.

Why one room: one screen with four panes (search, person, screening, registration) around one
chosen person. A split waiting: the registration form, with its duplicate warning and retry, could
be its own widget.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ffmot.core import codes, screening
from ffmot.core.ages import age_or_zero, typed_date
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.i18n import N_, _
from ffmot.core.vocabulary import PURPOSE_WORDS, sex_words
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.models import RowsModel
from ffmot.gui.widgets import heading, language_box, sentence
from ffmot.services.desk import UnreachableError
from ffmot.services.types import AssessmentInfo, ParticipantInfo, ParticipantRow, ScreeningInfo

if TYPE_CHECKING:
    from ffmot.services.people import MergePlan, VisitSummary

OUTCOME_MARK = {"incomplete": "… ", "clear": "✔ ", "care": "⚠ ", "do_not_test": "✖ "}
SEX_CHOICES = (
    ("", N_("Choose…")),
    ("female", N_("Female")),
    ("male", N_("Male")),
    ("not_stated", N_("Prefers not to say")),
)


def parse_dob(text: str) -> dt.date:
    t = text.strip()
    found = typed_date(t)
    if found is not None:
        return found
    raise InputError(
        _("'{text}' is not a date of birth: type it as dd/mm/yyyy, e.g. 14/03/1950", text=t)
    )


def _intro(keep: ParticipantInfo) -> str:
    """What merging does, said of the record kept."""
    return _(
        "Keep {name} ({code}) and bring the other record's visits, results and consent into it.",
        name=keep.name,
        code=codes.display(keep.code),
    )


class CorrectDetailsDialog(QDialog):
    """Put right a name, date of birth or sex (the last two decide the norms). Audited."""

    def __init__(self, person: ParticipantInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("correctDialog")
        self.setWindowTitle(_("Correct the details of {name}", name=person.name))
        self.given = QLineEdit(person.given_name)
        self.family = QLineEdit(person.family_name)
        self.dob = QLineEdit(person.date_of_birth.strftime("%d/%m/%Y"))
        self.sex = QComboBox()
        for value, words in SEX_CHOICES[1:]:
            self.sex.addItem(_(words), value)
        self.sex.setCurrentIndex(self.sex.findData(person.sex))
        self.language = language_box(person.language)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(_("&Given name"), self.given)
        form.addRow(_("Famil&y name"), self.family)
        form.addRow(_("Date of &birth"), self.dob)
        form.addRow(_("&Sex"), self.sex)
        if self.language.count() > 1:
            form.addRow(_("Sheet &language"), self.language)
        form.addRow(self.message)
        form.addRow(buttons)

    def changes(self, person: ParticipantInfo) -> dict[str, object]:
        """What differs from the record; an InputError if the date is not a date."""
        out: dict[str, object] = {}
        if self.given.text().strip() != person.given_name:
            out["given_name"] = self.given.text()
        if self.family.text().strip() != person.family_name:
            out["family_name"] = self.family.text()
        dob = parse_dob(self.dob.text())
        if dob != person.date_of_birth:
            out["date_of_birth"] = dob
        if self.sex.currentData() != person.sex:
            out["sex"] = self.sex.currentData()
        if self.language.currentData() != person.language:
            out["language"] = self.language.currentData()
        return out


class MergeDialog(QDialog):
    """Two records of one person made one. The other record is named by its card code (or
    picked from the people listed); both are shown side by side with what will move, and
    Merge (Enter once both are shown) does it; Esc cancels. `look_up(keep, code)` and
    `merge(plan, accept_different_details)` are the view's: they run off the screen's
    thread and call `show_plan`, `say` or `done` back."""

    def __init__(
        self,
        person: ParticipantInfo,
        listed: list[ParticipantRow],
        look_up: Callable[[ParticipantInfo, str], None],
        merge: Callable[[MergePlan, bool], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mergeDialog")
        self.setWindowTitle(_("Merge two records of {name}", name=person.name))
        self.person = person
        self.plan: MergePlan | None = None
        self._look_up, self._merge = look_up, merge
        self.code = QLineEdit()
        self.code.setObjectName("mergeCode")
        self.code.setPlaceholderText(_("scan or type their other card code"))
        self.code.setAccessibleName(_("Card code of the other record"))
        self.code.textEdited.connect(lambda _t: self._forget())
        self.listed = QComboBox()
        self.listed.setObjectName("mergeListed")
        self.listed.setAccessibleName(_("Or choose the other record from the people listed"))
        self.listed.addItem("—", "")
        for r in listed:
            if r.id != person.id:
                self.listed.addItem(
                    _(
                        "{code}  {name}, born {born}",
                        code=codes.display(r.code),
                        name=r.name,
                        born=r.date_of_birth.strftime("%d/%m/%Y"),
                    ),
                    r.code,
                )
        self.listed.activated.connect(self._chosen)
        self.side = QLabel()
        self.side.setObjectName("mergeSideBySide")
        self.side.setWordWrap(True)
        self.side.setTextFormat(Qt.TextFormat.RichText)
        self.moves = QLabel()
        self.moves.setObjectName("mergeMoves")
        self.moves.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("mergeMessage")
        self.message.setWordWrap(True)
        self.accept_box = QCheckBox(_("&The kept record's sex and date of birth are right"))
        self.accept_box.setObjectName("mergeAcceptDetails")
        self.accept_box.toggled.connect(lambda _on: self._enable())
        self.accept_box.hide()
        self.swap_button = QPushButton(_("Keep the &other record instead"))
        self.swap_button.setObjectName("mergeSwap")
        self.swap_button.setAutoDefault(False)
        self.swap_button.clicked.connect(self.swap)
        self.merge_button = QPushButton(_("&Merge"))
        self.merge_button.setObjectName("mergeConfirm")
        self.merge_button.clicked.connect(self.confirm)
        cancel = QPushButton(_("Cancel"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.swap_button)
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(cancel)
        form = QFormLayout(self)
        intro = QLabel(_intro(person))
        intro.setWordWrap(True)
        self.intro = intro
        form.addRow(intro)
        form.addRow(_("Other record's card &code"), self.code)
        form.addRow(_("or choose from those &listed"), self.listed)
        form.addRow(self.side)
        form.addRow(self.moves)
        form.addRow(self.accept_box)
        form.addRow(self.message)
        form.addRow(buttons)
        self._forget()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in the card code looks the record up (as a scanner ends a code); it never
        merges. Enter merges only from the Merge button, once both records are on screen."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() in (
            self.code,
            self.listed,
        ):
            if self.focusWidget() is self.code:
                self.look_up()
            return
        super().keyPressEvent(event)

    def _chosen(self, index: int) -> None:
        code = self.listed.itemData(index)
        if code:
            self.code.setText(codes.display(code))
            self.look_up()

    def _forget(self) -> None:
        self.plan = None
        self.side.clear()
        self.moves.clear()
        self.accept_box.hide()
        self.swap_button.setEnabled(False)
        self._enable()

    def _enable(self) -> None:
        plan = self.plan
        ok = (
            plan is not None
            and not plan.clashes
            and (not plan.differences or self.accept_box.isChecked())
        )
        self.merge_button.setEnabled(ok)
        self.merge_button.setDefault(ok)
        self.merge_button.setAutoDefault(ok)

    def look_up(self) -> None:
        text = self.code.text().strip()
        if not text:
            self.message.setText(_("Type or scan the card code of their other record."))
            return
        self.message.setText(_("Looking them up…"))
        self._look_up(self.person, text)

    def swap(self) -> None:
        if self.plan is not None:
            self.person = self.plan.other
            self.code.setText(codes.display(self.plan.keep.code))
            self.look_up()

    def say(self, text: str) -> None:
        self._forget()
        self.message.setText(text)

    def show_plan(self, plan: MergePlan) -> None:
        self.plan = plan
        self.person = plan.keep
        self.intro.setText(_intro(plan.keep))

        def column(p: ParticipantInfo, visits: tuple[VisitSummary, ...]) -> list[str]:
            return [
                p.name,
                codes.display(p.code),
                p.date_of_birth.strftime("%d/%m/%Y"),
                sex_words(p.sex, alone=True),
                "<br>".join(v.line() for v in visits) or _("no visits"),
            ]

        keep, other = column(plan.keep, plan.keep_visits), column(plan.other, plan.other_visits)
        what = (_("Name"), _("Card code"), _("Born"), _("Sex"), _("Visits"))
        decide = (False, False, True, True, False)  # the date of birth and sex decide the norms
        differs = "⚠ " + _("differs")
        rows = "".join(
            f"<tr><th align='left'>{w}</th><td>{a}</td><td>{b}</td>"
            f"<td>{differs if norms and a != b else ''}</td></tr>"
            for w, norms, a, b in zip(what, decide, keep, other, strict=True)
        )
        self.side.setText(
            f"<table cellspacing='6'><tr><th></th><th align='left'>{_('Keep')}</th>"
            f"<th align='left'>{_('Merge into it, then remove')}</th><th></th></tr>"
            + rows
            + "</table>"
        )
        self.side.setAccessibleName(
            _(
                "Keep {keep}, card {keep_code}, born {keep_born}, {keep_sex}. Merge into it "
                "{other}, card {other_code}, born {other_born}, {other_sex}.",
                keep=plan.keep.name,
                keep_code=keep[1],
                keep_born=keep[2],
                keep_sex=keep[3],
                other=plan.other.name,
                other_code=other[1],
                other_born=other[2],
                other_sex=other[3],
            )
        )
        self.moves.setText(plan.moves())
        self.swap_button.setEnabled(True)
        if plan.clashes:
            self.message.setText(
                "⚠ "
                + _(
                    "These cannot be merged yet: {clashes}",
                    clashes="; ".join(sentence(c) for c in plan.clashes),
                )
            )
        elif plan.differences:
            if len(plan.differences) == 2:  # at most two: the sex and the date of birth
                first, second = plan.differences
                differ = _(
                    "The records differ in {first} and in {second}.", first=first, second=second
                )
            else:
                differ = _(
                    "The records differ in {first}.", first=" and in ".join(plan.differences)
                )
            self.message.setText(
                "⚠ "
                + differ
                + " "
                + _(
                    "These decide the norms: the merged record keeps those of {code}. Tick the "
                    "box if they are right, or cancel and correct the wrong record first.",
                    code=codes.display(plan.keep.code),
                )
            )
        else:
            self.message.setText(_("Press Enter to merge them, Esc to cancel."))
        self.accept_box.setChecked(False)
        self.accept_box.setVisible(bool(plan.differences))
        self._enable()
        if plan.differences and not plan.clashes:
            self.accept_box.setFocus()
        elif self.merge_button.isEnabled():
            self.merge_button.setFocus()

    def confirm(self) -> None:
        plan = self.plan
        if plan is None or not self.merge_button.isEnabled():
            return
        self.merge_button.setEnabled(False)  # one merge at a time
        self.message.setText(_("Merging…"))
        self._merge(plan, self.accept_box.isChecked())


class CheckInView(QWidget):
    visit_ready = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("checkInView")
        self.person: ParticipantInfo | None = None
        self.visit: AssessmentInfo | None = None

        # --- find ------------------------------------------------------------------------
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(_("Name, card code or date of birth"))
        self.search.setAccessibleName(_("Find a participant"))
        self.search.setClearButtonEnabled(True)
        self.model: RowsModel[ParticipantRow] = RowsModel(
            [
                (_("Code"), lambda r: codes.display(r.code)),
                (_("Name"), lambda r: r.name),
                (_("Born"), lambda r: r.date_of_birth.strftime("%d/%m/%Y")),
                (_("Age"), lambda r: r.age),
                (
                    _("Last visit"),
                    lambda r: r.last_assessed.strftime("%d/%m/%Y") if r.last_assessed else "—",
                ),
            ]
        )
        self.table = QTableView()
        self.table.setObjectName("participantsTable")
        self.table.setAccessibleName(_("People found"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # The code and the date of birth tell two people of one name apart: never cut short.
        header = self.table.horizontalHeader()
        for col in range(self.model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._pick())
        self.found = QLabel()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(120)
        self.timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        ctx.ready.connect(lambda: self.run_search() if self.search.text() else None)
        self.search.returnPressed.connect(self._first)
        new_button = QPushButton(_("&New participant"))
        new_button.clicked.connect(self.start_new)
        left = QVBoxLayout()
        left.addWidget(heading(_("Find or register")))
        left.addWidget(self.search)
        left.addWidget(self.table, 1)
        left.addWidget(self.found)
        left.addWidget(new_button)

        # --- the person -------------------------------------------------------------------
        self.title = heading(_("Nobody chosen yet"), 1.2)
        self.title.setObjectName("personTitle")
        self.details = QLabel()
        self.details.setWordWrap(True)
        consent_box = QGroupBox(_("Consent (each one separately)"))
        cl = QVBoxLayout(consent_box)
        self.consent_boxes: dict[str, QCheckBox] = {}
        for purpose, words in PURPOSE_WORDS.items():
            cb = QCheckBox(_(words))
            cb.setObjectName(f"consent_{purpose}")
            cb.toggled.connect(lambda on, p=purpose: self._consent(p, on))
            self.consent_boxes[purpose] = cb
            cl.addWidget(cb)
        self.checkin_button = QPushButton(_("Check &in to this MOT day"))
        self.checkin_button.setObjectName("checkInButton")
        self.checkin_button.clicked.connect(self.check_in)
        self.card_button = QPushButton(_("Print &card…"))
        self.correct_button = QPushButton(_("Correct &details…"))
        self.correct_button.setObjectName("correctButton")
        self.correct_button.clicked.connect(self.correct_details)
        self.card_button.clicked.connect(self.print_card)
        self.merge_button = QPushButton(_("&Merge with another record…"))
        self.merge_button.setObjectName("mergeButton")
        self.merge_button.setToolTip(
            _("The same person registered twice: make the two records one")
        )
        self.merge_button.clicked.connect(self.merge_people)

        screen_box = QGroupBox(_("Safety screening"))
        sl = QFormLayout(screen_box)
        questions = QGridLayout()
        questions.setColumnStretch(0, 1)
        self.answers: dict[str, QComboBox] = {}
        for n, q in enumerate(screening.QUESTIONS):
            combo = QComboBox()
            combo.addItems([_("not asked"), _("Yes"), _("No")])
            combo.setObjectName(f"q_{q.id}")
            combo.setAccessibleName(_(q.text))
            lab = QLabel(_(q.text))
            lab.setWordWrap(True)
            lab.setBuddy(combo)
            self.answers[q.id] = combo
            questions.addWidget(lab, n, 0)
            questions.addWidget(combo, n, 1, Qt.AlignmentFlag.AlignTop)
        sl.addRow(questions)
        bp = QHBoxLayout()
        self.systolic = QSpinBox()
        self.systolic.setRange(0, 260)
        self.systolic.setSpecialValueText("—")
        self.systolic.setAccessibleName(_("Systolic blood pressure, mmHg (optional)"))
        self.diastolic = QSpinBox()
        self.diastolic.setRange(0, 160)
        self.diastolic.setSpecialValueText("—")
        self.diastolic.setAccessibleName(_("Diastolic blood pressure, mmHg (optional)"))
        bp.addWidget(self.systolic)
        bp.addWidget(QLabel("/"))
        bp.addWidget(self.diastolic)
        bp.addWidget(QLabel(_("mmHg (if measured)")))
        sl.addRow(_("Blood pressure"), bp)
        self.screen_button = QPushButton(_("&Record screening"))
        self.screen_button.setObjectName("recordScreening")
        self.screen_button.clicked.connect(self.record_screening)
        sl.addRow(self.screen_button)
        self.outcome = QLabel(_("Not screened yet"))
        self.outcome.setObjectName("screeningOutcome")
        self.outcome.setWordWrap(True)
        sl.addRow(self.outcome)
        self.screen_box = screen_box

        person = QWidget()
        pl = QVBoxLayout(person)
        pl.addWidget(self.title)
        pl.addWidget(self.details)
        pl.addWidget(consent_box)
        # Two to a row, so at large print on a 1024-wide projector none is cut off.
        pl.addWidget(self.checkin_button)
        row = QHBoxLayout()
        row.addWidget(self.card_button)
        row.addWidget(self.correct_button)
        pl.addLayout(row)
        pl.addWidget(self.merge_button)
        pl.addWidget(screen_box)
        pl.addStretch(1)

        # --- a new person -------------------------------------------------------------------
        self.new_box = QGroupBox(_("New participant"))
        nf = QFormLayout(self.new_box)
        self.given = QLineEdit()
        self.given.setObjectName("givenName")
        self.family = QLineEdit()
        self.family.setObjectName("familyName")
        self.dob = QLineEdit()
        self.dob.setObjectName("dateOfBirth")
        self.dob.setPlaceholderText(_("dd/mm/yyyy"))
        self.sex = QComboBox()
        self.sex.setObjectName("sex")
        for value, words in SEX_CHOICES:
            self.sex.addItem(_(words), value)
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.postcode = QLineEdit()
        self.postcode.setPlaceholderText(_("first half only, e.g. CA12"))
        self.language = language_box()
        self.language.setObjectName("sheetLanguage")
        nf.addRow(_("&Given name"), self.given)
        nf.addRow(_("Famil&y name"), self.family)
        nf.addRow(_("Date of &birth"), self.dob)
        nf.addRow(_("&Sex"), self.sex)
        nf.addRow(_("&Phone (optional)"), self.phone)
        nf.addRow(_("&Email (optional)"), self.email)
        nf.addRow(_("P&ostcode district"), self.postcode)
        if self.language.count() > 1:  # only English: nothing to choose
            nf.addRow(_("Sheet &language"), self.language)
        self.new_consents: dict[str, QCheckBox] = {}
        for purpose, words in PURPOSE_WORDS.items():
            cb = QCheckBox(_(words))
            cb.setObjectName(f"new_consent_{purpose}")
            self.new_consents[purpose] = cb
            nf.addRow(cb)
        self.register_button = QPushButton(_("Regis&ter"))
        self.register_button.setObjectName("registerButton")
        self.register_button.clicked.connect(self.register)
        for field in (self.given, self.family, self.dob, self.phone, self.email, self.postcode):
            field.returnPressed.connect(self.register)  # Enter submits the form
        nf.addRow(self.register_button)
        self.new_message = QLabel()
        self.new_message.setObjectName("newMessage")
        self.new_message.setWordWrap(True)
        nf.addRow(self.new_message)
        self.new_box.hide()

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(person)
        rl.addWidget(self.new_box)
        self.person_panel = person
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(right)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(scroll, 1)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_first).setWhatsThis(
            _("Find a person: back to the search box")
        )
        # A card scanned into any box but the search (a name, a date, a screening answer) is
        # that person, and the box is put back as it was: no code in a name, no answer changed.
        from ffmot.gui.scan import ScanCatcher

        self.scans = ScanCatcher(self)
        self.scans.watch(
            self.table,
            *self.consent_boxes.values(),
            *self.answers.values(),
            self.systolic,
            self.diastolic,
            self.given,
            self.family,
            self.dob,
            self.sex,
            self.language,
            self.phone,
            self.email,
            self.postcode,
            *self.new_consents.values(),
        )
        self.scans.scanned.connect(self._scanned_elsewhere)
        QShortcut(QKeySequence.StandardKey.New, self, self.start_new).setWhatsThis(
            _("Register a new person")
        )
        self._rows_for: str | None = None  # the search text the listed rows are for
        self._duplicate_warned: tuple[str, str, dt.date] | None = None
        self._pick_when_found: str | None = None  # Enter pressed before its results arrived
        self._registering = False  # a registration is on its way: Register waits for it
        # The registration's own id, made before its first attempt and sent again on a retry
        # of the same details, so an attempt saved but unanswered is not saved twice.
        self._registration: tuple[tuple[str, str, dt.date, str], str] | None = None
        self._show_person(None)
        self.run_search()

    # --- finding -------------------------------------------------------------------------
    def focus_first(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def run_search(self) -> None:
        text = self.search.text()
        if not self.ctx.is_ready:  # searched for once it is (see __init__)
            self.found.setText(self.ctx.not_ready_words)
            return
        self.ctx.runner.run(  # everyone listed is audited; a search is audited by its pick
            lambda: self.ctx.desk.search(text, limit=200),
            lambda rows: self._found(rows, text),
            lambda e: show_error(self, e, N_("searching")),
        )

    def _found(self, rows: list[ParticipantRow], text: str) -> None:
        if text != self.search.text():
            return  # a newer search is on its way
        self.model.set_rows(rows)
        self._rows_for = text
        n = len(rows)
        if n == 200:  # the search's limit
            said = (
                _("{count} found (the first 200: type more to narrow it down)", count=n)
                if text
                else _("{count} shown (the first 200: type more to narrow it down)", count=n)
            )
        else:
            said = _("{count} found", count=n) if text else _("{count} shown", count=n)
        self.found.setText(said)
        if self._pick_when_found == text:
            self._pick_when_found = None
            self._select_first()

    def _first(self) -> None:
        """Enter in the search box. A scanned or typed card code (check character and all)
        opens that person at once; otherwise the first of the results for what is typed now,
        never of an earlier search still listed (the search may still be running)."""
        self.timer.stop()
        text = self.search.text()
        try:
            code = codes.normalise(text)
        except InputError:
            code = ""
        if code and self.ctx.is_ready:
            self._pick_when_found = None

            def found(person: ParticipantInfo) -> None:
                if self.search.text() == text:
                    self._show_person(person)

            def missing(e: BaseException) -> None:
                if isinstance(e, InputError):  # no such card: search as typed instead
                    self._pick_when_found = text
                    self.run_search()
                else:
                    show_error(self, e, N_("finding the card"))

            self.ctx.runner.run(lambda: self.ctx.desk.person_by_code(code), found, missing)
            return
        if self._rows_for == text:
            self._select_first()
            return
        self._pick_when_found = text
        self.run_search()

    def _select_first(self) -> None:
        if self.model.rows:
            self.table.selectRow(0)
            self.table.setFocus()

    def _pick(self) -> None:
        row = self.model.row_at(self.table.currentIndex())
        if row is None:
            return
        self.ctx.runner.run(
            lambda: self.ctx.desk.person(row.id),
            self._show_person,
            lambda e: show_error(self, e, N_("opening the record")),
        )

    # --- the person ----------------------------------------------------------------------
    def _show_person(self, person: ParticipantInfo | None) -> None:
        self.person = person
        self.visit = None
        self.new_box.hide()
        self.person_panel.show()
        on = person is not None
        for w in (
            *self.consent_boxes.values(),
            self.checkin_button,
            self.card_button,
            self.correct_button,
            self.merge_button,
        ):
            w.setEnabled(on)
        self.screen_box.setEnabled(False)
        self._fill_answers(None)  # never the previous person's answers
        self.outcome.setText(_("Check in first, then record the screening"))
        if person is None:
            self.title.setText(_("Nobody chosen yet"))
            self.details.setText(_("Find someone on the left, or register a new participant."))
            return
        self.title.setText(person.name)
        age = age_or_zero(person.date_of_birth, dt.date.today())
        self.details.setText(
            _(
                "Card code {code} · born {born} (age {age}) · {sex}",
                code=codes.display(person.code),
                born=person.date_of_birth.strftime("%d/%m/%Y"),
                age=age,
                sex=person.sex.replace("_", " "),
            )
        )
        for purpose, cb in self.consent_boxes.items():
            cb.blockSignals(True)
            cb.setChecked(person.consented(purpose))
            cb.blockSignals(False)
        self.checkin_button.setEnabled(self.ctx.current_event is not None)
        event = self.ctx.current_event
        if event is None:
            self.outcome.setText(_("Open an MOT day first (Events)"))
            return

        def shown(visit: AssessmentInfo | None) -> None:
            # already checked in to this day: their visit and stored screening, as they are
            if visit is not None and self.person is not None and self.person.id == person.id:
                self._show_visit(visit, ask=False)

        self.ctx.runner.run(
            lambda: self.ctx.desk.visit_of(person.id, event_id=event.id),
            shown,
            lambda e: show_error(self, e, N_("opening their visit")),
        )

    def _consent(self, purpose: str, on: bool) -> None:
        person = self.person
        if person is None:
            return
        self.ctx.runner.run(
            lambda: self.ctx.desk.consent(person.id, purpose=purpose, granted=on),
            lambda p: setattr(self, "person", p),
            lambda e: show_error(self, e, N_("recording consent")),
        )

    def check_in(self) -> None:
        person, event = self.person, self.ctx.current_event
        if person is None or event is None:
            return
        if not person.consented("keep_results"):
            self.outcome.setText(
                "⚠ "
                + _(
                    "They have not agreed to keep their results: ask before testing (tick "
                    "'{box}').",
                    box=_(PURPOSE_WORDS["keep_results"]),
                )
            )
            return
        self.ctx.runner.run(
            lambda: self.ctx.desk.check_in(person.id, event_id=event.id),
            self._checked_in,
            lambda e: show_error(self, e, N_("checking in")),
        )

    def _fill_answers(self, sc: ScreeningInfo | None) -> None:
        """The form shows this person's stored answers, or starts empty ("not asked")."""
        answers = sc.answers if sc is not None else {}
        for qid, combo in self.answers.items():
            a = answers.get(qid)
            combo.setCurrentIndex(0 if a is None else (1 if a else 2))
        self.systolic.setValue((sc.systolic or 0) if sc is not None else 0)
        self.diastolic.setValue((sc.diastolic or 0) if sc is not None else 0)

    def _checked_in(self, visit: AssessmentInfo) -> None:
        self._show_visit(visit, ask=True)
        self.ctx.records_changed.emit(visit.id)

    def _show_visit(self, visit: AssessmentInfo, ask: bool) -> None:
        """Their visit: the stored screening as it is, or (`ask`) the first question."""
        self.visit = visit
        self.screen_box.setEnabled(True)
        self._fill_answers(visit.screening)
        if visit.screening is not None:
            self._show_outcome(visit)
            return
        self.outcome.setText(_("Checked in. Now ask the screening questions."))
        if ask:
            self.answers[screening.QUESTIONS[0].id].setFocus()

    def record_screening(self) -> None:
        visit = self.visit
        if visit is None:
            return
        answers = {
            qid: c.currentIndex() == 1 for qid, c in self.answers.items() if c.currentIndex() > 0
        }
        sys_ = self.systolic.value() or None
        dia = self.diastolic.value() or None
        if (sys_ is None) != (dia is None):
            self.outcome.setText(_("Give both blood pressure numbers, or neither."))
            return
        self.ctx.runner.run(
            lambda: self.ctx.desk.screen(visit.id, answers=answers, systolic=sys_, diastolic=dia),
            self._screened,
            lambda e: show_error(self, e, N_("recording the screening")),
        )

    def _screened(self, visit: AssessmentInfo) -> None:
        self.visit = visit
        self._show_outcome(visit)
        self.ctx.records_changed.emit(visit.id)
        self.visit_ready.emit(visit.id)

    def _show_outcome(self, visit: AssessmentInfo) -> None:
        sc = visit.screening
        if sc is None:
            return
        words = _(screening.OUTCOME_WORDS[sc.outcome])
        reasons = "; ".join(sc.reasons)
        if sc.outcome == "incomplete":
            said = _("{outcome} ({count} still to ask)", outcome=words, count=len(sc.unanswered))
        elif sc.excluded_tests and sc.outcome != "do_not_test":
            battery = self.ctx.battery
            tests = ", ".join(_(battery[t].short_name) for t in sc.excluded_tests if t in battery)
            said = (
                _(
                    "{outcome}: {reasons}. Not today: {tests}",
                    outcome=words,
                    reasons=reasons,
                    tests=tests,
                )
                if sc.reasons
                else _("{outcome}. Not today: {tests}", outcome=words, tests=tests)
            )
        elif sc.reasons:
            said = _("{outcome}: {reasons}", outcome=words, reasons=reasons)
        else:
            said = words
        text = OUTCOME_MARK[sc.outcome] + said
        self.outcome.setText(text)
        self.outcome.setAccessibleName(text)

    def correct_details(self) -> None:
        person = self.person
        if person is None:
            return
        dialog = CorrectDetailsDialog(person, self)
        self.correct_dialog = dialog  # alive as long as it is open

        def save() -> None:
            try:
                changes = dialog.changes(person)
            except FfmotError as e:
                dialog.message.setText(sentence(e))
                dialog.open()
                return
            if not changes:
                return
            self.ctx.runner.run(
                lambda: self.ctx.desk.correct(person.id, version=person.version, **changes),
                self._corrected,
                lambda e: (
                    self.outcome.setText(sentence(e))
                    if isinstance(e, FfmotError)
                    else show_error(self, e, N_("correcting the details"))
                ),
            )

        dialog.accepted.connect(save)
        dialog.open()

    def _corrected(self, person: ParticipantInfo) -> None:
        self._show_person(person)
        self.outcome.setText(_("Details corrected: {name}.", name=person.name))
        self.run_search()

    # --- two records of one person ------------------------------------------------------------
    def merge_people(self) -> None:
        person = self.person
        if person is None:
            return
        dialog = MergeDialog(person, list(self.model.rows), self._merge_look_up, self._merge, self)
        self.merge_dialog = dialog  # alive as long as it is open
        dialog.open()
        dialog.code.setFocus()

    def _merge_look_up(self, keep: ParticipantInfo, code: str) -> None:
        dialog = self.merge_dialog

        def work() -> MergePlan:
            return self.ctx.desk.plan_merge(keep.id, other_code=code)

        def failed(e: BaseException) -> None:
            if isinstance(e, FfmotError):
                dialog.say(sentence(e))
            else:
                show_error(dialog, e, N_("looking up the other record"))

        self.ctx.runner.run(work, dialog.show_plan, failed)

    def _merge(self, plan: MergePlan, accept_different_details: bool) -> None:
        dialog = self.merge_dialog
        k, o = codes.display(plan.keep.code), codes.display(plan.other.code)

        def merged(person: ParticipantInfo) -> None:
            dialog.accept()
            self._show_person(person)
            self.outcome.setText(
                _(
                    "Merged: {name} ({kept}) now holds every visit, result and consent of "
                    "{other}. The card {other} no longer works: give them the card {kept}.",
                    name=person.name,
                    kept=k,
                    other=o,
                )
            )
            self.search.setText(person.code)
            self.run_search()
            self.ctx.records_changed.emit("")

        def failed(e: BaseException) -> None:
            if isinstance(e, FfmotError):
                dialog.say(sentence(e))
            else:
                dialog.say(_("Nothing was merged."))
                show_error(dialog, e, N_("merging the records"))

        self.ctx.runner.run(
            lambda: self.ctx.desk.merge(
                plan.keep.id,
                other_id=plan.other.id,
                accept_different_details=accept_different_details,
            ),
            merged,
            failed,
        )

    def print_card(self) -> None:
        person = self.person
        if person is None:
            return
        event = self.ctx.current_event

        def make() -> bytes:
            from ffmot.report.card import card_pdf

            return card_pdf(
                person.code, person.name, event.name if event else "", self.ctx.training
            )

        self.ctx.runner.run(
            make,
            lambda pdf: self._preview(pdf, f"card-{person.code}"),
            lambda e: show_error(self, e, N_("making the card")),
        )

    def _preview(self, pdf: bytes, name: str) -> None:
        from ffmot.gui.printing import print_pdf

        print_pdf(self, pdf, name, self.ctx.settings.printer)

    # --- a new person ----------------------------------------------------------------------
    def _scanned_elsewhere(self, code: str) -> None:
        """A card scanned into another box: open that person, as a scan into the search does.
        A new person's details typed so far stay in their form."""
        self.search.setText(code)
        self.search.setFocus()
        self._first()

    def start_new(self) -> None:
        self.person_panel.hide()
        self.new_box.show()
        words = self.search.text().split()
        if words and not self.given.text() and not any(ch.isdigit() for ch in "".join(words)):
            self.given.setText(words[0].capitalize())
            if len(words) > 1:
                self.family.setText(" ".join(w.capitalize() for w in words[1:]))
        self.given.setFocus()

    def register(self) -> None:  # noqa: C901 (checks, the duplicate warning and the retry that never registers twice)
        if self._registering:
            return  # Enter or Register pressed again while the first is on its way: one person
        try:
            dob = parse_dob(self.dob.text())
            sex = self.sex.currentData()
            if not sex:
                raise InputError(_("choose the sex (or '{choice}')", choice=_(SEX_CHOICES[-1][1])))
        except FfmotError as e:
            self.new_message.setText(sentence(e))
            return
        consents = {p: cb.isChecked() for p, cb in self.new_consents.items()}
        given, family = self.given.text(), self.family.text()
        extra = {
            "phone": self.phone.text(),
            "email": self.email.text(),
            "postcode_district": self.postcode.text(),
            "consents": consents,
            "language": self.language.currentData(),
        }

        key = (
            " ".join(self.given.text().split()),
            " ".join(self.family.text().split()),
            dob,
            str(sex),
        )
        if self._registration is None or self._registration[0] != key:
            self._registration = (key, str(uuid.uuid4()))
        token = self._registration[1]
        extra["participant_id"] = token

        def finished() -> None:
            self._registering = False
            self.register_button.setEnabled(True)

        def failed(e: BaseException) -> None:
            finished()
            if isinstance(e, UnreachableError):  # not its words: they may be translated
                # The save may have been made before the answer was lost: nobody can tell.
                self.new_message.setText(
                    _(
                        "Cannot reach the database to finish registering them: it may or may "
                        "not have been saved. Their details are still here: press Register "
                        "again once the database is back, and they will not be registered twice."
                    )
                )
            elif isinstance(e, FfmotError):
                self.new_message.setText(sentence(e))
            else:
                show_error(self, e, N_("registering"))

        def done(p: ParticipantInfo) -> None:
            self._registration = None
            for w in (self.given, self.family, self.dob, self.phone, self.email, self.postcode):
                w.clear()
            self.sex.setCurrentIndex(0)
            self.language.setCurrentIndex(0)
            for cb in self.new_consents.values():
                cb.setChecked(False)
            self.new_message.clear()
            self._show_person(p)
            self.search.setText(p.code)

        confirmed = self._duplicate_warned == key[:3]  # Register pressed again after the warning

        def work() -> ParticipantInfo | list[ParticipantRow]:
            if not confirmed:
                # not this registration itself, saved by an attempt whose answer was lost
                same = [
                    r for r in self.ctx.desk.likely_duplicates(given, family, dob) if r.id != token
                ]
                if same:
                    return same
            return self.ctx.desk.register(given=given, family=family, dob=dob, sex=sex, **extra)

        def answered(result: ParticipantInfo | list[ParticipantRow]) -> None:
            finished()
            if isinstance(result, list):
                self._duplicate_warned = key[:3]
                who = "; ".join(
                    _(
                        "{name}, born {born}, card {code}",
                        name=r.name,
                        born=r.date_of_birth.strftime("%d/%m/%Y"),
                        code=codes.display(r.code),
                    )
                    for r in result[:3]
                )
                self.new_message.setText(
                    _(
                        "This may be someone already registered: {who}. Find them with the "
                        "search to use their record, or press Register again to add a new "
                        "person. (Registered twice already? Open one and use 'Merge with "
                        "another record'.)",
                        who=who,
                    )
                )
                self.model.set_rows(result)
                self._rows_for = None
                return
            self._duplicate_warned = None
            done(result)

        self._registering = True
        self.register_button.setEnabled(False)
        self.new_message.setText(_("Registering…"))
        self.ctx.runner.run(work, answered, failed)
