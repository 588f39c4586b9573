"""Table models over plain rows (model/view: the views never hold database objects)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RowsDiff(Generic[T]):
    """How to turn a model's rows into new ones in place: worked out off the GUI thread by
    `diff_rows`, applied on it by `RowsModel.apply` in time proportional to what changed."""

    base: int  # the model version it was worked out against
    rows: tuple[T, ...]  # the rows after: the old order, less the removed, plus the added
    removed: tuple[int, ...]  # indexes in the old rows, highest first
    changed: tuple[int, ...]  # indexes in the rows after whose content changed
    added: int  # how many rows were added at the end


def diff_rows(
    base: int, old: Sequence[T], new: Sequence[T], key: Callable[[T], Hashable]
) -> RowsDiff[T]:
    """Plain Python, no Qt: safe in a worker thread. Rows are matched by `key`; a row whose key
    is still there keeps its place (a sorting proxy above the model orders what is shown)."""
    fresh = {key(r): r for r in new}
    kept: list[T] = []
    removed: list[int] = []
    changed: list[int] = []
    for i, r in enumerate(old):
        now = fresh.pop(key(r), None)
        if now is None:
            removed.append(i)
            continue
        if now != r:
            changed.append(len(kept))
        kept.append(now)
    added = list(fresh.values())  # in the order the new rows gave them
    return RowsDiff(base, tuple(kept + added), tuple(reversed(removed)), tuple(changed), len(added))


class RowsModel(QAbstractTableModel, Generic[T]):
    """A read-only table of frozen rows; `columns` are (heading, row -> text)."""

    def __init__(self, columns: Sequence[tuple[str, Callable[[T], Any]]]) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rows: tuple[T, ...] = ()
        self.version = 0  # bumped on every change, so a diff knows what it was made against

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self.rows = tuple(rows)
        self.version += 1
        self.endResetModel()

    def apply(self, diff: RowsDiff[T]) -> bool:
        """Changes the rows in place: removed rows go, changed rows repaint, new rows are added
        at the end; a view's selection and scrolling are left alone. False (and nothing done)
        when the model changed since the diff was worked out."""
        if diff.base != self.version:
            return False
        rows = list(self.rows)
        for first, last in _runs(diff.removed):
            self.beginRemoveRows(QModelIndex(), first, last)
            del rows[first : last + 1]
            self.rows = tuple(rows)
            self.endRemoveRows()
        self.rows = diff.rows[: len(diff.rows) - diff.added]
        right = len(self.columns) - 1
        for first, last in _runs(tuple(reversed(diff.changed))):
            self.dataChanged.emit(self.index(first, 0), self.index(last, right))
        if diff.added:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + diff.added - 1)
            self.rows = diff.rows
            self.endInsertRows()
        self.version += 1
        return True

    def row_at(self, index: Index) -> T | None:
        return self.rows[index.row()] if index.isValid() and index.row() < len(self.rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            value = self.columns[index.column()][1](self.rows[index.row()])
            return "" if value is None else str(value)
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None


def _runs(descending: Sequence[int]) -> list[tuple[int, int]]:
    """Highest-first indexes as (first, last) runs of neighbours, highest run first."""
    out: list[tuple[int, int]] = []
    for i in descending:
        if out and out[-1][0] == i + 1:
            out[-1] = (i, out[-1][1])
        else:
            out.append((i, i))
    return out
