"""One of the concurrent writers: a station adding 1 to shared results, with optimistic versions.

    python -m tests.faults.writer URL NAME EDITS SEED VISIT_ID...

It says "ready", waits for a line on stdin (so every writer starts at once), then makes EDITS
successful edits, each to a result picked at random among the shared visits' walk_6min and
activity results: read the result (its version and value), save value + 1 with that version
expected, and on ConflictError read again and retry. Every attempt's outcome is kept; at the end
it prints one JSON object: {"saves": [[result_id, new_version, new_value], ...],
"conflicts": n, "errors": ["..."]}. Any other exception is an error, reported, not retried.
"""

from __future__ import annotations

import json
import random
import sys

TESTS = ("walk_6min", "activity")


def main() -> int:
    url, name, edits, seed, *visits = sys.argv[1:]
    from ffmot.services import records as R
    from ffmot.services.types import Actor
    from ffmot.store.db import connect
    from ffmot.store.errors import ConflictError

    db = connect(url)
    actor = Actor(name, name)
    rng = random.Random(int(seed))
    print("ready", flush=True)
    sys.stdin.readline()
    saves: list[list[object]] = []
    conflicts = 0
    errors: list[str] = []
    while len(saves) < int(edits) and len(errors) < 5:
        visit, test = rng.choice(visits), rng.choice(TESTS)
        while True:
            try:
                current = R.get_assessment(db, visit).result(test)
                value = current.value if current and current.value is not None else 0.0
                version = current.version if current else None
                r = R.save_result(
                    db, actor, visit, test, [(value + 1, "trial 1")], expected_version=version
                )
            except ConflictError:
                conflicts += 1
                continue
            except Exception as e:
                errors.append(f"{type(e).__name__}: {e}")
                break
            saves.append([r.id, r.version, r.value])
            break
    db.close()
    print(json.dumps({"saves": saves, "conflicts": conflicts, "errors": errors}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
