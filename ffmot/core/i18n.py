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

Why one room: the catalogue, its plural rule and the deferred Message are one lookup path; split, a
message could be said by one path and counted as missing by another.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
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


ENGLISH_PLURALS = "nplurals=2; plural=(n != 1);"
PLURAL_SEP = "\0"  # a message's plural forms, one string (as gettext's compiled catalogues do)


@dataclass(frozen=True)
class Catalogue:
    """One language's translations: (context, English) -> translation. A message with plural
    forms is keyed by its English singular, its forms joined by PLURAL_SEP, and the language's
    rule (the PO header's Plural-Forms) says which form a number takes."""

    code: str
    name: str
    messages: dict[tuple[str, str], str] = field(default_factory=dict)
    plural_forms: str = ENGLISH_PLURALS

    def lookup(self, text: str, context: str = "") -> str:
        if self.code == ENGLISH:
            return text
        if self.code == PSEUDO:
            return pseudo(text)
        return self.messages.get((context, text)) or text

    def lookup_plural(self, singular: str, plural: str, count: int, context: str = "") -> str:
        english = singular if count == 1 else plural
        if self.code == ENGLISH:
            return english
        if self.code == PSEUDO:
            return pseudo(english)
        forms = self.messages.get((context, singular), "").split(PLURAL_SEP)
        nplurals, rule = plural_rule(self.plural_forms)
        index = rule(count)
        if len(forms) != nplurals or not 0 <= index < len(forms) or not forms[index]:
            return english
        return forms[index]


def N_(text: str) -> str:
    """Marks text for the catalogue where it is written, to be translated where it is shown."""
    return text


def _(text: str, /, context: str = "", **fields: object) -> str:
    """`text` in the current language, with `{name}` fields filled in after translating (so a
    translator can move them). Text with braces of its own and no fields is returned as is."""
    said = _now().lookup(text, context)
    return _fill(said, text, fields) if fields else said


def _n(singular: str, plural: str, count: int, /, context: str = "", **fields: object) -> str:
    """The form of a message for `count` in the current language (English has two: one and
    other; Welsh has six), with `{count}` and the other fields filled in after translating."""
    said = _now().lookup_plural(singular, plural, count, context)
    english = singular if count == 1 else plural
    return _fill(said, english, {"count": count, **fields})


def _fill(said: str, english: str, fields: dict[str, object]) -> str:
    """A translation with its fields filled in; one whose fields are not the English's (a
    translator's slip: `{nmae}`) is shown in English rather than stopping what was being said
    (a catalogue with such a slip is not offered: see `missing`)."""
    try:
        return said.format(**fields)
    except (KeyError, IndexError, ValueError):
        return english.format(**fields)


_FIELD = re.compile(r"\{([^{}:!]*)[^{}]*\}")


def _fields(text: str) -> set[str]:
    return set(_FIELD.findall(text))


def ngettext(singular: str, plural: str, count: int, /) -> str:
    """gettext's own call: the form for `count`, with nothing filled in (for Python's argparse,
    whose messages are in the catalogue too and fill themselves in with %)."""
    return _now().lookup_plural(singular, plural, count)


