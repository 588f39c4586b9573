"""Generated attack: the database file deleted or replaced while ffmot has it open.

Seeded random schedules interleave real saves through the services (an MOT day created, a
person registered, a person checked in, a result saved) with things done to the real SQLite file
while it is open: deleted (with or without its -wal and -shm), renamed away and back, renamed
away for good, replaced by rename with another ffmot database or with a copy of itself, another
file copied over it, truncated, made read-only, its folder made read-only, replaced by a link,
a pipe or a folder. Each save runs in a worker thread with a time limit.

Afterwards the store is closed and every file is opened again the way the app opens it
(`connect`), and judged:

    lost      a save ffmot acknowledged is not in the file it was saved to, with its value,
              though that file still exists and its contents were not replaced by the person
    wrong     a save of this schedule shows up in the other database, or in a new database made
              at the path after the file was deleted (a -wal left behind read back in); the other
              database's person shows up in ours; a -wal or -shm of the deleted or replaced
              database is left beside its path after closing
    uncaught  anything but ffmot's own one-line refusal escaped a save, the close or the reopen
    hung      a save, the close or the reopen did not end in time
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ffmot.core import screening
from ffmot.core.errors import FfmotError
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import Database, connect
from tests.hostile import ledger

SEED = 20261202
SCHEDULES = 44  # every kind of event several times over; the suite stays under 15 minutes
BOUND_S = 20.0  # a save takes milliseconds; SQLite's own busy wait is 10 s
ACTOR = Actor("Attack Tester", "Station 1")
DAY = dt.date(2026, 5, 1)
TESTS = ("chair_stand", "arm_curl", "grip", "up_and_go", "sit_and_reach", "back_scratch")
VALUES = {
    "chair_stand": 12,
    "arm_curl": 15,
    "grip": 25,
    "up_and_go": 6.1,
    "sit_and_reach": 2,
    "back_scratch": -3,
}
STRANGER = "Otherfile"  # the person in the other database
REPR_SIGNS = ("Traceback", "object at 0x", "Error(", "<class ", "(sqlite3.")
SIDECARS = ("-wal", "-shm", "-journal")

EVENTS = (
    "delete",
    "delete_all",
    "rename_away_back",
    "rename_away",
    "replace_other",
    "replace_self",
    "cp_over",
    "truncate",
    "chmod_file",
    "chmod_folder",
    "symlink_other",
    "symlink_self",
    "fifo",
    "folder",
)


@dataclass
class Save:
    what: str  # "event", "person", "checkin", "screen", "result"
    key: str  # the name, or "assessment:test"
    value: float | None = None
    epoch: int = 0  # the contents the save went into (a new epoch when they are overwritten)
    gone: bool = False  # made after the file was deleted or replaced: should have been refused


@dataclass
class Run:
    sid: int
    folder: Path
    path: Path
    acked: list[Save] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    epoch: int = 0
    gone: bool = False  # the opened file is no longer at the path (a save must be refused)
    people: list[str] = field(default_factory=list)  # (person ids acknowledged)
    visits: list[str] = field(default_factory=list)  # assessment ids acknowledged
    screened: list[str] = field(default_factory=list)  # of those, screened (results allowed)
    event_id: str = ""
    done: set[tuple[str, str]] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"schedule {self.sid} [{', '.join(self.events)}]"


def _in_worker(fn: Callable[[], Any], bound: float = BOUND_S) -> tuple[str, Any]:
    return ledger.bounded(fn, bound)


def _clean(message: str) -> bool:
    m = message.strip()
    return bool(m) and "\n" not in m and not any(s in m for s in REPR_SIGNS)


def _family(sid: int) -> str:
    return f"Sched{sid}"


def _make_other(folder: Path) -> Path:
    """Another ffmot database, with someone else's person in it."""
    path = folder / "other.db"
    db = connect(str(path))
    e = R.create_event(db, ACTOR, "Other day", DAY)
    p = R.register_participant(db, ACTOR, "Stranger", STRANGER, dt.date(1950, 1, 1), "male")
    R.check_in(db, ACTOR, p.id, e.id)
    with db.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for suffix in SIDECARS:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


