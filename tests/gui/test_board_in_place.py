"""The board changes in place: a refresh works out off the GUI thread what changed and the
model repaints only those rows (no reset, so no re-sort of everyone, no lost selection), and
its fixed columns are sized once from every text they can hold, not re-measured per row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QHeaderView

from ffmot.core import codes
from ffmot.gui.models import RowsModel, diff_rows
from ffmot.services import records as R
from ffmot.services.board import BoardRow
from tests.helpers import CEILING_MS, screened_visit


def test_a_save_repaints_only_that_persons_row(day, qtbot):
    w = day.window
    w.show_view("board")
    board = w.board
    qtbot.waitUntil(lambda: board.model.rowCount() == 2, timeout=CEILING_MS)
    seen: dict[str, list] = {"reset": [], "changed": [], "inserted": [], "removed": []}
    m = board.model
    m.modelReset.connect(lambda: seen["reset"].append(1))
    m.dataChanged.connect(lambda a, b: seen["changed"].append((a.row(), b.row())))
    m.rowsInserted.connect(lambda _p, a, b: seen["inserted"].append((a, b)))
    m.rowsRemoved.connect(lambda _p, a, b: seen["removed"].append((a, b)))
    _ada, visit = day.people["Ada"]
    ada_row = next(i for i, r in enumerate(m.rows) if r.assessment_id == visit.id)
    R.save_result(day.ctx.db, day.ctx.actor, visit.id, "chair_stand", [(12, "")])
    board.refresh()
    qtbot.waitUntil(lambda: bool(seen["changed"]), timeout=CEILING_MS)
    assert seen == {"reset": [], "changed": [(ada_row, ada_row)], "inserted": [], "removed": []}
    assert m.rows[ada_row].done == 1

    # Someone new arrives: one row is added, nobody else is touched.
    ctx = day.ctx
    screened_visit(
        ctx.db, ctx.actor, ctx.current_event.id, "Cath", "Newcombe", dt.date(1950, 5, 5), "female"
    )
    board.refresh()
    qtbot.waitUntil(lambda: bool(seen["inserted"]), timeout=CEILING_MS)
    assert seen["inserted"] == [(2, 2)] and seen["reset"] == [] and len(seen["changed"]) == 1
    assert "3 checked in" in board.summary.text()


def test_fixed_columns_are_sized_once_and_hold_every_code(day, qtbot):
    board = day.window.board
    header = board.table.horizontalHeader()
    for col in (0, 2, 3, 5):
        assert header.sectionResizeMode(col) == QHeaderView.ResizeMode.Fixed
    fm = board.table.fontMetrics()
    widest = max(fm.horizontalAdvance(codes.display(c * 7)) for c in codes.ALPHABET)
    assert header.sectionSize(0) >= widest
    # Large print: the widths follow the font.
    before = header.sectionSize(5)
    font = board.table.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)
    board.setFont(font)
    qtbot.waitUntil(lambda: header.sectionSize(5) > before, timeout=CEILING_MS)


def _row(i: int, done: int, status: str) -> BoardRow:
    return BoardRow(f"v{i:05d}", "ABCD234", f"Person {i}", done, 9, (), "clear", status)


def test_a_diff_applied_in_place_gives_exactly_the_new_rows(qtbot):
    # Qt's own model checker watches every signal; random changes, removals and additions.
    rng = random.Random(5)
    model: RowsModel[BoardRow] = RowsModel([("Name", lambda r: r.name), ("Done", lambda r: r.done)])
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    rows = [_row(i, 0, "testing") for i in range(300)]
    model.set_rows(rows)
    for _round in range(30):
        keep = [r for r in rows if rng.random() > 0.05]
        keep = [dataclasses.replace(r, done=r.done + 1) if rng.random() < 0.1 else r for r in keep]
        new = keep + [
            _row(1000 + _round * 10 + k, 0, "screening") for k in range(rng.randint(0, 4))
        ]
        rng.shuffle(new)
        diff = diff_rows(model.version, model.rows, new, lambda r: r.assessment_id)
        assert model.apply(diff)
        assert sorted(model.rows, key=lambda r: r.assessment_id) == sorted(
            new, key=lambda r: r.assessment_id
        )
        for i, r in enumerate(model.rows):
            assert model.data(model.index(i, 1), Qt.ItemDataRole.DisplayRole) == str(r.done)
        rows = new
    # A diff worked out against rows that have changed since is refused, and nothing changes.
    stale = diff_rows(model.version - 1, model.rows, [], lambda r: r.assessment_id)
    assert not model.apply(stale) and model.rowCount() == len(rows)


def test_the_status_column_makes_room_for_a_withdrawal_only_when_there_is_one(day, qtbot):
    from ffmot.gui.views.board import STATUS_MARK, STATUS_WORDS

    board = day.window.board
    day.window.show_view("board")
    qtbot.waitUntil(lambda: board.model.rowCount() == 2, timeout=CEILING_MS)
    header = board.table.horizontalHeader()
    fm = board.table.fontMetrics()
    withdrawn = fm.horizontalAdvance(STATUS_MARK["withdrawn"] + STATUS_WORDS["withdrawn"])
    assert header.sectionSize(5) < withdrawn  # the names keep that room on an ordinary day
    ada, _visit = day.people["Ada"]
    R.record_consent(day.ctx.db, day.ctx.actor, ada.id, "keep_results", False)
    board.refresh()
    qtbot.waitUntil(lambda: header.sectionSize(5) >= withdrawn, timeout=CEILING_MS)
