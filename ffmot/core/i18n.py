"""Languages: every word a participant reads is looked up here, in the sheet's language.

The English text in the code is the key (gettext's convention), so English is always complete.
Another language is a catalogue, `resources/locale/<code>.po`, that a translator fills in with
any PO editor; it is offered only when every message has a translation, so nobody is given a
half-translated sheet. `tools/extract-messages` writes the template, `resources/locale/ffmot.pot`,
from every `_()` in the code and the wording in the data files.

The pseudo-language `qps` is made, not translated: every letter accented and every message a
third longer, in brackets. A sheet made in it shows at once any words that never went through
`_()` (they stay plain ASCII) and any box too small for a longer language (a bracket is cut off).

Month names come from the catalogue too, never from the computer's locale: a Welsh-locale
desktop must not print "3 Medi" on an English sheet.

The language is held per thread and task (a context variable), so a station's window and a
batch of sheets in several languages never mix: `with speaking("cy"): ...`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ffmot.core.errors import InputError

ENGLISH = "en"
PSEUDO = "qps"
NAMES = {ENGLISH: "English", PSEUDO: "Pseudo-language (for checking translations)"}

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTH_CONTEXT = "month"  # "May" the month is not "may" the verb


@dataclass(frozen=True)
class Catalogue:
    """One language's translations: (context, English) -> translation."""

    code: str
    name: str
    messages: dict[tuple[str, str], str] = field(default_factory=dict)

    def lookup(self, text: str, context: str = "") -> str:
        if self.code == ENGLISH:
            return text
        if self.code == PSEUDO:
            return pseudo(text)
        return self.messages.get((context, text)) or text


def N_(text: str) -> str:
    """Marks text for the catalogue where it is written, to be translated where it is shown."""
    return text


def _(text: str, /, context: str = "", **fields: object) -> str:
    """`text` in the current language, with `{name}` fields filled in after translating (so a
    translator can move them). Text with braces of its own and no fields is returned as is."""
    said = _now().lookup(text, context)
    return said.format(**fields) if fields else said


def language() -> str:
    """The code of the language words are being looked up in now."""
    return _now().code


@contextlib.contextmanager
def speaking(code: str | None) -> Iterator[None]:
    """Words looked up inside the block are in `code` (None or "" for English)."""
    token = _current.set(catalogue(code or ENGLISH))
    try:
        yield
    finally:
        _current.reset(token)


def pdf_language() -> str:
    """The current language as a PDF's /Lang tag, for screen readers."""
    code = language()
    return {ENGLISH: "en-GB", PSEUDO: "qps-ploc"}.get(code, code.replace("_", "-"))


def month_name(month: int) -> str:
    return _(MONTHS[month - 1], context=MONTH_CONTEXT)


def long_date(d: dt.date) -> str:
    """ "3 September 2026", in the current language."""
    return _(
        "{day} {month} {year}", context="date", day=d.day, month=month_name(d.month), year=d.year
    )


def short_date(d: dt.date) -> str:
    """ "3 September", in the current language."""
    return _("{day} {month}", context="date", day=d.day, month=month_name(d.month))


def available() -> dict[str, str]:
    """Languages a sheet can be made in: English, and each complete catalogue (code -> name)."""
    found = {ENGLISH: NAMES[ENGLISH]}
    for path in sorted(locale_dir().glob("*.po")):
        cat = catalogue(path.stem)
        if not missing(cat):
            found[cat.code] = cat.name
    return found


def check_language(code: str, pseudo_ok: bool = False) -> str:
    """`code` if a sheet can be made in it, else an InputError naming the languages there are.
    The pseudo-language is for checking translations (`pseudo_ok`): never a participant's."""
    langs = available()
    if code not in langs and not (pseudo_ok and code == PSEUDO):
        known = ", ".join(f"{c} ({n})" for c, n in langs.items())
        raise InputError(f"a sheet cannot be made in '{code}': the languages here are {known}")
    return code


def missing(cat: Catalogue) -> list[str]:
    """Messages of the template that `cat` does not translate."""
    if cat.code in (ENGLISH, PSEUDO):
        return []
    template = _template(*_stamp(locale_dir() / "ffmot.pot"))
    return [key[1] for key in template if key[1] and not cat.messages.get(key)]


