"""The board's refresh on the GUI thread, as the 15-second timer does it, at 1,000 and 10,000
rows: the way it was (the model reset, every row re-sorted, the auto-sized columns re-measured
over every row) against the way it is (the change worked out off the GUI thread and applied in
place, fixed columns sized once). Both in a real QTableView over the board's real model and
sort proxy, shown offscreen and repainted; five rows change per refresh.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Any


def _rows(n: int, tick: int) -> list[Any]:
    from ffmot.services.board import BoardRow

    statuses = ("screening", "testing", "ready", "printed")
    return [
        BoardRow(
            f"visit-{i:06d}",
            "ABCD234",
            f"Given{i % 977} Family{i % 4451}",
            (i + (tick if i % (n // 5) == 0 else 0)) % 10,
            9,
            ("grip", "walk_6min") if i % 3 else (),
            "clear",
            statuses[i % 4],
        )
        for i in range(n)
    ]


def _table(old: bool) -> tuple[Any, Any]:
    from PySide6.QtCore import QSortFilterProxyModel, Qt
    from PySide6.QtWidgets import QHeaderView, QTableView

    from ffmot.gui.models import RowsModel

    model: Any = RowsModel(
        [
            ("Code", lambda r: r.code),
            ("Name", lambda r: r.name),
            ("Screening", lambda r: r.screening),
            ("Done", lambda r: f"{r.done} of {r.offered}"),
            ("Still to do", lambda r: ", ".join(r.still_needed) or "—"),
            ("Status", lambda r: r.status),
        ]
    )
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    table = QTableView()
    table.setModel(proxy)
    table.setSortingEnabled(True)
    header = table.horizontalHeader()
    mode = QHeaderView.ResizeMode.ResizeToContents if old else QHeaderView.ResizeMode.Fixed
    for col in (0, 2, 3, 5):
        header.setSectionResizeMode(col, mode)
    for col in (1, 4):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
    table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    table.resize(1366, 700)
    table.show()
    table.setProperty("ffmot_bench_proxy", proxy)  # kept alive with the view
    return model, table


def _refreshes(n: int, old: bool, rounds: int = 8) -> list[float]:
    from PySide6.QtWidgets import QApplication

    from ffmot.gui.models import diff_rows

    app = QApplication.instance()
    model, table = _table(old)
    model.set_rows(_rows(n, 0))
    app.processEvents()
    table.repaint()
    out = []
    for tick in range(1, rounds + 1):
        new = _rows(n, tick)
        diff = None if old else diff_rows(model.version, model.rows, new, lambda r: r.assessment_id)
        t = time.perf_counter()
        if diff is None:
            model.set_rows(new)
        else:
            model.apply(diff)
        app.processEvents()
        table.repaint()
        out.append(time.perf_counter() - t)
    table.close()
    return out


def run() -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])
    out: dict[str, Any] = {}
    for n in (1_000, 10_000):
        for old in (True, False):
            ms = [s * 1000 for s in _refreshes(n, old)]
            key = f"board_{n // 1000}k_refresh_ms_{'before' if old else 'after'}"
            out[key] = round(statistics.median(ms), 1)
            out[key + "_max"] = round(max(ms), 1)
    # off the GUI thread: the diff itself, worked out in the background
    rows = _rows(10_000, 0)
    new = [dataclasses.replace(r) for r in _rows(10_000, 1)]
    from ffmot.gui.models import diff_rows

    t = time.perf_counter()
    diff_rows(0, rows, new, lambda r: r.assessment_id)
    out["board_10k_diff_ms_background"] = round((time.perf_counter() - t) * 1000, 1)
    return out


if __name__ == "__main__":
    import json
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(run(), indent=1))
