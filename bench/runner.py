"""What bench/run does: runs the benchmarks, prints each figure against its goal, writes JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import datasets
from bench.common import ROOT, dump, log, machine

PARTS = (
    "score",
    "keystroke",
    "sheets",
    "startup",
    "memory",
    "scale",
    "board",
    "endtoend",
    "curves",
)

# key: (comparison, goal, what it is)
GOALS: dict[str, tuple[str, float, str]] = {
    "startup_ratio": ("<=", 2.0, "start to window shown and idle, ffmot / bare PySide6"),
    "keystroke_ms_p95": ("<=", 16.0, "a key at the station to the band shown, p95"),
    "sheet_ms": ("<=", 40.0, "one personalised sheet, warm (median)"),
    "score_rows_per_s": (">=", 1_000_000, "numpy scoring, rows a second"),
    "search_p95_ms_sqlite": ("<=", 30.0, "find as you type, SQLite, p95"),
    "search_p95_ms_postgres": ("<=", 30.0, "find as you type, PostgreSQL, p95"),
    "summary_10k_s": ("<=", 1.0, "MOT-day summary of 10,000 people, SQLite"),
    "summary_10k_s_postgres": ("<=", 1.0, "MOT-day summary of 10,000 people, PostgreSQL"),
    "rss_mb": ("<=", 250.0, "the app's peak memory with the big database open"),
    "board_10k_refresh_ms_after_max": ("<=", 16.7, "a board refresh at 10,000 rows, GUI thread"),
    "curve_worst_growth": ("<=", 3.0, "day-sized work, largest database / smallest, worst"),
    "batch_peak_mb": ("<=", 200.0, "score --batch, peak memory (1,000,000 rows; --quick 100,000)"),
    "contention_erase_p99_ms": ("<=", 100.0, "a second station opens a visit during an erase, p99"),
    "contention_import_p99_ms": ("<=", 100.0, "the same during an import, PostgreSQL"),
    "contention_merge_p99_ms": ("<=", 100.0, "the same during a merge, PostgreSQL"),
}
REPORTED = {  # figures without a goal of their own, shown for context
    "bare_qt_s": "bare PySide6 window, start to shown",
    "startup_s": "ffmot, start to window shown and idle",
    "startup_ready_s": "ffmot, start to database open and last MOT day shown",
    "startup_ready_ratio": "the same, against the bare window",
    "score_vs_loop_ratio": "numpy against a fair plain-Python loop",
    f"batch_{200}_s": "200 sheets on two cores, one PDF",
    "open_participant_ms": "open a visit (load_overview), SQLite, median",
    "open_participant_ms_postgres": "open a visit (load_overview), PostgreSQL, median",
    "summary_usual_day_s": "summary of the busiest ordinary demo day, SQLite",
    "summary_usual_day_s_postgres": "the same, PostgreSQL",
    "rss_idle_mb": "the app's peak memory at start, big database",
    "startup_big_s": "ffmot start on the big database",
    "batch_ratio": "score --batch CPU / the csv module adding ten empty cells (goal 2, issue 18)",
    "batch_same_bytes_ratio": "score --batch CPU / the csv module writing as many bytes",
}


def met(key: str, value: Any) -> bool | None:
    if key not in GOALS or not isinstance(value, int | float):
        return None
    op, goal, _ = GOALS[key]
    return value <= goal if op == "<=" else value >= goal


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="under a minute: smaller database")
    ap.add_argument("--json", type=Path, default=ROOT / "out" / "bench.json", metavar="FILE")
    ap.add_argument("--only", default="", help=f"comma-separated: {', '.join(PARTS)}")
    ap.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    args = ap.parse_args(argv)
    only = [p for p in args.only.split(",") if p] or list(PARTS)
    bad = [p for p in only if p not in PARTS]
    if bad:
        ap.error(f"unknown part(s) {', '.join(bad)}: choose from {', '.join(PARTS)}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    quick = args.quick
    spec = datasets.Spec(2_000, 1, 500) if quick else datasets.Spec(50_000, 1, 10_000)
    started = time.perf_counter()
    out: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": machine(),
    }
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "score": lambda: _score(quick),
        "keystroke": lambda: _keystroke(quick),
        "sheets": lambda: _sheets(spec, quick),
        "startup": lambda: _startup(quick),
        "memory": lambda: _memory(spec, quick),
        "scale": lambda: _scale(spec, quick),
        "board": _board,
        "endtoend": lambda: _endtoend(spec, quick),
        "curves": lambda: _curves(quick),
        "contention": lambda: _contention(quick),
    }
    for part in PARTS:
        if part not in only:
            continue
        log(f"bench: {part} …")
        t = time.perf_counter()
        try:
            out.update(steps[part]())
        except Exception as e:  # one part failing must not lose the others' figures
            out.setdefault("errors", {})[part] = f"{type(e).__name__}: {e}"
            log(f"bench: {part} failed: {type(e).__name__}: {e}")
        out.setdefault("part_seconds", {})[part] = round(time.perf_counter() - t, 1)
    out["goals"] = {
        k: {"goal": f"{op} {g:g}", "value": out.get(k), "met": met(k, out.get(k))}
        for k, (op, g, _) in GOALS.items()
        if k in out
    }
    out["total_s"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    dump(args.json, out)
    print(table(out))
    log(f"bench: {out['total_s']} s; wrote {args.json}")
    missed = [k for k, v in out["goals"].items() if v["met"] is False]
    return 1 if (args.check and (missed or out.get("errors"))) else 0


def table(out: dict[str, Any]) -> str:
    lines = [
        f"ffmot benchmarks ({out['mode']}), {out['date']}, {out['machine']['cores']} cores",
        "| figure | value | goal | met |",
        "|---|---|---|---|",
    ]
    for k, (op, g, what) in GOALS.items():
        if k in out:
            ok = met(k, out[k])
            mark = "yes" if ok else "no" if ok is False else "n/a"
            lines.append(f"| `{k}` ({what}) | {out[k]} | {op} {g:g} | {mark} |")
    for k, what in REPORTED.items():
        if k in out:
            lines.append(f"| `{k}` ({what}) | {out[k]} | | |")
    if "scale_note" in out:
        lines.append(f"\n{out['scale_note']}")
    for part, err in out.get("errors", {}).items():
        lines.append(f"\n{part} FAILED: {err}")
    return "\n".join(lines)


# --- the parts --------------------------------------------------------------------------------


def _board() -> dict[str, Any]:
    from bench import board

    return board.run()


def _endtoend(spec: datasets.Spec, quick: bool) -> dict[str, Any]:
    from bench import endtoend

    path, info = datasets.sqlite_db(spec)
    return endtoend.run(path, info, rows=100_000 if quick else 1_000_000)


def _contention(quick: bool) -> dict[str, Any]:
    from bench import contention

    return contention.run(2_000 if quick else 50_000)


def _curves(quick: bool) -> dict[str, Any]:
    from bench import curves

    return curves.run([1_000, 10_000] if quick else [1_000, 10_000, 50_000, 200_000])


def _score(_quick: bool) -> dict[str, Any]:  # the same size either way: it is quick
    from bench import scoring

    return scoring.run(100_000, 100_000, repeats=5)


def _small_db() -> Path:
    """A small demo database (`ffmot demo` size: 40 people), for the start and the station."""
    return datasets.sqlite_db(datasets.Spec(40, 1, 0))[0]


def _keystroke(quick: bool) -> dict[str, Any]:
    from bench import keystroke

    r = keystroke.run(_small_db(), rounds=3 if quick else 10)
    return {
        "keystroke_ms_p95": r["p95_ms"],
        "keystroke_ms_median": r["median_ms"],
        "keystroke_ms_max": r["max_ms"],
        "keystroke_samples": r["n"],
    }


def _sheets(spec: datasets.Spec, quick: bool) -> dict[str, Any]:
    from bench import sheets

    path, _ = datasets.sqlite_db(spec)
    return sheets.run(path, warm_sheets=20 if quick else 100, batch=200)


def _busiest_day(path: Path) -> str | None:
    from ffmot.services.records import list_events
    from ffmot.store.db import connect

    db = connect(str(path))
    try:
        days = [e for e in list_events(db) if e.name != datasets.SUMMARY_DAY]
        return max(days, key=lambda e: e.participants).id if days else None
    finally:
        db.close()


def _startup(quick: bool) -> dict[str, Any]:
    from bench import startup

    path = _small_db()
    return startup.run(str(path), _busiest_day(path), runs=3 if quick else 9)


def _memory(spec: datasets.Spec, quick: bool) -> dict[str, Any]:
    from bench import startup

    path, info = datasets.sqlite_db(spec)
    r = startup.memory(str(path), _busiest_day(path), runs=1 if quick else 3)
    r["rss_participants"] = info["participants"]
    return r


def _scale(spec: datasets.Spec, quick: bool) -> dict[str, Any]:
    from bench import scale

    people, visits = (6, 20) if quick else (25, 100)
    path, info = datasets.sqlite_db(spec)
    out: dict[str, Any] = {
        "scale_participants": info["participants"],
        "scale_visits": info["visits"],
        "scale_results": info["results"],
        "generate_s": info.get("generate_s"),
        "sqlite_load_s": info.get("sqlite_load_s"),
        "sqlite_mb": info.get("sqlite_mb"),
        "dataset_built": info.get("built"),
    }
    if quick:
        out["scale_note"] = (
            f"quick mode: scale figures on {info['participants']:,} participants, the summary "
            f"of {spec.summary_people:,} (summary_10k_s names the full-size figure)"
        )
    r = scale.run(str(path), people, visits, datasets.summary_event_id(info))
    out.update(_scale_keys(r, ""))
    server = datasets.pg_server()
    if server is None:
        out["postgres_note"] = "no PostgreSQL server binaries: PostgreSQL figures not measured"
        return out
    with server:
        url, pinfo = datasets.pg_db(server, spec, "bench")
        out["postgres_load_s"] = pinfo.get("postgres_load_s")
        out["postgres_restore_s"] = pinfo.get("postgres_restore_s")
        r = scale.run(url, people, visits, datasets.summary_event_id(pinfo, postgres=True))
    out.update(_scale_keys(r, "_postgres"))
    return out


def _scale_keys(r: dict[str, Any], suffix: str) -> dict[str, Any]:
    backend = "postgres" if suffix else "sqlite"
    out = {
        f"search_p95_ms_{backend}": r["search"]["p95_ms"],
        f"search_{backend}": r["search"],
        f"open_participant_ms{suffix}": r["open"]["median_ms"],
        f"open_participant{suffix}": r["open"],
    }
    if "summary" in r:
        s = r["summary"]
        out[f"summary_10k_s{suffix}"] = s.get("seconds")
        out[f"summary{suffix}"] = s
    if r.get("usual_day_summary"):
        out[f"summary_usual_day_s{suffix}"] = r["usual_day_summary"].get("seconds")
        out[f"summary_usual_day{suffix}"] = r["usual_day_summary"]
    return out
