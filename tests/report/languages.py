"""Reading a page made in the pseudo-language: what never went through translation."""

from __future__ import annotations

import re


def outside_brackets(text: str) -> tuple[str, int]:
    """The text outside every [...] (nested too), and how many brackets were left open or closed
    without opening (a message cut off by a box too small for it)."""
    kept, depth, broken = [], 0, 0
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            if depth == 0:
                broken += 1
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(ch)
    return "".join(kept), broken + depth


def untranslated(text: str, data: list[str]) -> list[str]:
    """Words all of plain ASCII letters, once the person's own data (names, codes, places) is
    taken out. The pseudo-language accents nearly every letter, so each of its words holds at
    least one accented one: a plain word is text that never went through translation, even
    inside a translated message (a field filled in before it was looked up)."""
    rest = " ".join(text.split())
    for item in sorted(data, key=len, reverse=True):
        rest = rest.replace(item, " ")
    words = re.findall(r"[^\W\d_]+", rest)
    return [w for w in words if len(w) >= 2 and re.fullmatch(r"[A-Za-z]+", w)]
