"""Results and the conversation: where they stand, strengths first, then what to work on.

Why one room: one screen, section by section in the sheet's order; its words come from the sheet's
(report/words.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ffmot.core import codes
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.i18n import N_, _, long_date
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.widgets import BandBadge, TrainingBanner, WhereYouStand, heading, sentence
from ffmot.services.consent import why_not

if TYPE_CHECKING:
    from ffmot.services.overview import Item, Overview


class OverviewView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("overviewView")
        self.overview: Overview | None = None
        self.code = QLineEdit()
        self.code.setObjectName("overviewCode")
        self.code.setPlaceholderText(_("Card code"))
        self.code.setAccessibleName(_("Card code of the person to show"))
        self.code.returnPressed.connect(self.lookup)
        self.print_button = QPushButton(_("&Print preview…"))
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(self.print_sheet)
        self.save_pdf_button = QPushButton(_("Save as P&DF…"))
        self.save_pdf_button.clicked.connect(self.save_sheet)
        top = QHBoxLayout()
        lab = QLabel(_("Show &card:"))
        lab.setBuddy(self.code)
        top.addWidget(lab)
        top.addWidget(self.code)
        top.addStretch(1)
        top.addWidget(self.print_button)
        top.addWidget(self.save_pdf_button)

        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.message = QLabel()
        self.message.setObjectName("overviewMessage")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(scroll, 1)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_sheet).setWhatsThis(
            _("Print preview of the sheet, then print")
        )
        ctx.show_visit.connect(self.show_visit)
        ctx.records_changed.connect(self._maybe_refresh)
        self._render()

    def focus_first(self) -> None:
        self.code.setFocus(Qt.FocusReason.OtherFocusReason)

    def lookup(self) -> None:
        event = self.ctx.current_event
        if event is None:
            self.message.setText(_("Open an MOT day first (Events)."))
            return
        text = self.code.text()

        def work() -> str:
            p = self.ctx.desk.person_by_code(text, audited=False)  # audited as the visit opens
            v = self.ctx.desk.visit_of(p.id, event_id=event.id)
            if v is None:
                raise InputError(
                    _("{name} has not checked in to {event}", name=p.name, event=event.name)
                )
            return v.id

        self.ctx.runner.run(work, self.show_visit, self._failed)

    def show_visit(self, assessment_id: str) -> None:
        self.ctx.runner.run(
            lambda: self.ctx.desk.overview(  # the screen speaks the practitioner's language
                assessment_id, language="en"
            ),
            self._loaded,
            self._failed,
        )

    def _maybe_refresh(self, assessment_id: str) -> None:
        if self.overview is not None and assessment_id == self.overview.assessment.id:
            self.show_visit(assessment_id)

    def _failed(self, e: BaseException) -> None:
        if isinstance(e, FfmotError):
            self.message.setText(sentence(e))
        else:
            show_error(self, e, N_("showing the results"))

    def _loaded(self, o: Overview) -> None:
        self.overview = o
        self.code.setText(codes.display(o.participant.code))
        self._render()
        held = why_not(o.participant)
        self.message.setText(sentence(held) if held else "")
        if held:  # no sheet for someone who withdrew consent to keep their results
            self.print_button.setEnabled(False)
            self.save_pdf_button.setEnabled(False)

    # --- drawing the page ------------------------------------------------------------------
    def _clear(self) -> None:
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.setParent(None)
                w.deleteLater()

    def _render(self) -> None:  # noqa: C901 (the results screen section by section, in the sheet's order)
        from ffmot.report import words as sheet_words  # the screen says what the sheet says

        self._clear()
        o = self.overview
        self.print_button.setEnabled(o is not None)
        self.save_pdf_button.setEnabled(o is not None)
        if o is None:
            self.body_layout.addWidget(QLabel(_("Type or scan a card code to see their results.")))
            self.body_layout.addStretch(1)
            return
        if o.training:
            self.body_layout.addWidget(TrainingBanner())
        title = heading(_("{name}, age {age}", name=o.participant.name, age=o.age), 1.5)
        title.setObjectName("overviewTitle")
        self.body_layout.addWidget(title)
        when = long_date(o.assessment.assessed_on)  # the language's month, not the computer's
        sub = (
            f"{o.event.name} · {o.event.venue} · {when}"
            if o.event.venue
            else f"{o.event.name} · {when}"
        )
        if o.previous_date:
            sub = _(
                "{line} · compared with {date}",
                line=sub,
                date=long_date(o.previous_date),
            )
        self.body_layout.addWidget(QLabel(sub))
        says = o.says
        if says is not None:
            box = QGroupBox(
                _("Not tested today: see the GP first")
                if says.mode == "screened_out"
                else _("In short, and what to do next")
            )
            box.setObjectName("summaryBox")
            sl = QVBoxLayout(box)
            lines = [*says.headline, *(f"• {a}" for a in says.actions)]
            if says.mode == "screened_out":
                lines += says.symptom_lines  # what to do if unwell now (else in the headline)
            for line in lines:
                lab = QLabel(line)
                lab.setWordWrap(True)
                sl.addWidget(lab)
            self.body_layout.addWidget(box)
        for comp in o.components:
            box = QGroupBox(
                _(
                    "{title}: {status}",
                    title=comp.title,
                    status=sheet_words.status_words(comp.status),
                )
            )
            box.setObjectName(f"component_{comp.id}")
            grid = QGridLayout(box)
            if comp.words:
                words = QLabel(comp.words)
                words.setWordWrap(True)
                grid.addWidget(words, 0, 0, 1, 3)
            for n, item in enumerate(comp.items, start=1):
                self._item_row(grid, n, item)
            row = len(comp.items) + 1
            for w in comp.work:
                steps = QLabel(
                    _("{title}: next steps ({level} level):", title=w.title, level=w.level)
                    + "\n"
                    + "\n".join(f"• {x}" for x in w.steps)
                )
                steps.setWordWrap(True)
                grid.addWidget(steps, row, 0, 1, 3)
                row += 1
            self.body_layout.addWidget(box)
        gp = list(says.gp_items) if says is not None else [f.text for f in o.flags]
        if gp:
            box = QGroupBox(_("Worth talking about with their GP"))
            box.setObjectName("flags")
            fl = QVBoxLayout(box)
            for text in gp:
                lab = QLabel(text)
                lab.setWordWrap(True)
                fl.addWidget(lab)
            self.body_layout.addWidget(box)
        if o.body:
            box = QGroupBox(_("Body measurements"))
            bl = QFormLayout(box)
            for item in o.body:  # in the sheet's words, in the screen's language
                lab = QLabel(
                    _(
                        "{value}: {reading}",
                        value=item.value_text,
                        reading=sheet_words.body_words(item),
                    )
                )
                lab.setWordWrap(True)
                bl.addRow(sheet_words.body_name(item), lab)
            self.body_layout.addWidget(box)
        if o.activity and (says is None or says.show_targets):
            box = QGroupBox(_("Activity and the UK guidelines"))
            box.setObjectName("activity")
            al = QFormLayout(box)
            for g in o.activity:
                if g.met is None:
                    said = g.text if g.value is None else f"{g.value:g} {g.unit}. {g.text}"
                elif g.met:
                    said = _(
                        "✔ Meets the guideline. ({amount}) {guideline}",
                        amount=f"{g.value:g} {g.unit}",
                        guideline=g.text,
                    )
                else:
                    said = _(
                        "✚ Room to do more. ({amount}) {guideline}",
                        amount=f"{g.value:g} {g.unit}",
                        guideline=g.text,
                    )
                lab = QLabel(said)
                lab.setWordWrap(True)
                al.addRow(g.label, lab)
            self.body_layout.addWidget(box)
        if o.activities:
            box = QGroupBox(_("Local activities that could help"))
            box.setObjectName("localActivities")
            ll = QVBoxLayout(box)
            for a in o.activities:
                lab = QLabel(
                    _(
                        "<b>{name}</b> — {day} {time}, {venue}, {town}. Suits {suits}. "
                        "How hard: {intensity}. Contact: {contact}",
                        name=a.name,
                        day=a.day,
                        time=a.time,
                        venue=a.venue,
                        town=a.town,
                        suits=a.suits,
                        intensity=a.intensity,
                        contact=a.contact,
                    )
                )
                lab.setWordWrap(True)
                lab.setTextFormat(Qt.TextFormat.RichText)
                ll.addWidget(lab)
            self.body_layout.addWidget(box)
        notes_box = QGroupBox(_("Notes and the goals we chose together"))
        nl = QFormLayout(notes_box)
        self.notes = QPlainTextEdit(o.notes)
        self.notes.setObjectName("notes")
        self.notes.setAccessibleName(_("Practitioner notes"))
        self.goals = QPlainTextEdit(o.goals)
        self.goals.setObjectName("goals")
        self.goals.setAccessibleName(_("Goals"))
        for editor in (self.notes, self.goals):
            editor.setTabChangesFocus(True)
            editor.setMaximumHeight(self.fontMetrics().height() * 5)
        save = QPushButton(_("Save notes and &goals"))
        save.setObjectName("saveNotes")
        save.clicked.connect(self.save_notes)
        nl.addRow(_("Notes"), self.notes)
        nl.addRow(_("Goals"), self.goals)
        nl.addRow(save)
        self.body_layout.addWidget(notes_box)
        if o.sources:
            src = QLabel(
                _(
                    "Compared with: {sources}. Norm set {version}.",
                    sources="; ".join(o.sources),
                    version=o.norm_set,
                )
            )
            src.setWordWrap(True)
            small = src.font()
            small.setPointSizeF(small.pointSizeF() * 0.85)
            src.setFont(small)
            self.body_layout.addWidget(src)
        self.body_layout.addStretch(1)

    def _item_row(self, grid: QGridLayout, row: int, item: Item) -> None:
        name = QLabel(f"<b>{_(item.test.short_name)}</b><br>{item.value_text}")
        name.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(name, row, 0)
        badge = BandBadge()
        chart = WhereYouStand()
        s = item.score
        ts = item.says
        if s is None or (ts is not None and not ts.band):
            badge.set_band("not_classified" if item.result.done else "")
            badge.setText(ts.note if ts is not None else item.not_done_words)
            badge.setWordWrap(True)
            chart.hide()
        else:
            badge.set_band(s.band, ts.band_words if ts is not None else "")
            if s.normal_range and item.result.value is not None:
                chart.set_data(
                    s.normal_range[0],
                    s.normal_range[1],
                    item.result.value,
                    item.test.direction == "lower",
                    item.test.label(item.result.unit),
                    s.band,
                )
            else:
                chart.hide()
                badge.setText(badge.text() + (f" ({s.said_reason()})" if s.reason else ""))
                badge.setWordWrap(True)
        grid.addWidget(badge, row, 1, Qt.AlignmentFlag.AlignVCenter)
        right = QVBoxLayout()
        right.addWidget(chart)
        if item.change is not None:
            ch = QLabel(("⬆ " if item.change.better else "• ") + item.change.words)
            ch.setWordWrap(True)
            right.addWidget(ch)
        holder = QWidget()
        holder.setLayout(right)
        grid.addWidget(holder, row, 2)
        grid.setColumnStretch(2, 1)

    # --- actions ---------------------------------------------------------------------------
    def save_notes(self) -> None:
        o = self.overview
        if o is None:
            return
        notes, goals = self.notes.toPlainText(), self.goals.toPlainText()
        seen = (o.assessment.notes, o.assessment.goals)  # as the screen showed them

        def work() -> object:
            return self.ctx.desk.save_notes(
                o.assessment.id, notes=notes, goals=goals, seen_notes=seen[0], seen_goals=seen[1]
            )

        self.ctx.runner.run(work, lambda _a: self._notes_saved(o.assessment.id), self._failed)

    def _notes_saved(self, assessment_id: str) -> None:
        self.message.setText(_("Notes and goals saved."))
        self.ctx.records_changed.emit(assessment_id)

    def _sheet(self) -> bytes:
        """The sheet, made from the visit as it is now, and only for someone who may have one
        (consent to keep their results may have been withdrawn since it was shown)."""
        from ffmot.report.sheet import sheet_pdf

        assert self.overview is not None
        fresh = self.ctx.desk.overview_for_sheet(self.overview.assessment.id)
        return sheet_pdf(fresh)

    def print_sheet(self) -> None:
        o = self.overview
        if o is None:
            return
        from ffmot.gui.printing import print_pdf

        def printed() -> None:
            self.ctx.runner.run(
                lambda: self.ctx.desk.printed(o.assessment.id),
                lambda _r: self.ctx.records_changed.emit(""),
                self._failed,
            )

        def shown(pdf: bytes) -> None:
            print_pdf(
                self,
                pdf,
                f"ffmot-{o.participant.code}",
                self.ctx.settings.printer,
                on_printed=printed,
            )

        self.ctx.runner.run(self._sheet, shown, self._failed)

    def save_sheet(self) -> None:
        o = self.overview
        if o is None:
            return
        from ffmot.gui.printing import save_pdf

        def chosen(pdf: bytes) -> None:
            path = save_pdf(self, pdf, f"ffmot-{o.participant.code}.pdf")
            if path is not None:
                self.message.setText(_("Saved {path}.", path=path))
                name = path.name
                self.ctx.runner.run(  # a sheet left the database: the audit says where
                    lambda: self.ctx.desk.given_out(
                        action="save_pdf",
                        entity="assessment",
                        entity_id=o.assessment.id,
                        detail=f"sheet to {name}",
                    ),
                    lambda _r: None,
                    self._failed,
                )

        self.ctx.runner.run(self._sheet, chosen, self._failed)
