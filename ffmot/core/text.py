"""What text may be stored: one rule for the screen, the import, the command line and merges.

A name, a venue, a phone number or a note is printed on a participant's sheet, shown on a
projector and written to spreadsheets, and it must be accepted by every database ffmot uses.
So text is refused, naming the character, when it holds:

- control characters (NUL, escape sequences that recolour a terminal, backspaces...), except
  line breaks (Windows' too) and tabs in notes;
- bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make a name
  read differently from how it is stored;
- surrogates, private-use and unassigned code points, which print as empty boxes;
- more characters than its field holds.

Joiners (U+200C, U+200D) stay: some scripts need them in names. Letters with accents in any
script are welcome ("Siân Ó Briain", "Ŵyn").
"""

from __future__ import annotations

import re
import unicodedata

from ffmot.core.errors import InputError
from ffmot.core.i18n import _

# Characters of the "format" category that names genuinely use.
JOINERS = {"\u200c", "\u200d"}
BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


# In ASCII, the only characters that may not be stored are the controls (category Cc): found
# by one regular-expression search rather than a look-up a character (most text is ASCII).
_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")
_ASCII_CONTROL_BUT_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def bad_character(text: str, multiline: bool = False) -> str | None:
    """The first character that may not be stored, described for a person, or None."""
    if text.isascii():
        found = (_ASCII_CONTROL_BUT_BREAKS if multiline else _ASCII_CONTROL).search(text)
        if found is None:
            return None
        return _("a character that cannot be printed (U+{code:04X})", code=ord(found.group()))
    for ch in text:
        if multiline and ch in "\n\r\t":
            continue
        cat = unicodedata.category(ch)
        if ch in BIDI:
            return _("a hidden direction mark (U+{code:04X})", code=ord(ch))
        if cat in ("Cc", "Cs", "Co", "Cn") or (cat == "Cf" and ch not in JOINERS):
            return _("a character that cannot be printed (U+{code:04X})", code=ord(ch))
    return None


def check(text: str, limit: int, what: str, multiline: bool = False) -> str:
    """`text` if it may be stored in a field of `limit` characters; else InputError saying
    what is wrong with the `what` and how to put it right."""
    if len(text) > limit:
        raise InputError(
            _(
                "the {what} is longer than {limit} characters ({length}): shorten it",
                what=what,
                limit=limit,
                length=len(text),
            )
        )
    bad = bad_character(text, multiline)
    if bad is not None:
        raise InputError(
            _(
                "the {what} holds {character}: type it again without it (pasting from another "
                "program can bring such characters in)",
                what=what,
                character=bad,
            )
        )
    return text


def line(text: str, limit: int, what: str) -> str:
    """One line of text (a name, a venue), its spaces tidied (tabs and line breaks become
    single spaces), then checked."""
    cleaned = " ".join(text.split())
    return check(cleaned, limit, what)


def block(text: str, limit: int, what: str) -> str:
    """Notes and goals: kept exactly as typed (line breaks, tabs, spaces), checked."""
    return check(text, limit, what, multiline=True)
