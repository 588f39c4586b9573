"""Eight stations editing the same results on one PostgreSQL database at once.

Each writer adds 1 to a result it has just read, saving with the version it read; a writer
that loses a race gets ConflictError and tries again. Afterwards every result's value must
equal the number of saves that succeeded on it (no lost update), no two successful saves may
have produced the same version of a result (no silent overwrite), and every save that did not
succeed must have been a ConflictError (every conflict reported).

8 writers x 80 successful edits (640 saves and hundreds of conflicts retried, more races on
one result than a whole busy day) take about 12 s on a 2-core machine; 500 each took 45 s
and found nothing more. FFMOT_FAULT_EDITS sets another count, for a longer local run.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from ffmot.store.models import AuditEntry, Result
from tests.helpers import screened_visit

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 8
EDITS = int(os.environ.get("FFMOT_FAULT_EDITS", "60"))


def test_eight_writers_lose_no_update_and_every_conflict_is_reported(pg_url):
    db = connect(pg_url)
    actor = Actor("setup", "setup")
    event = R.create_event(
        db, actor, "Busy day", dt.date.today(), tests_offered=["walk_6min", "activity"]
    )
    visits = []
    for n in range(4):  # 4 visits x 2 tests: 8 shared results, created by the race itself
        _, v = screened_visit(
            db, actor, event.id, "Shared", f"Person{n}", dt.date(1950, 1, 1), "male"
        )
        visits.append(v.id)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.faults.writer",
                pg_url,
                f"Station {w}",
                str(EDITS),
                str(w),
                *visits,
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:  # all at once
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        reports = []
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()

    errors = [e for r in reports for e in r["errors"]]
    assert errors == [], errors  # every failed attempt was a ConflictError
    saves = [tuple(s) for r in reports for s in r["saves"]]
    assert len(saves) == WRITERS * EDITS
    conflicts = sum(r["conflicts"] for r in reports)
    assert conflicts > 0, "the writers never raced: the test proved nothing"
    # No silent overwrite: each successful save made a version of its result nobody else made.
    versions = collections.Counter((rid, version) for rid, version, _ in saves)
    assert max(versions.values()) == 1
    per_result = collections.Counter(rid for rid, _, _ in saves)
    with db.transaction() as s:
        stored = {r.id: (r.version, r.value) for r in s.scalars(select(Result))}
        audited = s.scalar(
            select(func.count()).where(
                AuditEntry.entity == "result", AuditEntry.action.in_(("create", "update"))
            )
        )
    db.close()
    assert set(per_result) == set(stored)
    for rid, n in per_result.items():  # no lost update: the counter is the number of saves
        version, value = stored[rid]
        assert value == n and version == n, (rid, n, version, value)
    assert audited == len(saves)
    print(f"{len(saves)} saves, {conflicts} conflicts reported")
