"""Runs one command and prints its wall time, CPU time and peak memory as JSON.

    python -m bench.measure PROGRAM ARG...

Run from a small process of its own: on Linux a child's peak memory (ru_maxrss) starts at its
parent's size when it forks and is kept across exec, so a command started straight from a
benchmark that has a big database open would be charged for the benchmark's memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    print(
        json.dumps(
            {
                "status": os.waitstatus_to_exitcode(status),
                "wall_s": round(wall, 2),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                "peak_mb": round(usage.ru_maxrss / 1024, 1),
                "stderr": err[-400:],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
