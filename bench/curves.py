"""Scale curves: the same day-sized work on databases of growing size, to show what grows with
the database and what does not. For each size (its demo database built once and cached):

- search: find as you type (bench/scale.py: every prefix of a name, a code, a date of birth),
  p95, first letters included;
- open a visit (load_overview), median;
- the board of the busiest ordinary MOT day (services.board), median of 5;
- the summary of that day (summary_data);
- that day's export, end to end in a new process (bench/endtoend.py), CPU and peak memory;
- erasing one person (erase_participant on a copy of the file), once.

A figure "should be flat" when the work is one day's or one person's: such a figure at the
largest size more than `FLAT_LIMIT` times the smallest's is a failure (bench/run --check).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

FLAT = ("open_ms", "board_ms", "day_summary_s", "export_day_cpu_s", "erase_s")
FLAT_LIMIT = 3.0


def _busiest_usual_day(db: Any) -> Any:
    from bench.datasets import SUMMARY_DAY
    from ffmot.services.records import list_events

    days = [e for e in list_events(db) if e.name != SUMMARY_DAY]
    return max(days, key=lambda e: e.participants)


def one_size(path: Path, info: dict[str, Any]) -> dict[str, Any]:
    from bench import endtoend, scale
    from ffmot.services.board import board
    from ffmot.services.summary import summary_data
    from ffmot.store.db import connect

    out: dict[str, Any] = {"participants": info["participants"], "visits": info["visits"]}
    db = connect(str(path))
    try:
        out["search_p95_ms"] = scale.search(db, 10)["p95_ms"]
        out["open_ms"] = scale.open_visits(db, 40)["median_ms"]
        day = _busiest_usual_day(db)
        out["day_people"] = day.participants
        board(db, day.id)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            board(db, day.id)
            times.append(time.perf_counter() - t)
        out["board_ms"] = round(statistics.median(times) * 1000, 1)
        t = time.perf_counter()
        summary_data(db, day.id)
        out["day_summary_s"] = round(time.perf_counter() - t, 3)
    finally:
        db.close()
    with tempfile.TemporaryDirectory(prefix="ffmot-curve-") as tmp:
        r = endtoend.command(
            [
                "-m",
                "ffmot",
                "--db",
                str(path),
                "export",
                "--format",
                "csv",
                "--event",
                day.id,
                "--out",
                str(Path(tmp) / "day.csv"),
            ]
        )
        out["export_day_cpu_s"], out["export_day_peak_mb"] = r["cpu_s"], r["peak_mb"]
        out["erase_s"] = _erase_one(path, Path(tmp))
    return out


def _erase_one(path: Path, tmp: Path) -> float:
    """Erases one person from a copy of the file (the cached database stays as it is)."""
    from sqlalchemy import select

    from ffmot.services.erase import erase_participant
    from ffmot.services.types import Actor
    from ffmot.store.db import connect
    from ffmot.store.models import Participant

    copy = tmp / "erase.db"
    shutil.copyfile(path, copy)
    keys = Path(f"{path}.keys")
    if keys.exists():
        shutil.copyfile(keys, Path(f"{copy}.keys"))
    db = connect(str(copy))
    try:
        with db.transaction() as s:
            code = s.scalar(select(Participant.code).order_by(Participant.id).limit(1))
        t = time.perf_counter()
        erase_participant(db, Actor("bench", "bench"), code or "")
        return round(time.perf_counter() - t, 3)
    finally:
        db.close()


def run(sizes: list[int]) -> dict[str, Any]:
    from bench import datasets

    curve = []
    for n in sizes:
        path, info = datasets.sqlite_db(datasets.Spec(n, 1, min(10_000, n // 10)))
        curve.append(one_size(path, info))
    out: dict[str, Any] = {"curve_sqlite": curve}
    if len(curve) > 1:
        small, large = curve[0], curve[-1]
        grew = {k: round(large[k] / small[k], 2) for k in FLAT if small.get(k) and large.get(k)}
        out["curve_growth"] = grew
        out["curve_worst_growth"] = max(grew.values(), default=None)
    return out


if __name__ == "__main__":
    import json
    import os
    import sys

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(run([int(a) for a in sys.argv[1:]] or [1_000, 10_000]), indent=1))
