"""Opening the database: where it lives, how it is protected, and keeping its schema current.

SQLite by default (one owner-only file in the user's data folder, WAL, foreign keys on,
secure delete); PostgreSQL when several stations share one database.

Why one room: opening a database is one sequence (where, key, lock, schema, checks) that every
caller must go through whole.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from ffmot.core.files import owner_only
from ffmot.core.i18n import N_, _
from ffmot.store import keys
from ffmot.store.errors import FileGoneError, StoreError, UnreachableError

ENV_URL = "FFMOT_DATABASE_URL"
SQLITE_MAGIC = b"SQLite format 3\x00"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ffmot", appauthor=False)) / "ffmot.db"


def resolve_url(url: str | None) -> str:
    """--db, then FFMOT_DATABASE_URL, then the default file. A bare path means SQLite."""
    chosen = url or os.environ.get(ENV_URL) or str(default_path())
    if "://" not in chosen:
        path = Path(chosen).expanduser()
        try:
            return "sqlite:///" + str(path.resolve())
        except RuntimeError:  # Python before 3.13 says "Symlink loop" this way
            raise _path_problem(path, OSError(errno.ELOOP, "symlink loop")) from None
        except OSError as e:
            raise _path_problem(path, e) from None
    return chosen


def describe(url: str) -> str:
    """The URL without any password, fit for messages and the audit log."""
    try:
        u = make_url(url)
        if u.get_backend_name() == "sqlite" and u.database:
            return u.database
        return u.render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(unreadable database address)"


MAPPED_READ_BYTES = 1 << 30


@contextmanager
def mapped_reads(conn: Connection) -> Iterator[None]:
    """Memory-mapped I/O on SQLite for the length of one big read (the MOT-day summary).

    Mapped, the kernel reads around each page touched, so a day's results scattered through
    a file not yet in memory come in about twice as fast. It is switched off again after: with
    mapped I/O a disk that fails mid-read ends the process instead of raising an error, so it
    is kept to reads that are over in a second, and never to writes.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(f"PRAGMA mmap_size={MAPPED_READ_BYTES}")
    try:
        yield
    finally:
        conn.exec_driver_sql("PRAGMA mmap_size=0")


