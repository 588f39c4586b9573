"""Scoring throughput: a 100,000-row batch through the numpy engine, against a plain Python loop.

The batch mixes every test with an age-and-sex table (the eight SFT and grip percentile tables
and the one-leg-stand threshold table), both sexes, ages 55 to 99 (some outside the tables),
values across the typical range in each table's own unit. The numpy side is
ffmot.core.scoring.classify, test by test (the masks that split the batch are timed too): band,
percentile, normal range and median for every row.

The loop is fair: the same look-ups (the same tables, turned into Python lists beforehand, not
timed) and the same arithmetic (band with the same tolerance, the same normal-score
interpolation, the same erf approximation, the same rounding and clipping) in plain Python, one
row at a time, and it is checked to give exactly the numpy bands and percentiles. It is not
score(), which also parses and validates every argument and builds a full Score.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

EPS = 1e-9


def _batch(n: int, seed: int = 1) -> tuple[list[str], Any, Any, Any, Any]:
    from ffmot.core import units
    from ffmot.core.norms import default_norm_set

    ns = default_norm_set()
    tests = list(ns.tables)
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(tests), n)
    sex = rng.integers(0, 2, n)
    age = rng.integers(55, 100, n)
    value = np.empty(n)
    for k, tid in enumerate(tests):
        t = ns.battery[tid]
        m = which == k
        lo, hi = (units.convert(x, t.unit, t.norm_unit) for x in t.typical)
        value[m] = np.round(rng.uniform(min(lo, hi), max(lo, hi), int(m.sum())), 1)
    return tests, which, sex, age, value


def numpy_scores(tests: list[str], which: Any, sex: Any, age: Any, value: Any) -> tuple[Any, Any]:
    from ffmot.core.norms import default_norm_set
    from ffmot.core.scoring import classify

    ns = default_norm_set()
    band = np.empty(len(value), dtype=np.int64)
    pct = np.empty(len(value))
    for k, tid in enumerate(tests):
        m = which == k
        c = classify(ns.tables[tid], ns.battery[tid], sex[m], age[m], value[m])
        band[m] = c.band
        pct[m] = c.percentile
    return band, pct


def _erf(x: float) -> float:  # the engine's Abramowitz & Stegun 7.1.26, in plain Python
    sign = (x > 0) - (x < 0)
    a = abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * math.exp(-a * a))


def loop_tables(tests: list[str]) -> list[dict[str, Any]]:
    """The same tables as plain Python lists (built once, not timed)."""
    from ffmot.core.norms import PercentileTable, default_norm_set
    from ffmot.core.scoring import _z

    ns = default_norm_set()
    out = []
    for tid in tests:
        table, test = ns.tables[tid], ns.battery[tid]
        if isinstance(table, PercentileTable):
            levels = table.levels
            out.append(
                {
                    "kind": "pct",
                    "row": table.row.tolist(),
                    "points": table.points.tolist(),
                    "zs": [_z(v) for v in levels],
                    "i_lo": levels.index(table.low_level),
                    "i_hi": levels.index(table.high_level),
                    "higher": test.direction != "lower",
                }
            )
        else:
            out.append({"kind": "thr", "row": table.row.tolist(), "thr": table.threshold.tolist()})
    return out


def loop_scores(
    tables: list[dict[str, Any]],
    which: list[int],
    sex: list[int],
    age: list[int],
    value: list[float],
) -> tuple[list[int], list[float]]:
    bands: list[int] = []
    pcts: list[float] = []
    nan = math.nan
    sqrt2 = math.sqrt(2.0)
    for i in range(len(value)):
        tb = tables[which[i]]
        a, v = age[i], value[i]
        if tb["kind"] == "thr":
            if tb["row"][a] >= 0:
                bands.append(1 if v >= tb["thr"][a] - EPS else 0)
            else:
                bands.append(3)
            pcts.append(nan)
            continue
        s = sex[i]
        if tb["row"][s][a] < 0:
            bands.append(3)
            pcts.append(nan)
            continue
        pts = tb["points"][s][a]
        low, high = pts[tb["i_lo"]], pts[tb["i_hi"]]
        on_axis = 0 if v < low - EPS else (2 if v > high + EPS else 1)
        band = on_axis if tb["higher"] else 2 - on_axis
        k = len(pts)
        seg = sum(1 for p in pts if p <= v) - 1
        seg = 0 if seg < 0 else (k - 2 if seg > k - 2 else seg)
        zs = tb["zs"]
        v0, v1 = pts[seg], pts[seg + 1]
        z = zs[seg] + (v - v0) * (zs[seg + 1] - zs[seg]) / (v1 - v0)
        p = 50.0 * (1.0 + _erf(z / sqrt2))
        if not tb["higher"]:
            p = 100.0 - p
        p = min(max(float(round(p)), 1.0), 99.0)
        if band == 0:
            p = min(p, 24.0)
        elif band == 1:
            p = min(max(p, 25.0), 75.0)
        else:
            p = max(p, 76.0)
        bands.append(band)
        pcts.append(p)
    return bands, pcts


def run(rows: int, loop_rows: int, repeats: int = 5) -> dict[str, Any]:
    tests, which, sex, age, value = _batch(rows)
    numpy_scores(tests, which, sex, age, value)  # warm
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        band, pct = numpy_scores(tests, which, sex, age, value)
        best = min(best, time.perf_counter() - t)
    tables = loop_tables(tests)
    n = min(loop_rows, rows)
    args = (which[:n].tolist(), sex[:n].tolist(), age[:n].tolist(), value[:n].tolist())
    loop_best = math.inf
    for _ in range(max(1, repeats // 2)):
        t = time.perf_counter()
        lb, lp = loop_scores(tables, *args)
        loop_best = min(loop_best, time.perf_counter() - t)
    same = lb == band[:n].tolist() and np.allclose(np.array(lp), pct[:n], equal_nan=True)
    if not same:
        raise AssertionError("the plain loop does not give the engine's bands and percentiles")
    rows_per_s = rows / best
    loop_per_s = n / loop_best
    return {
        "score_rows": rows,
        "score_batch_s": round(best, 4),
        "score_rows_per_s": round(rows_per_s),
        "loop_rows": n,
        "loop_rows_per_s": round(loop_per_s),
        "score_vs_loop_ratio": round(rows_per_s / loop_per_s, 1),
        "loop_matches_engine": same,
    }
