"""Writing a file that holds personal data: owner-only, whole or not at all, the same on every
system. One helper, used wherever ffmot writes such a file.

The data go to a temporary file in the same folder (`tempfile.mkstemp`: created exclusively,
owner-only on Linux and macOS, in binary mode on Windows, so a PDF's bytes are never turned
into text), are flushed to the disk, and the file is renamed into place: a reader never sees
half a file, and a failure leaves what was there before. `os.fchmod` is missing on Windows
before Python 3.13: there the name is used instead (on Windows it can only clear the read-only
bit; the user's profile folders are private already).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any


def owner_only(fd: int, name: str | Path) -> None:
    """Makes an open file owner-only (0600), through its handle where the system can."""
    fchmod = getattr(os, "fchmod", None)
    if fchmod is not None:
        fchmod(fd, 0o600)
    else:
        os.chmod(name, 0o600)


@contextmanager
def replacing(path: Path, text: bool = False) -> Iterator[IO[Any]]:
    """A file object to write `path` with; the file takes its name only when the block ends
    without an error. `text`: UTF-8 with line endings written as given (for CSV). Raises
    OSError, for the caller to put in words."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".ffmot-", suffix=path.suffix + ".part", dir=directory)
    try:
        owner_only(fd, tmp)
        f = os.fdopen(fd, "w", encoding="utf-8", newline="") if text else os.fdopen(fd, "wb")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def write_private(path: Path, data: bytes) -> None:
    """Writes `data` to `path` atomically, owner-only. Raises OSError."""
    with replacing(path) as f:
        f.write(data)


def append_private(path: Path, errors: str | None = None) -> io.TextIOWrapper:
    """`path` opened to add UTF-8 text at its end (a log), made owner-only (0600) if it is new or
    was not yet. Binary at the system's level, so Windows turns each newline into CRLF once."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    try:
        with suppress(OSError):  # a file of someone else's: left as it is
            owner_only(fd, path)
        return os.fdopen(fd, "a", encoding="utf-8", errors=errors)
    except BaseException:
        os.close(fd)
        raise
