"""A second station's wait to open a visit while the first erases someone, imports a file or
merges a station's database, on a shared PostgreSQL server (a private throwaway one).

A station process opens random visits one after another (services.overview.load_overview),
recording when each began and how long it took, while the main process runs, in turn: nothing
(the baseline), an erasure, an import of a 1,000-person export, and a merge of a 1,000-person
station database. Each phase's waits are reported as p50, p99 and the worst.

    python -m bench.contention [PARTICIPANTS]     default 10,000 on the server
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, percentile


def station(url: str, out: str, stop: str) -> None:
    """The second station: opens visits until `stop` exists; writes (began, seconds) pairs."""
    from sqlalchemy import select

    from ffmot.services.overview import load_overview
    from ffmot.store.db import connect
    from ffmot.store.models import Assessment

    db = connect(url)
    with db.transaction() as s:
        ids = list(s.scalars(select(Assessment.id).limit(5000)))
    rng = random.Random(3)
    waits: list[tuple[float, float]] = []
    load_overview(db, ids[0])
    Path(out + ".ready").touch()
    while not os.path.exists(stop):
        began = time.time()
        t = time.perf_counter()
        with contextlib.suppress(Exception):  # an erased visit: still a wait the station had
            load_overview(db, rng.choice(ids))
        waits.append((began, time.perf_counter() - t))
        time.sleep(0.02)  # a practitioner's pace, not a storm
    Path(out).write_text(json.dumps(waits))
    db.close()


def _ffmot(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "ffmot", *args],
        check=True,
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def run(participants: int = 10_000) -> dict[str, Any]:
    from bench import datasets
    from ffmot.services.erase import erase_participant
    from ffmot.services.merge import merge
    from ffmot.services.transfer import import_file
    from ffmot.services.types import Actor
    from ffmot.store.db import connect

    server = datasets.pg_server()
    if server is None:
        return {"contention_note": "no PostgreSQL server binaries"}
    actor = Actor("bench", "Station 1")
    out: dict[str, Any] = {"contention_participants": participants}
    with tempfile.TemporaryDirectory(prefix="ffmot-contention-") as tmp, server:
        t = Path(tmp)
        url, _info = datasets.pg_db(server, datasets.Spec(participants, 1, participants // 10), "c")
        for seed, name in ((2, "import"), (3, "merge")):
            _ffmot("--db", str(t / f"{name}.db"), "demo", "--participants", "1000",
                   "--seed", str(seed))  # fmt: skip
        _ffmot("--db", str(t / "import.db"), "export", "--format", "csv",
               "--out", str(t / "import.csv"))  # fmt: skip
        waits_file, stop = str(t / "waits.json"), str(t / "stop")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.contention", "station", url, waits_file, stop], env=env
        )
        while not os.path.exists(waits_file + ".ready"):
            time.sleep(0.05)
        db = connect(url)
        phases: dict[str, tuple[float, float]] = {}

        def phase(name: str, work: Any) -> None:
            began = time.time()
            work()
            phases[name] = (began, time.time())
            out[f"contention_{name}_s"] = round(phases[name][1] - began, 2)

        from sqlalchemy import select

        from ffmot.store.models import Participant

        with db.transaction() as s:
            code = s.scalar(select(Participant.code).order_by(Participant.id).limit(1))
        phase("baseline", lambda: time.sleep(3))
        phase("erase", lambda: erase_participant(db, actor, code or ""))
        phase("import", lambda: import_file(db, actor, t / "import.csv", take_consents=True))
        phase("merge", lambda: merge(db, actor, str(t / "merge.db")))
        Path(stop).touch()
        proc.wait(timeout=120)
        db.close()
        waits = json.loads(Path(waits_file).read_text())
    for name, (a, b) in phases.items():
        ms = [w * 1000 for began, w in waits if a <= began <= b]
        if ms:
            out[f"contention_{name}_opens"] = len(ms)
            out[f"contention_{name}_p50_ms"] = round(percentile(ms, 50), 1)
            out[f"contention_{name}_p99_ms"] = round(percentile(ms, 99), 1)
            out[f"contention_{name}_max_ms"] = round(max(ms), 1)
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "station":
        station(*sys.argv[2:5])
    else:
        print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000), indent=1))
