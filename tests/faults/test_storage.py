"""When the storage fails: a full disk, a read-only database, a damaged file, a database from a
newer ffmot, a shared PostgreSQL server that goes away. Each time: a StoreError whose message
says in plain words what is wrong, and nothing that was already saved is lost.

(tests/store/test_database_file.py covers refusing a damaged or newer file at the door; these
go on from there: failures in the middle of work, and what is left afterwards.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from ffmot.core import screening
from ffmot.services import records as R
from ffmot.store.db import Database, connect, known_revisions
from ffmot.store.errors import StoreError
from tests.helpers import plain_database_file, raw_sqlite, screened_visit

ROOT = Path(__file__).resolve().parents[2]


def _day(db: Database, actor, people: int) -> list[str]:
    """An MOT day with `people` people checked in, screened and their grip saved: visit ids."""
    e = R.create_event(db, actor, "Fault day", dt.date.today())
    visits = []
    for n in range(people):
        _, v = screened_visit(
            db, actor, e.id, "Ada", f"Safeworth{n}", dt.date(1950, 1, 1), "female"
        )
        R.save_result(db, actor, v.id, "grip", [(20 + n % 20, "left 1")])
        visits.append(v.id)
    return visits


def _all_there(db: Database, visits: list[str]) -> None:
    for n, vid in enumerate(visits):
        r = R.get_assessment(db, vid).result("grip")
        assert r is not None and r.value == 20 + n % 20


def _integrity_ok(path: Path) -> None:
    with contextlib.closing(raw_sqlite(path)) as c:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# --- a full disk ------------------------------------------------------------------------------


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    with tempfile.TemporaryDirectory() as d:
        ok = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d], capture_output=True
            ).returncode
            == 0
        )
        if ok:
            subprocess.run(["umount", d], check=True)
    return ok


CAN_MOUNT = _can_mount()


@contextlib.contextmanager
def tmpfs(size_kb: int) -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="ffmot-fault-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(d)], check=True
    )
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)
        d.rmdir()


class Disk:
    """Make the disk under a database full, and free it again: for real on a small tmpfs when
    this user may mount one, else by capping the database's pages (SQLITE_FULL either way)."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder = kind, folder
        self.cap: int | None = None

    def attach(self, db: Database) -> None:
        if self.kind == "page_limit":

            @event.listens_for(db.engine, "connect")
            def _cap(conn, _record):  # type: ignore[no-untyped-def]
                if self.cap is not None:
                    conn.execute(f"PRAGMA max_page_count={self.cap}")

    def fill(self, db: Database) -> None:
        if self.kind == "tmpfs":
            fd = os.open(self.folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError:
                pass  # full
            finally:
                os.close(fd)
        else:
            with db.engine.connect() as c:
                self.cap = c.exec_driver_sql("PRAGMA page_count").scalar()
            db.engine.dispose()  # every new connection gets the cap

    def free(self, db: Database) -> None:
        if self.kind == "tmpfs":
            (self.folder / "filler").unlink()
        else:
            self.cap = None
            db.engine.dispose()


@pytest.fixture(params=["tmpfs", "page_limit"])
def disk(request, tmp_path) -> Iterator[Disk]:
    if request.param == "tmpfs":
        if not CAN_MOUNT:
            pytest.skip("cannot mount a tmpfs here (needs root); the page-limit case still runs")
        with tmpfs(4096) as d:
            yield Disk("tmpfs", d)
    else:
        yield Disk("page_limit", tmp_path)


def test_a_full_disk_says_so_and_keeps_what_was_saved(disk, actor):
    path = disk.folder / "ffmot.db"
    db = connect(str(path))
    disk.attach(db)
    visits = _day(db, actor, 12)
    disk.fill(db)
    e = R.get_event(db, R.get_assessment(db, visits[0]).event_id)
    with pytest.raises(StoreError) as caught:
        for n in range(200):  # the WAL may still have room for a few: go on until it is full
            p = R.register_participant(
                db,
                actor,
                "Bea",
                f"Fullworth{n}",
                dt.date(1951, 2, 2),
                "female",
                consents={"keep_results": True},
            )
            v = R.check_in(db, actor, p.id, e.id)
            R.record_screening(db, actor, v.id, screening.answers_with())
            R.save_result(db, actor, v.id, "grip", [(25, "left 1")])
    msg = str(caught.value)
    assert "full" in msg and "not saved" in msg and "safe" in msg, msg
    with pytest.raises(StoreError, match="full"):
        R.save_result(db, actor, visits[0], "chair_stand", [(12, "trial 1")])
    _all_there(db, visits)  # reading still works, and everything saved is there
    disk.free(db)
    R.save_result(db, actor, visits[0], "chair_stand", [(12, "trial 1")])  # saving again works
    _all_there(db, visits)
    db.close()
    _integrity_ok(path)


@pytest.mark.skipif(not CAN_MOUNT, reason="needs a real full disk: a tmpfs (root)")
def test_the_command_line_on_a_full_disk_is_one_line_and_exit_3(actor):
    with tmpfs(4096) as folder:
        path = folder / "ffmot.db"
        db = connect(str(path))
        _day(db, actor, 3)
        db.close()
        disk = Disk("tmpfs", folder)
        disk.fill(db)
        r = subprocess.run(
            [sys.executable, "-m", "ffmot", "--db", str(path), "demo", "--participants", "300"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert r.returncode == 3, (
            r.stderr
        )  # the database refused: ffmot/cli/main.py's EXIT_STATUSES
        assert r.stderr.count("\n") == 1 and "full" in r.stderr, r.stderr
        disk.free(db)
        db = connect(str(path))
        assert len(R.search_participants(db, "safeworth")) == 3
        db.close()
        _integrity_ok(path)


# --- a read-only database ---------------------------------------------------------------------


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """Makes the folder and its files read-only the way the machine allows: a tmpfs remounted
    read-only (a write-protected stick), else the immutable flag (root), else permissions."""
    if CAN_MOUNT and subprocess.run(["mountpoint", "-q", str(folder)]).returncode == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        try:
            yield "a read-only disk"
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
        return
    files = [folder, *folder.iterdir()]
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "+i", *map(str, files)], check=True)
        try:
            yield "immutable files"
        finally:
            subprocess.run(["chattr", "-i", *map(str, files)], check=True)
        return
    modes = {f: f.stat().st_mode for f in files}
    for f in files:
        f.chmod(0o500 if f.is_dir() else 0o400)
    try:
        yield "read-only permissions"
    finally:
        for f, m in modes.items():
            f.chmod(m)


@pytest.fixture
def folder(tmp_path) -> Iterator[Path]:
    if CAN_MOUNT:
        with tmpfs(8192) as d:
            yield d
    else:
        d = tmp_path / "stick"
        d.mkdir()
        yield d


def test_a_read_only_database_is_refused_with_a_reason_and_left_untouched(folder, actor):
    path = folder / "ffmot.db"
    db = connect(str(path))
    _day(db, actor, 3)
    db.close()
    before = path.read_bytes()
    with read_only(folder):
        with pytest.raises(StoreError, match="read-only") as caught:
            connect(str(path))
        assert "write" in str(caught.value)
    assert path.read_bytes() == before


# --- a damaged database -----------------------------------------------------------------------


def test_damage_found_in_the_middle_of_work_is_a_clear_message(tmp_path, actor):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    visits = _day(db, actor, 30)
    db.close()
    with contextlib.closing(raw_sqlite(path)) as c:
        page_size = int(c.execute("PRAGMA page_size").fetchone()[0])
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'result'").fetchone()[0]
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = b"\xa5" * page_size  # the results table's root page
    path.write_bytes(bytes(data))
    db = connect(str(path))  # the schema is fine: the damage is found later
    assert len(R.search_participants(db, "safeworth")) == 30
    with pytest.raises(StoreError, match="damaged") as caught:
        R.get_assessment(db, visits[0])
    assert "backup" in str(caught.value)
    with pytest.raises(StoreError, match="damaged"):
        R.save_result(db, actor, visits[1], "chair_stand", [(12, "trial 1")])
    db.close()
    assert path.read_bytes() == bytes(data)  # left as it was, for recovery


# --- a database from a newer ffmot ------------------------------------------------------------


def test_the_migration_check_reads_the_same_revisions_as_alembic():
    from alembic.script import ScriptDirectory

    from ffmot.store.db import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    assert known_revisions() == (
        {r.revision for r in script.walk_revisions()},
        script.get_current_head(),
    )


def test_a_newer_database_on_the_command_line_is_one_line_and_untouched(tmp_path, actor):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _day(db, actor, 2)
    db.close()
    with contextlib.closing(raw_sqlite(path)) as c:
        c.execute("UPDATE alembic_version SET version_num = '0999'")
        c.commit()
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    for args in (["events"], ["participants"], ["db", "upgrade"], ["demo", "--participants", "2"]):
        r = subprocess.run(
            [sys.executable, "-m", "ffmot", "--db", str(path), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert r.returncode == 3, (args, r.stderr)  # the database cannot be used
        assert r.stderr.count("\n") == 1 and "newer version of ffmot" in r.stderr, r.stderr
    assert path.read_bytes() == before


# --- a shared PostgreSQL server that goes away ------------------------------------------------


def _pg_ctl(server, *args: str) -> None:
    server._run(
        "pg_ctl",
        ["-D", str(server._data), "-l", str(server._log), "-w", "-t", "60"],
        list(args),
        timeout=90,
    )


def _start_durable(server) -> None:
    """(Re)start the private server as a real one runs: every commit on disk before it returns.
    (The test servers skip that for speed, so a crash of theirs may lose the last commits.)"""
    options = (
        f"-p {server.port} -c listen_addresses=127.0.0.1 -k {shlex.quote(str(server.folder))} "
        "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    )
    _pg_ctl(server, "-o", options, "start")


def test_the_shared_server_going_away_is_a_message_and_nothing_saved_is_lost(pg_server, actor):
    from tests.pgserver import PostgresServer

    with PostgresServer(pg_server.bindir) as server:
        _pg_ctl(server, "-m", "fast", "stop")
        _start_durable(server)
        url = server.create_database("shared")
        db = connect(url)
        visits = _day(db, actor, 6)
        _pg_ctl(server, "-m", "immediate", "stop")  # the server dies (power cut, crash)
        try:
            with pytest.raises(StoreError, match="cannot reach the shared database"):
                R.save_result(db, actor, visits[0], "chair_stand", [(12, "trial 1")])
            with pytest.raises(StoreError, match="cannot reach the shared database"):
                R.get_assessment(db, visits[0])
            with pytest.raises(StoreError, match="cannot reach the shared database"):
                R.search_participants(db, "safe")
        finally:
            _start_durable(server)
        # Back: the same open database carries on, with everything saved before.
        _all_there(db, visits)
        R.save_result(db, actor, visits[0], "chair_stand", [(12, "trial 1")])
        assert R.get_assessment(db, visits[0]).result("chair_stand").value == 12
        db.close()


@pytest.mark.skipif(not CAN_MOUNT, reason="needs a real full disk: a tmpfs (root)")
def test_an_erasure_on_a_nearly_full_disk_still_leaves_no_byte_of_the_person(actor):
    """Erasing overwrites the person's bytes where they lie (secure_delete) and empties the log:
    it needs no room to rewrite the file, so a nearly full disk does not stop it. (It once
    compacted the whole file, which failed here and left `ffmot db scrub` to finish.)"""
    with tmpfs(6144) as folder:
        # A plain file, where the overwriting can be seen (an encrypted one shows nothing).
        path = plain_database_file(folder / "ffmot.db")
        db = connect(str(path))
        e = R.create_event(db, actor, "Fault day", dt.date.today())
        codes = []
        for n in range(150):
            p, v = screened_visit(
                db, actor, e.id, "Ada", f"Erasewell{n:03d}", dt.date(1950, 1, 1), "female"
            )
            R.save_result(db, actor, v.id, "grip", [(20 + n % 20, "left 1")])
            codes.append(p.code)
        db.close()
        filler = folder / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - 256 * 1024))  # room to delete only
        os.close(fd)
        p = _cli("--db", str(path), "erase", codes[7], "--yes")
        assert "Traceback" not in p.stderr and "unexpected problem" not in p.stderr, p.stderr
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert "erased" in p.stdout
        data = path.read_bytes() + (
            Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b""
        )
        assert b"Erasewell007" not in data and b"Erasewell008" in data
        filler.unlink()
        p = _cli("--db", str(path), "db", "scrub")  # still there, and harmless to run again
        assert p.returncode == 0, p.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FFMOT_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "ffmot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