@dataclass
class Database:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    # The SQLite file's (device, inode) when it was opened: checked before every commit, so a
    # file deleted or swapped for another while ffmot is open is found before a save is
    # acknowledged rather than after it is lost.
    file_id: tuple[int, int] | None = None
    # Whether the path was a symbolic link when opened. A link put in the file's place later,
    # even one to the same file, is a replacement: SQLite would give connections opened through
    # it a second -wal beside the link's target, and the two would not see each other's saves.
    via_link: bool = False
    # Whether the file has been seen with content: if it is empty later, it was cut short.
    had_content: bool = False
    # The (device, inode) of every -wal and -shm our connections opened: on closing, those left
    # beside a path that no longer holds our file are ours to remove, and no other.
    sidecars: set[tuple[int, int]] = field(default_factory=set)
    _released: bool = False  # its hold on the file's handle (see _HANDLES) given back
    # An encrypted file's (mtime, size) when its first page last opened with its key: when the
    # file changes under ffmot (as a checkpoint changes it, or `cp other.db ffmot.db` does), the
    # first page is checked with the key again before a save is acknowledged (_opens_with_key).
    _verified: tuple[int, int] | None = None
    # Something the person should know about where the database is (a cloud-sync folder, say)
    # though it does not stop ffmot: for the window and the command line to show. "" if none.
    warning: str = ""
    # The SQLCipher key of an encrypted file (store/keys.py); None for a plain file or a server.
    key: bytes | None = field(default=None, repr=False)

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    @property
    def plain_file(self) -> bool:
        """A local file kept unencrypted (made by an ffmot before encryption at rest)."""
        return self.path is not None and self.key is None

    def check_file(self) -> None:
        """Raises StoreError if the SQLite file ffmot opened is no longer the file at its path
        (deleted, renamed away, or replaced by a copy). A stat of one path: cheap enough to do
        before every commit."""
        if self.file_id is None:
            return
        if not self._still_ours():
            raise FileGoneError(
                _(
                    "the database file {path} was deleted or replaced while ffmot was open: "
                    "nothing more was saved; your last entry is still on screen. Close ffmot, "
                    "put the file back or restore a backup, then open it again",
                    path=self.path,
                )
            )

        problem = self._damage()
        if problem:
            raise FileGoneError(
                _(
                    "the database file {path} was changed by something other than ffmot while "
                    "it was open ({problem}): nothing more was saved; your last entry is still "
                    "on screen. Close ffmot, restore a backup, then open it again",
                    path=self.path,
                    problem=problem,
                )
            )

    def _still_ours(self) -> bool:
        """The file at the path is the one opened, reached the same way."""
        name = self.engine.url.database or ""
        try:
            st = os.stat(name)
            if (st.st_dev, st.st_ino) != self.file_id:
                return False
            return self.via_link or not stat.S_ISLNK(os.lstat(name).st_mode)
        except OSError:
            return False

    def _damage(self) -> str:
        """What is wrong with the file's own bytes if they were cut short under ffmot (the same
        file, truncated), "" if nothing. A SQLite file is never shorter than its header says
        (bytes 28-31: its pages, valid when bytes 92-95 match the change counter at 24-27),
        but for a moment while another process's checkpoint extends it: looked at again."""
        problem = self._damage_now()
        if problem:
            time.sleep(0.2)
            problem = self._damage_now()
        return problem

    def _damage_now(self) -> str:
        fd = _handle(self.file_id) if self.file_id is not None else None
        if fd is None:
            return ""
        try:  # through the handle kept open: opening the file anew would drop SQLite's locks
            head = os.pread(fd, 100, 0)
            size = os.fstat(fd).st_size
        except OSError:
            return ""  # _still_ours() speaks for a file that cannot be read
        if not head:
            return _("it is now empty") if self.had_content else ""
        self.had_content = True
        if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
            return _("it no longer starts as a SQLite file")
        page = int.from_bytes(head[16:18], "big")
        page = 65536 if page == 1 else page
        if self.key is not None:
            st = os.fstat(fd)
            seen = (st.st_mtime_ns, st.st_size)
            if seen != self._verified:
                if not _opens_with_key(fd, page, self.key, self.path):
                    return _("its contents were replaced by a database this key does not open")
                self._verified = seen
        pages = int.from_bytes(head[28:32], "big")
        # Bytes 92-95 say the page count is current; SQLCipher keeps only the first 32 bytes in
        # plain, and every SQLite that writes it keeps the count current.
        current = head[24:28] == head[92:96] or keys.is_encrypted(head)
        if current and size < pages * page:
            return _(
                "it is {size:,} bytes, shorter than the {expected:,} its header gives",
                size=size,
                expected=pages * page,
            )
        return ""

    def _orphaned_sidecars(self) -> list[tuple[Path, tuple[int, int]]]:
        """Our -wal and -shm left beside a path that no longer holds our file (deleted, renamed
        away or replaced). A -wal or -shm there that our connections did not open belongs to
        whatever file is there now, and is not listed."""
        path = self.path
        if path is None or self.file_id is None or self._still_ours():
            return []
        found = []
        for suffix in ("-wal", "-shm"):
            side = Path(f"{path}{suffix}")
            try:
                st = os.lstat(side)
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if stat.S_ISREG(st.st_mode) and key in self.sidecars:
                found.append((side, key))
        return found

    def _checkpoint_open_file(self) -> bool:
        """Folds the -wal into the file ffmot opened, through a connection already open on it
        (a new one would open whatever is at the path now). SQLite does not do this itself when
        it finds its file moved, so a file renamed away would lack every save still in its -wal.
        False if it could not be done."""
        try:
            conn = self.engine.raw_connection()
        except (FileGoneError, DBAPIError):
            # None still open on the file: the -wal may hold saves the file lacks; kept.
            return False
        try:
            cur = conn.cursor()
            busy, _log, _pages = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cur.close()
            return not busy
        except Exception:  # the -wal is then kept, not deleted
            return False
        finally:
            conn.close()

    @property
    def kind(self) -> str:
        return self.engine.dialect.name

    @property
    def path(self) -> Path | None:
        db = self.engine.url.database
        return Path(db) if self.kind == "sqlite" and db and db != ":memory:" else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed if the block finishes, rolled back if it raises.

        A database failure (a full disk, a damaged file, a server gone) becomes a StoreError
        that says so; a uniqueness clash stays an IntegrityError for the caller to judge."""
        try:
            with self.sessions() as s, s.begin():
                yield s
        except IntegrityError:
            raise
        except DBAPIError as e:
            raise _explain(self, e) from None
        except MemoryError:
            if not self.encrypted:
                raise
            raise _failed_check(self) from None

    def ping(self) -> None:
        """Reaches the database once (raises StoreError if it cannot): how the app finds out
        that a shared server which went away is back."""
        try:
            with self.engine.connect() as c:
                c.exec_driver_sql("SELECT 1")
        except DBAPIError as e:
            raise _explain(self, e) from None

    def close(self) -> None:
        """Closes every connection. If the file was deleted, renamed away or replaced while
        open, what is still in its -wal is first written into it (where it still has a name,
        that copy is then complete), and its -wal and -shm are removed: left beside the path,
        they hold personal data, and a new database made at that path would read them in."""
        orphans = self._orphaned_sidecars()
        moved = self.path is not None and self.file_id is not None and not self._still_ours()
        if moved and not self._checkpoint_open_file():
            orphans = []
        self.engine.dispose()
        for side, key in orphans:
            try:
                st = os.lstat(side)
                if (st.st_dev, st.st_ino) == key:
                    side.unlink()
            except OSError:
                pass
        if self.file_id is not None and not self._released:
            self._released = True
            _release_handle(self.file_id)


def _opens_with_key(fd: int, page: int, key: bytes, path: Path | None) -> bool:
    """Whether the file's first page, read through the handle ffmot keeps, opens with the key:
    copied alone into a scratch file beside the database (owner-only, removed at once; it holds
    only ciphertext) and read by SQLCipher, which checks the page's authentication code. A
    file whose bytes were replaced by another database's fails; so does garbage."""
    import tempfile

    first = os.pread(fd, page, 0)
    if len(first) < page or path is None:
        return True  # no whole page yet: nothing written to check
    scratch_fd, scratch = tempfile.mkstemp(prefix=".ffmot-check-", dir=path.parent)
    try:
        with os.fdopen(scratch_fd, "wb") as f:
            f.write(first)
            # As long as its heading says (a sparse file: no room taken), or SQLite calls the
            # one page "malformed" before SQLCipher has looked at it.
            f.truncate(max(page, int.from_bytes(first[28:32], "big") * page))
        conn = _sqlcipher().connect(scratch)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f'PRAGMA key = "{keys.sqlcipher_key(key)}"')
            conn.execute(f"PRAGMA cipher_plaintext_header_size = {keys.PLAINTEXT_HEADER}")
            conn.execute("PRAGMA query_only = 1")
            conn.execute("PRAGMA schema_version").fetchone()
            return True
        except (MemoryError, _sqlcipher().Error):
            return False
        finally:
            conn.close()
    except OSError:
        return True  # cannot check here (no room for one page): the next save will
    finally:
        with suppress(OSError):
            os.unlink(scratch)


