"""Station entry: the station's test is chosen once; then, for each person, type or scan the
card code, enter the trials and press Enter. The band shows as you type.

Why one room: one screen. What a test has (fields, trials, help, the live reading) comes from
core/entry.py; what is saved from the Desk.
"""

from __future__ import annotations

import datetime as dt
import itertools

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ffmot.core import codes
from ffmot.core.ages import age_or_zero
from ffmot.core.battery import (
    NOT_DONE_REASONS,
    REASON_WORDS,
    STOP_REASONS,
    STOP_WORDS,
    TestDef,
)
from ffmot.core.entry import Entry, Form, label_words, scanned_code, why_blocked
from ffmot.core.errors import FfmotError, InputError, NormDataError
from ffmot.core.i18n import N_, _
from ffmot.core.timers import load_timers
from ffmot.core.vocabulary import sex_words
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.drafts import Drafts
from ffmot.gui.timer import StationTimer
from ffmot.gui.widgets import BandBadge, WhereYouStand, heading, notice, sentence
from ffmot.services.desk import ConflictError
from ffmot.services.types import AssessmentInfo, Measurements, ParticipantInfo

# A person's sex in words (the stored value is data: "not_stated" is shown as "not stated").


class StationView(QWidget):
    saved = Signal(str)

    def __init__(self, ctx: AppContext, drafts: Drafts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.drafts = drafts
        self.setObjectName("stationView")
        self.person: ParticipantInfo | None = None
        self.visit: AssessmentInfo | None = None
        self.expected_version: int | None = None
        self.confirm_pending = False
        self.test: TestDef | None = None
        self.form: Form | None = None  # how the test is entered: the rules live in the core
        self._pending_draft: dict[str, object] | None = None  # applied when the visit is found
        self.seen_measurements = Measurements()  # what the screen showed, for conflicts
        self.dirty = False  # the practitioner has typed something not yet saved
        self.discard_pending = False  # Esc pressed once on a typed entry
        self.said_of_person = ""  # the status line, when it is about the person on screen
        self.recorded = ""  # what it says is stored for them ("value 14"), for a conflict

        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.6)

        self.test_combo = QComboBox()
        self.test_combo.setObjectName("stationTest")
        self.test_combo.setAccessibleName(_("This station's test"))
        self.test_combo.currentIndexChanged.connect(self._test_changed)
        top = QHBoxLayout()
        lab = QLabel(_("This station's &test:"))
        lab.setBuddy(self.test_combo)
        top.addWidget(lab)
        top.addWidget(self.test_combo, 1)

        self.code = QLineEdit()
        self.code.setObjectName("code")
        self.code.setFont(big)
        self.code.setPlaceholderText(_("Type or scan the card code"))
        self.code.setAccessibleName(_("Participant card code"))
        self.code.returnPressed.connect(self.lookup)
        self.who = heading("", 1.3)
        self.who.setObjectName("who")
        self.who.setWordWrap(True)
        self.warning = notice("stationWarning")
        self.timer = StationTimer(self)
        try:
            self.timers = load_timers(ctx.battery)
        except NormDataError as e:  # a broken timers file: no timers, and the reason shown
            self.timers = {}
            self.timer_problem = str(e)
        else:
            self.timer_problem = ""

        self.protocol = QLabel()
        self.protocol.setWordWrap(True)
        self.trials_box = QGroupBox(_("Trials"))
        self.trials_grid = QGridLayout(self.trials_box)
        self.fields: list[QLineEdit] = []
        self.unit_combo = QComboBox()
        self.unit_combo.setObjectName("unit")
        self.unit_combo.setAccessibleName(_("Unit"))
        self.unit_combo.currentIndexChanged.connect(lambda _i: self._changed())
        self.leg = QComboBox()
        self.leg.addItems(["right leg", "left leg"])
        self.leg.setAccessibleName(_("Leg used"))
        self.mod_boxes: dict[str, QCheckBox] = {}
        self.mods_row = QHBoxLayout()

        self.counted = QLabel()
        self.counted.setObjectName("counted")
        self.counted.setFont(big)
        self.badge = BandBadge()
        self.range_text = QLabel()
        self.range_text.setObjectName("rangeText")
        self.range_text.setWordWrap(True)
        self.chart = WhereYouStand()
        self.problem = notice("problem")

        self.save_button = QPushButton(_("&Save and next (Enter)"))
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(self.save)
        self.not_done_button = QPushButton(_("&Not done… (F9)"))
        self.not_done_button.setObjectName("notDoneButton")
        self.not_done_button.clicked.connect(self.show_reasons)
        self.reload_button = QPushButton(_("Reloa&d their result"))
        self.reload_button.setObjectName("reloadButton")
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.hide()
        self.reasons = QGroupBox(_("Why was it not done? Press 1 to 5, or Esc"))
        self.reasons.setObjectName("reasons")
        rl = QHBoxLayout(self.reasons)
        self.reason_buttons: dict[str, QPushButton] = {}
        for n, reason in enumerate(NOT_DONE_REASONS, start=1):
            b = QPushButton(f"&{n} {_(REASON_WORDS[reason])}")
            b.setObjectName(f"reason_{reason}")
            b.clicked.connect(lambda _c=False, r=reason: self.not_done(r))
            self.reason_buttons[reason] = b
            rl.addWidget(b)
        self.reasons.hide()
        self.stops = QGroupBox(_("Why did you stop it? Press 1 to 5, or Esc"))
        self.stops.setObjectName("stopReasons")
        sl = QHBoxLayout(self.stops)
        self.stop_buttons: dict[str, QPushButton] = {}
        for n, why in enumerate(STOP_REASONS, start=1):
            b = QPushButton(f"&{n} {_(STOP_WORDS[why])}")
            b.setObjectName(f"stop_{why}")
            b.clicked.connect(lambda _c=False, w=why: self.not_done("stopped_by_tester", w))
            self.stop_buttons[why] = b
            sl.addWidget(b)
        self.stops.hide()
        self.status = QLabel()
        self.status.setObjectName("stationStatus")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.not_done_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        result = QFormLayout()
        result.addRow(_("Counts:"), self.counted)
        result.addRow(_("Band:"), self.badge)
        result.addRow("", self.range_text)
        result.addRow("", self.chart)

        # Everything scrolls, so at large print on a small screen (a 1024x768 projector) the
        # "not done" panels, the buttons and the "Saved" line are never cut off.
        page = QWidget()
        page.setObjectName("stationPage")
        self.scroller = QScrollArea()
        self.scroller.setObjectName("stationScroll")
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroller.setWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroller)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.code)
        layout.addWidget(self.who)
        layout.addWidget(self.warning)
        layout.addWidget(self.timer)
        layout.addWidget(self.trials_box)
        layout.addLayout(self.mods_row)
        layout.addWidget(self.protocol)
        layout.addLayout(result)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        layout.addWidget(self.reasons)
        layout.addWidget(self.stops)
        layout.addWidget(self.status)
        layout.addStretch(1)

        QShortcut(QKeySequence(Qt.Key.Key_F9), self, self.show_reasons).setWhatsThis(
            _("Not done: then 1 to 5 for why")
        )
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.timer.toggle).setWhatsThis(
            _("Start or stop the timer (timed tests)")
        )
        QShortcut(QKeySequence("Ctrl+Return"), self, self.save).setWhatsThis(_("Save and next"))
        QShortcut(QKeySequence.StandardKey.Save, self, self.save).setWhatsThis(_("Save and next"))
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._escape).setWhatsThis(
            _("Close a panel; on an unsaved entry, once warns and twice clears it")
        )
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(250)
        self.draft_timer.timeout.connect(self._write_draft)
        ctx.event_changed.connect(self._fill_tests)
        self._fill_tests()
        if self.timer_problem:
            self.status.setText(_("No timers: {problem}", problem=self.timer_problem))
        self._restore_draft()
        # A draft sealed with an encrypted database's key opens only once it is unlocked.
        ctx.ready.connect(self._restore_draft_once_open)
        ctx.event_changed.connect(self._resume_draft)

    # --- the station's test ------------------------------------------------------------------
    def _fill_tests(self) -> None:
        offered = (
            list(self.ctx.current_event.tests_offered)
            if self.ctx.current_event
            else list(self.ctx.battery)
        )
        wanted = self.ctx.settings.station_test
        self.test_combo.blockSignals(True)
        self.test_combo.clear()
        for tid in offered:
            t = self.ctx.battery.get(tid)
            if t is not None:
                self.test_combo.addItem(_(t.name), tid)
        i = self.test_combo.findData(wanted)
        self.test_combo.setCurrentIndex(max(i, 0))
        self.test_combo.blockSignals(False)
        self._test_changed()

    def _test_changed(self) -> None:
        tid = self.test_combo.currentData()
        if not tid:
            return
        self.ctx.settings.station_test = tid
        self.test = self.ctx.battery[tid]
        self.timer.set_test(self.timers.get(tid))
        t = self.test
        self.form = form = Form(t)
        for w in self.fields:
            w.deleteLater()
        self.fields = []
        while self.trials_grid.count():
            item = self.trials_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
        self.unit_combo.blockSignals(True)
        self.unit_combo.clear()
        for u in t.units:
            self.unit_combo.addItem(_(t.label(u)), u)
        self.unit_combo.blockSignals(False)
        for n, f in enumerate(form.fields):
            edit = QLineEdit()
            edit.setObjectName(f"trial{n}")
            label = QLabel(label_words(f.label))  # Enter and Tab move between boxes: no Alt+letter
            label.setBuddy(edit)
            unit_label = QLabel(_(f.unit_words or t.label(t.unit)))
            unit_label.setObjectName(f"unitLabel{n}")
            edit.setAccessibleName(
                _("{label}, in {unit}", label=label_words(f.label), unit=unit_label.text())
            )
            edit.textChanged.connect(lambda _t: self._changed())
            edit.textEdited.connect(self._edited)  # typed by a person, not filled in
            edit.returnPressed.connect(lambda n=n: self._enter(n))
            self.fields.append(edit)
            row, col = (n // 2, (n % 2) * 3) if len(form.fields) == 6 else (n, 0)
            self.trials_grid.addWidget(label, row, col)
            self.trials_grid.addWidget(edit, row, col + 1)
            self.trials_grid.addWidget(unit_label, row, col + 2)
            for widget in (label, edit, unit_label):
                widget.show()  # at once, so focus can move to the new fields straight away
        many_units = len(t.units) > 1 and not form.measured
        self.unit_combo.setVisible(many_units)
        if many_units:
            self.trials_grid.addWidget(QLabel(_("Unit")), 10, 0)
            self.trials_grid.addWidget(self.unit_combo, 10, 1)
        self.leg.clear()
        self.leg.setVisible(t.choice is not None)
        if t.choice is not None:
            words, options = t.choice
            self.leg.addItems(list(options))
            self.leg.setAccessibleName(words)
            self.trials_grid.addWidget(QLabel(words), 11, 0)
            self.trials_grid.addWidget(self.leg, 11, 1)
        for cb in self.mod_boxes.values():
            cb.setParent(None)
        self.mod_boxes = {}
        for mod in t.modifications:
            cb = QCheckBox(_(mod.words))
            cb.setObjectName(f"mod_{mod.key}")
            cb.toggled.connect(lambda _on: self._changed())
            cb.clicked.connect(self._edited)
            self.mod_boxes[mod.key] = cb
            self.mods_row.addWidget(cb)
        self._tab_order()
        self.trials_box.setTitle(_("{test}: {what}", test=_(t.name), what=form.what))
        self.protocol.setText(
            _("How: {protocol}\nSafety: {safety}", protocol=_(t.protocol), safety=_(t.safety))
        )
        self._show_unit_labels()
        self._changed()

    def _tab_order(self) -> None:
        """Tab goes the way the work goes: the card, each box in turn, the unit and leg, the
        modifications, then Save and Not done (the boxes are made after the buttons)."""
        chain: list[QWidget] = [self.test_combo, self.code, *self.fields]
        if self.unit_combo.isVisibleTo(self):
            chain.append(self.unit_combo)
        if self.leg.isVisibleTo(self):
            chain.append(self.leg)
        chain += [*self.mod_boxes.values(), self.save_button, self.not_done_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _show_unit_labels(self) -> None:
        t = self.test
        if t is None or t.fields:
            return
        label = _(t.label(self.unit()))
        for n in range(len(self.fields)):
            w = self.findChild(QLabel, f"unitLabel{n}")
            if w is not None:
                w.setText(label)

    def unit(self) -> str:
        t = self.test
        assert t is not None
        return self.unit_combo.currentData() or t.unit

    # --- who -------------------------------------------------------------------------------
    def lookup(self) -> None:
        text = self.code.text()
        event = self.ctx.current_event
        if event is None:
            self.status.setText(_("Open an MOT day first (Events)."))
            return
        try:
            code = codes.normalise(text)
        except InputError as e:
            self._set_person(None, None, sentence(e))
            return

        def work() -> tuple[ParticipantInfo, AssessmentInfo | None]:
            return self.ctx.desk.card_at_day(code, event_id=event.id)

        def done(found: tuple[ParticipantInfo, AssessmentInfo | None]) -> None:
            p, visit = found
            if visit is None:
                self._set_person(
                    p,
                    None,
                    _(
                        "{name} has not checked in to {event}: please send them to check-in first.",
                        name=p.name,
                        event=event.name,
                    ),
                )
            else:
                self._set_person(p, visit, "")

        def failed(e: BaseException) -> None:
            if isinstance(e, FfmotError):
                self._set_person(None, None, sentence(e))
            else:
                show_error(self, e, N_("finding the participant"))

        self.ctx.runner.run(work, done, failed)

    def _set_person(
        self, person: ParticipantInfo | None, visit: AssessmentInfo | None, warning: str
    ) -> None:
        self.person, self.visit = person, visit
        self.confirm_pending = False
        self.reload_button.hide()
        t = self.test
        assert t is not None
        blocked = ""
        if visit is not None:
            sc = visit.screening
            blocked = why_blocked(
                sc.outcome if sc else None, sc.excluded_tests if sc else (), t, key="F9"
            )
        self.warning.setText(warning or blocked)
        self.warning.setAccessibleName(warning or blocked)
        if person is None:
            self.who.setText("")
        else:
            age = visit.age if visit else age_or_zero(person.date_of_birth, dt.date.today())
            self.who.setText(
                _(
                    "{name} · {code} · age {age} · {sex}",
                    name=person.name,
                    code=codes.display(person.code),
                    age=age,
                    sex=sex_words(person.sex),
                )
            )
        ok = visit is not None and not blocked
        self.dirty = False
        for w in self.fields:
            w.setEnabled(ok)
        self.save_button.setEnabled(ok)
        self.not_done_button.setEnabled(visit is not None)
        self.expected_version = None
        if self.said_of_person and self.status.text() == self.said_of_person:
            self.status.setText("")  # said of the person before: never under the next one
        if visit is not None:
            self._prefill(visit)
        shown = self.isVisible()  # never take the focus from inside a hidden tab
        if ok and self.fields and shown:
            self.fields[0].setFocus()
            self.fields[0].selectAll()
        elif visit is not None and shown:
            self.not_done_button.setFocus()
        elif shown:
            self.code.setFocus()
            self.code.selectAll()
        self._changed()
        self._apply_draft()

    def _prefill(self, visit: AssessmentInfo) -> None:
        t = self.test
        assert t is not None
        r = visit.result(t.id)
        self.expected_version = r.version if r is not None else None
        if t.fields:
            m = self.seen_measurements = visit.measurements
            for edit, f in zip(self.fields, t.fields, strict=True):
                v = getattr(m, f.key)
                edit.setText("" if v is None else f"{v:g}")
            if r is not None and not r.done:
                why = _(REASON_WORDS.get(r.reason or "", r.reason or ""))
                self._say_of_person(
                    _(
                        "Already recorded: not done ({reason}). Enter the measurements and save "
                        "to replace it, or scan the next card.",
                        reason=why,
                    ),
                    _("not done ({reason})", reason=why),
                )
            return
        for edit in self.fields:
            edit.clear()
        if r is None:
            return
        i = self.unit_combo.findData(r.unit)
        if i >= 0:
            self.unit_combo.setCurrentIndex(i)
        for edit, trial in zip(self.fields, r.trials, strict=False):
            edit.setText(f"{trial.value:g}")
        if t.choice is not None and r.trials:
            j = self.leg.findText(r.trials[0].label)
            if j >= 0:
                self.leg.setCurrentIndex(j)
        for key, cb in self.mod_boxes.items():
            cb.setChecked(key in r.modifications)
        if r.done and r.value is not None:
            value = f"{r.value:g}"
            self._say_of_person(
                _(
                    "Already recorded: value {value}. Change it and save, or scan the next card.",
                    value=value,
                ),
                _("value {value}", value=value),
            )
        else:
            why = _(REASON_WORDS.get(r.reason or "", r.reason or ""))
            self._say_of_person(
                _(
                    "Already recorded: not done ({reason}). Change it and save, or scan the "
                    "next card.",
                    reason=why,
                ),
                _("not done ({reason})", reason=why),
            )

    def _say_of_person(self, text: str, recorded: str = "") -> None:
        """A status line about the person on screen: the next person is never shown under it.
        `recorded`: what it says is stored for them, named if another station saves meanwhile."""
        self.status.setText(text)
        self.said_of_person = text
        self.recorded = recorded

    # --- entry: the rules are the core's entry model; this only shows them -------------------
    def entry(self) -> Entry:
        assert self.form is not None
        choice = self.leg.currentText() if self.test and self.test.choice else ""
        return self.form.parse([f.text() for f in self.fields], self.unit(), choice)

    def _changed(self) -> None:
        t, form = self.test, self.form
        if t is None or form is None:
            return
        self._show_unit_labels()
        self.confirm_pending = False
        self.discard_pending = False
        e = self.entry()
        if self.person is not None:
            self.draft_timer.start()
        who = self.person if self.visit is not None else None
        live = form.live(
            e,
            self.unit(),
            [k for k, cb in self.mod_boxes.items() if cb.isChecked()],
            who.sex if who is not None else None,
            self.visit.age if self.visit is not None else None,
            self.ctx.norms,
        )
        self.problem.setText(live.problem)
        self.counted.setText(live.counted)
        self.badge.set_band(live.band, live.band_words)
        self.range_text.setText(live.range_text)
        if live.chart is None:
            self.chart.set_data(None, None, None, False, "", "")
        else:
            self.chart.set_data(*live.chart)
        # With no range to draw, the words above say why (a reading, or why not compared).
        self.chart.setVisible(live.chart is not None or not live.range_text)

    def _enter(self, n: int) -> None:
        """Enter moves on or saves, as the entry model says: measurements are never saved
        half-typed, and a trial's Enter goes to the next trial while it is empty."""
        if self._scanned_into(self.fields[n]):
            return
        assert self.form is not None
        nxt = self.form.enter(n, [f.text() for f in self.fields])
        if nxt is None:
            self.save()
            return
        self.fields[nxt].setFocus()
        self.fields[nxt].selectAll()

    def _scanned_into(self, field: QLineEdit) -> bool:
        """A card scanned while the focus was in a result field (a scanner types the code and
        Enter wherever the focus is): the code is taken out of the field, and it is the next
        person, unless a result typed for this person is not saved yet."""
        found = scanned_code(field.text())
        if found is None:
            return False
        code, kept = found
        field.blockSignals(True)
        field.setText(kept)
        field.blockSignals(False)
        self._changed()
        if self.has_unsaved():
            who = self.person.name if self.person is not None else _("this person")
            self.problem.setText(
                _(
                    "That was a card ({code}). Save the result for {who} first (Enter) or clear "
                    "it (Esc), then scan the card again.",
                    code=codes.display(code),
                    who=who,
                )
            )
            return True
        self.clear()
        self.code.setText(code)
        self.lookup()
        return True

    # --- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        t, form, visit, person = self.test, self.form, self.visit, self.person
        if t is None or form is None or visit is None or person is None:
            return
        if not self.save_button.isEnabled():
            return
        e = self.entry()
        if e.problem:
            self.problem.setText(e.problem)
            return
        if e.empty:
            self.problem.setText(_("Enter a result first, or press F9 if it was not done."))
            return
        if form.measured:
            self._save_measurements(visit, e.values)
            return
        u = self.unit()
        best = form.counted(e, u)
        unusual = form.unusual(e, u)
        if unusual and not self.confirm_pending:
            self.confirm_pending = True
            self.problem.setText(
                _(
                    "{problem}. Press Enter again to save it as it is, or correct it.",
                    problem=unusual,
                )
            )
            return
        mods = [k for k, cb in self.mod_boxes.items() if cb.isChecked()]
        expected = self.expected_version

        def work() -> object:
            return self.ctx.desk.save_result(
                visit.id,
                test_id=t.id,
                trials=e.trials,
                unit=u,
                modifications=mods,
                expected_version=expected,
            )

        def saved(_r: object) -> None:
            self._saved(
                _(
                    "Saved {result} for {name} ({code}). Next person: scan or type their card.",
                    result=f"{best:g} {t.label(u)}",
                    name=person.name,
                    code=codes.display(person.code),
                )
            )

        self.ctx.runner.run(work, saved, self._save_failed)

    def _save_measurements(self, visit: AssessmentInfo, values: dict[str, float]) -> None:
        """Only this test's measurements, checked against what this screen showed: another
        station's activity answers or notes are not a conflict for the BMI station."""
        t = self.test
        assert t is not None
        keys = [f.key for f in t.fields]
        new = Measurements(**{k: values.get(k) for k in keys})  # type: ignore[arg-type]
        seen = self.seen_measurements
        results_seen = {t.id: self.expected_version}
        person = self.person
        assert person is not None

        def work() -> object:
            return self.ctx.desk.save_measurements(
                visit.id, measurements=new, only=keys, seen=seen, results_seen=results_seen
            )

        def saved(_r: object) -> None:
            self._saved(
                _(
                    "Saved measurements for {name} ({code}). Next person: scan or type their card.",
                    name=person.name,
                    code=codes.display(person.code),
                )
            )

        self.ctx.runner.run(work, saved, self._save_failed)

    def _saved(self, said: str) -> None:
        """`said`: what was saved for whom, and what to do next."""
        visit_id = self.visit.id if self.visit else ""
        self.drafts.clear(self._draft_key())
        self.status.setText(said)
        self.status.setAccessibleName(self.status.text())
        self.clear()
        self.ctx.records_changed.emit(visit_id)
        self.saved.emit(visit_id)

    def _save_failed(self, e: BaseException) -> None:
        if isinstance(e, ConflictError):
            self.problem.setText(sentence(e))
            self.reload_button.show()
            self.reload_button.setFocus()
        elif isinstance(e, FfmotError):
            self.problem.setText(sentence(e))
        else:
            show_error(self, e, N_("saving the result"))

    def reload(self) -> None:
        """After a conflict: read what the other station saved, and keep what was typed here,
        so the practitioner chooses: Enter saves theirs over it, Esc twice keeps theirs."""
        self.reload_button.hide()
        self._pending_draft = {**self._entry_state(), "why": "reload"}
        self.lookup()

    def _entry_state(self) -> dict[str, object]:
        return {
            "test": self.test.id if self.test else "",
            "code": self.code.text(),
            "unit": self.unit(),
            "choice": self.leg.currentText(),
            "fields": [f.text() for f in self.fields],
            "mods": [k for k, cb in self.mod_boxes.items() if cb.isChecked()],
        }

    def show_reasons(self) -> None:
        if self.visit is None:
            return
        self.reasons.show()
        QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(self.reasons))  # laid out
        self.reason_buttons["declined"].setFocus()

    def _escape(self) -> None:
        """Esc closes a panel; on an entry, a typed result is only discarded by a second Esc."""
        if self.stops.isVisible():
            self.stops.hide()
        elif self.reasons.isVisible():
            self.reasons.hide()
        elif self.has_unsaved() and not self.discard_pending:
            who = self.person.name if self.person is not None else _("this person")
            self.discard_pending = True
            self.problem.setText(
                _(
                    "The result for {who} is not saved. Press Esc again to discard it, or Enter "
                    "to save it.",
                    who=who,
                )
            )
        else:
            self.clear()

    def keyPressEvent(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        assert isinstance(event, QKeyEvent)
        if self.stops.isVisible() and Qt.Key.Key_1 <= event.key() <= Qt.Key.Key_5:
            self.not_done("stopped_by_tester", STOP_REASONS[event.key() - Qt.Key.Key_1])
            return
        if self.reasons.isVisible() and Qt.Key.Key_1 <= event.key() <= Qt.Key.Key_5:
            self.not_done(NOT_DONE_REASONS[event.key() - Qt.Key.Key_1])
            return
        super().keyPressEvent(event)

    def not_done(self, reason: str, stop_reason: str | None = None) -> None:
        """Records the test as not done; a test the tester stopped first asks why."""
        t, visit, person = self.test, self.visit, self.person
        self.reasons.hide()
        if t is None or visit is None or person is None:
            return
        if reason == "stopped_by_tester" and stop_reason is None:
            self.stops.show()
            QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(self.stops))
            self.stop_buttons["chest_pain"].setFocus()
            return
        self.stops.hide()
        expected = self.expected_version

        def saved(_r: object) -> None:
            name, code = person.name, codes.display(person.code)
            why = _(REASON_WORDS[reason]).lower()
            if stop_reason:
                said = _(
                    "Saved 'not done: {reason} ({stop})' for {name} ({code}). Next person: scan "
                    "or type their card.",
                    reason=why,
                    stop=_(STOP_WORDS[stop_reason]).lower(),
                    name=name,
                    code=code,
                )
            else:
                said = _(
                    "Saved 'not done: {reason}' for {name} ({code}). Next person: scan or type "
                    "their card.",
                    reason=why,
                    name=name,
                    code=code,
                )
            self._saved(said)

        self.ctx.runner.run(
            lambda: self.ctx.desk.not_done(
                visit.id,
                test_id=t.id,
                reason=reason,
                stop_reason=stop_reason,
                expected_version=expected,
            ),
            saved,
            self._save_failed,
        )

    def clear(self) -> None:
        self.person = self.visit = None
        self.seen_measurements = Measurements()
        self.dirty = False
        self.discard_pending = False
        self.expected_version = None
        self.confirm_pending = False
        for w in self.fields:
            w.blockSignals(True)
            w.clear()
            w.blockSignals(False)
        for cb in self.mod_boxes.values():
            cb.setChecked(False)
        self.code.clear()
        self.who.setText("")
        self.warning.setText("")
        self.problem.setText("")
        self.reasons.hide()
        self.stops.hide()
        self.reload_button.hide()
        self._changed()
        self.code.setFocus()

    # --- drafts ----------------------------------------------------------------------------
    def _draft_key(self) -> str:
        return self.drafts.station_key(self.ctx.settings.station)

    def _edited(self, *_args: object) -> None:
        self.dirty = True

    def has_unsaved(self) -> bool:
        """Typed by the practitioner and not saved: a stored result shown again is not."""
        return self.person is not None and self.dirty and any(f.text().strip() for f in self.fields)

    def _write_draft(self) -> None:
        if not self.has_unsaved() or self.test is None:
            self.drafts.clear(self._draft_key())
            return
        self.drafts.save(self._draft_key(), self._entry_state())

    def _restore_draft(self) -> None:
        d = self.drafts.load(self._draft_key())
        if not d:
            return
        i = self.test_combo.findData(d.get("test"))
        if i < 0:
            return
        self.test_combo.setCurrentIndex(i)
        self.code.setText(str(d.get("code", "")))
        self._pending_draft = d
        self._resume_draft()

    def _restore_draft_once_open(self) -> None:
        if not self._pending_draft and not self.has_unsaved():
            self._restore_draft()

    def _resume_draft(self) -> None:
        """Once an MOT day is open, find the person the draft was for; the draft is applied
        when their visit is found."""
        if self._pending_draft and self.ctx.current_event is not None:
            self.lookup()

    def _apply_draft(self) -> None:
        d = self._pending_draft
        if not d or self.visit is None or d.get("code") != self.code.text():
            return
        shown = self.status.text()
        theirs = self.recorded if self.said_of_person and shown == self.said_of_person else ""
        fields = d.get("fields", [])
        mods = d.get("mods", [])
        i = self.unit_combo.findData(d.get("unit"))
        if i >= 0:
            self.unit_combo.setCurrentIndex(i)
        j = self.leg.findText(str(d.get("choice", "")))
        if j >= 0:
            self.leg.setCurrentIndex(j)
        for edit, text in zip(
            self.fields, fields if isinstance(fields, list) else [], strict=False
        ):
            edit.setText(str(text))
        for key, cb in self.mod_boxes.items():
            cb.setChecked(isinstance(mods, list) and key in mods)
        self._pending_draft = None
        self.dirty = True  # still unsaved: it came back from a draft
        if d.get("why") == "reload":
            self._say_of_person(
                _(
                    "Another station saved {result}. Your entry is still in the boxes: press "
                    "Enter to save yours instead, or Esc twice to keep theirs.",
                    result=theirs,
                )
                if theirs
                else _(
                    "Another station saved a result. Your entry is still in the boxes: press "
                    "Enter to save yours instead, or Esc twice to keep theirs."
                )
            )
        else:
            self.status.setText(
                _("Restored the entry you were typing when ffmot last closed. Check it, then save.")
            )
        self.status.setAccessibleName(self.status.text())

    def focus_first(self) -> None:
        """On coming to the station: the entry in progress, else the card code."""
        if self.person is not None and self.fields and self.fields[0].isEnabled():
            self.fields[0].setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.code.setFocus(Qt.FocusReason.OtherFocusReason)
