"""Scoring throughput: 100,000 results through the numpy engine vs a per-row Python loop.

Run: .venv/bin/python bench/score_batch.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from ffmot.core.norms import default_norm_set
from ffmot.core.scoring import classify, score

TESTS = ("chair_stand", "arm_curl", "grip", "up_and_go", "step_2min", "sit_and_reach")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--loop-rows", type=int, default=5_000)
    args = ap.parse_args()
    ns = default_norm_set()
    rng = np.random.default_rng(1)
    n = args.rows
    which = rng.integers(0, len(TESTS), n)
    sex = rng.integers(0, 2, n)
    age = rng.integers(58, 97, n)
    value = np.empty(n)
    for k, tid in enumerate(TESTS):
        t = ns.battery[tid]
        m = which == k
        lo, hi = t.typical
        v = rng.uniform(lo, hi, m.sum())
        value[m] = np.round(v) if t.whole_numbers else np.round(v, 1)

    def vectorised() -> None:
        for k, tid in enumerate(TESTS):
            m = which == k
            classify(ns.tables[tid], ns.battery[tid], sex[m], age[m], value[m])

    vectorised()  # warm
    best = min(_timed(vectorised) for _ in range(5))
    loop_n = min(args.loop_rows, n)
    sexes = ("female", "male")
    loop = _timed(
        lambda: [
            score(TESTS[which[i]], sexes[sex[i]], int(age[i]), float(value[i]), norms=ns)
            for i in range(loop_n)
        ]
    )
    rows_per_s = n / best
    loop_rows_per_s = loop_n / loop
    print(
        json.dumps(
            {
                "rows": n,
                "batch_s": round(best, 4),
                "score_rows_per_s": round(rows_per_s),
                "loop_rows_per_s": round(loop_rows_per_s),
                "score_vs_loop_ratio": round(rows_per_s / loop_rows_per_s, 1),
            }
        )
    )


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
