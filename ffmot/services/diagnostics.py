"""Diagnostics: a plain text a practitioner can send to whoever helps them, holding what a
helper needs (versions, the system, what kind of database, the last problems in the log) and
nobody's personal data. Help ▸ Copy diagnostics and `ffmot diagnostics` both show this text."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from ffmot import __version__
from ffmot.core import logs
from ffmot.core.errors import FfmotError

PROBLEMS = 20


def diagnostics_text(
    db_url: str | None = None,
    *,
    qt: str = "",
    encrypted: bool | None = None,
    norms: str = "",
    training: bool = False,
    problems: int = PROBLEMS,
    log_folder: Path | None = None,
) -> str:
    """The diagnostics. `db_url`: the database as given (--db, the settings), described
    without opening it: its kind, and for a file its path with the home folder as ~, never a
    server's address or user; `encrypted`: what an open database says of itself, if known.
    `qt`: the Qt and PySide6 versions (the window gives them). `norms`: the norm set's label
    if already loaded. The log's last `problems` warnings and errors are scrubbed again."""
    lines = [
        "ffmot diagnostics (no one's personal data: names, dates of birth, codes and "
        "addresses are left out)",
        f"ffmot: {__version__}" + (" (the app bundle)" if getattr(sys, "frozen", False) else ""),
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
        f"System: {_system()}",
        f"Qt: {qt or 'not loaded (the command line)'}",
        f"Database: {database_kind(db_url, encrypted)}" + (" (training mode)" if training else ""),
        f"Norm set: {norms or _norms()}",
        f"Log: {_tilde(logs.log_file(log_folder))}",
        "",
    ]
    found = logs.recent_problems(problems, log_folder)
    lines.append(f"The last {problems} warnings and errors in the log, oldest first:")
    lines.extend(found or ["(none)"])
    return "\n".join(lines) + "\n"


def _system() -> str:
    """The system and its version, never the computer's or the user's name."""
    if sys.platform == "win32":
        release, version, _csd, _ptype = platform.win32_ver()
        return f"Windows {release} ({version}) {platform.machine()}"
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]} {platform.machine()}"
    distro = ""
    try:
        info = platform.freedesktop_os_release()
        distro = info.get("PRETTY_NAME", "")
    except OSError:
        pass
    return (
        " ".join(
            p for p in (platform.system(), platform.release(), f"({distro})" if distro else "") if p
        )
        + f" {platform.machine()}"
    )


def _norms() -> str:
    try:
        from ffmot.core.norms import default_norm_set

        return default_norm_set().label.removeprefix("Norm set ")
    except FfmotError as e:
        return f"cannot be loaded ({logs.scrub(str(e))})"


def _tilde(path: Path | str) -> str:
    """A path with the home folder shown as ~: the user's name stays out."""
    try:
        return str(Path("~") / Path(path).relative_to(Path.home()))
    except ValueError:
        return str(path)


def database_kind(db_url: str | None, encrypted: bool | None = None) -> str:
    """What kind of database `db_url` (or the default) is, found without opening it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from ffmot.store.db import SQLITE_MAGIC, resolve_url
    from ffmot.store.keys import keyfile

    try:
        u = make_url(resolve_url(db_url))
        backend = u.get_backend_name()
    except (FfmotError, ArgumentError, ValueError):
        return "an address ffmot cannot read"
    if backend == "postgresql":
        return "PostgreSQL, a shared server (its address and user are not shown)"
    if backend != "sqlite":
        return f"{backend} (not one ffmot works with)"
    if not u.database or u.database == ":memory:":
        return "SQLite, in memory"
    path = Path(u.database)
    where = _tilde(path)
    if encrypted is not None:
        kind = "encrypted (SQLCipher)" if encrypted else "NOT encrypted (plain SQLite)"
        return f"a file on this computer, {kind}: {where}"
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return f"a file on this computer, not made yet: {where}"
    except OSError as e:
        return f"a file on this computer that cannot be read ({e.strerror}): {where}"
    if head == SQLITE_MAGIC:
        return f"a file on this computer, NOT encrypted (plain SQLite): {where}"
    if not head:
        return f"a file on this computer, empty: {where}"
    if keyfile(path).exists():
        return f"a file on this computer, encrypted (SQLCipher): {where}"
    return (
        f"a file on this computer that is not plain SQLite and has no key file beside it: {where}"
    )
