"""Reading a page made in the pseudo-language: what never went through translation."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ffmot.core import i18n
from ffmot.core.paths import resources_dir


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


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def complete_catalogue(folder: Path, code: str = "xx", name: str = "Pseudo") -> Path:
    """A copy of resources/ with a translator's complete catalogue `code`.po: every message of
    the template given its pseudo-language form. Point FFMOT_RESOURCES_DIR at the folder it
    returns (and clear i18n's cache) to offer the language."""
    res = folder / "resources"
    shutil.copytree(resources_dir(), res, ignore=shutil.ignore_patterns("help"))
    lines = ['msgid ""', _q(f"Language-Name: {name}\n").join(("msgstr ", "")), ""]
    plurals: dict[tuple[str, str], str] = {}
    for (context, text), _said in i18n.read_po(res / "locale" / "ffmot.pot", plurals).items():
        if text:
            lines += [f"msgctxt {_q(context)}"] if context else []
            lines += [f"msgid {_q(text)}"]
            if (context, text) in plurals:
                many = plurals[(context, text)]
                lines += [f"msgid_plural {_q(many)}", f"msgstr[0] {_q(i18n.pseudo(text))}"]
                lines += [f"msgstr[1] {_q(i18n.pseudo(many))}", ""]
            else:
                lines += [f"msgstr {_q(i18n.pseudo(text))}", ""]
    (res / "locale" / f"{code}.po").write_text("\n".join(lines), encoding="utf-8")
    return res
