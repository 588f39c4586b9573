"""A process that saves results until it is killed: the kill -9 test's subject.

    python -m tests.faults.saver DATABASE EVENT_ID

It imports ffmot once, says "ready", then for every "fork" line on stdin forks a child and says
"child PID". The child opens the database afresh and saves without end: a participant, their
visit, a grip result, then two updates of it. After each save has returned it writes one line
(a single write, so a kill cannot leave half a line) and only then goes on:

    P <participant id>
    V <visit id>
    R <result id> <version> <value>

When the child has died the parent of the children says "reaped PID SIGNAL". Forking from an
already-started Python keeps each round short, so 50 kills take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

from ffmot.core import screening


def child(db_path: str, event_id: str, n: int) -> None:
    from ffmot.services import records as R
    from ffmot.services.types import Actor
    from ffmot.store.db import connect

    def ack(text: str) -> None:
        os.write(1, (text + "\n").encode())

    actor = Actor("Kill test", f"Station {n}")
    db = connect(db_path)
    k = 0
    while True:
        k += 1
        p = R.register_participant(
            db,
            actor,
            "Ada",
            f"Crashworth{n}x{k}",
            dt.date(1950, 3, 14),
            "female",
            consents={"keep_results": True},
        )
        ack(f"P {p.id}")
        v = R.check_in(db, actor, p.id, event_id)
        ack(f"V {v.id}")
        R.record_screening(db, actor, v.id, screening.answers_with())
        r = R.save_result(db, actor, v.id, "grip", [(20.0 + k % 30, "left 1")])
        ack(f"R {r.id} {r.version} {r.value:g}")
        for extra in (1, 2):
            value = 20.0 + (k + extra) % 30
            r = R.save_result(
                db, actor, v.id, "grip", [(value, "left 1")], expected_version=r.version
            )
            ack(f"R {r.id} {r.version} {r.value:g}")


def main() -> int:
    db_path, event_id = sys.argv[1], sys.argv[2]
    # Everything imported before the first fork, so a child starts saving at once.
    import ffmot.services.records  # noqa: F401
    import ffmot.store.db  # noqa: F401

    print("ready", flush=True)
    for n, line in enumerate(sys.stdin, start=1):
        if line.strip() != "fork":
            break
        pid = os.fork()
        if pid == 0:
            try:
                child(db_path, event_id, n)
            except BaseException:
                import traceback

                traceback.print_exc()
            os._exit(3)  # only if saving itself failed: the test then reports it
        print(f"child {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        print(f"reaped {pid} {sig}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
