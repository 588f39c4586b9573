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
from ffmot.core.i18n import _, _n

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
    kind = database_kind(db_url, encrypted)
    lines = [
        _(
            "ffmot diagnostics (no one's personal data: names, dates of birth, codes and "
            "addresses are left out)"
        ),
        _("ffmot: {version} (the app bundle)", version=__version__)
        if getattr(sys, "frozen", False)
        else _("ffmot: {version}", version=__version__),
        _(
            "Python: {version} ({implementation})",
            version=platform.python_version(),
            implementation=platform.python_implementation(),
        ),
        _("System: {system}", system=_system()),
        _("Qt: {versions}", versions=qt) if qt else _("Qt: not loaded (the command line)"),
        _("Database: {kind} (training mode)", kind=kind)
        if training
        else _("Database: {kind}", kind=kind),
        _("Norm set: {norms}", norms=norms or _norms()),
        _("Log: {path}", path=_tilde(logs.log_file(log_folder))),
        "",
    ]
    found = logs.recent_problems(problems, log_folder)
    lines.append(
        _n(
            "The last {count} warning or error in the log, oldest first:",
            "The last {count} warnings and errors in the log, oldest first:",
            problems,
        )
    )
    lines.extend(found or [_("(none)")])
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

        return default_norm_set().which  # the label without its "Norm set"
    except FfmotError as e:
        return _("cannot be loaded ({problem})", problem=logs.scrub(str(e)))


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
        return _("an address ffmot cannot read")
    if backend == "postgresql":
        return _("PostgreSQL, a shared server (its address and user are not shown)")
    if backend != "sqlite":
        return _("{backend} (not one ffmot works with)", backend=backend)
    if not u.database or u.database == ":memory:":
        return _("SQLite, in memory")
    path = Path(u.database)
    where = _tilde(path)
    if encrypted is not None:
        if encrypted:
            return _("a file on this computer, encrypted (SQLCipher): {path}", path=where)
        return _("a file on this computer, NOT encrypted (plain SQLite): {path}", path=where)
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return _("a file on this computer, not made yet: {path}", path=where)
    except OSError as e:
        return _(
            "a file on this computer that cannot be read ({problem}): {path}",
            problem=e.strerror,
            path=where,
        )
    if head == SQLITE_MAGIC:
        return _("a file on this computer, NOT encrypted (plain SQLite): {path}", path=where)
    if not head:
        return _("a file on this computer, empty: {path}", path=where)
    if keyfile(path).exists():
        return _("a file on this computer, encrypted (SQLCipher): {path}", path=where)
    return _(
        "a file on this computer that is not plain SQLite and has no key file beside it: {path}",
        path=where,
    )
