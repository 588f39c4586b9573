"""The audit's hash chain: each entry made in this database carries a number (1, 2, 3 ...) and
a link, the SHA-256 of the link before it and of everything the entry says. Change an entry,
remove one, insert one or put two in another order, and every link from there on no longer
matches; remove the newest ones and the chain's head (kept apart) no longer matches the last.

What an entry says is hashed in one canonical form, the same on SQLite and PostgreSQL. The
record an entry is about is hashed as a one-way key of its id (`entity_key`), so erasing a
person can blank the id itself without breaking the chain.

A chain protects against a row quietly removed or edited by someone who can write to the file
but does not rebuild every link after it. Someone who rebuilds the whole chain is caught by
comparing the head with one noted earlier (`ffmot audit verify` prints it) or, once the
database is encrypted, not at all able to write to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

START = "0" * 64  # the link before the first entry


def entity_key(entity_id: str) -> str:
    """A one-way key of the record's id: what the chain covers in its place."""
    if not entity_id:
        return ""
    return hashlib.sha256(f"ffmot-audit:{entity_id}".encode()).hexdigest()


def _when(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Entry:
    seq: int
    id: str
    at: dt.datetime
    actor: str
    station: str
    action: str
    entity: str
    entity_key: str
    detail: str


def link(previous: str, e: Entry) -> str:
    body = json.dumps(
        [
            e.seq,
            e.id,
            _when(e.at),
            e.actor,
            e.station,
            e.action,
            e.entity,
            e.entity_key,
            e.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()
