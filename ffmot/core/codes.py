"""Participant codes for the card: short, easy to read aloud and type, with a check character.

Seven characters from an alphabet without 0/O or 1/I, shown as ABCD-EFG. The last character
is a Luhn mod 32 check, so a mistyped or misread character is caught rather than finding
someone else's record.
"""

from __future__ import annotations

import random

from ffmot.core.errors import InputError
from ffmot.core.i18n import _

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 characters: no 0, 1, I or O
BODY = 6
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def _check_char(body: str) -> str:
    n = len(ALPHABET)
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_code(rng: random.Random | None = None) -> str:
    r = rng or random.SystemRandom()
    body = "".join(r.choice(ALPHABET) for _unused in range(BODY))
    return body + _check_char(body)


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def typed(text: str) -> str:
    """The characters of a code as typed or scanned: upper case, separators dropped."""
    return "".join(ch for ch in text.upper() if ch not in " -_")


def normalise(text: str) -> str:
    """The stored form of a typed or scanned code, or an InputError that says what is wrong."""
    raw = typed(text)
    if len(raw) != BODY + 1:
        raise InputError(
            _(
                "'{value}' is not a participant code: codes have 7 characters, like K7PM-4QX",
                value=text.strip(),
            )
        )
    bad = sorted({ch for ch in raw if ch not in _INDEX})
    if bad and set(bad) & set("01IO"):
        raise InputError(
            _(
                "'{value}' is not a participant code: it contains {characters} "
                "(codes never use 0, O, 1 or I)",
                value=text.strip(),
                characters=", ".join(bad),
            )
        )
    if bad:
        raise InputError(
            _(
                "'{value}' is not a participant code: it contains {characters}",
                value=text.strip(),
                characters=", ".join(bad),
            )
        )
    if _check_char(raw[:BODY]) != raw[BODY]:
        raise InputError(
            _("'{value}' has a typing mistake: check it against the card", value=text.strip())
        )
    return raw


def looks_like_code(text: str) -> bool:
    """Could this be the start of a code (so a search should look at codes too)?"""
    raw = typed(text)
    return 2 <= len(raw) <= BODY + 1 and all(ch in _INDEX for ch in raw)