def _failed_check(db: Database) -> StoreError:
    """SQLCipher's answer (as a MemoryError) to a page that fails its check: changed on disk,
    damaged, or not encrypted with this key."""
    return StoreError(
        _(
            "{where} is damaged or not an ffmot database (a part of it failed its "
            "check: it was changed outside ffmot, or the disk is failing); it was left as it is. "
            "Restore a backup or choose another file with --db.",
            where=describe(db.url),
        )
    )


def _path_problem(path: Path, e: OSError) -> StoreError:
    """An OSError met while looking at the database's path, in words."""
    if e.errno == errno.ELOOP:
        return StoreError(
            _(
                "{path} is a shortcut (symbolic link) that leads round in a loop, never to a "
                "file: choose the database file itself with --db",
                path=path,
            )
        )
    if e.errno == errno.ENAMETOOLONG:
        return StoreError(
            _(
                "the database path is too long for this system ({count} characters): "
                "choose a file in a shorter folder with --db",
                count=len(str(path)),
            )
        )
    if e.errno == errno.ENOTDIR:
        return StoreError(_("{path}: part of that path is a file, not a folder", path=path))
    return StoreError(
        _("cannot use {path} as the database: {problem}", path=path, problem=e.strerror)
    )


_KINDS = (
    (stat.S_ISFIFO, N_("a pipe (FIFO)")),
    (stat.S_ISCHR, N_("a device")),
    (stat.S_ISBLK, N_("a disk device")),
    (stat.S_ISSOCK, N_("a socket")),
)
_OTHER_KIND = N_("not an ordinary file")