# --- one save ------------------------------------------------------------------------------------


def _save(a: ledger.Attack, run: Run, db: Database, rng: random.Random, k: int) -> None:
    choices = ["event", "person"]
    if run.people and run.event_id:
        choices.append("checkin")
    if run.visits:
        choices.append("screen")
    if run.screened:
        choices += ["result", "result"]
    what = rng.choice(choices)
    save: Save
    fn: Callable[[], Any]
    if what == "event":
        save = Save("event", f"Day {run.sid}-{k}")
        fn = lambda: R.create_event(db, ACTOR, save.key, DAY)  # noqa: E731
    elif what == "person":
        save = Save("person", f"P{k}")
        fn = lambda: R.register_participant(  # noqa: E731
            db,
            ACTOR,
            save.key,
            _family(run.sid),
            dt.date(1950, 1, 1 + k % 28),
            "female",
            consents={"keep_results": True},
        )
    elif what == "checkin":
        pid = rng.choice(run.people)
        save = Save("checkin", pid)
        fn = lambda: R.check_in(db, ACTOR, pid, run.event_id)  # noqa: E731
    elif what == "screen":
        aid = rng.choice(run.visits)
        save = Save("screen", aid)
        fn = lambda: R.record_screening(db, ACTOR, aid, screening.answers_with())  # noqa: E731
    else:
        aid = rng.choice(run.screened)
        free = [t for t in TESTS if (aid, t) not in run.done]
        if not free:
            return
        test = rng.choice(free)
        value = float(VALUES[test] + rng.randrange(0, 3))
        save = Save("result", f"{aid}:{test}", value)
        fn = lambda: R.save_result(db, ACTOR, aid, test, [(value, "")])  # noqa: E731
    save.epoch = run.epoch
    save.gone = run.gone
    state, got = _in_worker(fn)
    if state == "hung":
        a.problem("hung", f"{run.label}: a {what} save did not end within {BOUND_S:g} s")
        return
    if state == "raised":
        if not isinstance(got, FfmotError) or not _clean(str(got)):
            a.problem("uncaught", f"{run.label}: {what} save: {type(got).__name__}: {got}")
        else:
            run.refused.append(str(got))
        return
    run.acked.append(save)
    if what == "event" and not run.event_id:
        run.event_id = got.id
    elif what == "person":
        run.people.append(got.id)
    elif what == "checkin":
        run.visits.append(got.id)
    elif what == "screen":
        run.screened.append(save.key)
    elif what == "result":
        run.done.add((save.key.split(":")[0], save.key.split(":")[1]))


# --- one thing done to the file ------------------------------------------------------------------


def _sidecars(path: Path) -> list[Path]:
    return [Path(f"{path}{s}") for s in SIDECARS]