def catalogue(code: str) -> Catalogue:
    if code in (ENGLISH, PSEUDO):
        return Catalogue(code, NAMES[code])
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", code):
        raise InputError(f"'{code}' is not a language code (for example en or cy)")
    path = locale_dir() / f"{code}.po"
    if not path.is_file():
        known = ", ".join(sorted(available()))
        raise InputError(f"there is no {code} translation (languages here: {known})")
    return _load(code, *_stamp(path))


def _stamp(path: Path) -> tuple[str, int, int]:
    """A file's path, change time and size: read again only when it has changed (a
    registration checks the languages, and the files are read once, not each time)."""
    try:
        st = path.stat()
    except OSError:
        return str(path), 0, -1
    return str(path), st.st_mtime_ns, st.st_size


@lru_cache(maxsize=4)
def _template(path: str, _mtime: int, _size: int) -> dict[tuple[str, str], str]:
    return read_po(Path(path))


@lru_cache(maxsize=8)
def _load(code: str, path: str, _mtime: int, _size: int) -> Catalogue:
    messages = read_po(Path(path))
    name = messages.pop(("", ""), "").partition("Language-Name:")[2].split("\n")[0].strip()
    return Catalogue(code, name or code, messages)


def locale_dir() -> Path:
    from ffmot.core.paths import resources_dir

    return resources_dir() / "locale"


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise InputError(f"{path}, line {number}: expected text in double quotes")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path: Path) -> dict[tuple[str, str], str]:
    """A PO file's messages: (context, English) -> translation. The header is under ("", "").
    A broken line is named by file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from None
    messages: dict[tuple[str, str], str] = {}
    entry: dict[str, str] = {}
    last = ""

    def finish() -> None:
        if "msgid" in entry:
            messages[(entry.get("msgctxt", ""), entry["msgid"])] = entry.get("msgstr", "")
        entry.clear()

    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line:
                finish()
            continue
        keyword, _sep, rest = line.partition(" ")
        if line.startswith('"'):
            if not last:
                raise InputError(f"{path}, line {number}: text without msgid or msgstr before it")
            entry[last] += _unquote(line, path, number)
        elif keyword in ("msgctxt", "msgid", "msgstr"):
            if keyword in ("msgctxt", "msgid") and "msgstr" in entry:
                finish()
            entry[keyword] = _unquote(rest, path, number)
            last = keyword
        else:
            raise InputError(
                f"{path}, line {number}: '{keyword}' is not part of a PO file "
                "(expected msgctxt, msgid, msgstr or a quoted line)"
            )
    finish()
    return messages


# The pseudo-language: accented letters from Latin-1 and Latin Extended-A only (the sheet's font
# has them all), fields and markup left alone, a third longer.
_ACCENTED = str.maketrans(
    "acdeghijklnorstuwyzACDEGHIJKLNORSTUWYZ",
    "åçđéĝĥîĵķĺñöŕšţûŵýžÅÇĐÉĜĤÎĴĶĹÑÖŔŠŢÛŴÝŽ",
)
_KEEP = re.compile(r"(\{[^{}]*\}|<[^<>]*>|&[a-z]+;|%\([a-z_]+\)[sd]|%[sd])")


def pseudo(text: str) -> str:
    if not text.strip():
        return text
    parts = _KEEP.split(text)
    said = "".join(p if i % 2 else p.translate(_ACCENTED) for i, p in enumerate(parts))
    letters = sum(c.isalpha() for p in parts[::2] for c in p)
    if not letters:  # punctuation and fields alone: nothing to translate
        return text
    return f"[{said} {'~' * max(1, -(-letters // 3))}]"


_ENGLISH = Catalogue(ENGLISH, NAMES[ENGLISH])
_current: ContextVar[Catalogue | None] = ContextVar("ffmot_language", default=None)
_default = _ENGLISH  # the screens' language, outside any `speaking` block (use_default)


def _now() -> Catalogue:
    return _current.get() or _default


def use_default(code: str | None) -> None:
    """The language words are looked up in outside a `speaking` block, in every thread: the
    language of the screens and the command line's messages (English unless chosen). Sheets
    are always made in their own language, whatever this is."""
    global _default
    _default = catalogue(code or ENGLISH)