@lru_cache(maxsize=8)
def plural_rule(header: str) -> tuple[int, Callable[[int], int]]:
    """A PO header's Plural-Forms ("nplurals=2; plural=(n != 1);") as the number of forms and
    the rule choosing one. The rule is compiled by Python's gettext, which accepts only the C
    expression gettext allows (never arbitrary code). A broken header is an InputError."""
    import gettext

    found = re.fullmatch(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*([^;]+);?\s*", header)
    if not found:
        raise InputError(
            _(
                "'{header}' is not a Plural-Forms line (for example nplurals=2; plural=(n != 1);)",
                header=header,
            )
        )
    try:
        rule = gettext.c2py(found.group(2))
    except (ValueError, SyntaxError, RecursionError):
        raise InputError(
            _("the plural rule '{rule}' cannot be read", rule=found.group(2))
        ) from None
    return int(found.group(1)), rule


@dataclass(frozen=True)
class Message:
    """Words to say later, in whatever language is spoken then: the English (marked with N_()
    where it is written, for the catalogue) and its fields, which may be Messages too. str() is
    the English, for what other tools read (--json, a CSV); `said()` is for a person."""

    text: str
    fields: tuple[tuple[str, object], ...] = ()
    lower: bool = False  # said in lower case ("the chair stand norms": a name inside a sentence)

    @classmethod
    def of(cls, text: str, /, lower: bool = False, **fields: object) -> Message:
        return cls(text, tuple(fields.items()), lower)

    def __str__(self) -> str:
        english = self.text
        if self.fields:
            filled = {k: str(v) if isinstance(v, Message) else v for k, v in self.fields}
            english = self.text.format(**filled)
        return english.lower() if self.lower else english

    def said(self) -> str:
        filled = {k: v.said() if isinstance(v, Message) else v for k, v in self.fields}
        words = _now().lookup(self.text)
        words = _fill(words, self.text, filled) if filled else words
        return words.lower() if self.lower else words


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
        raise InputError(
            _(
                "a sheet cannot be made in '{code}': the languages here are {known}",
                code=code,
                known=known,
            )
        )
    return code


def missing(cat: Catalogue) -> list[str]:
    """Messages of the template that `cat` does not translate, or translates with fields of
    its own (a field renamed or left out would fill in wrongly)."""
    if cat.code in (ENGLISH, PSEUDO):
        return []
    template = _template(*_stamp(locale_dir() / "ffmot.pot"))
    nplurals = plural_rule(cat.plural_forms)[0]
    gaps = []
    for key, empty in template.items():
        said = cat.messages.get(key, "")
        english = _fields(key[1])
        if PLURAL_SEP in empty:  # every one of the language's forms
            forms = said.split(PLURAL_SEP)
            whole = len(forms) == nplurals and all(forms)
            if not whole or any(not _fields(f) <= english | {"count"} for f in forms):
                gaps.append(key[1])
        elif key[1] and (not said or _fields(said) != english):
            gaps.append(key[1])
    return gaps


def catalogue(code: str) -> Catalogue:
    if code in (ENGLISH, PSEUDO):
        return Catalogue(code, NAMES[code])
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", code):
        raise InputError(_("'{code}' is not a language code (for example en or cy)", code=code))
    path = locale_dir() / f"{code}.po"
    if not path.is_file():
        known = ", ".join(sorted(available()))
        raise InputError(
            _("there is no {code} translation (languages here: {known})", code=code, known=known)
        )
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
    header = messages.pop(("", ""), "")
    name = _header_field(header, "Language-Name")
    forms = _header_field(header, "Plural-Forms") or ENGLISH_PLURALS
    try:
        plural_rule(forms)
    except InputError as e:
        raise InputError(_("{path}: {problem}", path=path, problem=e)) from None
    return Catalogue(code, name or code, messages, forms)


def _header_field(header: str, key: str) -> str:
    return header.partition(f"{key}:")[2].split("\n")[0].strip()


def locale_dir() -> Path:
    from ffmot.core.paths import resources_dir

    return resources_dir() / "locale"


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise InputError(
            _("{path}, line {line}: expected text in double quotes", path=path, line=number)
        )
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(
    path: Path, plurals: dict[tuple[str, str], str] | None = None
) -> dict[tuple[str, str], str]:
    """A PO file's messages: (context, English) -> translation. The header is under ("", "").
    A message with plural forms is keyed by its singular, its forms (msgstr[0], msgstr[1], ...)
    joined by PLURAL_SEP, and its English plural goes into `plurals` if given. A broken line is
    named by file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(_("cannot read {path}: {problem}", path=path, problem=e)) from None
    messages: dict[tuple[str, str], str] = {}
    entry: dict[str, str] = {}
    last = ""

    def finish() -> None:
        if "msgid" in entry:
            if "msgid_plural" in entry:
                forms, n = [], 0
                while f"msgstr[{n}]" in entry:
                    forms.append(entry[f"msgstr[{n}]"])
                    n += 1
                said = PLURAL_SEP.join(forms) if forms else PLURAL_SEP
                if plurals is not None:
                    plurals[(entry.get("msgctxt", ""), entry["msgid"])] = entry["msgid_plural"]
            else:
                said = entry.get("msgstr", "")
            messages[(entry.get("msgctxt", ""), entry["msgid"])] = said
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
                raise InputError(
                    _(
                        "{path}, line {line}: text without msgid or msgstr before it",
                        path=path,
                        line=number,
                    )
                )
            entry[last] += _unquote(line, path, number)
        elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr") or re.fullmatch(
            r"msgstr\[\d+\]", keyword
        ):
            if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in entry):
                finish()
            entry[keyword] = _unquote(rest, path, number)
            last = keyword
        else:
            raise InputError(
                _(
                    "{path}, line {line}: '{word}' is not part of a PO file "
                    "(expected msgctxt, msgid, msgid_plural, msgstr or a quoted line)",
                    path=path,
                    line=number,
                    word=keyword,
                )
            )
    finish()
    return messages


# The pseudo-language: accented letters from Latin-1 and Latin Extended-A only (the sheet's font
# has them all), fields and markup left alone, a third longer.
_ACCENTED = str.maketrans(
    "acdeghijklnorstuwyzACDEGHIJKLNORSTUWYZ",
    "åçđéĝĥîĵķĺñöŕšţûŵýžÅÇĐÉĜĤÎĴĶĹÑÖŔŠŢÛŴÝŽ",
)
_KEEP = re.compile(r"(\{[^{}]*\}|<[^<>]*>|&[a-z]+;|%\([a-z_]+\)[sdr]|%[sdr])")


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
