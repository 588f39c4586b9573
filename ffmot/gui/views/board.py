"""The MOT day board: everyone checked in, what each still needs, who is ready to print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ffmot.core import codes
from ffmot.core.i18n import N_, _
from ffmot.gui.context import AppContext, show_error
from ffmot.gui.models import RowsDiff, RowsModel, diff_rows
from ffmot.gui.widgets import heading
from ffmot.services.types import BOARD_STATUS_WORDS

if TYPE_CHECKING:
    from ffmot.services.board import BoardRow

STATUS_MARK = {
    "screening": "○ ",
    "testing": "◐ ",
    "ready": "● ",
    "reprint": "↻ ",
    "printed": "✔ ",
    "conflict": "≠ ",
    "withdrawn": "⊘ ",
    "no_consent": "⊘ ",
}
# Someone whose latest decision on keeping their results is no: not tested, no sheet.
CONSENT_WORDS = {
    "withdrawn": N_("Consent withdrawn: do not test or print"),
    "no_consent": N_("No consent to keep results: ask at check-in"),
}
STATUS_WORDS = {**BOARD_STATUS_WORDS, **CONSENT_WORDS}
SCREEN_WORDS = {
    "incomplete": N_("not finished"),
    "clear": N_("clear"),
    "care": N_("with care"),
    "do_not_test": N_("do not test"),
    "": "—",
}
_FIXED = (0, 2, 3, 5)  # code, screening, done, status: sized from their texts, not per row
_USUAL = frozenset(BOARD_STATUS_WORDS) - {"conflict"}  # the status column always fits these


@dataclass(frozen=True)
class _Refreshed:
    """A refresh, worked out off the GUI thread: the change to the rows and the counts."""

    diff: RowsDiff[BoardRow]
    counts: dict[str, int]


class BoardView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("boardView")
        battery = ctx.battery
        self.model: RowsModel[BoardRow] = RowsModel(
            [
                (_("Code"), lambda r: codes.display(r.code)),
                (_("Name"), lambda r: r.name),
                (_("Screening"), lambda r: _screen_words(r.screening)),
                (_("Done"), lambda r: _("{done} of {offered}", done=r.done, offered=r.offered)),
                (
                    _("Still to do"),
                    lambda r: (
                        ", ".join(_(battery[t].short_name) for t in r.still_needed if t in battery)
                        or "—"
                    ),
                ),
                (_("Status"), lambda r: STATUS_MARK[r.status] + _(STATUS_WORDS[r.status])),
            ]
        )
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("boardTable")
        self.table.setAccessibleName(_("Everyone checked in today"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self._statuses: set[str] = set(_USUAL)
        header = self.table.horizontalHeader()
        # Codes, counts and status never shrink; a long name or list is cut short (…) instead,
        # so at large print on a projector the code that tells two people apart stays whole.
        # Their widths are worked out once from every text they can hold, not by measuring
        # each row on each refresh (seconds at a 10,000-row board).
        for col in _FIXED:
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        for col in (1, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self._size_columns()
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.activated.connect(self._open)
        self.summary = QLabel()
        self.summary.setObjectName("boardSummary")
        # The counts wrap: one line, longer with a rare status in it, would otherwise make the
        # window wider than a projector's screen at large print.
        self.summary.setWordWrap(True)
        refresh = QPushButton(_("&Refresh"))
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(heading(_("Today's board")))
        top.addStretch(1)
        top.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(_("Enter or double-click a row to open their results.")))
        self.timer = QTimer(self)
        self.timer.setInterval(15000)  # other stations save too
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        ctx.event_changed.connect(self.refresh)
        ctx.records_changed.connect(lambda _id: self.refresh())
        self.refresh()

    def focus_first(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._size_columns()  # large print on or off

    def _size_columns(self) -> None:
        """Each fixed column as wide as the widest text it can show, in the table's font; the
        status column as wide as the statuses on the board now (the longest, a withdrawal,
        would otherwise take room from the names at large print on a small screen)."""
        cells = self.table.fontMetrics()
        heads = self.table.horizontalHeader().fontMetrics()
        texts = {
            0: [codes.display(c * (codes.BODY + 1)) for c in codes.ALPHABET],
            2: [_screen_words(k) for k in SCREEN_WORDS],
            3: [_("{done} of {offered}", done=88, offered=88)],
            5: [STATUS_MARK[k] + _(STATUS_WORDS[k]) for k in self._statuses],
        }
        pad = cells.horizontalAdvance("M")  # the cell margins, as a fitted column has
        for col in _FIXED:
            title = str(self.model.headerData(col, Qt.Orientation.Horizontal))
            widest = max(
                [cells.horizontalAdvance(t) for t in texts[col]]
                + [heads.horizontalAdvance(title) + cells.horizontalAdvance("MM")]
            )
            self.table.horizontalHeader().resizeSection(col, widest + pad)

    def refresh(self) -> None:
        """Reads the board off the GUI thread and works out there what changed; the GUI thread
        only applies the change (other stations' saves refresh it every 15 seconds)."""
        event = self.ctx.current_event
        if event is None:
            self.model.set_rows([])
            self.summary.setText(_("Open an MOT day first (Events)."))
            return
        desk, base, before = self.ctx.desk, self.model.version, self.model.rows

        def work() -> _Refreshed:
            rows = desk.board(event.id)
            counts = dict.fromkeys(STATUS_WORDS, 0)
            for r in rows:
                counts[r.status] = counts.get(r.status, 0) + 1
            return _Refreshed(diff_rows(base, before, rows, _key), counts)

        self.ctx.runner.run(
            work,
            self._show,
            lambda e: show_error(self, e, N_("reading the board")),
        )

    def _selected_id(self) -> str | None:
        row = self.model.row_at(self.proxy.mapToSource(self.table.currentIndex()))
        return row.assessment_id if row is not None else None

    def _show(self, refreshed: _Refreshed) -> None:
        """The change applied in place: the person the practitioner had chosen stays chosen
        and the list stays where it was scrolled to. A refresh worked out against rows that
        have changed since is replaced by a fresh one."""
        if not self.model.apply(refreshed.diff):
            self.refresh()
            return
        counts = refreshed.counts
        present = {k for k, n in counts.items() if n} | _USUAL
        if present != self._statuses:  # rarely: someone is the first in a state
            self._statuses = present
            self._size_columns()
        rare = (*CONSENT_WORDS, "conflict")  # said only when someone is in that state
        shown = [k for k, n in counts.items() if n or k not in rare]
        self.summary.setText(
            _("{count} checked in", count=len(self.model.rows))
            + " · "
            + " · ".join(
                _("{status}: {count}", status=_(STATUS_WORDS[k]), count=counts[k]) for k in shown
            )
        )

    def _open(self, index: object) -> None:
        from PySide6.QtCore import QModelIndex

        assert isinstance(index, QModelIndex)
        row = self.model.row_at(self.proxy.mapToSource(index))
        if row is not None:
            self.ctx.show_visit.emit(row.assessment_id)


def _screen_words(screening: str) -> str:
    """A screening outcome in a word or two; an outcome without words is shown as it is."""
    words = SCREEN_WORDS.get(screening)
    return screening if words is None else _(words)


def _key(row: BoardRow) -> str:
    return row.assessment_id
