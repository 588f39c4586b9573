"""How names are searched: folded so that what a person types finds what was written, accents,
case and punctuation aside ("sian" finds "Siân", "o briain" and "briain" find "Ó Briain",
"zoe" finds "Zoë", "obrien" finds "O'Brien")."""

from __future__ import annotations

import unicodedata

_GONE = str.maketrans({c: None for c in "'’‘`.´"})
_SPACE = str.maketrans({c: " " for c in "-‐‑–—_,/"})
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d"})


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes dropped, hyphens as spaces, single spaces."""
    t = unicodedata.normalize("NFKD", text.casefold())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = t.translate(_LETTERS).translate(_GONE).translate(_SPACE)
    return " ".join(t.split())


def words(*names: str) -> frozenset[str]:
    """Every word of the names, folded: each can be found by what it starts with."""
    return frozenset(w for n in names for w in fold(n).split())
