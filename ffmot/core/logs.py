"""ffmot's log: what went wrong, for whoever looks into a problem; never who it happened to.

One rotating file (`ffmot.log`, then `ffmot.log.1` … `.5`, about 1 MB each) in the system's
folder for logs (`log_dir()`), written by the desktop app and the command line alike, its owner's
only. Every record passes through `scrub` before it is written: the message and any traceback
keep the kind of error and where it happened, and lose names, dates (of birth, or any other),
card codes, postcodes, e-mail addresses, phone numbers, a failed statement's values and the
home folder's name. The log is for diagnosis, so what cannot be told apart from personal data
goes too (a capitalised word in mid-sentence, say); `ffmot erase` also removes any line that
names the person's code or records.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import traceback
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ffmot.core import codes
from ffmot.core.files import append_private
from ffmot.core.paths import data_dir, log_dir, tighten

LOG_NAME = "ffmot.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s [{program}] %(message)s"
# How much of the log an older ffmot kept beside the database is brought into the new one.
EARLIER_KEPT = 256 * 1024

logger = logging.getLogger("ffmot")


def log_file(folder: Path | None = None) -> Path:
    """The log being written now."""
    return (folder or log_dir()) / LOG_NAME


def earlier_log() -> Path:
    """Where earlier versions of ffmot kept their log (one file, never rotated, not scrubbed)."""
    return data_dir() / LOG_NAME


def log_files(folder: Path | None = None) -> list[Path]:
    """Every file of the log, newest first: the one being written, then the rotated copies."""
    base = log_file(folder)
    found = [base] if base.is_file() else []
    for n in range(1, BACKUPS + 10):  # a copy left by a larger backup count is still ours
        older = base.with_name(f"{LOG_NAME}.{n}")
        if older.is_file():
            found.append(older)
    return found


# --- scrubbing ---------------------------------------------------------------------------------

_HIDDEN = "…"
_UPPER = "".join(chr(i) for i in range(0x2000) if chr(i).isupper())
_CAP = rf"[{_UPPER}][^\W\d_]*[a-zß-ÿ][^\W\d_]*(?:['’-][^\W\d_]+)*"  # Eileen, O'Brien, Tutor-Pryce
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_ALPHABET = codes.ALPHABET  # no 0, 1, I or O

# Words a capitalised word in mid-sentence may be without being a name: kept, as they say
# which part of the program or the system was involved.
_KEEP = {
    "ffmot", "Python", "Qt", "PySide6", "SQLite", "SQLCipher", "PostgreSQL", "SQLAlchemy",
    "Windows", "Linux", "macOS", "Traceback", "File", "None", "True", "False", "Enter",
    "Settings", "Help", "About", "TLS", "SSL",
}  # fmt: skip

_RULES: list[tuple[re.Pattern[str], str]] = [
    # A failed statement's values, as SQLAlchemy prints them, and PostgreSQL's own copies.
    (re.compile(r"\[parameters: .*?\](?=\n|$)", re.S), "[parameters: hidden]"),
    (re.compile(r"\[SQL parameters hidden[^\]]*\]"), "[parameters: hidden]"),
    (
        re.compile(r"(Key \([^)]*\))=\(.*?\)(?= already| is not|\)|$)", re.M),
        r"\1=(" + _HIDDEN + ")",
    ),
    (re.compile(r"(Failing row contains ).*$", re.M), r"\1(" + _HIDDEN + ")"),
    (re.compile(r"(DETAIL: ).*$", re.M), r"\1" + _HIDDEN),
    # E-mail addresses; a URL's password and user.
    (re.compile(r"(postgres(?:ql)?(?:\+\w+)?://)[^/\s]*"), r"\1[server]"),
    (re.compile(r"(://)[^/@\s]+@"), r"\1[user]@"),
    (re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b"), "[e-mail]"),
    # Dates: 1948-03-02, 02/03/1948, 2 March 1948, March 2, 1948, date(1948, 3, 2).
    (re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"), "[date]"),
    (re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"), "[date]"),
    (re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b"), "[date]"),
    (re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTHS})\.?,? \d{{4}}\b", re.I), "[date]"),
    (re.compile(rf"\b(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b", re.I), "[date]"),
    (re.compile(r"\b(?:datetime\.)?date(?:time)?\(\d{4}, ?\d{1,2}, ?\d{1,2}[^)]*\)"), "[date]"),
    # Phone numbers: +44 7700 900123, 07700 900123, (0141) 496 0000.
    (re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s-]?|\(?0)(?:[\s()-]?\d){8,12}(?![\w.])"), "[phone]"),
    # UK postcodes: G4 0BA, SW1A 1AA, sw1a1aa.
    (
        re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b", re.I),
        "[postcode]",
    ),
    # Card codes: K7PM-4QX as on the card, however typed.
    (re.compile(rf"\b[{_ALPHABET}]{{4}}-[{_ALPHABET}]{{3}}\b"), "[code]"),
    (re.compile(rf"\b(?=[\w-]{{0,7}}\d)[{_ALPHABET}]{{4}}-[{_ALPHABET}]{{3}}\b", re.I), "[code]"),
]
_CODE = re.compile(rf"\b[{_ALPHABET}]{{7}}\b")
_QUOTED = re.compile(r"(['\"])([^'\"\n/\\]{1,80})\1")
_NAMES = re.compile(rf"{_CAP}(?:[ \t]+{_CAP})+")
_MID = re.compile(rf"(?<=[a-z,;][ \t])({_CAP})\b")


def scrub(text: str) -> str:
    """`text` without the personal data it may hold (see the module's notes)."""
    home = str(Path.home())
    if len(home) > 1:
        text = text.replace(home, "~")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    text = _CODE.sub(lambda m: "[code]" if _is_code(m.group()) else m.group(), text)
    text = _QUOTED.sub(_quoted, text)
    text = _NAMES.sub(_names, text)
    return _MID.sub(lambda m: m.group() if _kept(m.group()) else "[name]", text)


def _is_code(word: str) -> bool:
    with contextlib.suppress(Exception):
        return codes.normalise(word) == word
    return False


def _kept(word: str) -> bool:
    return word in _KEEP or word.endswith(("Error", "Exception", "Warning", "Exit"))


def _quoted(m: re.Match[str]) -> str:
    """A quoted text with a capital or a space in it may be a name: 'Eileen', 'Mrs Smith'."""
    inside = m.group(2)
    if re.fullmatch(r"[\w.:\[\]-]*", inside) and not re.search(_CAP, inside):
        return m.group()  # an identifier: 'chair_stand', 'sqlite'
    return f"{m.group(1)}{_HIDDEN}{m.group(1)}"


def _names(m: re.Match[str]) -> str:
    words = m.group().split()
    if all(_kept(w) for w in words):
        return m.group()
    return "[name]"


class Scrubber(logging.Filter):
    """Puts each record through `scrub`, its traceback too: what a handler writes is the
    scrubbed text alone."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a message whose arguments do not fit it: keep what can be kept
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        record.msg = scrub(text)
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


# --- the file ------------------------------------------------------------------------------------


class PrivateRotatingHandler(RotatingFileHandler):
    """A rotating log whose files are their owner's only whatever the file-creation mask (the
    rotated copies are the same files renamed, so they stay so). On Windows, where a file another
    ffmot has open cannot be renamed, it carries on in the same file and rotates later."""

    def _open(self) -> io.TextIOWrapper:
        return append_private(Path(self.baseFilename), self.errors)

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except OSError:
            if self.stream is None:
                self.stream = self._open()


def setup(program: str, eager: bool = False, folder: Path | None = None) -> Path | None:
    """Sends ffmot's records (INFO and above) to the log; returns its path, or None if the
    folder cannot be made (ffmot then works on without a log). `program` names the writer in
    each line ("gui", "cli"); `eager`: make the file now rather than at the first record."""
    folder = folder or log_dir()
    for h in list(logger.handlers):  # once per process, however often it is set up
        if isinstance(h, PrivateRotatingHandler | logging.NullHandler):
            logger.removeHandler(h)
            h.close()
    logger.setLevel(logging.INFO)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tighten(folder)
        path = log_file(folder)
        _bring_in_earlier(path)
        handler = PrivateRotatingHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=not eager
        )
    except OSError:
        logger.addHandler(logging.NullHandler())  # never Python's last resort: a bare stderr
        return None
    handler.setFormatter(logging.Formatter(FORMAT.replace("{program}", program)))
    handler.addFilter(Scrubber())
    logger.addHandler(handler)
    return path


def _bring_in_earlier(path: Path) -> None:
    """An older ffmot's log beside the database (never scrubbed) is brought in scrubbed, its
    last part only, and its file overwritten and removed."""
    old = earlier_log()
    try:
        if not old.is_file() or old.resolve() == path.resolve():
            return
        with old.open("rb") as f:
            f.seek(max(0, old.stat().st_size - EARLIER_KEPT))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return
    if text.strip():
        with append_private(path) as f:
            f.write(scrub(text).rstrip("\n") + "\n")
    overwrite_and_remove(old)


def overwrite_and_remove(path: Path) -> None:
    """Zeros over the file's bytes before it goes, so they are not left in its blocks for an
    undelete tool."""
    with contextlib.suppress(OSError):
        size = path.stat().st_size
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, b"\0" * size)
            os.fsync(fd)
        finally:
            os.close(fd)
    with contextlib.suppress(OSError):
        path.unlink()


def forget(marks: Iterable[str], folder: Path | None = None) -> int:
    """Removes every line naming any of `marks` (a person's code, their records' ids) from
    every file of the log, the rotated copies and an older ffmot's log included. Each file is
    rewritten in place, its old bytes overwritten, so a window writing to it carries on in the
    same file. Returns how many lines went."""
    marks = [m for m in marks if m]
    files = log_files(folder)
    old = earlier_log()
    if old.is_file():
        files.append(old)
    gone = 0
    for path in files:
        with contextlib.suppress(OSError):
            gone += _forget_in(path, marks)
    return gone


def _forget_in(path: Path, marks: list[str]) -> int:
    with path.open("r+b") as f:
        data = f.read()
        lines = data.decode("utf-8", "replace").splitlines(keepends=True)
        kept = [line for line in lines if not any(m in line for m in marks)]
        if len(kept) == len(lines):
            return 0
        new = "".join(kept).encode("utf-8")
        f.seek(0)
        f.write(new + b"\0" * (len(data) - len(new)))  # the old bytes overwritten
        f.flush()
        os.fsync(f.fileno())
        f.truncate(len(new))
        f.flush()
        os.fsync(f.fileno())
    return len(lines) - len(kept)


# --- reading it back ---------------------------------------------------------------------------

_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) ")


def recent_problems(count: int = 20, folder: Path | None = None) -> list[str]:
    """The last `count` WARNING, ERROR and CRITICAL records of the log (each with its
    traceback), oldest first, scrubbed again."""
    found: list[str] = []
    for path in log_files(folder):  # newest file first
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        records: list[list[str]] = []
        for line in text.splitlines():
            if _RECORD.match(line) or not records:
                records.append([line])
            else:
                records[-1].append(line)
        for lines in reversed(records):
            m = _RECORD.match(lines[0])
            if m and m.group("level") in ("WARNING", "ERROR", "CRITICAL"):
                rest = "\n".join([lines[0][m.end() :], *lines[1:][-40:]])
                found.append(m.group() + scrub(rest))  # the time it happened kept
                if len(found) >= count:
                    return found[::-1]
    return found[::-1]
