"""The database file itself: ffmot never acknowledges a save that is lost, and opens only
regular files as databases.

SQLite keeps writing through its open handle to a file whose name was deleted, and to the old
file when a sync tool or a copy-then-move swaps another file in under the same name: without a
check every later save is acknowledged and lost. A FIFO, a device or a symlink loop given as the
database must be refused with a clear message, and a file ffmot did not create is never chmod-ed
unless it is a regular file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store import db as store_db
from ffmot.store.db import connect
from ffmot.store.errors import StoreError
from tests.helpers import raw_sqlite

pytestmark = pytest.mark.hostile("database file")

GONE = r"was deleted or replaced while ffmot was open: nothing more was saved"


def _events(path: Path) -> list[str]:
    with contextlib.closing(raw_sqlite(path)) as c:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return sorted(r[0] for r in c.execute("SELECT name FROM event"))


# --- 1. the file deleted or replaced while ffmot is open -------------------------------------


def test_saves_after_the_file_is_deleted_are_refused_not_acknowledged(tmp_path, actor):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "Before", dt.date(2026, 5, 1))
    os.unlink(path)
    refused = 0
    for n in range(8):
        with pytest.raises(StoreError, match=GONE) as caught:
            R.create_event(db, actor, f"After {n}", dt.date(2026, 5, 1))
        refused += 1
        assert str(path) in str(caught.value)
        assert "restore a backup" in str(caught.value)
    assert refused == 8
    # A fresh connection (the pool may open one at any time) does not make an empty file there.
    db.engine.dispose()
    with pytest.raises(StoreError, match=GONE):
        R.create_event(db, actor, "After dispose", dt.date(2026, 5, 1))
    assert not path.exists()
    db.close()


def test_saves_after_the_file_is_replaced_by_rename_are_refused(tmp_path, actor):
    """What a sync tool or a copy-then-move does: another file takes the name by rename."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "Before", dt.date(2026, 5, 1))
    with db.engine.connect() as c:  # the copy has everything so far in the main file
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(path, tmp_path / "synced.db")
    os.replace(tmp_path / "synced.db", path)
    for n in range(3):
        with pytest.raises(StoreError, match=GONE):
            R.create_event(db, actor, f"After {n}", dt.date(2026, 5, 1))
    db.close()
    # Nothing refused crept into the file now at that name, and it is sound.
    assert _events(path) == ["Before"]
    db = connect(str(path))  # opened again, it works as normal
    R.create_event(db, actor, "Reopened", dt.date(2026, 5, 1))
    db.close()
    assert _events(path) == ["Before", "Reopened"]


