"""Small shared steps for tests that need a person checked in and screened."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from ffmot.core import screening
from ffmot.services import records as R
from ffmot.services.types import AssessmentInfo, EventInfo, ParticipantInfo


def ready_visit(
    ctx,
    event_name: str = "MOT day",
    given: str = "Ada",  # type: ignore[no-untyped-def]
    family: str = "Sampleton",
    dob: dt.date = dt.date(1949, 3, 14),
    sex: str = "female",
    open_event: bool = True,
) -> tuple[EventInfo, ParticipantInfo, AssessmentInfo]:
    """A new MOT day today with one person registered (agreeing to keep results), checked in
    and screened clear; the day is opened in the app context."""
    e = R.create_event(ctx.db, ctx.actor, event_name, dt.date.today())
    p = R.register_participant(
        ctx.db, ctx.actor, given, family, dob, sex, consents={"keep_results": True}
    )
    v = R.check_in(ctx.db, ctx.actor, p.id, e.id)
    R.record_screening(ctx.db, ctx.actor, v.id, screening.answers_with())
    if open_event:
        ctx.set_event(R.get_event(ctx.db, e.id))
    return e, p, v


def screened_visit(
    db,
    actor,
    event_id: str,
    given: str,
    family: str,  # type: ignore[no-untyped-def]
    dob: dt.date,
    sex: str,
) -> tuple[ParticipantInfo, AssessmentInfo]:
    """Registers someone who agrees to keep their results, checks them in to the MOT day and
    records a clear screening."""
    p = R.register_participant(db, actor, given, family, dob, sex, consents={"keep_results": True})
    v = R.check_in(db, actor, p.id, event_id)
    R.record_screening(db, actor, v.id, screening.answers_with())
    return p, v


def raw_sqlite(path, key_from=None, **kwargs):  # type: ignore[no-untyped-def]
    """A connection straight to a database file, as the `sqlite3` tool would make, given its key
    when it is encrypted (ffmot/store/keys.py): for tests that change a file behind ffmot's back
    or read what it really holds. `key_from`: another file whose key a new copy is to have."""
    from pathlib import Path

    from sqlcipher3 import dbapi2

    from ffmot.store import keys

    target = path
    if isinstance(path, str) and path.startswith("file:"):  # a URI: file:PATH?mode=ro
        path = path.removeprefix("file:").split("?")[0]
    path = Path(path)
    try:
        head = path.read_bytes()[:100] if path.is_file() else b""
    except OSError:
        head = b""
    con = dbapi2.connect(str(target), **kwargs)
    source = Path(key_from) if key_from is not None else path
    if keys.is_encrypted(head) or key_from is not None:
        key = keys.key_for(source)
        con.execute(f'PRAGMA key = "{keys.sqlcipher_key(key)}"')
        con.execute(f"PRAGMA cipher_plaintext_header_size = {keys.PLAINTEXT_HEADER}")
    return con


def copy_database(src, dst) -> None:  # type: ignore[no-untyped-def]
    """A whole, consistent copy of an ffmot database file (its -wal included), encrypted with
    the same key and with its own `.keys` file beside it: what handing a laptop a copy of the
    day's file amounts to."""
    import shutil
    from pathlib import Path

    from ffmot.store import keys

    src, dst = Path(src), Path(dst)
    a = raw_sqlite(src)
    encrypted = keys.keyfile(src).exists()
    b = raw_sqlite(dst, key_from=src if encrypted else None)
    try:
        with b:
            a.backup(b)
    finally:
        a.close()
        b.close()
    if encrypted:
        shutil.copy(keys.keyfile(src), keys.keyfile(dst))


def plain_database_file(path):  # type: ignore[no-untyped-def]
    """An empty, unencrypted SQLite file at `path`, as an ffmot made before encryption at rest
    would have left it: ffmot opens such a file as it is (see `ffmot db encrypt`)."""
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")  # writes the file's heading
    con.close()
    return path


def copy_db_file(src, dst) -> None:  # type: ignore[no-untyped-def]
    """A closed database file copied as a person copies it with its folder: the file and, for
    an encrypted one, the `.keys` file beside it (without which the copy cannot be opened)."""
    import shutil
    from pathlib import Path

    shutil.copyfile(src, dst)
    keys = Path(f"{src}.keys")
    if keys.exists():
        shutil.copyfile(keys, f"{dst}.keys")


@contextlib.contextmanager
def log_handlers_kept() -> Iterator[None]:
    """ffmot's logger as it was afterwards: the handlers a test's logs.setup added are closed
    and removed, the ones before put back."""
    from ffmot.core import logs

    before = (list(logs.logger.handlers), logs.logger.level)
    try:
        yield
    finally:
        for h in list(logs.logger.handlers):
            logs.logger.removeHandler(h)
            h.close()
        for h in before[0]:
            logs.logger.addHandler(h)
        logs.logger.setLevel(before[1])


# How long a wait for an event may last before the test fails: generous, for a loaded 2-core
# machine; each wait ends as soon as its event comes.
CEILING_MS = 60_000
