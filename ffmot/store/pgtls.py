"""TLS for the shared PostgreSQL database: what to ask libpq for, and its refusals in words.

Records about people go over the network to the shared database, so the connection is
encrypted and the server's certificate checked: ``sslmode=verify-full`` unless the address
gives its own ``sslmode``. A site may choose ``verify-ca`` (or ``require``); the modes that can
fall back to an unencrypted connection (``disable``, ``allow``, ``prefer``) are refused, except
over a unix socket (a host that is a folder, starting with "/"), where TLS does not apply.

The CA certificate that signs the server's is libpq's usual ``~/.postgresql/root.crt`` unless
the address gives ``sslrootcert=PATH``.
"""

from __future__ import annotations

import re
from typing import Any

from ffmot.core.i18n import _
from ffmot.store.errors import StoreError

DEFAULT_SSLMODE = "verify-full"
STRONG_SSLMODES = ("require", "verify-ca", "verify-full")
WEAK_SSLMODES = ("disable", "allow", "prefer")
DEFAULT_ROOT_CERT = "~/.postgresql/root.crt"


def _how_to_trust() -> str:
    return _(
        "Put the organisation's CA certificate at {path} on this computer, or give "
        "its place in the database address with sslrootcert=PATH "
        "(for example ...?sslrootcert=/path/to/ca.crt)",
        path=DEFAULT_ROOT_CERT,
    )


def _query(u: Any, key: str) -> str | None:
    """One value from the URL's query; the last one if it was given more than once."""
    value = u.query.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value[-1]) if value else None


def _over_unix_socket(u: Any) -> bool:
    """Whether every host the address names is a unix-socket folder (TLS does not apply)."""
    hosts = _query(u, "host") or u.host or ""
    parts = [h.strip() for h in hosts.split(",")]
    return bool(hosts) and all(p.startswith("/") for p in parts)


def connect_args(u: Any, where: str) -> dict[str, str]:
    """The TLS settings for libpq (they override the same keys in the URL's query).

    Raises StoreError, before any connection is tried, for an sslmode that is weaker than
    ``require`` (unless over a unix socket) or that libpq does not know."""
    mode = _query(u, "sslmode")
    args: dict[str, str] = {}
    rootcert = _query(u, "sslrootcert")
    if rootcert and rootcert.startswith("~"):
        from pathlib import Path

        args["sslrootcert"] = str(Path(rootcert).expanduser())
    if mode is None:
        args["sslmode"] = DEFAULT_SSLMODE
        return args
    if mode not in STRONG_SSLMODES + WEAK_SSLMODES:
        raise StoreError(
            _(
                "the address of the shared database {where} asks for sslmode={mode}, which is "
                "not a connection security setting PostgreSQL knows. Remove sslmode from the "
                "address (ffmot then uses verify-full), or write sslmode=verify-full",
                where=where,
                mode=mode,
            )
        )
    if mode in WEAK_SSLMODES and not _over_unix_socket(u):
        raise StoreError(
            _(
                "the address of the shared database {where} asks for sslmode={mode}, which lets "
                "records about people travel over the network unencrypted. The shared database "
                "must use an encrypted connection: remove sslmode from the address (ffmot then "
                "uses verify-full: encrypted, and the server's certificate checked), or write "
                "sslmode=verify-full or sslmode=verify-ca",
                where=where,
                mode=mode,
            )
        )
    args["sslmode"] = mode
    return args


_MISSING_ROOT = re.compile(r'root certificate file "([^"]*)" does not exist', re.I)
_UNREADABLE_ROOT = re.compile(r'could not read root certificate file "([^"]*)"', re.I)
_NO_SSL = ("server does not support ssl", "ssl was required")
_OTHER_NAME = (  # libpq: 'server certificate for "a" does not match host name "b"'
    "does not match host name",
    "could not get server's host name from server certificate",
)
_NOT_VERIFIED = (
    *_OTHER_NAME,
    "certificate verify failed",
    "self-signed certificate",
    "self signed certificate",
    "unable to get local issuer certificate",
    "certificate has expired",
)


def _reason(text: str) -> str:
    """libpq's own reason, without the 'connection to server at ... failed:' lead-in."""
    for line in text.splitlines():
        low = line.lower()
        if any(k in low for k in (*_NO_SSL, *_NOT_VERIFIED, "root certificate file")):
            return re.split(r"failed:\s*", line)[-1].strip()
    return text.strip().splitlines()[0] if text.strip() else ""


def explain(text: str, url: str, where: str) -> StoreError | None:
    """A connection refused for want of TLS, in words with what to do; None if it was not.

    `text` is the driver's whole message (libpq may list one failure per address tried);
    `where` is the address without its password."""
    low = text.lower()
    if any(k in low for k in _NO_SSL):
        return StoreError(
            _(
                "the shared database {where} does not offer an encrypted connection (the server "
                "has no certificate, or does not support encrypted connections), so ffmot did "
                "not connect: records about people must not travel over the network "
                "unencrypted. Ask the server's administrator to turn on TLS on the PostgreSQL "
                "server (ssl = on, with a certificate signed by the organisation's CA)",
                where=where,
            )
        )
    if found := _MISSING_ROOT.search(text):
        return StoreError(
            _(
                "cannot check that {where} is the organisation's shared database: there is no "
                "CA certificate file at {path}, so ffmot did not connect. {advice}",
                where=where,
                path=found[1],
                advice=_how_to_trust(),
            )
        )
    if found := _UNREADABLE_ROOT.search(text):
        return StoreError(
            _(
                "cannot check that {where} is the organisation's shared database: the CA "
                "certificate file {path} cannot be read or is not a certificate, so ffmot did "
                "not connect. {advice}",
                where=where,
                path=found[1],
                advice=_how_to_trust(),
            )
        )
    if any(k in low for k in _NOT_VERIFIED):
        rootcert = _rootcert(url) or DEFAULT_ROOT_CERT
        if any(k in low for k in _OTHER_NAME):
            return StoreError(
                _(
                    "the shared database {where} could not prove it is the organisation's "
                    "server: its certificate was made for another name than the one in the "
                    "address, so ffmot did not connect ({problem}). Write the server's name in "
                    "the address as it is in the server's certificate; if it is already so, ask "
                    "the server's administrator",
                    where=where,
                    problem=_reason(text),
                )
            )
        return StoreError(
            _(
                "the shared database {where} could not prove it is the organisation's server: "
                "its certificate is not signed by the CA certificate this computer trusts "
                "({path}), so ffmot did not connect ({problem}). {advice}. If that is already "
                "the organisation's CA certificate, ask the server's administrator",
                where=where,
                path=rootcert,
                problem=_reason(text),
                advice=_how_to_trust(),
            )
        )
    return None


def _rootcert(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return _query(make_url(url), "sslrootcert")
    except Exception:  # an address that cannot be read has no root certificate to name
        return None
