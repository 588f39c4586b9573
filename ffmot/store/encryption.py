"""Encrypting a database file made before encryption at rest (`ffmot db encrypt`).

The plain file is copied page by page into a new SQLCipher file beside it (SQLCipher's own
`sqlcipher_export`), the copy is checked (the same rows in every table, an integrity check),
its `.keys` file is written, and only then does the copy take the plain file's name. The plain
file's bytes are then overwritten through a handle still open on it, so no readable copy stays
on a disk that writes in place (an SSD may keep old blocks: the information-governance note
says what to do about that). A crash at any step leaves the plain file as it was and at most a
`.encrypting` copy, which the next attempt replaces.

It refuses while an ffmot window has the file open (store/lock.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from ffmot.core.i18n import _
from ffmot.store import keys
from ffmot.store.db import Database, _sqlcipher
from ffmot.store.errors import StoreError


def _tables(conn: object) -> list[str]:
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return sorted(r[0] for r in rows)


def _counts(conn: object, schema: str = "main") -> dict[str, int]:
    return {
        t: conn.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0]  # type: ignore[attr-defined]
        for t in _tables(conn)
    }


def encrypt_file(db: Database) -> bytes:
    """Encrypts the plain file `db` has open, and closes `db`. Returns the new key, which this
    computer account keeps (store/keys.py) until a practitioner is sealed by the caller."""
    from ffmot.store.lock import hold

    path = db.path
    if path is None or not db.plain_file:
        raise StoreError(_("only a plain database file on this computer can be encrypted"))
    window = hold(path, _("encrypting the database"))  # refused if a window has it open
    try:
        with db.engine.connect() as c:
            row = c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        busy = row is None or row[0]
        if busy:
            raise StoreError(
                _(
                    "{path} is in use by another ffmot command: nothing was changed; try again "
                    "when it has finished",
                    path=path,
                )
            )
        db.close()
        return _copy_encrypted(path)
    finally:
        window.release()


def _copy_encrypted(path: Path) -> bytes:
    dbapi = _sqlcipher()
    new = path.with_name(path.name + ".encrypting")
    for leftover in (new, Path(f"{new}-wal"), Path(f"{new}-shm"), Path(f"{new}-journal")):
        leftover.unlink(missing_ok=True)
    key = os.urandom(keys.KEY_BYTES)
    fd = os.open(new, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src = dbapi.connect(str(path))
    try:
        counts = _counts(src)
        version = src.execute("PRAGMA user_version").fetchone()[0]
        pragma = keys.sqlcipher_key(key)
        src.execute(f'ATTACH DATABASE ? AS enc KEY "{pragma}"', (str(new),))
        src.execute(f"PRAGMA enc.cipher_plaintext_header_size = {keys.PLAINTEXT_HEADER}")
        src.execute("SELECT sqlcipher_export('enc')")
        src.execute(f"PRAGMA enc.user_version = {int(version)}")
        src.commit()
        src.execute("DETACH DATABASE enc")
    except dbapi.Error as e:
        new.unlink(missing_ok=True)
        raise StoreError(
            _("could not encrypt {path} ({problem}): nothing was changed", path=path, problem=e)
        ) from None
    finally:
        src.close()
    check = dbapi.connect(str(new))
    try:
        check.execute(f'PRAGMA key = "{keys.sqlcipher_key(key)}"')
        check.execute(f"PRAGMA cipher_plaintext_header_size = {keys.PLAINTEXT_HEADER}")
        ok = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        same = _counts(check) == counts
        check.execute("PRAGMA journal_mode=DELETE")
    finally:
        check.close()
    if not (ok and same):
        new.unlink(missing_ok=True)
        raise StoreError(
            _("the encrypted copy of {path} did not check out: nothing was changed", path=path)
        )
    with new.open("rb+") as f:
        os.fsync(f.fileno())
    _install(path, new, key)
    return key


def _install(path: Path, new: Path, key: bytes) -> None:
    """The `.keys` file first (the plain file still opens without it), then the encrypted copy
    takes the name, then the plain bytes are overwritten."""
    keys.write_envelope(path, keys.Envelope(keys.check_value(key), keys.keep_on_device(key), []))
    old = os.open(path, os.O_RDWR)
    try:
        size = os.fstat(old).st_size
        os.replace(new, path)
        block = b"\0" * (1 << 20)
        written = 0
        while written < size:
            written += os.pwrite(old, block[: min(len(block), size - written)], written)
        os.fsync(old)
    finally:
        os.close(old)
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)  # the plain file's, emptied above
    keys.remember(path, key)
