"""Spreadsheet cells written safely: a text a spreadsheet would run as a formula is kept as text
(OWASP's CSV injection advice), and read back exactly as it was. Every CSV and XLSX ffmot
writes uses this: the export, the MOT-day summary, a subject access request.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_FIRST = frozenset(("'", *FORMULA_START))  # the first characters worth a closer look


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet would treat as a formula gets a leading apostrophe (and so does
    one that already starts with an apostrophe, so `restore` gives back exactly what was there).
    Plain numbers such as -2.5 stay numbers."""
    if not cell or cell[0] not in _FIRST:
        return cell  # most cells: one look at the first character (exports write millions)
    if cell.startswith("'") or (cell.startswith(FORMULA_START) and not NUMBER.match(cell)):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """Takes off an apostrophe only where `neutralise` would have put one: before a character
    a spreadsheet reads as a formula, or before another apostrophe. A hand-made file's own
    apostrophe ("'t Hooft") stays."""
    if cell.startswith("'") and cell[1:2] and cell[1] in ("'", *FORMULA_START):
        return cell[1:]
    return cell
