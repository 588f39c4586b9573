"""Which copy of a fact came after which: a version vector per fact.

Each station that changes a fact (a result, a measurement, a person's details) counts its own
changes to it: ``{"Station 2": 1, "Results table": 1}`` says the fact was written once at
station 2 and then changed once at the results table, which had seen station 2's value. When
station files are brought together, a copy whose counts are all at or below this database's
was already taken into account (an older copy: nothing to do); one whose counts are all at or
above is a later change of it (take it); anything else was changed in two places without
either seeing the other, and only then can the values be a real disagreement.

Pure data, no database: the store keeps a vector beside each fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Vector = dict[str, int]
Order = Literal["same", "before", "after", "apart"]


def bump(vector: Mapping[str, int] | None, station: str) -> Vector:
    """The vector after one more change made at `station`."""
    out = dict(vector or {})
    key = station or "?"
    out[key] = out.get(key, 0) + 1
    return out


def join(a: Mapping[str, int] | None, b: Mapping[str, int] | None) -> Vector:
    """What someone who has seen both copies has seen."""
    out = dict(a or {})
    for k, n in (b or {}).items():
        out[k] = max(out.get(k, 0), n)
    return out


def order(mine: Mapping[str, int] | None, theirs: Mapping[str, int] | None) -> Order:
    """How `theirs` stands to `mine`: the same history, 'before' (mine has seen it), 'after'
    (it has seen mine and changed since) or 'apart' (changed in two places)."""
    a, b = mine or {}, theirs or {}
    keys = set(a) | set(b)
    lower = any(b.get(k, 0) < a.get(k, 0) for k in keys)
    higher = any(b.get(k, 0) > a.get(k, 0) for k in keys)
    if lower and higher:
        return "apart"
    if higher:
        return "after"
    if lower:
        return "before"
    return "same"


def clean(value: object) -> Vector:
    """A vector read from a file: station names to positive whole counts, anything else
    dropped (a hand-edited or damaged file never breaks a merge)."""
    if not isinstance(value, Mapping):
        return {}
    return {
        str(k)[:100]: int(n)
        for k, n in value.items()
        if isinstance(n, int) and not isinstance(n, bool) and n > 0
    }


def of(vector: object, station: str | None = None, version: int | None = None) -> Vector:
    """A record's vector; a record saved before vectors were kept counts as `version` changes
    at the station that last saved it (when known), so old and new copies still compare."""
    found = clean(vector)
    if found or vector:
        return found
    return {station: version} if station and version else {}
