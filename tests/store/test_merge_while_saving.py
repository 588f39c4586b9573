"""Stations keep saving while the results table brings in a big station file: the merge
works in short transactions, so no save waits for the whole file (before, 39 of 45 saves
failed 'database is locked' during a large merge)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from ffmot.services import records as R
from ffmot.services.merge import merge
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.store.test_merge import station


def test_saves_go_on_during_a_large_merge(tmp_path: Path, actor: Actor) -> None:
    big = tmp_path / "big.db"
    made = subprocess.run(
        [sys.executable, "-m", "ffmot", "--db", str(big), "demo", "--participants", "400"],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    hub, _e, _p, a = station(tmp_path / "hub.db", actor, "Ada", n_results=0)
    hub.close()
    merging = connect(str(tmp_path / "hub.db"))
    saving = connect(str(tmp_path / "hub.db"))  # another station on the same file
    done = threading.Event()
    failed: list[BaseException] = []

    def bring_in() -> None:
        try:
            merge(merging, actor, str(big))
        except BaseException as e:  # reported below
            failed.append(e)
        finally:
            done.set()

    worker = threading.Thread(target=bring_in)
    started = time.monotonic()
    worker.start()
    waits = []
    seen = None
    while not done.is_set():
        t = time.monotonic()
        r = R.save_result(saving, Actor("Kim", "Station 2"), a.id, "grip", [(20, "right 1")],
                          expected_version=seen)  # fmt: skip
        seen = r.version
        waits.append(time.monotonic() - t)
        done.wait(0.05)  # a station's pace: a save every moment, not a save-storm
    worker.join()
    took = time.monotonic() - started
    assert not failed, failed
    assert len(waits) >= 3, (len(waits), took)  # the station saved all through the merge
    assert max(waits) < took / 3, (max(waits), took)  # never held up for the whole file
    assert R.get_assessment(saving, a.id).result("grip").version == seen
    merging.close()
    saving.close()
