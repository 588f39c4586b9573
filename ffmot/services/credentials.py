"""A shared database's password is never kept in ffmot's settings file: it goes to the file
PostgreSQL's own client library reads (`~/.pgpass`; `%APPDATA%\\postgresql\\pgpass.conf` on
Windows; or wherever PGPASSFILE says), owner-only, and the settings keep the address without it.

The settings file is read by anyone who helps with the laptop ("send me your settings"), copied
with backups and synced; the password file is PostgreSQL's standard place, which the client
library refuses to read if others can, and which IT already knows how to manage.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ffmot.core.errors import InputError
from ffmot.core.files import write_private
from ffmot.core.i18n import _


def pgpass_path() -> Path:
    """Where libpq looks for passwords, as libpq itself decides."""
    given = os.environ.get("PGPASSFILE")
    if given:
        return Path(given)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "postgresql" / "pgpass.conf"
    return Path.home() / ".pgpass"


def _escape(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def keep_password_apart(url: str) -> str:
    """The address to keep in the settings: a PostgreSQL address's password, if it has one, is
    moved to the password file (replacing an older one for the same server, database and
    user). Anything else is returned as given."""
    text = url.strip()
    try:
        u = make_url(text)
    except (ArgumentError, ValueError):
        return text  # not an address SQLAlchemy reads: the connection test will say so
    if not u.get_backend_name().startswith("postgresql") or not u.password:
        return text
    if not u.username:
        raise InputError(_("a password was given without a user name: put 'user:password@' first"))
    host = u.host or "localhost"
    port = str(u.port or 5432)
    key = ":".join(_escape(f) for f in (host, port, u.database or "*", u.username))
    _write_entry(key, _escape(str(u.password)))
    kept = URL.create(u.drivername, u.username, None, u.host, u.port, u.database, u.query)
    return kept.render_as_string(hide_password=False)


def _write_entry(key: str, password: str) -> None:
    path = pgpass_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(
            _(
                "cannot keep the password in {path}: {problem}",
                path=path,
                problem=getattr(e, "strerror", None) or e,
            )
        ) from None
    kept = [line for line in lines if not line.startswith(key + ":")]
    kept.append(f"{key}:{password}")
    # Owner-only (libpq ignores a password file others can read), whole or not at all.
    write_private(path, ("\n".join(kept) + "\n").encode("utf-8"))
