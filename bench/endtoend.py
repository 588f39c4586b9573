"""Whole commands, each in a new process as a user runs it, each against its floor run the same
way in the same run (bench/floors.py): wall time, CPU time (user + system) and peak memory.

- `ffmot score --batch` of N rows against the csv module reading the same file and writing
  each row with as many cells as the output has.
- `ffmot export` (the whole database, and its busiest MOT day) against one SQL query over
  visits, participants, MOT days and results on ffmot's own connection, written by the csv
  module.

Ratios are CPU time against the floor's CPU time. The machine's load average is recorded
before and after, as a busy machine slows everything.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT

_TESTS = (
    ("chair_stand", "", 5, 25, True),
    ("arm_curl", "", 5, 30, True),
    ("step_2min", "", 40, 140, True),
    ("grip", "kg", 10, 50, False),
    ("up_and_go", "s", 3, 12, False),
    ("walk_6min", "m", 200, 700, False),
    ("sit_and_reach", "cm", -20, 20, False),
    ("back_scratch", "cm", -30, 10, False),
)


def batch_file(path: Path, rows: int, seed: int = 1) -> None:
    """A score --batch input as a programme would send it: mixed tests, ages and sexes."""
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["test", "sex", "age", "dob", "date", "value", "unit"])
        for _ in range(rows):
            test, unit, lo, hi, whole = rng.choice(_TESTS)
            value = rng.randint(lo, hi) if whole else round(rng.uniform(lo, hi), 1)
            w.writerow([test, rng.choice("FM"), rng.randint(60, 94), "", "", value, unit])


def command(args: list[str]) -> dict[str, float]:
    """A new Python process running `args`: wall seconds, CPU seconds and peak memory in MB,
    measured by a small process in between (bench/measure.py says why)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run(
        [sys.executable, "-m", "bench.measure", sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    r = json.loads(p.stdout)
    if r["status"] != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {r['stderr'].strip()[-300:]}")
    return {k: r[k] for k in ("wall_s", "cpu_s", "peak_mb")}


def _pair(out: dict[str, Any], name: str, ours: list[str], floor: list[str]) -> None:
    mine, base = command(ours), command(floor)
    for k, v in mine.items():
        out[f"{name}_{k}"] = v
    for k, v in base.items():
        out[f"{name}_floor_{k}"] = v
    out[f"{name}_ratio"] = round(mine["cpu_s"] / max(base["cpu_s"], 0.01), 2)


def run(db: Path, info: dict[str, Any], rows: int) -> dict[str, Any]:
    from ffmot.core.batch import OUTPUT_COLUMNS

    out: dict[str, Any] = {"endtoend_load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="ffmot-e2e-") as tmp:
        t = Path(tmp)
        src = t / "in.csv"
        batch_file(src, rows)
        out["batch_rows"] = rows
        _pair(
            out,
            "batch",
            ["-m", "ffmot", "score", "--batch", str(src), "--out", str(t / "scored.csv")],
            ["-m", "bench.floors", "csv", str(src), str(t / "floor.csv"), str(len(OUTPUT_COLUMNS))],
        )
        # The same floor writing about as many bytes as score does (its cells, not empty ones).
        width = str(len(OUTPUT_COLUMNS))
        like = command(
            [
                "-m",
                "bench.floors",
                "csv",
                str(src),
                str(t / "like.csv"),
                width,
                str(t / "scored.csv"),
            ]
        )
        out["batch_floor_same_bytes_cpu_s"] = like["cpu_s"]
        out["batch_same_bytes_ratio"] = round(out["batch_cpu_s"] / max(like["cpu_s"], 0.01), 2)
        out["export_participants"] = info.get("participants")
        _pair(
            out,
            "export_full",
            [
                "-m",
                "ffmot",
                "--db",
                str(db),
                "export",
                "--format",
                "csv",
                "--out",
                str(t / "a.csv"),
            ],
            ["-m", "bench.floors", "export", str(db), str(t / "f.csv")],
        )
        day = _busiest_day(db)
        if day:
            _pair(
                out,
                "export_day",
                [
                    "-m",
                    "ffmot",
                    "--db",
                    str(db),
                    "export",
                    "--format",
                    "csv",
                    "--event",
                    day,
                    "--out",
                    str(t / "d.csv"),
                ],
                ["-m", "bench.floors", "export", str(db), str(t / "g.csv"), day],
            )
            with (t / "d.csv").open(newline="") as f:
                out["export_day_rows"] = sum(1 for _ in itertools.islice(csv.reader(f), 1, None))
    out["endtoend_load_after"] = round(os.getloadavg()[0], 2)
    return out


def _busiest_day(db: Path) -> str | None:
    from sqlalchemy import func, select

    from ffmot.store.db import connect
    from ffmot.store.models import Assessment

    d = connect(str(db))
    try:
        with d.transaction() as s:
            return s.scalar(
                select(Assessment.event_id)
                .group_by(Assessment.event_id)
                .order_by(func.count().desc(), Assessment.event_id)
                .limit(1)
            )
    finally:
        d.close()


if __name__ == "__main__":
    import json

    from bench import datasets

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    path, info = datasets.sqlite_db(datasets.Spec(size, 1, size // 10))
    print(
        json.dumps(run(path, info, int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000), indent=1)
    )
