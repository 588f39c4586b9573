"""One window per database file: a lock that stops the same SQLite file being opened in two
ffmot windows by accident (a second click on the desktop icon, a window left open behind
another on a shared laptop).

Two windows on one file each show what they last read, so a change made in one can be missed
or undone in the other. The lock is only for windows: commands run from a terminal (bringing in
a station's file while the results table is open, printing a day's sheets) are deliberate and
are built to work beside a window, and stations that share a database use a PostgreSQL server,
which needs no lock.

The lock is `<database>.lock` beside the file, owner-only, holding who opened it and when. It
is an operating-system lock on that file (flock on Linux and macOS, a byte lock on Windows), so
it ends with the process however the process ends: a crashed or killed window never leaves a
stale lock behind to be cleared by hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from ffmot.core.i18n import _
from ffmot.store.errors import StoreError


class DatabaseInUse(StoreError):
    """The file is open in another ffmot window; the message says whose and since when."""


@dataclass
class _Held:
    fd: int
    path: Path
    count: int


_HELD: dict[str, _Held] = {}  # realpath of the database -> this process's hold on it
# Windows locks byte 0 of the file, and a locked byte cannot be read by another process: the
# text saying who holds the lock starts after it there.
_TEXT_AT = 1 if sys.platform == "win32" else 0


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class WindowLock:
    """This process's hold on one database file; `release()` ends it (idempotent)."""

    def __init__(self, key: str) -> None:
        self._key: str | None = key

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        held = _HELD.get(key)
        if held is None:
            return
        held.count -= 1
        if held.count > 0:
            return
        del _HELD[key]
        # Remove the file while still holding it, so no one can lock the old file after the
        # name has gone (a newcomer checks that what it locked is still at the path).
        with contextlib.suppress(OSError):
            os.unlink(held.path)
        with contextlib.suppress(OSError):
            _unlock(held.fd)
        os.close(held.fd)


def hold(database: Path, who: str = "") -> WindowLock:
    """Takes the window lock of a SQLite database file, or raises DatabaseInUse naming the
    window that has it. The same process may hold it more than once (a window rebuilt on the
    same file); each hold is released on its own."""
    key = os.path.realpath(database)
    held = _HELD.get(key)
    if held is not None:
        held.count += 1
        return WindowLock(key)
    path = lock_path(Path(key))
    for _attempt in range(5):  # the file may be removed by its last holder between open and lock
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as e:
            raise StoreError(
                _(
                    "ffmot cannot make the file {path} that keeps a second window off this "
                    "database ({problem}). Check that its folder can be written to",
                    path=path,
                    problem=e.strerror or e,
                )
            ) from None
        try:
            if not _try_lock(fd):
                raise DatabaseInUse(_in_use_message(Path(key), _read(fd)))
            if not _still_at(fd, path):
                os.close(fd)
                continue
            _write(fd, who)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        _HELD[key] = _Held(fd, path, 1)
        return WindowLock(key)
    raise DatabaseInUse(_in_use_message(Path(key), {}))


def _still_at(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _write(fd: int, who: str) -> None:
    text = json.dumps(
        {
            "who": who or getpass.getuser(),
            "computer": socket.gethostname(),
            "process": os.getpid(),
            "since": dt.datetime.now().astimezone().isoformat(timespec="minutes"),
        }
    ).encode("utf-8")
    at = _TEXT_AT
    os.ftruncate(fd, at)
    os.lseek(fd, at, os.SEEK_SET)
    os.write(fd, text)
    with contextlib.suppress(OSError):
        os.fsync(fd)


def _read(fd: int) -> dict[str, object]:
    try:
        os.lseek(fd, _TEXT_AT, os.SEEK_SET)
        raw = os.read(fd, 4096)
        found = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _in_use_message(database: Path, info: dict[str, object]) -> str:
    who = str(info.get("who") or _("someone"))[:60]
    computer = str(info.get("computer") or "")[:60]
    since = str(info.get("since") or "")
    holder = who
    try:
        opened = dt.datetime.fromisoformat(since)
        holder = _(
            "{who}, since {time} on {day} {month}",
            who=who,
            time=f"{opened:%H:%M}",
            day=opened.day,
            month=_short_month(opened.month),
        )
    except ValueError:
        pass
    if computer and computer != socket.gethostname():
        return _(
            "{database} is already open in another ffmot window on {computer} ({holder}). "
            "Use that window: two windows on one file can each miss the other's changes. "
            "If that window has been closed, wait a moment and open ffmot again",
            database=database.name,
            computer=computer,
            holder=holder,
        )
    return _(
        "{database} is already open in another ffmot window ({holder}). "
        "Use that window: two windows on one file can each miss the other's changes. "
        "If that window has been closed, wait a moment and open ffmot again",
        database=database.name,
        holder=holder,
    )


def _short_month(month: int) -> str:
    """A month's short name ("Sep"), in the current language, never the computer's locale."""
    return (
        _("Jan", context="short month"),
        _("Feb", context="short month"),
        _("Mar", context="short month"),
        _("Apr", context="short month"),
        _("May", context="short month"),
        _("Jun", context="short month"),
        _("Jul", context="short month"),
        _("Aug", context="short month"),
        _("Sep", context="short month"),
        _("Oct", context="short month"),
        _("Nov", context="short month"),
        _("Dec", context="short month"),
    )[month - 1]


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