def _refuse_unless_regular(path: Path, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise StoreError(_("{path} is a folder, not a database file", path=path))
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), _OTHER_KIND)
        raise StoreError(
            _(
                "{path} is {kind}, not an ordinary file: ffmot keeps its database only in an "
                "ordinary file, and left this untouched. Choose another file with --db.",
                path=path,
                kind=_(kind),
            )
        )


# Open handles on each database file, by (device, inode), for this whole process. SQLite's
# locks are POSIX locks, which belong to the process and the file: closing ANY handle on the file
# drops every lock the process holds on it, and another process could then take the -wal away
# from connections still using it (their saves vanish; "disk I/O error"). So a handle ffmot
# opens on a database file is never closed while any Database of this process has that file
# open: it is kept here, used for the checks (read with pread, never reopened), and closed with
# the last one.
_HANDLES: dict[tuple[int, int], list[int]] = {}  # key -> [count, fd, fd...]
_HANDLES_LOCK = threading.Lock()


def _keep_handle(key: tuple[int, int], fd: int) -> None:
    with _HANDLES_LOCK:
        held = _HANDLES.setdefault(key, [0])
        held[0] += 1
        held.append(fd)


def _handle(key: tuple[int, int]) -> int | None:
    held = _HANDLES.get(key)
    return held[1] if held and len(held) > 1 else None


def _release_handle(key: tuple[int, int]) -> None:
    with _HANDLES_LOCK:
        held = _HANDLES.get(key)
        if held is None:
            return
        held[0] -= 1
        if held[0] > 0:
            return
        del _HANDLES[key]
    for fd in held[1:]:
        with contextlib.suppress(OSError):
            os.close(fd)