def _event(run: Run, db: Database, kind: str, other: Path, rng: random.Random) -> None:
    path, folder = run.path, run.folder
    run.events.append(kind)
    if kind == "delete":
        path.unlink()
        run.gone = True
    elif kind == "delete_all":
        for p in [path, *_sidecars(path)]:
            p.unlink(missing_ok=True)
        run.gone = True
    elif kind == "rename_away_back":
        os.rename(path, folder / "aside.db")
        os.rename(folder / "aside.db", path)
    elif kind == "rename_away":
        os.rename(path, folder / f"away{len(run.events)}.db")
        run.gone = True
    elif kind == "replace_other":
        shutil.copy(other, folder / "incoming.db")
        os.replace(folder / "incoming.db", path)
        run.gone = True
    elif kind == "replace_self":
        shutil.copy(path, folder / "incoming.db")
        os.replace(folder / "incoming.db", path)
        run.gone = True
    elif kind == "cp_over":  # `cp other.db ffmot.db`: the same file, its bytes replaced
        shutil.copyfile(other, path)
        run.epoch += 0 if run.gone else 1
    elif kind == "truncate":
        os.truncate(path, rng.choice((0, 4096, path.stat().st_size // 2)))
        run.epoch += 0 if run.gone else 1
    elif kind == "chmod_file":
        os.chmod(path, 0o400)
    elif kind == "chmod_folder":
        os.chmod(folder, 0o500)
    elif kind == "symlink_other":
        target = folder / "linked-other.db"
        shutil.copy(other, target)
        (folder / "link.tmp").symlink_to(target)
        os.replace(folder / "link.tmp", path)
        run.gone = True
    elif kind == "symlink_self":  # the file moved aside, a link to it put in its place
        real = folder / f"real{len(run.events)}.db"
        os.rename(path, real)
        (folder / "link.tmp").symlink_to(real)
        os.replace(folder / "link.tmp", path)
        run.gone = True
    elif kind == "fifo":
        path.unlink()
        os.mkfifo(path)
        run.gone = True
    elif kind == "folder":
        path.unlink()
        path.mkdir()
        run.gone = True


def _undo_permissions(run: Run) -> None:
    os.chmod(run.folder, 0o700)
    for p in run.folder.iterdir():
        if p.is_file() and not p.is_symlink():
            os.chmod(p, 0o600)


# --- afterwards ----------------------------------------------------------------------------------


def _reopen(a: ledger.Attack, run: Run, where: Path) -> Database | None:
    state, got = _in_worker(lambda: connect(str(where)))
    if state == "hung":
        a.problem("hung", f"{run.label}: opening {where.name} again did not end")
        return None
    if state == "raised":
        if not isinstance(got, FfmotError) or not _clean(str(got)):
            a.problem("uncaught", f"{run.label}: opening {where.name}: {type(got).__name__}: {got}")
        return None
    return got  # type: ignore[no-any-return]


def _contents(db: Database) -> dict[str, Any]:
    with db.engine.connect() as c:
        return {
            "events": {r[0] for r in c.execute(text("SELECT name FROM event"))},
            "people": {
                (r[0], r[1])
                for r in c.execute(text("SELECT given_name, family_name FROM participant"))
            },
            "person_ids": {r[0] for r in c.execute(text("SELECT id FROM participant"))},
            "visits": {r[0] for r in c.execute(text("SELECT participant_id FROM assessment"))},
            "screened": {r[0] for r in c.execute(text("SELECT assessment_id FROM screening"))},
            "results": {
                f"{r[0]}:{r[1]}": r[2]
                for r in c.execute(text("SELECT assessment_id, test_id, value FROM result"))
            },
        }


def _has(contents: dict[str, Any], run: Run, s: Save) -> bool:
    if s.what == "event":
        return s.key in contents["events"]
    if s.what == "person":
        return (s.key, _family(run.sid)) in contents["people"]
    if s.what == "checkin":
        return s.key in contents["visits"]
    if s.what == "screen":
        return s.key in contents["screened"]
    return bool(contents["results"].get(s.key) == s.value)


def _ours(contents: dict[str, Any], run: Run) -> list[str]:
    mine = [g for g, f in contents["people"] if f == _family(run.sid)]
    mine += [e for e in contents["events"] if e.startswith(f"Day {run.sid}-")]
    return mine


def _judge(a: ledger.Attack, run: Run, db: Database, home: tuple[int, int]) -> None:
    path = run.path
    state, got = _in_worker(db.close)
    if state != "ok":
        kind = "hung" if state == "hung" else "uncaught"
        a.problem(kind, f"{run.label}: closing the store: {got!r}")
        return
    _undo_permissions(run)
    # Where the file the saves went into is now, if it still has a name.
    names = []
    for p in sorted(run.folder.iterdir()):
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == home:
            names.append(p)
    # Nothing of the deleted or replaced file may be left beside its path.
    home_at_path = path in names
    try:
        st = os.stat(path)
        through_link = (st.st_dev, st.st_ino) == home  # a link to the file put in its place
    except OSError:
        through_link = False
    if not home_at_path:
        for side in _sidecars(path):
            try:
                st = os.lstat(side)
            except FileNotFoundError:
                continue
            a.problem("wrong", f"{run.label}: {side.name} of the closed database left beside it")
    found: set[int] = set()
    for name in names:
        reopened = _reopen(a, run, name)
        if reopened is None:
            if any(s.epoch == run.epoch for s in run.acked):
                a.problem("lost", f"{run.label}: the database, now {name.name}, cannot be opened")
            continue
        try:
            contents = _contents(reopened)
        finally:
            reopened.close()
        for n, s in enumerate(run.acked):
            if s.epoch == run.epoch and _has(contents, run, s):
                found.add(n)
        if any(f == STRANGER for _, f in contents["people"]) and run.epoch == 0:
            a.problem("wrong", f"{run.label}: the other database's person is in {name.name}")
    for n, s in enumerate(run.acked):
        if n in found:
            continue
        if names and s.epoch == run.epoch:
            a.problem("lost", f"{run.label}: acknowledged {s.what} {s.key} not in {names[0].name}")
            break
        if s.gone:
            a.problem(
                "lost",
                f"{run.label}: {s.what} {s.key} acknowledged after the file went, kept nowhere",
            )
            break
    if not home_at_path and not through_link:
        # What is at the path now (another database, a copy, or a new one made on opening)
        # holds nothing of this schedule, but what a copy of the file brought with it.
        reopened = _reopen(a, run, path)
        if reopened is not None:
            try:
                contents = _contents(reopened)
            finally:
                reopened.close()
            copied = "replace_self" in run.events
            for thing in _ours(contents, run):
                if not copied:
                    a.problem(
                        "wrong",
                        f"{run.label}: {thing!r} of this schedule is in the file now at the path",
                    )
                    break


def _schedule(a: ledger.Attack, sid: int, root: Path, other_template: Path) -> None:
    rng = random.Random(SEED * 1000 + sid)
    folder = root / f"s{sid}"
    folder.mkdir(mode=0o700)
    other = folder / "other-source.db"
    shutil.copy(other_template, other)
    run = Run(sid, folder, folder / "ffmot.db")
    state, db = _in_worker(lambda: connect(str(run.path)))
    assert state == "ok", db
    assert db.file_id is not None
    home = db.file_id
    k = 0
    try:
        for _ in range(rng.randrange(2, 5)):
            for _ in range(rng.randrange(1, 4)):
                k += 1
                _save(a, run, db, rng, k)
            if rng.random() < 0.25:  # now and then the WAL is folded into the file first
                try:
                    with db.engine.connect() as c:
                        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                except Exception:
                    pass
            if not run.gone or rng.random() < 0.5:
                if run.path.is_symlink() or not run.path.is_file():
                    # Whatever is there (a link, a pipe, a folder, nothing) is cleared away.
                    for p in [run.path, *_sidecars(run.path)]:
                        if p.is_dir() and not p.is_symlink():
                            p.rmdir()
                        elif p.exists() or p.is_symlink():
                            p.unlink()
                    run.events.append("cleared")
                    run.gone = True
                else:
                    _event(run, db, rng.choice(EVENTS), other, rng)
            for _ in range(rng.randrange(1, 4)):
                k += 1
                _save(a, run, db, rng, k)
    finally:
        _undo_permissions(run)
    # A save acknowledged after the file was deleted or replaced, and readable nowhere, is lost:
    # the judging below finds it missing from the file it went into.
    _judge(a, run, db, home)


def test_database_file_events_never_lose_an_acknowledged_save(tmp_path: Path) -> None:
    a = ledger.attack("database file events (generated)")
    with a.timed():
        other = _make_other(tmp_path)
        for sid in range(SCHEDULES):
            a.tried += 1
            _schedule(a, sid, tmp_path, other)
    a.check()
