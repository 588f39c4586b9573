"""Starting the desktop app, against starting a bare PySide6 window the same way; and the app's
memory with the big database open.

Each start is a new process (bench/gui_probe.py), timed from Popen to the line it prints once
its window is shown and idle (a QTimer.singleShot(0) after show). ffmot shows its window
first and opens the database on a worker, so it gives two times: `startup_s`, the window shown
with the event loop free (as for the bare window), and `startup_ready_s`, the database open,
the last MOT day loaded and no work left running. ffmot opens an existing database and, as
after any earlier session, its last MOT day. Both run with the same interpreter and
environment: offscreen Qt, their own settings and data folders, and compiled bytecode cached
(PYTHONPYCACHEPREFIX under the bench cache) as an installed app has it; one start of each is
made first and not counted.

`startup_parts` times `python -c "import X"` the same way, less `python -c pass`: what the big
libraries cost before any of ffmot's own work.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, cache_dir

PROBE = ROOT / "bench" / "gui_probe.py"


def environment(event_id: str | None) -> dict[str, str]:
    home = Path(tempfile.mkdtemp(prefix="ffmot-bench-home-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env.pop("FFMOT_DATABASE_URL", None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_DATA_HOME"] = str(home / "data")
    env["PYTHONPYCACHEPREFIX"] = str(cache_dir() / "pycache")
    ini = home / "config" / "ffmot" / "ffmot.ini"
    ini.parent.mkdir(parents=True)
    today = dt.date.today().isoformat()  # signed in for the day: no sign-in dialog to wait on
    lines = [
        "[station]",
        "name=Bench station",
        "practitioner=Bench",
        f"signed_in_on={today}",
        "test=chair_stand",
    ]
    if event_id:
        lines += ["[event]", f"last={event_id}"]
    ini.write_text("\n".join(lines) + "\n")
    return env


def probe(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> tuple[float, dict[str, Any]]:
    """Seconds from Popen to the probe's line, and what the line said."""
    t = time.perf_counter()
    p = subprocess.Popen(
        [sys.executable, str(PROBE), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )
    assert p.stdout is not None
    line = p.stdout.readline()
    elapsed = time.perf_counter() - t
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    if not line.startswith("{"):
        raise RuntimeError(f"the probe {args} did not report (exit {p.returncode}):\n{err[-2000:]}")
    return elapsed, json.loads(line)


def _python(code: str, env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - t


def parts(env: dict[str, str], runs: int) -> dict[str, float]:
    mods = {
        "python": "pass",
        "pyside6_widgets": "import PySide6.QtWidgets",
        "sqlalchemy_orm": "import sqlalchemy.orm",
        "numpy": "import numpy",
        "ffmot_store": "import ffmot.store.models, ffmot.store.db",
        "ffmot_norms_loaded": "import ffmot.core.norms as n; n.default_norm_set()",
        "ffmot_gui_imports": "import PySide6.QtWidgets, ffmot.gui.app",
    }
    for code in mods.values():
        _python(code, env)  # warm the bytecode cache
    times = {k: statistics.median(_python(c, env) for _ in range(runs)) for k, c in mods.items()}
    base = times.pop("python")
    out = {"python_s": round(base, 3)}
    out.update({f"{k}_s": round(v - base, 3) for k, v in times.items()})
    return out


def run(db_url: str, event_id: str | None, runs: int) -> dict[str, Any]:
    env = environment(event_id)
    probe(["bare"], env)
    probe(["ffmot", db_url], env)
    bare, shown, ready = [], [], []
    opened: dict[str, Any] = {}
    for _ in range(runs):  # alternate, so both see the same machine
        bare.append(probe(["bare"], env)[0])
        t, opened = probe(["ffmot", db_url], env)
        ready.append(t)
        shown.append(t - (opened["ready"] - opened["shown"]))
    b, a, r = statistics.median(bare), statistics.median(shown), statistics.median(ready)
    return {
        "startup_s": round(a, 3),
        "bare_qt_s": round(b, 3),
        "startup_ratio": round(a / b, 2),
        "startup_ready_s": round(r, 3),
        "startup_ready_ratio": round(r / b, 2),
        "startup_event": opened.get("event"),
        "startup_runs": runs,
        "startup_samples_s": [round(x, 3) for x in shown],
        "startup_ready_samples_s": [round(x, 3) for x in ready],
        "bare_qt_samples_s": [round(x, 3) for x in bare],
        "startup_rss_mb": opened.get("maxrss_mb"),
        "startup_parts": parts(env, max(3, runs // 2)),
    }


def memory(db_url: str, event_id: str | None, runs: int) -> dict[str, Any]:
    """Peak memory of the app on the big database: at idle after start, and after opening the
    busiest visit of the MOT day in the Results view."""
    env = environment(event_id)
    probe(["ffmot", db_url], env)
    starts, rss = [], []
    for _ in range(runs):
        t, line = probe(["ffmot", db_url], env)
        starts.append(t)
        rss.append(line["maxrss_mb"])
    _, opened = probe(["ffmot", db_url, "--open-visit"], env)
    return {
        "startup_big_s": round(statistics.median(starts), 3),
        "rss_idle_mb": max(rss),
        "rss_mb": max(max(rss), opened["maxrss_mb"]),
        "rss_visit_opened": bool(opened.get("opened_visit")),
    }