def _prepare_sqlite_file(path: Path) -> tuple[int, int]:
    """Checks (or creates) the database file and returns its (device, inode).

    Only an ordinary file is ever opened: a pipe would block ffmot forever and a device would
    be written to. Symbolic links are followed; the file is opened without blocking, checked
    again through the open handle (so it cannot be swapped between look and open), and only
    that checked handle is ever made owner-only."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _path_problem(path, e) from None
    if st is None:
        return _create_sqlite_file(path)
    _refuse_unless_regular(path, st)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == errno.EACCES:
            raise StoreError(
                _("cannot read the database {path}: {problem}", path=path, problem=e.strerror)
            ) from None
        raise _path_problem(path, e) from None
    try:
        st = os.fstat(fd)
        _refuse_unless_regular(path, st)
        head = os.pread(fd, 16, 0)
        if head and head != SQLITE_MAGIC:
            raise StoreError(
                _(
                    "{path} is not an ffmot database (it is not a SQLite file); it was left "
                    "untouched. Choose another file with --db.",
                    path=path,
                )
            )
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise StoreError(
                _(
                    "{path} is read-only (the file, its folder or the disk it is on): ffmot "
                    "needs to write to its database. It was left untouched; copy it somewhere "
                    "you can write to, or choose another file with --db.",
                    path=path,
                )
            )
        if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.geteuid():
            owner_only(fd, path)  # personal health data (ffmot/core/files.py)
    except OSError as e:
        os.close(fd)  # nothing of ours is open on a file refused here
        raise StoreError(
            _("cannot read the database {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    except BaseException:
        os.close(fd)
        raise
    _keep_handle((st.st_dev, st.st_ino), fd)  # never closed while the file is open here
    return st.st_dev, st.st_ino


def _create_sqlite_file(path: Path) -> tuple[int, int]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        _keep_handle((st.st_dev, st.st_ino), fd)
    except FileExistsError:
        raise StoreError(
            _(
                "cannot create the database {path}: something is already there (a shortcut to "
                "a file that does not exist?). Choose another file with --db.",
                path=path,
            )
        ) from None
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENAMETOOLONG, errno.ENOTDIR):
            raise _path_problem(path, e) from None
        raise StoreError(
            _("cannot create the database {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    return st.st_dev, st.st_ino


# A shared server that stops answering must not leave a station waiting for ever: no statement
# may run longer than this, and the connection is probed when idle so that a server or network
# gone dead is noticed (after about idle + interval * count seconds) instead of waited on.
STATEMENT_TIMEOUT_S = 30
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def _postgres_connect_args(u: Any) -> dict[str, Any]:
    """connect_timeout, keepalives, no server-side prepared statements and the statement
    timeout; an `options` given in the URL is kept and comes after ours, so a site that set
    its own statement_timeout keeps it.
    TLS with the server's certificate checked unless the URL says otherwise (ffmot.store.pgtls);
    a mode that allows an unencrypted connection is refused here, before any connection."""
    from ffmot.store import pgtls

    options = f"-c statement_timeout={STATEMENT_TIMEOUT_S * 1000}"
    given = u.query.get("options")
    if given:
        options += " " + (given if isinstance(given, str) else " ".join(given))
    tls = pgtls.connect_args(u, describe(str(u)))
    # No statement prepared on the server (psycopg prepares one run five times): a prepared
    # statement's plan is made once for any value, and a search's `LIKE 'nor%'` planned for
    # any prefix cannot use the name word index's range, so after five searches every search
    # read the whole table (40 ms at 10,000 people, 250 ms at 200,000).
    return {
        "connect_timeout": 5,
        **PG_KEEPALIVES,
        "options": options,
        "prepare_threshold": None,
        **tls,
    }


# Folders that a sync service copies to and from the cloud. A database file in one can be
# replaced under ffmot, or duplicated as a "conflicted copy", by the service.
_SYNCED_FOLDERS = (
    ("onedrive", "OneDrive"),
    ("dropbox", "Dropbox"),
    ("google drive", "Google Drive"),
    ("googledrive", "Google Drive"),
    ("icloud drive", "iCloud Drive"),
    ("iclouddrive", "iCloud Drive"),
    ("mobile documents", "iCloud Drive"),
    ("com~apple~clouddocs", "iCloud Drive"),
)


def sync_folder_warning(path: Path) -> str:
    """A warning if the database file is in a cloud-sync folder, else "". It does not stop
    ffmot: many a laptop keeps Documents in OneDrive, and the file works there until the
    service replaces it."""
    for part in path.parts[:-1]:
        low = part.lower()
        for key, service in _SYNCED_FOLDERS:
            if key in low:
                return _(
                    "the database {path} is in a folder that {service} keeps in step with the "
                    "cloud. A sync service can replace or duplicate a file while ffmot has it "
                    "open, and saves can then be lost. Move the database out of that folder "
                    "(close ffmot first), and share work with 'save-work' or an export instead.",
                    path=path,
                    service=service,
                )
    return ""


def _sqlcipher() -> Any:
    from sqlcipher3 import dbapi2

    return dbapi2


def _key_for_file(path: Path, file_id: tuple[int, int]) -> bytes | None:
    """The key an encrypted file opens with; a new or empty file is made encrypted; None for a
    plain file made before encryption at rest (it opens as it is: 'ffmot db encrypt')."""
    fd = _handle(file_id)
    head = os.pread(fd, 100, 0) if fd is not None else b""
    if head and not keys.is_encrypted(head):
        return None
    if not head and keys.read_envelope(path) is None:
        return keys.new_database_key(path)
    key = keys.key_for(path)
    page = int.from_bytes(head[16:18], "big") if len(head) >= 18 else 0
    page = 65536 if page == 1 else page
    if fd is not None and page and not _opens_with_key(fd, page, key, path):
        raise StoreError(_key_not_the_files(path))
    return key


def _key_not_the_files(where: object) -> str:
    return _(
        "the key kept for {path} does not open it: the file is damaged, or its "
        "{suffix} file belongs to another database. It was left as it is: restore a "
        "backup, or put back the file's own {suffix} file, or open it with its "
        "recovery code ('ffmot db recover')",
        path=where,
        suffix=keys.SUFFIX,
    )


def _use_key(engine: Engine, key: bytes) -> None:
    """Every connection on an encrypted file is given its key before anything else."""
    pragma = keys.sqlcipher_key(key)

    def keyed(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        conn = dialect.dbapi.connect(*cargs, **cparams)
        cur = conn.cursor()
        cur.execute("PRAGMA cipher_log_level = NONE")
        cur.execute(f'PRAGMA key = "{pragma}"')
        cur.execute(f"PRAGMA cipher_plaintext_header_size = {keys.PLAINTEXT_HEADER}")
        cur.close()
        return conn

    event.listen(engine, "do_connect", keyed)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _watch_file(db: Database, file_id: tuple[int, int]) -> None:
    """Remembers which file is the database and refuses to commit to, or open a new connection
    on, any other. SQLite keeps writing to a file deleted under it (the open handle outlives the
    name) and to the old file when a sync tool swaps a copy in by rename: each save would be
    acknowledged and lost. A new connection on a deleted path would quietly make an empty file."""
    db.file_id = file_id
    name = db.engine.url.database or ""
    with suppress(OSError):
        db.via_link = stat.S_ISLNK(os.lstat(name).st_mode)

    def before_commit(_conn: Connection) -> None:
        db.check_file()

    def before_connect(*_args: Any) -> None:
        db.check_file()

    def after_connect(dbapi_conn: Any, _record: Any) -> None:
        # The first read opens the -wal and -shm: remember which files they are. A file that
        # cannot be read says so at the first statement, in words (see _explain).
        try:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA schema_version")
            cur.close()
        except (sqlite3.Error, _sqlcipher().Error, MemoryError):
            return
        for suffix in ("-wal", "-shm"):
            try:
                st = os.lstat(f"{name}{suffix}")
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                db.sidecars.add((st.st_dev, st.st_ino))

    event.listen(db.engine, "commit", before_commit)
    event.listen(db.engine, "do_connect", before_connect)
    event.listen(db.engine, "connect", after_connect)


def connect(url: str | None = None, upgrade: bool = True) -> Database:  # noqa: C901 (each kind of database address and its checks)
    """Opens (creating if need be) and, unless told not to, upgrades the database."""
    resolved = resolve_url(url)
    try:
        u = make_url(resolved)
        backend = u.get_backend_name()
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number, a stray "["
        raise StoreError(
            _(
                "'{address}' is not a database address: give a file path or a URL "
                "like postgresql+psycopg://user@host/dbname",
                address=resolved,
            )
        ) from None
    # A failed statement's message never carries its values (names, dates of birth, notes):
    # such messages reach the log and, from a station's file, the screen.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    file_id: tuple[int, int] | None = None
    key: bytes | None = None
    if backend == "sqlite":
        if u.database and u.database != ":memory:":
            file_id = _prepare_sqlite_file(Path(u.database))
            try:
                key = _key_for_file(Path(u.database), file_id)
            except BaseException:
                _release_handle(file_id)
                raise
        kwargs["connect_args"] = {"timeout": 10}
        kwargs["module"] = _sqlcipher()  # SQLite with SQLCipher: plain files open as before
    elif backend == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = _postgres_connect_args(u)
    else:
        raise StoreError(_("ffmot works with SQLite or PostgreSQL, not {backend}", backend=backend))
    try:
        engine = create_engine(u, **kwargs)
    except (ArgumentError, ImportError) as e:
        if file_id is not None:
            _release_handle(file_id)
        if backend == "postgresql" and isinstance(e, ImportError):
            # SQLAlchemy imports the driver only here; it is the `postgres` extra, not a
            # dependency of every station (pyproject.toml).
            raise StoreError(
                _(
                    "shared PostgreSQL databases need ffmot's postgres extra: "
                    "pip install 'ffmot[postgres]' ({problem})",
                    problem=e,
                )
            ) from None
        raise StoreError(
            _("cannot use {where}: {problem}", where=describe(resolved), problem=e)
        ) from None
    db = Database(resolved, engine, sessionmaker(engine, expire_on_commit=False), key=key)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if file_id is not None:
            _watch_file(db, file_id)
        if key is not None:
            _use_key(engine, key)
        if db.path is not None:
            db.warning = sync_folder_warning(db.path)
    try:
        check_version(db)
        if upgrade:
            upgrade_schema(db)
    except MemoryError:  # SQLCipher's answer to a key that is not the file's
        db.close()
        raise StoreError(_key_not_the_files(describe(resolved))) from None
    except BaseException:
        db.close()
        raise
    return db


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:"(\w+)"|'(\w+)'|None)\s*$""", re.M
)


