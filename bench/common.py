"""What every benchmark shares: timing, percentiles, the machine, the cache folder."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Where big generated databases are kept between runs ($FFMOT_BENCH_CACHE, else
    ~/.cache/ffmot-bench)."""
    base = os.environ.get("FFMOT_BENCH_CACHE")
    if base:
        path = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(xdg) / "ffmot-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), linear between the nearest ranks."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_of(fn: Callable[[], Any], runs: int) -> float:
    return min(timed(fn) for _ in range(runs))


def machine() -> dict[str, Any]:
    """The machine the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    versions: dict[str, str] = {}
    for mod in ("numpy", "sqlalchemy", "PySide6", "reportlab", "psycopg"):
        with contextlib.suppress(ImportError, AttributeError):
            versions[mod] = __import__(mod).__version__
    import sqlite3

    versions["sqlite"] = sqlite3.sqlite_version
    pg = _pg_version()
    if pg:
        versions["postgresql"] = pg
    return {
        "cpu": cpu,
        "cores": cores,
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def _pg_version() -> str:
    sys.path.insert(0, str(ROOT))
    try:
        from tests.pgserver import find_bindir
    finally:
        sys.path.remove(str(ROOT))
    bindir = find_bindir()
    if bindir is None:
        return ""
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    import re

    m = re.search(r"PostgreSQL\)\s+([0-9][0-9.]*)", out)
    return m.group(1) if m else out.strip()


def log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
