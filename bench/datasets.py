"""The big synthetic databases the scale benchmarks read, made by `ffmot demo`'s own code
(ffmot.demo.generate + ffmot.services.demo_load.load_demo) and cached between runs.

A database is keyed by its size, its seed and a fingerprint of everything that shapes it (the
generator, the loader, the schema and the norms), so a change to any of them builds a new one.
SQLite: the file itself is cached. PostgreSQL: a `pg_dump -Fc` of it, restored into a private
throwaway server for each run (seconds, where loading row by row takes minutes).

One extra MOT day is added for the summary benchmark: the demo spreads people over many
small days (about 100 each), so `summary_people` first visits, each a different person, are
moved to one "summary benchmark day".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, cache_dir, log

TODAY = dt.date(2026, 6, 1)  # fixed, so the same key always means the same data
SUMMARY_DAY = "Summary benchmark day"
LAYOUT = 1  # bump when what this module builds changes


@dataclass(frozen=True)
class Spec:
    participants: int
    seed: int
    summary_people: int

    @property
    def key(self) -> str:
        return f"demo-{self.participants}-seed{self.seed}-sum{self.summary_people}-{fingerprint()}"


def fingerprint() -> str:
    h = hashlib.sha256()
    files = [
        *sorted((ROOT / "ffmot" / "demo").glob("*.py")),
        ROOT / "ffmot" / "services" / "demo_load.py",
        ROOT / "ffmot" / "store" / "models.py",
        *sorted((ROOT / "ffmot" / "store" / "migrations" / "versions").glob("*.py")),
        *sorted((ROOT / "norms").glob("*.*")),
    ]
    h.update(f"layout {LAYOUT}".encode())
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


def _info_path(spec: Spec) -> Path:
    return cache_dir() / f"{spec.key}.json"


def read_info(spec: Spec) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(_info_path(spec).read_text())
        return data
    except (OSError, ValueError):
        return {}


def _write_info(spec: Spec, **more: Any) -> dict[str, Any]:
    info = read_info(spec)
    info.update(more)
    _info_path(spec).write_text(json.dumps(info, indent=2) + "\n")
    return info


def _generate(spec: Spec) -> tuple[Any, float]:
    from ffmot.demo import generate

    t = time.perf_counter()
    data = generate(spec.participants, seed=spec.seed, today=TODAY)
    return data, time.perf_counter() - t


def _load(url: str, data: Any, spec: Spec) -> tuple[dict[str, Any], float]:
    from ffmot.services.demo_load import load_demo
    from ffmot.services.types import Actor
    from ffmot.store.db import connect

    db = connect(url)
    try:
        t = time.perf_counter()
        s = load_demo(db, Actor("bench", "bench"), data, seed=spec.seed)
        load_s = time.perf_counter() - t
        event_id = add_summary_day(db, spec.summary_people)
    finally:
        db.close()
    counts = {
        "participants": s.participants,
        "visits": s.visits,
        "results": s.results,
        "events": s.events + 1,
        "summary_event_id": event_id,
    }
    return counts, load_s


def add_summary_day(db: Any, people: int) -> str:
    """Moves `people` first visits (each a different person) to one new MOT day."""
    from sqlalchemy import select, update

    from ffmot.demo import USUAL_TESTS
    from ffmot.services import records as R
    from ffmot.services.types import Actor
    from ffmot.store.models import Assessment

    e = R.create_event(
        db, Actor("bench", "bench"), SUMMARY_DAY, TODAY, "Bench Hall", tests_offered=USUAL_TESTS
    )
    with db.transaction() as s:
        ids = list(
            s.scalars(
                select(Assessment.id)
                .where(Assessment.previous_id.is_(None))
                .order_by(Assessment.id)
                .limit(people)
            )
        )
        for i in range(0, len(ids), 5000):
            s.execute(
                update(Assessment).where(Assessment.id.in_(ids[i : i + 5000])).values(event_id=e.id)
            )
    return e.id


# --- SQLite ----------------------------------------------------------------------------------


def sqlite_db(spec: Spec) -> tuple[Path, dict[str, Any]]:
    """The cached SQLite file for `spec`, built first if need be."""
    path = cache_dir() / f"{spec.key}.db"
    info = read_info(spec)
    if path.exists() and "sqlite_load_s" in info:
        return path, info
    log(f"  building {path.name} ({spec.participants:,} participants; cached afterwards)")
    tmp = path.with_suffix(".tmp.db")
    for f in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}.keys")):
        f.unlink(missing_ok=True)
    data, gen_s = _generate(spec)
    counts, load_s = _load(str(tmp), data, spec)
    from ffmot.store.keys import SUFFIX

    # The file is encrypted at rest: its key envelope is named after it, so it moves with it.
    os.replace(f"{tmp}{SUFFIX}", f"{path}{SUFFIX}")
    os.replace(tmp, path)
    info = _write_info(
        spec,
        **counts,
        generate_s=round(gen_s, 2),
        sqlite_load_s=round(load_s, 2),
        sqlite_mb=round(path.stat().st_size / 1e6, 1),
        built=dt.datetime.now().isoformat(timespec="seconds"),
    )
    return path, info


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_server() -> Any:
    """A private throwaway PostgreSQL server (tests/pgserver.py), not yet started."""
    sys.path.insert(0, str(ROOT))
    try:
        from tests.pgserver import PostgresServer, find_bindir
    finally:
        sys.path.remove(str(ROOT))
    if find_bindir() is None:
        return None
    return PostgresServer()


def _pg_tool(server: Any, tool: str, *args: str) -> None:
    cmd = [str(server.bindir / tool), "-h", "127.0.0.1", "-p", str(server.port), "-U", "app"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    subprocess.run([*cmd, *args], check=True, env=env, stdin=subprocess.DEVNULL, timeout=1800)


def pg_db(server: Any, spec: Spec, name: str) -> tuple[str, dict[str, Any]]:
    """A database `name` on the running `server` holding `spec`'s data, restored from the
    cached dump (made first, by loading into the server, if need be), then vacuumed and
    ANALYZEd."""
    dump = cache_dir() / f"{spec.key}.pgdump"
    info = read_info(spec)
    if not (dump.exists() and "postgres_load_s" in info):
        log(f"  building {dump.name} ({spec.participants:,} participants; cached afterwards)")
        url = server.create_database(name + "_load")
        data, gen_s = _generate(spec)
        counts, load_s = _load(url, data, spec)
        tmp = dump.with_suffix(".tmp")
        _pg_tool(server, "pg_dump", "-Fc", "-Z1", "-f", str(tmp), name + "_load")
        os.replace(tmp, dump)
        server.drop_database(name + "_load")
        info = _write_info(
            spec,
            postgres_load_s=round(load_s, 2),
            postgres_counts=counts,
            postgres_generate_s=round(gen_s, 2),
        )
    url = server.create_database(name)
    t = time.perf_counter()
    _pg_tool(server, "pg_restore", "-j", "2", "-d", name, str(dump))
    restore_s = time.perf_counter() - t
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=server.port, user="app", dbname=name, autocommit=True
    ) as c:
        # As a server in use keeps its tables (autovacuum): a freshly restored table's first
        # VACUUM reads every page of it, which would be charged to whatever vacuums first.
        c.execute("VACUUM ANALYZE")
    info = dict(info, postgres_restore_s=round(restore_s, 2))
    return url, info


def summary_event_id(info: dict[str, Any], postgres: bool = False) -> str:
    if postgres:
        return str(info["postgres_counts"]["summary_event_id"])
    return str(info["summary_event_id"])
