"""Score cards: keying a paper score card in one keyboard pass. Type or scan the card code, then
each test's boxes in turn; Enter moves on (to the next box, then the next test) and, after the
last test, saves the card. The live band shows per test, with the same rules as the station
(ffmot/core/entry.py): the screen, the store and the import cannot disagree.

Why one room: one screen: one keyboard pass over a card, each test's row built from core/entry.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ffmot.core import codes
from ffmot.core.battery import (
    NOT_DONE_REASONS,
    REASON_WORDS,
    STOP_REASONS,
    STOP_WORDS,
    TestDef,
)
from ffmot.core.entry import Form, scanned_code, why_blocked
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.i18n import N_, _
from ffmot.core.vocabulary import sex_words
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.widgets import BandBadge, heading, notice, sentence
from ffmot.services.types import AssessmentInfo, Measurements, ParticipantInfo

# The "not done" choices of a paper card: a reason, or a reason the tester stopped it.
STOPPED = N_("Stopped: {reason}")
NOT_DONE_CHOICES: tuple[tuple[str, str | None, str], ...] = tuple(
    (r, None, REASON_WORDS[r]) for r in NOT_DONE_REASONS if r != "stopped_by_tester"
) + tuple(
    ("stopped_by_tester", w, STOPPED.format(reason=STOP_WORDS[w].lower())) for w in STOP_REASONS
)


def choice_words(reason: str, stop: str | None) -> str:
    """A "not done" choice in words, in the current language."""
    if stop is None:
        return REASON_WORDS[reason]
    return _(STOPPED, reason=STOP_WORDS[stop].lower())


@dataclass
class Row:
    """One test on the card: its boxes and what was stored when the card was opened."""

    test: TestDef
    form: Form
    boxes: list[QLineEdit]
    unit: QComboBox | None
    choice: QComboBox | None
    mods: dict[str, QCheckBox]
    not_done: QComboBox
    band: BandBadge
    reading: QLabel
    blocked: str = ""
    version: int | None = None  # the stored result's version (None: none stored)
    loaded: tuple[str, ...] = ()  # what the boxes held when the card was opened
    note: str = ""  # what is stored, when it is "not done"
    also: dict[str, int | None] | None = None  # tests sharing these measurements (waist)

    def texts(self) -> list[str]:
        return [b.text() for b in self.boxes]

    def unit_code(self) -> str:
        return (self.unit.currentData() if self.unit is not None else "") or self.test.unit

    def chosen(self) -> str:
        return self.choice.currentText() if self.choice is not None else ""

    def changed(self) -> bool:
        return tuple(self.texts()) != self.loaded or self.not_done.currentIndex() > 0


class ScoreCardView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("scoreCardView")
        self.person: ParticipantInfo | None = None
        self.visit: AssessmentInfo | None = None
        self.rows: list[Row] = []
        self.confirm_pending = False

        self.code = QLineEdit()
        self.code.setObjectName("cardCode")
        self.code.setPlaceholderText(_("Type or scan the card code, then Enter"))
        self.code.setAccessibleName(_("Participant card code"))
        self.code.returnPressed.connect(self.lookup)
        code_label = QLabel(_("&Card code:"))
        code_label.setBuddy(self.code)
        self.who = heading("", 1.2)
        self.who.setObjectName("cardWho")
        self.who.setWordWrap(True)
        self.warning = notice("cardWarning")
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.problem = notice("cardProblem")
        self.status = QLabel(
            _(
                "Key a paper score card: scan or type the card code, then each test's results. "
                "Enter moves on; after the last test it saves the whole card."
            )
        )
        self.status.setObjectName("cardStatus")
        self.status.setWordWrap(True)
        self.save_button = QPushButton(_("&Save the card (Ctrl+S)"))
        self.save_button.setObjectName("cardSave")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(code_label)
        top.addWidget(self.code, 1)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.who)
        layout.addWidget(self.warning)
        layout.addWidget(self.grid_host)
        layout.addWidget(self.problem)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.scroller = QScrollArea()  # large print on a small screen scrolls, never clips
        self.scroller.setObjectName("cardScroll")
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroller.setWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroller)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save).setWhatsThis(
            _("Save the whole card")
        )
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._escape).setWhatsThis(
            _("Once warns; twice clears a card not yet saved")
        )

    # --- who -------------------------------------------------------------------------------
    def focus_first(self) -> None:
        if self.rows and self.person is not None:
            self._focus_box(0, 0)
        else:
            self.code.setFocus(Qt.FocusReason.OtherFocusReason)

    def lookup(self) -> None:
        event = self.ctx.current_event
        if event is None:
            self.warning.setText(_("Open an MOT day first (Events)."))
            return
        try:
            code = codes.normalise(self.code.text())
        except InputError as e:
            self.warning.setText(sentence(e))
            return
        typed = self.code.text()

        def work() -> tuple[ParticipantInfo, AssessmentInfo | None]:
            return self.ctx.desk.card_at_day(code, event_id=event.id)

        def done(found: tuple[ParticipantInfo, AssessmentInfo | None]) -> None:
            if self.code.text() != typed:
                return  # another card was typed meanwhile: never show a stale person
            p, visit = found
            if visit is None:
                self._clear_card()
                self.warning.setText(
                    _(
                        "{name} has not checked in to {event}: check them in first.",
                        name=p.name,
                        event=event.name,
                    )
                )
                return
            self._show(p, visit)

        def failed(e: BaseException) -> None:
            if isinstance(e, FfmotError):
                self._clear_card()
                self.warning.setText(sentence(e))
            else:
                show_error(self, e, N_("finding the participant"))

        self.ctx.runner.run(work, done, failed)

    def _show(self, person: ParticipantInfo, visit: AssessmentInfo) -> None:
        self._clear_card()
        self.person, self.visit = person, visit
        self.who.setText(
            _(
                "{name} · {code} · age {age} · {sex}",
                name=person.name,
                code=codes.display(person.code),
                age=visit.age,
                sex=sex_words(person.sex),
            )
        )
        sc = visit.screening
        outcome, excluded = (sc.outcome, sc.excluded_tests) if sc else (None, ())
        everyone = why_blocked(outcome, excluded, None)
        self.warning.setText(everyone)
        event = self.ctx.current_event
        offered = list(event.tests_offered) if event else list(self.ctx.battery)
        header = (_("Test"), _("Results"), _("Not done"), _("Reading"))
        for col, text in enumerate(header):
            h = QLabel(f"<b>{text}</b>")
            self.grid.addWidget(h, 0, col)
        for tid in offered:
            t = self.ctx.battery.get(tid)
            if t is None:
                continue
            keys = {f.key for f in t.fields}
            shared = next(
                (r for r in self.rows if keys and keys <= {f.key for f in r.test.fields}), None
            )
            if shared is not None:  # waist is typed once, with height and weight
                seen = visit.result(tid)
                shared.also = {**(shared.also or {}), tid: seen.version if seen else None}
                continue
            self._add_row(t, visit, why_blocked(outcome, excluded, t))
        self.save_button.setEnabled(bool(self.rows) and outcome not in (None, "incomplete"))
        for row in self.rows:
            self._changed(row)
        self.focus_first()

    def _add_row(self, t: TestDef, visit: AssessmentInfo, blocked: str) -> None:
        n = len(self.rows)
        form = Form(t)
        name = QLabel(t.name)
        name.setWordWrap(True)
        boxes_host = QWidget()
        boxes = QGridLayout(boxes_host)
        boxes.setContentsMargins(0, 0, 0, 0)
        edits: list[QLineEdit] = []
        per_line = 2 if len(form.fields) > 3 else 3
        for i, f in enumerate(form.fields):
            edit = QLineEdit()
            edit.setObjectName(f"card_{t.id}_{i}")
            unit = f.unit_words or t.label(t.unit)
            edit.setAccessibleName(
                _("{test}, {label}, in {unit}", test=t.short_name, label=f.label, unit=unit)
            )
            edit.setPlaceholderText(_("{label} ({unit})", label=f.label, unit=unit))
            edit.setMinimumWidth(90)
            boxes.addWidget(edit, i // per_line, i % per_line)
            edits.append(edit)
        unit_box = None
        if len(t.units) > 1 and not form.measured:
            unit_box = QComboBox()
            unit_box.setAccessibleName(_("{test}: unit", test=t.short_name))
            for u in t.units:
                unit_box.addItem(t.label(u), u)
            boxes.addWidget(unit_box, 9, 0)
        choice_box = None
        if t.choice is not None:
            choice_box = QComboBox()
            choice_box.addItems(list(t.choice[1]))
            choice_box.setAccessibleName(
                _("{test}: {choice}", test=t.short_name, choice=t.choice[0].lower())
            )
            boxes.addWidget(choice_box, 9, 1)
        mods: dict[str, QCheckBox] = {}
        for j, m in enumerate(t.modifications):
            cb = QCheckBox(m.words)
            cb.setAccessibleName(_("{test}: {choice}", test=t.short_name, choice=m.words))
            mods[m.key] = cb
            boxes.addWidget(cb, 10, j)
        not_done = QComboBox()
        not_done.setObjectName(f"card_{t.id}_not_done")
        not_done.setAccessibleName(_("{test}: not done, and why", test=t.short_name))
        not_done.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        not_done.setMinimumContentsLength(9)  # fits a 1024-wide projector at large print
        not_done.addItem("—", None)
        for reason, stop, _words in NOT_DONE_CHOICES:
            not_done.addItem(choice_words(reason, stop), (reason, stop))
        band = BandBadge()
        reading = QLabel()
        reading.setWordWrap(True)
        row = Row(t, form, edits, unit_box, choice_box, mods, not_done, band, reading, blocked)
        self._prefill(row, visit)
        for i, edit in enumerate(edits):
            edit.textChanged.connect(lambda _t, r=row: self._changed(r))
            edit.returnPressed.connect(lambda n=n, i=i: self._enter(n, i))
            edit.setEnabled(not blocked)
        for combo in (unit_box, choice_box):
            if combo is not None:
                combo.currentIndexChanged.connect(lambda _i, r=row: self._changed(r))
        for cb in mods.values():
            cb.toggled.connect(lambda _on, r=row: self._changed(r))
        not_done.currentIndexChanged.connect(lambda _i, r=row: self._changed(r))
        reading_box = QVBoxLayout()
        reading_box.addWidget(band)
        reading_box.addWidget(reading)
        r_host = QWidget()
        r_host.setLayout(reading_box)
        line = n + 1
        self.grid.addWidget(name, line, 0)
        self.grid.addWidget(boxes_host, line, 1)
        self.grid.addWidget(not_done, line, 2)
        self.grid.addWidget(r_host, line, 3)
        for col, stretch in enumerate((1, 3, 1, 3)):
            self.grid.setColumnStretch(col, stretch)
        self.rows.append(row)

    def _prefill(self, row: Row, visit: AssessmentInfo) -> None:
        r = visit.result(row.test.id)
        row.version = r.version if r is not None else None
        if row.form.measured:
            m = visit.measurements
            for edit, f in zip(row.boxes, row.test.fields, strict=True):
                v = getattr(m, f.key)
                edit.setText("" if v is None else f"{v:g}")
        elif r is not None and r.done:
            if row.unit is not None:
                row.unit.setCurrentIndex(max(row.unit.findData(r.unit), 0))
            for edit, trial in zip(row.boxes, r.trials, strict=False):
                edit.setText(f"{trial.value:g}")
            if row.choice is not None and r.trials:
                row.choice.setCurrentIndex(max(row.choice.findText(r.trials[0].label), 0))
            for key, cb in row.mods.items():
                cb.setChecked(key in r.modifications)
        row.loaded = tuple(row.texts())
        if r is not None and not r.done:
            row.note = _(
                "Recorded as not done ({reason}).",
                reason=REASON_WORDS.get(r.reason or "", r.reason),
            )

    # --- typing ----------------------------------------------------------------------------
    def _changed(self, row: Row) -> None:
        self.confirm_pending = False
        if row.blocked:
            row.band.set_band("")
            row.reading.setText(row.blocked)
            return
        e = row.form.parse(row.texts(), row.unit_code(), row.chosen())
        person, visit = self.person, self.visit
        live = row.form.live(
            e,
            row.unit_code(),
            [k for k, cb in row.mods.items() if cb.isChecked()],
            person.sex if person else None,
            visit.age if visit else None,
            self.ctx.norms,
        )
        row.band.set_band(live.band, live.band_words)
        words = " ".join(
            x if x.endswith(".") else x + "."
            for x in (live.counted, live.range_text, live.problem)
            if x
        )
        row.reading.setText(words if not e.empty else row.note)

    def _next_box(self, n: int, i: int) -> tuple[int, int] | None:
        """The first box that can be typed in, from row n box i onwards."""
        while n < len(self.rows):
            if not self.rows[n].blocked and i < len(self.rows[n].boxes):
                return n, i
            n, i = n + 1, 0
        return None

    def _focus_box(self, n: int, i: int) -> None:
        at = self._next_box(n, i)
        if at is None:
            self.save_button.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        box = self.rows[at[0]].boxes[at[1]]
        box.setFocus(Qt.FocusReason.OtherFocusReason)
        box.selectAll()
        QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(box))  # once laid out

    def _enter(self, n: int, i: int) -> None:
        """Enter: a scan opens that card; else the next box of this test, then the next test;
        after the last test, the card is saved."""
        row = self.rows[n]
        box = row.boxes[i]
        found = scanned_code(box.text())
        if found is not None:
            code, kept = found
            box.blockSignals(True)
            box.setText(kept)
            box.blockSignals(False)
            self._changed(row)
            if self.has_unsaved():
                self.problem.setText(
                    _(
                        "That was a card ({code}). Save this card first (Ctrl+S) or clear it "
                        "(Esc), then scan the next one.",
                        code=codes.display(code),
                    )
                )
                return
            self.code.setText(code)
            self.lookup()
            return
        nxt = row.form.enter(i, row.texts())
        at = self._next_box(n, nxt) if nxt is not None else self._next_box(n + 1, 0)
        if at is None:
            self.save()  # Enter after the last test saves the card
        else:
            self._focus_box(*at)

    def has_unsaved(self) -> bool:
        return self.person is not None and any(r.changed() for r in self.rows)

    # --- saving ----------------------------------------------------------------------------
    def save(self) -> None:  # noqa: C901 (one branch per kind of row on the card)
        visit, person = self.visit, self.person
        if visit is None or person is None or not self.save_button.isEnabled():
            return
        work: list[tuple[Row, object]] = []
        unusual: list[str] = []
        for n, row in enumerate(self.rows):
            if not row.changed():
                continue
            reason = row.not_done.currentData()
            if reason is not None:
                work.append((row, reason))
                continue
            if row.blocked:
                continue
            e = row.form.parse(row.texts(), row.unit_code(), row.chosen())
            if e.problem:
                self.problem.setText(_("{test}: {problem}", test=row.test.name, problem=e.problem))
                self._focus_box(n, 0)
                return
            if e.empty:
                continue
            why = row.form.unusual(e, row.unit_code())
            if why:
                unusual.append(_("{test}: {problem}", test=row.test.short_name, problem=why))
            work.append((row, e))
        if not work:
            self.problem.setText(_("Nothing new to save on this card."))
            return
        if unusual and not self.confirm_pending:
            self.confirm_pending = True
            self.problem.setText(
                _(
                    "{problems}. Press Enter again to save the card as it is, or correct it.",
                    problems="; ".join(unusual),
                )
            )
            return
        self.problem.setText("")
        self.save_button.setEnabled(False)
        desk = self.ctx.desk
        # What the boxes say, read here on the screen's thread (never by the worker).
        mods = {r.test.id: [k for k, cb in r.mods.items() if cb.isChecked()] for r, _w in work}
        units = {row.test.id: row.unit_code() for row, _w in work}

        def job() -> list[tuple[str, str]]:
            failed: list[tuple[str, str]] = []
            for row, what in work:
                t = row.test
                try:
                    if isinstance(what, tuple):
                        reason, stop = what
                        desk.not_done(
                            visit.id,
                            test_id=t.id,
                            reason=reason,
                            stop_reason=stop,
                            expected_version=row.version,
                        )
                    elif row.form.measured:
                        keys = [f.key for f in t.fields]
                        values = what.values  # type: ignore[attr-defined]
                        desk.save_measurements(
                            visit.id,
                            measurements=Measurements(**{k: values.get(k) for k in keys}),
                            only=keys,
                            seen=visit.measurements,
                            results_seen={t.id: row.version, **(row.also or {})},
                        )
                    else:
                        desk.save_result(
                            visit.id,
                            test_id=t.id,
                            trials=what.trials,  # type: ignore[attr-defined]
                            unit=units[t.id],
                            modifications=mods[t.id],
                            expected_version=row.version,
                        )
                except FfmotError as e:
                    failed.append((t.name, sentence(e)))
            return failed

        self.ctx.runner.run(
            job, lambda failed: self._saved(person, visit, len(work), failed), self._failed
        )

    def _saved(
        self,
        person: ParticipantInfo,
        visit: AssessmentInfo,
        tried: int,
        failed: list[tuple[str, str]],
    ) -> None:
        self.ctx.records_changed.emit(visit.id)
        if failed:
            self.save_button.setEnabled(True)
            self.problem.setText(
                " ".join(_("{test}: not saved. {why}", test=name, why=why) for name, why in failed)
                + " "
                + _("The rest of the card was saved; what is not saved is still on screen.")
            )
            saved = {name for name, _why in failed}
            for row in self.rows:  # what did save is now what the card holds
                if row.test.name not in saved:
                    row.loaded = tuple(row.texts())
                    row.not_done.setCurrentIndex(0)
            return
        name, code = person.name, codes.display(person.code)
        if tried == 1:
            said = _(
                "Saved 1 test for {name} ({code}). Next card: scan or type its code.",
                name=name,
                code=code,
            )
        else:
            said = _(
                "Saved {n} tests for {name} ({code}). Next card: scan or type its code.",
                n=tried,
                name=name,
                code=code,
            )
        self.status.setText(said)
        self.status.setAccessibleName(self.status.text())
        self._clear_card()
        self.code.clear()
        self.code.setFocus()

    def _failed(self, e: BaseException) -> None:
        self.save_button.setEnabled(True)
        show_error(self, e, N_("saving the score card"))

    def _escape(self) -> None:
        """Esc asks before a typed card is discarded: a second Esc discards it."""
        if self.has_unsaved() and not getattr(self, "_discard_pending", False):
            self._discard_pending = True
            self.problem.setText(
                _(
                    "This card has results that are not saved. Press Esc again to discard them, "
                    "or Ctrl+S to save."
                )
            )
            return
        self._discard_pending = False
        self._clear_card()
        self.code.clear()
        self.code.setFocus()

    def _clear_card(self) -> None:
        self.person = self.visit = None
        self.rows = []
        self.confirm_pending = False
        self._discard_pending = False
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.setParent(None)
                w.deleteLater()
        self.who.setText("")
        self.warning.setText("")
        self.problem.setText("")
        self.save_button.setEnabled(False)
