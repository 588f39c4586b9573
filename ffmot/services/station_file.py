"""A station's work, saved as one file for the results table.

A raw copy of `ffmot.db` is not a station's work: recent saves sit in the `-wal` file beside it
until SQLite folds them in, so a copy dragged to a stick can lack the last hour, or every table.
This writes a consistent copy with SQLite's online backup (the `-wal` included, whatever else is
saving at that moment), owner-only, with its SHA-256 in a file beside it so the results table can
tell a file damaged or changed on the way. Bringing it in is `services.merge.merge`, which checks
that sum when it is there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlite3  # SQLite with SQLCipher: plain files as ever

from ffmot.core.errors import InputError
from ffmot.core.files import write_private
from ffmot.core.i18n import _
from ffmot.store import keys
from ffmot.store.db import Database

SUFFIX = ".sha256"


def sqlite_path(db: Database) -> Path:
    url = db.url
    if not url.startswith("sqlite:///"):
        raise InputError(
            _(
                "this station uses a shared database, so its work is already with the others: "
                "there is nothing to save to a file"
            )
        )
    return Path(url.removeprefix("sqlite:///"))


def file_name(station: str, when: dt.datetime) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in station.strip()).strip("-") or "station"
    return f"ffmot-{safe[:40]}-{when:%Y%m%d-%H%M%S}.db"


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_station_work(
    db: Database, folder: Path, station: str, when: dt.datetime | None = None
) -> Path:
    """Writes this station's work to `folder` (a stick or a shared folder) and returns the file.
    Nothing is written under the final name until the copy is whole."""
    source = sqlite_path(db)
    try:
        is_folder = folder.is_dir()
    except (OSError, RuntimeError) as e:  # a name too long, a loop of links
        raise InputError(
            _(
                "cannot use {folder} ({problem}): choose another folder",
                folder=folder,
                problem=e.__class__.__name__,
            )
        ) from None
    if not is_folder:
        raise InputError(
            _("{folder} is not a folder: choose the stick or folder to save to", folder=folder)
        )
    when = when or dt.datetime.now()
    target = folder / file_name(station, when)
    part = target.with_name(target.name + ".part")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            write_private(part, b"")  # owner-only before a byte of personal data goes in
            if db.key is not None:  # an encrypted database: exported page by page, in one read
                src.execute(f'PRAGMA key = "{keys.sqlcipher_key(db.key)}"')
                src.execute(f"PRAGMA cipher_plaintext_header_size = {keys.PLAINTEXT_HEADER}")
                src.execute("ATTACH DATABASE ? AS station KEY ''", (str(part),))
                src.execute("SELECT sqlcipher_export('station')")
                version = src.execute("PRAGMA main.user_version").fetchone()[0]
                src.execute(f"PRAGMA station.user_version = {int(version)}")
                src.commit()
                src.execute("DETACH DATABASE station")
            dst = sqlite3.connect(part)
            try:
                if db.key is None:
                    with dst:
                        src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
            finally:
                dst.close()
        finally:
            src.close()
        with part.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(part, target)
    except (OSError, sqlite3.Error) as e:
        part.unlink(missing_ok=True)
        raise InputError(
            _(
                "could not write the station's work to {folder} ({problem}): check the stick "
                "is in and has room, then try again",
                folder=folder,
                problem=e,
            )
        ) from None
    sums = target.with_name(target.name + SUFFIX)
    try:
        write_private(sums, f"{digest(target)}  {target.name}\n".encode())
    except OSError as e:
        raise InputError(
            _(
                "saved {file} but could not write its sum beside it ({problem}): check the "
                "stick has room, then save again",
                file=target.name,
                problem=e,
            )
        ) from None
    return target


def check_sum(path: Path) -> None:
    """If a station file has its sum beside it, the file must match it."""
    sums = path.with_name(path.name + SUFFIX)
    if not sums.is_file():
        return
    try:
        expected = sums.read_text(encoding="utf-8").split()[0].lower()
    except (OSError, UnicodeDecodeError, IndexError):
        raise InputError(
            _("{sums} beside {file} cannot be read", sums=sums.name, file=path.name)
        ) from None
    if digest(path) != expected:
        raise InputError(
            _(
                "{file} is not the file its station saved (it was changed or damaged on the "
                "way): save the station's work again and bring in the new file. Nothing was "
                "merged",
                file=path.name,
            )
        )
