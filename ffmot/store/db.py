"""Opening the database: where it lives, how it is protected, and keeping its schema current.

SQLite by default (one owner-only file in the user's data folder, WAL, foreign keys on,
secure delete); PostgreSQL when several stations share one database.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
        return "sqlite:///" + str(Path(chosen).expanduser().resolve())
    return chosen


def describe(url: str) -> str:
    """The URL without any password, fit for messages and the audit log."""
    try:
        u = make_url(url)
        if u.get_backend_name() == "sqlite" and u.database:
            return u.database
        return u.render_as_string(hide_password=True)
    except ArgumentError:
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
    # Something the person should know about where the database is (a cloud-sync folder, say)
    # though it does not stop ffmot: for the window and the command line to show. "" if none.
    warning: str = ""

    def check_file(self) -> None:
        """Raises StoreError if the SQLite file ffmot opened is no longer the file at its path
        (deleted, renamed away, or replaced by a copy). A stat of one path: cheap enough to do
        before every commit."""
        if self.file_id is None or self.path is None:
            return
        try:
            st = os.stat(self.path)
            same = (st.st_dev, st.st_ino) == self.file_id
        except OSError:
            same = False
        if not same:
            raise FileGoneError(
                f"the database file {self.path} was deleted or replaced while ffmot was open: "
                "nothing more was saved; your last entry is still on screen. Close ffmot, put "
                "the file back or restore a backup, then open it again"
            )

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

    def ping(self) -> None:
        """Reaches the database once (raises StoreError if it cannot): how the app finds out
        that a shared server which went away is back."""
        try:
            with self.engine.connect() as c:
                c.exec_driver_sql("SELECT 1")
        except DBAPIError as e:
            raise _explain(self, e) from None

    def close(self) -> None:
        self.engine.dispose()


def _prepare_sqlite_file(path: Path) -> None:
    if path.exists():
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a database file")
        try:
            with path.open("rb") as f:
                head = f.read(16)
        except OSError as e:
            raise StoreError(f"cannot read the database {path}: {e.strerror}") from None
        if head and head != SQLITE_MAGIC:
            raise StoreError(
                f"{path} is not an ffmot database (it is not a SQLite file); it was left "
                "untouched. Choose another file with --db."
            )
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise StoreError(
                f"{path} is read-only (the file, its folder or the disk it is on): ffmot "
                "needs to write to its database. It was left untouched; copy it somewhere "
                "you can write to, or choose another file with --db."
            )
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)  # personal health data: owner only
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except OSError as e:
        raise StoreError(f"cannot create the database {path}: {e.strerror}") from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _watch_file(db: Database) -> None:
    """Remembers which file is the database and refuses to commit to, or open a new connection
    on, any other. SQLite keeps writing to a file deleted under it (the open handle outlives the
    name) and to the old file when a sync tool swaps a copy in by rename: each save would be
    acknowledged and lost. A new connection on a deleted path would quietly make an empty file."""
    assert db.path is not None
    try:
        st = os.stat(db.path)
    except OSError as e:
        raise StoreError(f"cannot open the database {db.path}: {e.strerror}") from None
    db.file_id = (st.st_dev, st.st_ino)

    def before_commit(_conn: Connection) -> None:
        db.check_file()

    def before_connect(*_args: Any) -> None:
        db.check_file()

    event.listen(db.engine, "commit", before_commit)
    event.listen(db.engine, "do_connect", before_connect)


def connect(url: str | None = None, upgrade: bool = True) -> Database:
    """Opens (creating if need be) and, unless told not to, upgrades the database."""
    resolved = resolve_url(url)
    try:
        u = make_url(resolved)
    except ArgumentError:
        raise StoreError(
            f"'{resolved}' is not a database address: give a file path or a URL "
            "like postgresql+psycopg://user@host/dbname"
        ) from None
    backend = u.get_backend_name()
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        if u.database and u.database != ":memory:":
            _prepare_sqlite_file(Path(u.database))
        kwargs["connect_args"] = {"timeout": 10}
    elif backend == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5}
    else:
        raise StoreError(f"ffmot works with SQLite or PostgreSQL, not {backend}")
    try:
        engine = create_engine(u, **kwargs)
    except (ArgumentError, ImportError) as e:
        raise StoreError(f"cannot use {describe(resolved)}: {e}") from None
    db = Database(resolved, engine, sessionmaker(engine, expire_on_commit=False))
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if db.path is not None:
            _watch_file(db)
    try:
        check_version(db)
        if upgrade:
            upgrade_schema(db)
    except BaseException:
        engine.dispose()
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
    known, _ = known_revisions()
    if rev == "unversioned":
        raise StoreError(
            f"{describe(db.url)} holds tables that are not ffmot's; it was left "
            "untouched. Choose another database with --db."
        )
    if rev not in known:
        raise StoreError(
            f"{describe(db.url)} was written by a newer version of ffmot (schema {rev}); it was "
            "left untouched. Install the newer ffmot to open it."
        )


def upgrade_schema(db: Database) -> bool:
    """Brings the schema to the newest revision. Returns True if anything changed."""
    _, head = known_revisions()
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
    msg = str(getattr(e, "orig", e)).strip().splitlines()[0] if str(e) else type(e).__name__
    where = describe(db.url)
    low = msg.lower()
    if "not a database" in low or "malformed" in low:
        return StoreError(
            f"{where} is damaged or not an ffmot database ({msg}); it was left as "
            "it is. Restore a backup or choose another file with --db."
        )
    kept = "that change was not saved; everything saved before it is safe"
    if "readonly" in low or "read-only" in low:
        return StoreError(f"{where} is read-only ({msg}): {kept}. ffmot needs to write to it")
    if "disk is full" in low or "no space left" in low:
        return StoreError(
            f"the disk holding {where} is full ({msg}): {kept}. Free some space, then save again."
        )
    if "disk i/o error" in low:
        return StoreError(
            f"cannot write to the disk holding {where} ({msg}): it may be full, removed or "
            f"failing; {kept}. Check the disk, then save again."
        )
    if db.kind == "postgresql" and "authentication" in low:
        return StoreError(
            f"the shared database {where} refused this station's user name or password "
            f"({msg}). Check the address in Settings"
        )
    if db.kind == "postgresql" and _unreachable(e):
        return UnreachableError(
            "cannot reach the shared database just now: what you were entering was not saved "
            "yet (it is still on screen), and everything saved before is safe. Check the "
            "network or the server, then try again",
            detail=f"{where}: {msg}",
            probe=db.ping,
        )
    return StoreError(f"database problem with {where}: {msg}")


# PostgreSQL's codes for a connection that failed or was cut (class 08) and for a server that
# is shutting down, crashed or still starting (57P01-57P03). A failure with no code at all is
# the client finding no server (refused, timed out, closed under it).
_GONE = ("08", "57P01", "57P02", "57P03")


def _unreachable(e: DBAPIError | SQLAlchemyError) -> bool:
    """Whether the error is the server being out of reach, not something it refused."""
    if not isinstance(e, OperationalError | InterfaceError):
        return False
    code = getattr(getattr(e, "orig", None), "sqlstate", None)
    return code is None or str(code).startswith(_GONE)


def explain(db: Database, e: DBAPIError | SQLAlchemyError) -> StoreError:
    return _explain(db, e)
