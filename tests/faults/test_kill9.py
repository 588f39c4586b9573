"""kill -9 of a process saving results, 50 times at random moments (after a random number of
saves, so a busy machine cannot make a round save nothing): every save that returned is
still there afterwards, and the database passes SQLite's integrity check every time."""

from __future__ import annotations

import datetime as dt
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.helpers import raw_sqlite

ROOT = Path(__file__).resolve().parents[2]
KILLS = 50


class Saver:
    """The forking saver process (tests/faults/saver.py) and the lines it sends."""

    def __init__(self, db_path: Path, event_id: str) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.saver", str(db_path), event_id],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.buf = b""
        assert self.line(60) == "ready"

    def line(self, timeout: float) -> str:
        assert self.p.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the saver went quiet")
            ready, _, _ = select.select([self.p.stdout], [], [], left)
            if ready:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    err = self.p.stderr.read().decode() if self.p.stderr else ""
                    raise RuntimeError(f"the saver stopped:\n{err}")
                self.buf += chunk
        raw, self.buf = self.buf.split(b"\n", 1)
        return raw.decode()

    def lines(self, count: int, timeout: float) -> list[str]:
        """The next `count` lines: the kill comes after a number of saves, not after a time,
        so a slow start (opening the encrypted file on a busy machine) cannot leave a round
        with nothing saved."""
        return [self.line(timeout) for _ in range(count)]

    def send(self, text: str) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write(text.encode() + b"\n")
        self.p.stdin.flush()

    def close(self) -> None:
        if self.p.stdin is not None:
            self.p.stdin.close()
        self.p.wait(timeout=30)


def test_kill_9_while_saving_loses_no_acknowledged_result(tmp_path):
    path = tmp_path / "station.db"
    db = connect(str(path))
    event = R.create_event(db, Actor("Kill test", "setup"), "Crash day", dt.date.today())
    db.close()
    rng = random.Random(20261123)
    saver = Saver(path, event.id)
    acked_people: set[str] = set()
    acked_visits: set[str] = set()
    acked_results: dict[str, tuple[int, float]] = {}  # the last acknowledged version and value
    try:
        for _ in range(KILLS):
            saver.send("fork")
            first = saver.line(30)
            assert first.startswith("child "), first
            pid = int(first.split()[1])
            # A random moment: after 0 to 12 acknowledged saves, then up to 20 ms into the
            # next one (the delay only chooses where the kill lands; nothing waits on it).
            lines = saver.lines(rng.randint(0, 12), 60)
            time.sleep(rng.uniform(0.0, 0.02))
            os.kill(pid, signal.SIGKILL)
            while True:
                line = saver.line(30)
                if line.startswith("reaped"):
                    break
                lines.append(line)
            assert line == f"reaped {pid} {signal.SIGKILL.value}", (
                f"the child died by itself: {line}"
            )
            for ln in lines:
                kind, ident, *rest = ln.split()
                if kind == "P":
                    acked_people.add(ident)
                elif kind == "V":
                    acked_visits.add(ident)
                else:
                    acked_results[ident] = (int(rest[0]), float(rest[1]))
            with raw_sqlite(path) as c:  # opening after the kill recovers the WAL
                assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        saver.close()

    assert len(acked_results) > 20, "too few saves happened to say anything"
    with raw_sqlite(path) as c:
        people = {r[0] for r in c.execute("SELECT id FROM participant")}
        visits = {r[0] for r in c.execute("SELECT id FROM assessment")}
        results = {r[0]: (r[1], r[2]) for r in c.execute("SELECT id, version, value FROM result")}
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    assert acked_people <= people
    assert acked_visits <= visits
    for rid, (version, value) in acked_results.items():
        assert rid in results, f"acknowledged result {rid} is gone"
        now_version, now_value = results[rid]
        # The save after the last acknowledged one may have committed before the kill.
        assert now_version in (version, version + 1), (rid, version, now_version)
        if now_version == version:
            assert now_value == value
    # And ffmot itself opens the database and reads every acknowledged result.
    db = connect(str(path))
    try:
        for vid in list(acked_visits)[:50]:
            R.get_assessment(db, vid)
    finally:
        db.close()