def known_revisions() -> tuple[set[str], str]:
    """The schema revisions this ffmot knows, and the newest. Read from the migration files'
    `revision = "..."` lines: importing Alembic to walk them was a good part of the desktop
    app's start. Alembic itself is imported only when there is something to upgrade."""
    down: dict[str, str | None] = {}
    for f in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = {m[1]: m[2] or m[3] or None for m in _REVISION_LINE.finditer(f.read_text())}
        if found.get("revision"):
            down[str(found["revision"])] = found.get("down_revision")
    heads = set(down) - {d for d in down.values() if d}
    if len(heads) != 1 or any(d and d not in down for d in down.values()):
        return _alembic_revisions()  # not a simple chain: let Alembic read it
    return set(down), heads.pop()


def _alembic_revisions() -> tuple[set[str], str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    revs = {r.revision for r in script.walk_revisions()}
    head = script.get_current_head()
    assert head is not None
    return revs, head


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as c:
            if not inspect(c).has_table("alembic_version"):
                has_any = bool(inspect(c).get_table_names())
                return "unversioned" if has_any else None
            row = c.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
    except DBAPIError as e:
        raise _explain(db, e) from None


def check_version(db: Database) -> None:
    rev = current_revision(db)
    if rev is None:
        return
    known, _head = known_revisions()
    if rev == "unversioned":
        raise StoreError(
            _(
                "{where} holds tables that are not ffmot's; it was left "
                "untouched. Choose another database with --db.",
                where=describe(db.url),
            )
        )
    if rev not in known:
        raise StoreError(
            _(
                "{where} was written by a newer version of ffmot (schema {revision}); it was "
                "left untouched. Install the newer ffmot to open it.",
                where=describe(db.url),
                revision=rev,
            )
        )


def upgrade_schema(db: Database) -> bool:
    """Brings the schema to the newest revision. Returns True if anything changed."""
    _known, head = known_revisions()
    before = current_revision(db)
    if before == head:
        return False
    from alembic import command

    try:
        with db.engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    except DBAPIError as e:
        raise _explain(db, e) from None
    return True


def upgrade_to(db: Database, revision: str) -> None:
    """Upgrade to a given revision (tests build an old schema this way)."""
    from alembic import command

    with db.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def _explain(db: Database, e: DBAPIError | SQLAlchemyError) -> StoreError:
    """A driver's error in words for a person; the driver's own text is kept as {problem}."""
    msg = str(getattr(e, "orig", e)).strip().splitlines()[0] if str(e) else type(e).__name__
    where = describe(db.url)
    low = msg.lower()
    if "not a database" in low or "malformed" in low:
        return StoreError(
            _(
                "{where} is damaged or not an ffmot database ({problem}); it was left as "
                "it is. Restore a backup or choose another file with --db.",
                where=where,
                problem=msg,
            )
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(
            _(
                "{where} is read-only ({problem}): that change was not saved; everything saved "
                "before it is safe. ffmot needs to write to it",
                where=where,
                problem=msg,
            )
        )
    if "disk is full" in low or "no space left" in low:
        return StoreError(
            _(
                "the disk holding {where} is full ({problem}): that change was not saved; "
                "everything saved before it is safe. Free some space, then save again.",
                where=where,
                problem=msg,
            )
        )
    if "disk i/o error" in low:
        return StoreError(
            _(
                "cannot write to the disk holding {where} ({problem}): it may be full, removed "
                "or failing; that change was not saved; everything saved before it is safe. "
                "Check the disk, then save again.",
                where=where,
                problem=msg,
            )
        )
    if db.kind == "postgresql" and _sqlstate(e) == "57014":  # query_canceled: the timeout
        return StoreError(
            _(
                "the shared database took more than {seconds} seconds to answer, so "
                "ffmot stopped waiting: what you were entering was not saved yet (it is still "
                "on screen), and everything saved before is safe. Try again; if it keeps "
                "happening, the server is overloaded or stuck ({where}: {problem})",
                seconds=STATEMENT_TIMEOUT_S,
                where=where,
                problem=msg,
            )
        )
    if db.kind == "postgresql":  # no encryption, or the server's certificate not trusted
        from ffmot.store import pgtls

        tls = pgtls.explain(str(getattr(e, "orig", e)), db.url, where)
        if tls is not None:
            return tls
    if db.kind == "postgresql" and "authentication" in low:
        return StoreError(
            _(
                "the shared database {where} refused this station's user name or password "
                "({problem}). Check the address in Settings",
                where=where,
                problem=msg,
            )
        )
    if db.kind == "postgresql" and _unreachable(e):
        return UnreachableError(
            _(
                "cannot reach the shared database just now: what you were entering was not "
                "saved yet (it is still on screen), and everything saved before is safe. Check "
                "the network or the server, then try again"
            ),
            detail=f"{where}: {msg}",
            probe=db.ping,
        )
    return StoreError(_("database problem with {where}: {problem}", where=where, problem=msg))


# PostgreSQL's codes for a connection that failed or was cut (class 08) and for a server that
# is shutting down, crashed or still starting (57P01-57P03). A failure with no code at all is
# the client finding no server (refused, timed out, closed under it).
_GONE = ("08", "57P01", "57P02", "57P03")


def _unreachable(e: DBAPIError | SQLAlchemyError) -> bool:
    """Whether the error is the server being out of reach, not something it refused."""
    if not isinstance(e, OperationalError | InterfaceError):
        return False
    code = _sqlstate(e)
    return code is None or code.startswith(_GONE)


def _sqlstate(e: DBAPIError | SQLAlchemyError) -> str | None:
    code = getattr(getattr(e, "orig", None), "sqlstate", None)
    return None if code is None else str(code)


def explain(db: Database, e: DBAPIError | SQLAlchemyError) -> StoreError:
    return _explain(db, e)
