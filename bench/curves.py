"""Scale curves: the same day-sized work on databases of growing size, to show what grows with
the database and what does not. For each size (its demo database built once and cached):

- search: find as you type (bench/scale.py: every prefix of a name, a code, a date of birth),
  p95, first letters included;
- open a visit (load_overview), median;
- the board of an ordinary MOT day of about 75 people (services.board), median of 5;
- the summary of that day (summary_data);
- that day's export, end to end in a new process (bench/endtoend.py), CPU and peak memory;
- erasing one person (erase_participant on a copy of the file), once.

On PostgreSQL (`run(sizes, postgres=True)`) each size is restored into a private throwaway
server from its cached dump, and the erasure is made in that restored database.

A figure "should be flat" when the work is one day's or one person's: such a figure at the
largest size more than `FLAT_LIMIT` times the smallest's is a failure (bench/run --check).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

FLAT = ("open_ms", "board_ms", "day_summary_s", "export_day_cpu_s", "erase_s")
PER_DAY_PERSON = ("board_ms", "day_summary_s", "export_day_cpu_s")
FLAT_LIMIT = 3.0


DAY_PEOPLE = 75  # the day measured at every size: the one nearest this many people


def _usual_day(db: Any) -> Any:
    """An ordinary MOT day of about DAY_PEOPLE people, so each size measures the same work."""
    from bench.datasets import SUMMARY_DAY
    from ffmot.services.records import list_events

    days = [e for e in list_events(db) if e.name != SUMMARY_DAY]
    return min(days, key=lambda e: (abs(e.participants - DAY_PEOPLE), e.id))


def one_size(path: Path | str, info: dict[str, Any]) -> dict[str, Any]:
    from bench import endtoend, scale
    from ffmot.services.board import board
    from ffmot.services.summary import summary_data
    from ffmot.store.db import connect

    out: dict[str, Any] = {"participants": info["participants"], "visits": info["visits"]}
    db = connect(str(path))
    try:
        out["search_p95_ms"] = scale.search(db, 10)["p95_ms"]
        out["open_ms"] = scale.open_visits(db, 40)["median_ms"]
        day = _usual_day(db)
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
        if isinstance(path, Path):
            out["erase_s"] = _erase_one(path, Path(tmp))
        else:  # a restored PostgreSQL database: throwaway, so the erasure is made in it
            out["erase_s"] = _erase_in(path)
    return out


def _erase_one(path: Path, tmp: Path) -> float:
    """Erases one person from a copy of the file (the cached database stays as it is)."""
    copy = tmp / "erase.db"
    shutil.copyfile(path, copy)
    keys = Path(f"{path}.keys")
    if keys.exists():
        shutil.copyfile(keys, Path(f"{copy}.keys"))
    return _erase_in(str(copy), sync=True)


def _erase_in(url: str, sync: bool = False) -> float:
    """Erases the first person of the database at `url`, timed."""
    from sqlalchemy import select

    from ffmot.services.erase import erase_participant, scrub
    from ffmot.services.types import Actor
    from ffmot.store.db import connect
    from ffmot.store.models import Participant

    db = connect(url)  # (upgraded here if the schema is newer than the cached file)
    try:
        with db.transaction() as s:
            code = s.scalar(select(Participant.code).order_by(Participant.id).limit(1))
        scrub(db)  # the copy's own writes (an upgrade) are not the erase's
        if sync:
            os.sync()  # nor is flushing the freshly copied file to the disk
        t = time.perf_counter()
        erase_participant(db, Actor("bench", "bench"), code or "")
        return round(time.perf_counter() - t, 3)
    finally:
        db.close()


def _spec(n: int) -> Any:
    from bench import datasets

    return datasets.Spec(n, 1, min(10_000, n // 10))


def run(
    sizes: list[int], files: list[Path] | None = None, postgres: bool = False
) -> dict[str, Any]:
    """The curve over demo databases of `sizes` (built and cached), or over existing demo
    database `files` (each with the .json bench/datasets.py wrote beside it); on PostgreSQL
    with `postgres`, each size restored in turn into one private server."""
    from bench import datasets

    if postgres:
        server = datasets.pg_server()
        if server is None:
            return {"curve_postgres_note": "no PostgreSQL server binaries"}
        curve = []
        with server:
            for n in sizes:
                url, info = datasets.pg_db(server, _spec(n), f"curve{n}")
                info = dict(info, **info["postgres_counts"])
                curve.append(one_size(url, info))
                server.drop_database(f"curve{n}")
        return _growth(curve, "postgres")
    if files:
        built = [(f, json.loads(f.with_suffix(".json").read_text())) for f in files]
    else:
        built = [datasets.sqlite_db(_spec(n)) for n in sizes]
    return _growth([one_size(path, info) for path, info in built], "sqlite")


def _growth(curve: list[dict[str, Any]], backend: str) -> dict[str, Any]:
    curve = sorted(curve, key=lambda r: r["participants"])
    suffix = "" if backend == "sqlite" else f"_{backend}"
    out: dict[str, Any] = {f"curve_{backend}": curve}
    if len(curve) > 1:
        small, large = curve[0], curve[-1]

        # Day-sized work is compared per person of the day (the largest demo databases have
        # no day as small as the smallest's).
        def per(r: dict[str, Any], k: str) -> float:
            return float(r[k]) / (r["day_people"] if k in PER_DAY_PERSON else 1)

        grew = {
            k: round(per(large, k) / per(small, k), 2)
            for k in FLAT
            if small.get(k) and large.get(k)
        }
        out[f"curve_growth{suffix}"] = grew
        out[f"curve_worst_growth{suffix}"] = max(grew.values(), default=None)
    return out


if __name__ == "__main__":
    import os
    import sys

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    given = sys.argv[1:]
    if given and given[0] == "--postgres":
        pg_sizes = [int(a) for a in given[1:]] or [1_000, 10_000]
        print(json.dumps(run(pg_sizes, postgres=True), indent=1))
    elif given and given[0].endswith(".db"):
        print(json.dumps(run([], [Path(a) for a in given]), indent=1))
    else:
        print(json.dumps(run([int(a) for a in given] or [1_000, 10_000]), indent=1))