def test_the_same_file_renamed_away_and_back_still_saves(tmp_path, actor):
    """The check is which file it is, not its name's history: the same file put back in place
    is the database, and saving goes on."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "One", dt.date(2026, 5, 1))
    os.rename(path, tmp_path / "aside.db")
    os.rename(tmp_path / "aside.db", path)
    R.create_event(db, actor, "Two", dt.date(2026, 5, 1))
    db.close()
    assert _events(path) == ["One", "Two"]


# --- 2. only ordinary files are databases ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _ffmot(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process: a FIFO used to block it for ever, so a time
    limit turns that into a failure instead of a hung test run."""
    return subprocess.run(
        [sys.executable, "-m", "ffmot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _nothing_beside(path: Path) -> None:
    for suffix in ("-journal", "-wal", "-shm"):
        assert not path.with_name(path.name + suffix).exists(), suffix


def test_a_fifo_given_as_the_database_is_refused_at_once_untouched(tmp_path):
    fifo = tmp_path / "ffmot.db"
    os.mkfifo(fifo, 0o644)
    os.chmod(fifo, 0o644)  # whatever the umask made of it
    try:
        done = _ffmot("--db", str(fifo), "events", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("ffmot waited on a FIFO given as its database instead of refusing it")
    assert done.returncode == 3, done.stderr  # the database cannot be used
    assert "is a pipe (FIFO), not an ordinary file" in done.stderr
    assert "unexpected" not in done.stderr.lower()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert stat.S_IMODE(os.lstat(fifo).st_mode) == 0o644  # not chmod-ed
    _nothing_beside(fifo)


def test_a_shortcut_to_a_fifo_is_refused_too(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "ffmot.db"
    link.symlink_to(fifo)
    for given in (str(link), f"sqlite:///{link}"):
        try:
            done = _ffmot("--db", given, "events", timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"ffmot waited on a FIFO behind {given} instead of refusing it")
        assert done.returncode == 3, done.stderr  # the database cannot be used
        assert "is a pipe (FIFO), not an ordinary file" in done.stderr
    _nothing_beside(link)
    _nothing_beside(fifo)


def test_a_device_given_as_the_database_is_refused_and_never_chmod_ed(tmp_path):
    """A character device of our own, the twin of /dev/null (the real one is never given, so
    a failing ffmot cannot chmod it): it used to read as an empty file, so ffmot made it owner
    only and put a -journal beside it."""
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("cannot make a device node here (needs root and CAP_MKNOD)")
    os.chmod(dev, 0o666)
    with pytest.raises(StoreError, match="is a device, not an ordinary file"):
        connect(str(dev))
    assert stat.S_IMODE(os.lstat(dev).st_mode) == 0o666
    _nothing_beside(dev)


def test_a_socket_given_as_the_database_is_refused_by_name(tmp_path):
    path = tmp_path / "ffmot.db"
    with contextlib.closing(socket.socket(socket.AF_UNIX)) as s:
        s.bind(str(path))
        with pytest.raises(StoreError, match="is a socket, not an ordinary file"):
            connect(str(path))


def test_a_symlink_loop_or_an_overlong_path_says_so_plainly(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for given in (str(tmp_path / "a"), f"sqlite:///{tmp_path / 'a'}"):
        with pytest.raises(StoreError, match="leads round in a loop"):
            connect(given)
    long_name = str(tmp_path / ("x" * 300))
    deep = str(tmp_path) + "/x" * 3000 + "/ffmot.db"
    for given in (long_name, f"sqlite:///{long_name}", deep):
        with pytest.raises(StoreError, match="path is too long for this system"):
            connect(given)
    done = _ffmot("--db", str(tmp_path / "a"), "events")
    assert done.returncode == 3, done.stderr  # the database cannot be used
    assert "leads round in a loop" in done.stderr
    assert "unexpected" not in done.stderr.lower()


# --- 3. an address that cannot be read --------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://[::1",
        "postgresql+psycopg://app@[::1/ffmot",
        "postgresql+psycopg://app@127.0.0.1:port/ffmot",
    ],
)
def test_a_malformed_address_is_a_clear_refusal(url):
    with pytest.raises(StoreError, match="is not a database address"):
        connect(url)
    done = _ffmot("--db", url, "events")
    assert done.returncode == 3, done.stderr  # the database cannot be used
    assert "is not a database address" in done.stderr
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr.lower()


# --- 4. a shared server that stops answering --------------------------------------------------


def test_postgres_connections_have_a_statement_timeout_and_keepalives(pg_url):
    db = connect(pg_url)
    with db.engine.connect() as c:
        assert c.exec_driver_sql("SHOW statement_timeout").scalar() == "30s"
        raw = c.connection.dbapi_connection
        fd = raw.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            if hasattr(socket, "TCP_KEEPIDLE"):
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 10
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
    db.close()


def test_a_site_statement_timeout_in_the_url_is_kept(pg_url):
    from sqlalchemy.engine import make_url

    with_options = make_url(pg_url).update_query_dict({"options": "-c statement_timeout=90s"})
    db = connect(with_options.render_as_string(hide_password=False))
    with db.engine.connect() as c:
        assert c.exec_driver_sql("SHOW statement_timeout").scalar() == "90s"
    db.close()


def test_a_statement_that_outruns_the_timeout_ends_with_a_clear_message(pg_url, monkeypatch):
    """The real server cancels it; 1 s here instead of 30 so the test is quick."""
    monkeypatch.setattr(store_db, "STATEMENT_TIMEOUT_S", 1)
    db = connect(pg_url)
    started = time.monotonic()
    with (
        pytest.raises(StoreError, match="took more than 1 seconds to answer"),
        db.transaction() as s,
    ):
        s.execute(text("SELECT pg_sleep(20)"))
    assert time.monotonic() - started < 10
    db.close()


# --- 5. a database in a cloud-sync folder -----------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "service"),
    [
        ("OneDrive - Riverside Leisure/Documents", "OneDrive"),
        ("Dropbox/ffmot", "Dropbox"),
        ("Google Drive/My Drive", "Google Drive"),
        ("Library/CloudStorage/GoogleDrive-desk@example.org/My Drive", "Google Drive"),
        ("iCloud Drive/ffmot", "iCloud Drive"),
        ("Library/Mobile Documents/com~apple~CloudDocs", "iCloud Drive"),
    ],
)
def test_a_database_in_a_sync_folder_opens_with_a_warning(tmp_path, actor, folder, service):
    path = tmp_path / folder / "ffmot.db"
    db = connect(str(path))
    assert service in db.warning and str(path) in db.warning
    R.create_event(db, actor, "Still works", dt.date(2026, 5, 1))  # a warning, not a refusal
    db.close()


def test_a_database_elsewhere_has_no_warning(tmp_path, pg_url):
    for url in (str(tmp_path / "Documents" / "ffmot.db"), pg_url):
        db = connect(url)
        assert db.warning == ""
        db.close()


# --- 6. what is left beside a path whose file was deleted or replaced --------------------------


def _sides(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


def _people(path: Path) -> list[str]:
    with contextlib.closing(raw_sqlite(path)) as c:
        return sorted(r[0] for r in c.execute("SELECT given_name FROM participant"))


def _register(db: store_db.Database, actor, given: str) -> None:  # type: ignore[no-untyped-def]
    R.register_participant(db, actor, given, "Walfile", dt.date(1950, 3, 1), "female")


def test_closing_after_the_file_was_deleted_leaves_no_wal_or_shm(tmp_path, actor):
    """The -wal of a deleted database holds personal data; SQLite leaves it (and the -shm) when
    it finds its file gone, beside a path that no longer has a database."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _register(db, actor, "Deleted")
    assert _sides(path) == ["ffmot.db-shm", "ffmot.db-wal"]
    os.unlink(path)
    with pytest.raises(StoreError, match=GONE):
        _register(db, actor, "Refused")
    db.close()
    assert _sides(path) == []
    # A new database made at that path holds nothing of the deleted one.
    db = connect(str(path))
    db.close()
    assert _people(path) == []


def test_a_file_renamed_away_while_open_keeps_every_acknowledged_save(tmp_path, actor):
    """Saves still in the -wal (named after the path) used to stay there when the file was
    renamed away: the renamed file lacked them."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    for given in ("Anna", "Bryn", "Cerys"):
        _register(db, actor, given)
    os.rename(path, tmp_path / "moved.db")
    with pytest.raises(StoreError, match=GONE):
        _register(db, actor, "Refused")
    db.close()
    assert _sides(path) == []
    assert _people(tmp_path / "moved.db") == ["Anna", "Bryn", "Cerys"]


def test_a_wal_of_the_new_file_at_the_path_is_never_deleted(tmp_path, actor):
    """Only the -wal and -shm ffmot's own connections opened are removed: once the old ones are
    gone and another program has the new file at the path open, its -wal is its own."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _register(db, actor, "Old")
    for p in (path, tmp_path / "ffmot.db-wal", tmp_path / "ffmot.db-shm"):
        os.unlink(p)
    other = raw_sqlite(path)  # a new database at the path, open in another program
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("PRAGMA wal_autocheckpoint=0")
    other.execute("CREATE TABLE kept (x)")
    other.execute("INSERT INTO kept VALUES ('still here')")
    other.commit()
    wal = os.stat(tmp_path / "ffmot.db-wal")
    assert wal.st_size > 0
    db.close()
    after = os.stat(tmp_path / "ffmot.db-wal")
    assert (after.st_ino, after.st_size) == (wal.st_ino, wal.st_size)
    assert other.execute("SELECT x FROM kept").fetchall() == [("still here",)]
    other.close()


def test_a_link_put_in_the_files_place_is_a_replacement(tmp_path, actor):
    """The file moved aside and a link to it put at its path: connections opened through the
    link would use a second -wal beside the target, and not see each other's saves."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _register(db, actor, "Before")
    os.rename(path, tmp_path / "real.db")
    path.symlink_to(tmp_path / "real.db")
    with pytest.raises(StoreError, match=GONE):
        _register(db, actor, "Through the link")
    db.close()
    assert _people(tmp_path / "real.db") == ["Before"]


@pytest.mark.parametrize("keep", [0, 4096])
def test_a_file_cut_short_while_open_refuses_the_next_save(tmp_path, actor, keep):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _register(db, actor, "Before")
    with db.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.truncate(path, keep)
    with pytest.raises(StoreError, match="was changed by something other than ffmot"):
        _register(db, actor, "After")
    db.close()


def test_another_process_opening_and_closing_the_file_never_takes_the_wal_away(tmp_path):
    """SQLite's locks belong to the process: a check that opened and closed the database file
    itself dropped them, so a command run beside the window (which opens and closes the file)
    took the -wal away from the window's connection: the window's later saves said "saved"
    and were gone, then "disk I/O error"."""
    import subprocess
    import sys

    path = tmp_path / "day.db"
    station = connect(str(path))
    R.create_event(station, Actor("Sam"), "Day one", dt.date.today())  # a commit: checks run
    reader = (
        "import sys; from ffmot.store.db import connect; from ffmot.services import records as R;"
        "d = connect(sys.argv[1]); print(len(R.list_events(d))); d.close()"
    )
    for n in range(3):
        p = subprocess.run(
            [sys.executable, "-c", reader, str(path)], capture_output=True, text=True, cwd=ROOT
        )
        assert p.returncode == 0 and p.stdout.strip() == str(n + 1), p.stderr
        assert Path(f"{path}-wal").exists(), "the other process took the -wal away"
        R.create_event(station, Actor("Sam"), f"Day {n + 2}", dt.date.today())
    with raw_sqlite(path) as c:
        assert c.execute("SELECT count(*) FROM event").fetchone() == (4,)
    station.close()
