"""Import of the full export format (ffmot.services.export writes it; its columns are in
ffmot.services.file_format), from CSV or XLSX.

A cell neutralised with a leading apostrophe on export (so a spreadsheet does not run it as a
formula) has it taken off again. Import checks every row first and writes nothing if any row is
bad, and holds each result to the station's rules for who may be tested.

Why one room: the file readers (CSV, XLSX, encodings) feed import's checks and insert, row by
row. A split waiting: the readers, the checks and the insert are three rooms.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import itertools
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from ffmot.core import codes, entry, lineage, screening, units
from ffmot.core import text as textrules
from ffmot.core.ages import age_on, parse_date
from ffmot.core.battery import STOP_REASONS
from ffmot.core.cells import NUMBER, restore
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.i18n import _
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.scoring import check_value
from ffmot.core.vocabulary import PURPOSES, SEXES
from ffmot.services.file_format import (
    ADDED_COLUMNS,
    COLUMNS,
    FREE_TEXT,
    KNOWN,
    REQUIRED_COLUMNS,
    number_text,
    regular_file,
)
from ffmot.services.permits import check
from ffmot.services.records import (
    MAX_NAME,
    MAX_NOTES,
    audit,
    index_new_names,
    keeps_results,
)
from ffmot.services.records import (
    _check_allowed as _check_allowed,
)
from ffmot.services.records import (
    _postcode_district as _postcode_district,
)
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import (
    NOT_DONE_REASONS,
    Assessment,
    Consent,
    Event,
    Participant,
    Result,
    Screening,
    Trial,
    utcnow,
)

_TRIAL = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(?:\(([^()]*)\))?\s*$")


class ImportRefused(FfmotError):
    """The file has rows that cannot be imported; nothing was written. `problems` lists the
    first of them by line; `unchecked` rows after line `after` were not checked."""

    def __init__(self, problems: list[str], unchecked: int = 0, after: int = 0) -> None:
        text = _("{count} row(s) cannot be imported; nothing was imported", count=len(problems))
        if unchecked:
            text = _(
                "{count} row(s) up to line {line} cannot be imported, and the {unchecked:,} "
                "row(s) after it were not checked; nothing was imported. Put these right and "
                "import again",
                count=len(problems),
                line=after,
                unchecked=unchecked,
            )
        super().__init__(text)
        self.problems = problems
        self.unchecked = unchecked


class ConsentsInFile(ImportRefused):
    """The file holds consent decisions for people new here, and the caller did not say to
    take them; nothing was written. Everything else in the file could come in."""

    def __init__(self, problems: list[str], people: int) -> None:
        super().__init__(problems)
        self.args = (
            _(
                "the file holds consent decisions for {count} new participant(s); nothing was "
                "imported",
                count=people,
            ),
        )
        self.people = people


# --- import ---------------------------------------------------------------------------------


# Limits on what an import reads, so a damaged or hostile file is refused plainly instead of
# hanging the program or filling its memory. A full export of years of MOT days is far smaller.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_ROWS = 200_000
MAX_CELL = 131_072  # characters in one cell (the longest column, notes, holds 4,000)
MAX_UNPACKED = 512 * 1024 * 1024  # an XLSX file's parts, unpacked
MAX_LISTED = 20  # problems listed by line; the rest are counted


class _TableError(Exception):
    """A row that cannot even be read (the rest of the file is not read either)."""


def _encoding(path: Path) -> str:
    """UTF-8 (with or without Excel's byte order mark), else Windows' cp1252 (what Excel's
    plain "CSV" writes); UTF-16 when the file starts with its byte order mark (Excel's
    "Unicode Text", tab-separated). Read in pieces: memory stays flat whatever the size."""
    import codecs

    try:
        with path.open("rb") as f:
            start = f.read(4)
    except OSError as e:
        raise InputError(
            _("cannot read {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    utf16 = start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and start != b"\xff\xfe\0\0"
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        except OSError as e:
            raise InputError(
                _("cannot read {path}: {problem}", path=path, problem=e.strerror)
            ) from None
    if utf16:
        raise InputError(
            _(
                "{path} is neither UTF-8 nor Windows text (it starts as UTF-16 but is damaged): "
                "save it from the spreadsheet as 'CSV UTF-8' and import that",
                path=path,
            )
        )
    raise InputError(
        _(
            "{path} is neither UTF-8 nor Windows text: save it from the spreadsheet as "
            "'CSV UTF-8' and import that",
            path=path,
        )
    )


def _delimiter(first_line: str) -> str:
    """The separator the header line uses: a comma, or the semicolon or tab Excel writes
    where the comma is the decimal point."""
    best, most = ",", 0
    for d in (",", ";", "\t"):
        n = len(next(csv.reader([first_line], delimiter=d), []))
        if n > most:
            best, most = d, n
    return best


def _xlsx_value(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dt.datetime):
        # A date typed into a spreadsheet is a date-time at midnight: the date is what counts.
        if v.time() == dt.time(0) and v.tzinfo is None:
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, float | int):
        return number_text(v)
    return str(v)


def _check_xlsx_size(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            unpacked = sum(max(i.file_size, 0) for i in parts)
            # The shared text is read whole as the workbook opens: it has a lower limit.
            shared = sum(i.file_size for i in parts if i.filename.endswith("sharedStrings.xml"))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InputError(
            _("{path} is not a readable XLSX file ({problem})", path=path, problem=type(e).__name__)
        ) from None
    limit, size, of_text = MAX_UNPACKED, unpacked, False
    if shared > MAX_UNPACKED // 8:
        limit, size, of_text = MAX_UNPACKED // 8, shared, True
    if size > limit and of_text:
        raise InputError(
            _(
                "{path} would unpack to {size:,} MB of text, more than an ffmot export ever "
                "holds ({limit} MB): it is damaged or not an export; export one MOT day at a "
                "time if it is",
                path=path,
                size=size // (1024 * 1024),
                limit=limit // (1024 * 1024),
            )
        )
    if size > limit:
        raise InputError(
            _(
                "{path} would unpack to {size:,} MB, more than an ffmot export ever holds "
                "({limit} MB): it is damaged or not an export; export one MOT day at a time if "
                "it is",
                path=path,
                size=size // (1024 * 1024),
                limit=limit // (1024 * 1024),
            )
        )


class _Table:
    """A CSV or XLSX file in the export format, read a row at a time: `header`, then `rows`
    yields (line or spreadsheet row number, row)."""

    def __init__(self, path: Path) -> None:
        st = regular_file(path, "read")
        if st is None:
            raise InputError(_("cannot find {path}", path=path))
        if st.st_size > MAX_FILE_BYTES:
            raise InputError(
                _(
                    "{path} is {size:,} MB, more than can be imported at once ({limit} MB): "
                    "export one MOT day at a time (ffmot export --event) and import each",
                    path=path,
                    size=st.st_size // (1024 * 1024),
                    limit=MAX_FILE_BYTES // (1024 * 1024),
                )
            )
        self.path = path
        self.counting = False  # True: rows are only counted, their cells not handed out
        self.xlsx = path.suffix.lower() == ".xlsx"
        self.header: list[str] = []
        if self.xlsx:
            _check_xlsx_size(path)
            try:
                from openpyxl import load_workbook

                self._wb = load_workbook(path, read_only=True, data_only=True)
                ws = self._wb.worksheets[0]
                first = next(ws.iter_rows(max_row=1, values_only=True), ())
            except Exception as e:
                raise InputError(
                    _(
                        "{path} is not a readable XLSX file ({problem})",
                        path=path,
                        problem=type(e).__name__,
                    )
                ) from None
            self.header = [str(h or "").strip() for h in first[: len(COLUMNS) + 100]]
            while self.header and not self.header[-1]:
                self.header.pop()
            self._ws = ws
        else:
            self._encoding = _encoding(path)
            with path.open(encoding=self._encoding, newline="") as f:
                first_line = f.readline(MAX_CELL)
            self._delimiter = _delimiter(first_line)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        if self.xlsx:
            yield from self._xlsx_rows()
        else:
            yield from self._csv_rows()

    def _xlsx_rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = max(len(self.header), 1)
        try:
            it = self._ws.iter_rows(min_row=2, max_col=width, values_only=True)
            for n, values in enumerate(it, start=2):
                cells = [_xlsx_value(v) for v in values]
                if not any(cells):
                    continue
                long = next((c for c in cells if len(c) > MAX_CELL), None)
                if long is not None:
                    raise _TableError(
                        _(
                            "line {line}: a cell holds {size:,} characters, more than any "
                            "column takes ({limit:,}): the file is damaged or not an export",
                            line=n,
                            size=len(long),
                            limit=MAX_CELL,
                        )
                    )
                yield n, dict(zip(self.header, cells, strict=False))
        except _TableError:
            raise
        except Exception as e:
            raise InputError(
                _(
                    "{path} is not a readable XLSX file ({problem})",
                    path=self.path,
                    problem=type(e).__name__,
                )
            ) from None
        finally:
            self._wb.close()

    def _csv_rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            # newline="": a line break inside a quoted cell (a note) stays exactly as written.
            with self.path.open(encoding=self._encoding, newline="") as f:
                reader = csv.reader(f, delimiter=self._delimiter)
                line = 1
                try:
                    self.header = next(reader, [])
                    end = reader.line_num
                    for cells in reader:
                        line, end = end + 1, reader.line_num  # a row is named by its first line
                        if not cells:
                            continue
                        if self.counting:
                            yield line, {}
                            continue
                        if len(cells) > len(self.header):
                            yield line, {"__error__": _("this row has more fields than the header")}
                            continue
                        yield (
                            line,
                            dict(
                                zip(
                                    self.header,
                                    cells + [""] * (len(self.header) - len(cells)),
                                    strict=True,
                                )
                            ),
                        )
                except csv.Error as e:
                    line = end + 1
                    if "field larger" in str(e):
                        raise _TableError(
                            _(
                                "line {line}: a cell is longer than {limit:,} characters (the "
                                "longest column, notes, takes 4,000): the file is damaged or "
                                "not an export; nothing after it was read",
                                line=line,
                                limit=MAX_CELL,
                            )
                        ) from None
                    raise _TableError(
                        _(
                            "line {line}: it cannot be read as CSV ({problem}): the file is "
                            "damaged or not an export; nothing after it was read",
                            line=line,
                            problem=e,
                        )
                    ) from None
        except OSError as e:
            raise InputError(
                _("cannot read {path}: {problem}", path=self.path, problem=e.strerror)
            ) from None


def read_table(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line or spreadsheet row number, row) for a CSV or XLSX file in the export format."""
    yield from _Table(path).rows()


@dataclass(frozen=True)
class ImportSummary:
    participants: int
    events: int
    visits: int
    results: int
    already_there: int
    updated: int = 0  # results changed to the file's values (only when asked to update)
    consents: int = 0  # consent decisions taken from the file (only when asked to)
    consent_people: int = 0
    consent_line: int = 0  # the first line holding one
    # Consent decisions in the file for people already here that differ from the decision in
    # force here: never taken from a file (see `_consents_not_taken`), only counted and said.
    consents_not_taken: int = 0
    consents_not_taken_people: int = 0

    def consents_not_taken_note(self) -> str:
        """The sentence the command line and File > Import add when the file held consent
        decisions for people already here that were not taken (empty when there were none)."""
        if not self.consents_not_taken:
            return ""
        return _(
            "{count} consent decision(s) in the file for {people} participant(s) already here "
            "were not taken: consent is recorded with the person at check-in, not taken from a "
            "file for someone already here",
            count=self.consents_not_taken,
            people=self.consents_not_taken_people,
        )


def _uuid(text: str, what: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InputError(
            _("{column} '{value}' is not a valid id", column=what, value=text)
        ) from None


def _opt_float(text: str, what: str) -> float | None:
    if not text:
        return None
    if not NUMBER.match(text):
        raise InputError(_("{column} '{value}' is not a number", column=what, value=text))
    v = float(text)
    if not math.isfinite(v):
        raise InputError(
            _(
                "{column} '{value}' is far too large a number: check the value",
                column=what,
                value=text,
            )
        )
    return v


def _opt_when(text: str, what: str) -> dt.datetime | None:
    """A moment written by the export (ISO 8601); one without a time zone is taken as UTC."""
    if not text:
        return None
    try:
        v = dt.datetime.fromisoformat(text)
        return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise InputError(
            _(
                "{column} '{value}' is not a date and time (like 2026-05-01T09:30:00+00:00)",
                column=what,
                value=text,
            )
        ) from None


@dataclass(frozen=True)
class _Person:
    code: str
    given: str
    family: str
    dob: dt.date
    sex: str
    phone: str
    email: str
    postcode: str
    notes: str
    # (purpose, granted, recorded at (None: the time of the import), recorded by)
    consents: tuple[tuple[str, bool, dt.datetime | None, str], ...]


@dataclass(frozen=True)
class _Day:
    name: str
    date: dt.date
    venue: str
    organisation: str
    norm_set_version: str
    tests_offered: tuple[str, ...]
    training: bool
    activities_directory: str


@dataclass(frozen=True)
class _Screen:
    id: str
    answers: tuple[tuple[str, bool], ...]
    systolic: int | None
    diastolic: int | None
    outcome: str
    excluded_tests: tuple[str, ...]
    recorded_at: dt.datetime | None  # None: the time of the import
    recorded_by: str


@dataclass(frozen=True)
class _Visit:
    participant_id: str
    event_id: str
    when: dt.date
    practitioner: str
    station: str
    height_cm: float | None
    weight_kg: float | None
    strength_days: int | None
    balance_days: int | None
    sitting_hours: float | None
    previous_id: str | None
    waist_cm: float | None
    moderate_minutes: float | None
    notes: str
    goals: str
    printed_at: dt.datetime | None
    checked_in_at: dt.datetime | None  # None: the time of the import
    screening: _Screen | None


@dataclass(frozen=True)
class _Res:
    id: str
    test: str
    done: bool
    reason: str | None
    stop_reason: str | None
    value: float | None
    unit: str
    trials: tuple[tuple[float, str], ...]
    modifications: tuple[str, ...]
    recorded_by: str
    station: str
    recorded_at: dt.datetime | None  # None: the time of the import
    updated_at: dt.datetime | None  # None: as recorded_at


@dataclass(frozen=True)
class _Row:
    line: int
    participant_id: str
    event_id: str
    assessment_id: str
    person: _Person
    day: _Day
    visit: _Visit
    result: _Res | None  # None: a visit with no result


ROWS = 2000  # rows checked against the database and written at a time, in the one transaction


@dataclass
class _Checked:
    """What the checking pass keeps of a file for the writing pass: a few small entries per
    person, MOT day and visit, never the rows (the writing pass reads the file again)."""

    rows: int
    legacy: bool  # an earlier ffmot's file: no waist_cm or moderate_minutes column
    screened: bool  # the file has the screening columns
    with_consents: set[str]  # participants whose rows carry consent decisions
    tests_by_day: dict[str, set[str]]  # the tests each MOT day's rows hold
    measured: dict[str, dict[str, float]]  # a legacy file's waist and activity, by visit
    stamp: tuple[int, int]  # the file's size and modification time when it was checked


def import_file(
    db: Database,
    actor: Actor,
    path: Path,
    norms: NormSet | None = None,
    *,
    update: bool = False,
    take_consents: bool = False,
) -> ImportSummary:
    """Imports a full export. A result already here under the same result_id with another
    value is refused by line, unless `update`: then the file's value replaces it (audited).
    Consent decisions in the file (for people new here) are each person's own: they are
    taken only with `take_consents`; without it such a file is refused (ConsentsInFile).
    Decisions for people already here are never taken, only counted in the summary (see
    `_consents_not_taken`). Every result added or changed is held to the station's rules for
    who may be tested (consent to keep results, the safety screening): see
    `_check_may_record`.

    The file is read twice, so its size does not decide the memory an import takes: first
    every row is checked on its own and against the rows before it (`_check_file`), then, in
    one transaction, it is read again and written `ROWS` rows at a time, each batch checked
    against what the database holds (`_write`). Any problem rolls the whole transaction back:
    nothing is half-imported."""
    check(db, actor, "import")
    ns = norms or default_norm_set()
    checked = _check_file(path, ns)
    with db.transaction() as s:
        summary = _write(
            s, path, checked, actor, update=update, take_consents=take_consents, norms=ns
        )
        audit(
            s,
            actor,
            "import",
            "database",
            "",
            f"{summary.results} results from {path.name}"
            + (f", {summary.updated} changed" if summary.updated else "")
            + (
                f", {summary.consents} consent decision(s) for {summary.consent_people} "
                "participant(s) taken from the file"
                if summary.consents
                else ""
            )
            + (
                f", {summary.consents_not_taken} consent decision(s) for "
                f"{summary.consents_not_taken_people} participant(s) already here not taken"
                if summary.consents_not_taken
                else ""
            ),
        )
    return summary


def _stamp(path: Path) -> tuple[int, int]:
    st = regular_file(path, "read")
    if st is None:
        raise InputError(_("cannot find {path}", path=path))
    return st.st_size, st.st_mtime_ns


def _parsed_rows(
    table: _Table, rows: Iterator[tuple[int, dict[str, str]]], ns: NormSet
) -> Iterator[tuple[int, _Row | str]]:
    """(line, the row parsed) or (line, what is wrong with it), for each row of the table.

    A visit's rows repeat its person, MOT day, visit and screening cells: a row whose cells
    outside the result's are as on the row before (which parsed) shares that row's parsed
    person, day and visit, and only its result is parsed and checked."""
    before: tuple[tuple[str, ...], _Row] | None = None
    for line, raw in rows:
        if table.counting:
            yield line, ""
            continue
        if "__error__" in raw:
            before = None
            yield line, _("line {line}: {problem}", line=line, problem=raw["__error__"])
            continue
        shared = tuple([raw.get(c, "") for c in _VISIT_COLUMNS])
        try:
            if before is not None and before[0] == shared:
                yield line, _with_result(line, before[1], raw, ns)
                continue
            before = None
            r = {
                k: (restore(v) if k in FREE_TEXT else restore(v.strip()))
                for k, v in raw.items()
                if k in KNOWN
            }
            row = _parse_row(line, r, ns)
            before = (shared, row)
            yield line, row
        except FfmotError as e:
            yield line, _("line {line}: {problem}", line=line, problem=e)


def _with_result(line: int, before: _Row, raw: dict[str, str], ns: NormSet) -> _Row:
    """The row `before` (the same visit's cells, parsed) with this row's line and result, the
    result's cells checked as `_parse_row` checks them."""
    r = {c: restore(raw.get(c, "").strip()) for c in _A_RESULTS_COLUMNS}
    if "result_recorded_by" not in raw and r["test"]:
        r["result_recorded_by"] = "import"  # as _parse_row: a file from an earlier ffmot
    for col, limit in _RESULT_LINES.items():
        textrules.check(r[col], limit, col)
    return dataclasses.replace(before, line=line, result=_parse_result(r, ns))


def _check_file(path: Path, ns: NormSet) -> _Checked:  # noqa: C901 (every way a file is refused)
    """The first pass: the file is refused (InputError, ImportRefused) for anything wrong in
    a row on its own or between its rows, before anything is written. Keeps what the writing
    pass needs (`_Checked`): per person, MOT day, visit and result a few numbers, not the row."""
    stamp = _stamp(path)
    table = _Table(path)
    rows = table.rows()
    first = next(rows, None)  # a CSV file's header is known once its first row is read
    header = set(table.header) - {""}
    if first is None and not header:
        raise InputError(_("{path} has no rows to import", path=path))
    if "export_id" in header and "participant_id" not in header:
        raise InputError(
            _(
                "{path} is an anonymised export: it cannot be imported (it holds no names or "
                "ids on purpose)",
                path=path,
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(
            _(
                "{path} is not an ffmot export: it lacks {columns}",
                path=path,
                columns=", ".join(missing[:4]) + ("…" if len(missing) > 4 else ""),
            )
        )
    if first is None:
        raise InputError(_("{path} has no rows to import", path=path))
    legacy = "waist_cm" not in header
    checked = _Checked(
        0, legacy, any(c in header for c in _SCREENING_COLUMNS), set(), {}, {}, stamp
    )
    problems: list[str] = []
    seen: dict[tuple[str, str], tuple[int, int, str]] = {}
    results: dict[tuple[int, str], tuple[int, int, int]] = {}
    unchecked, last = 0, 0
    try:
        for line, row in _parsed_rows(table, itertools.chain([first], rows), ns):
            if len(problems) >= MAX_LISTED:
                table.counting = True
                unchecked += 1  # enough to put right first: the rest are only counted
                continue
            checked.rows += 1
            if checked.rows > MAX_ROWS:
                raise InputError(
                    _(
                        "{path} has more than {limit:,} rows, more than can be imported at "
                        "once: export one MOT day at a time (ffmot export --event) and import "
                        "each",
                        path=path,
                        limit=MAX_ROWS,
                    )
                )
            last = line
            if isinstance(row, str):
                problems.append(row)
                continue
            if not _same_on_every_row(row, seen, problems):
                continue
            _one_result_a_test(row, seen, results, problems)
            if row.person.consents:
                checked.with_consents.add(row.participant_id)
            res = row.result
            if res is None:
                continue
            checked.tests_by_day.setdefault(row.event_id, set()).add(res.test)
            if legacy and res.done and res.value is not None and res.test in ("waist", "activity"):
                checked.measured.setdefault(row.assessment_id, {})[res.test] = res.value
    except _TableError as e:
        problems = problems[: MAX_LISTED - 1]
        problems.append(str(e))
    if unchecked:
        raise ImportRefused(problems, unchecked=unchecked, after=last)
    if problems:
        raise ImportRefused(problems)
    return checked


def _same_on_every_row(
    row: _Row, seen: dict[tuple[str, str], tuple[int, int, str]], problems: list[str]
) -> bool:
    """Whether the row's person, MOT day and visit are as on the first row that has them (a
    problem noted for each that differs). Kept of each: its first line, its hash and, for a
    visit, whose it is."""
    ok = True
    # A code is one person's: two people given one code in the file are refused here, since
    # the writing pass finds a clash only with the people already written.
    first = seen.setdefault(("code", row.person.code), (row.line, 0, row.participant_id))
    if first[2] != row.participant_id:
        ok = False
        problems.append(
            _(
                "line {line}: the code {code} is another participant's (line {first}): give "
                "each person their own code",
                line=row.line,
                code=row.person.code,
                first=first[0],
            )
        )
    for key, ident, data in (
        ("participant", row.participant_id, row.person),
        ("MOT day", row.event_id, row.day),
        ("visit", row.assessment_id, row.visit),
    ):
        prev = seen.setdefault((key, ident), (row.line, hash(data), row.participant_id))
        if prev[1] == hash(data):
            continue
        ok = False
        if key == "visit" and prev[2] != row.participant_id:
            problems.append(
                _(
                    "line {line}: the visit {id} (assessment_id) is another person's visit "
                    "(line {first}): give this person's own visit",
                    line=row.line,
                    id=ident[:8],
                    first=prev[0],
                )
            )
        elif key == "participant":
            problems.append(
                _(
                    "line {line}: the participant {id} differs from line {first}",
                    line=row.line,
                    id=ident[:8],
                    first=prev[0],
                )
            )
        elif key == "MOT day":
            problems.append(
                _(
                    "line {line}: the MOT day {id} differs from line {first}",
                    line=row.line,
                    id=ident[:8],
                    first=prev[0],
                )
            )
        else:
            problems.append(
                _(
                    "line {line}: the visit {id} differs from line {first}",
                    line=row.line,
                    id=ident[:8],
                    first=prev[0],
                )
            )
    return ok


def _one_result_a_test(
    row: _Row,
    seen: dict[tuple[str, str], tuple[int, int, str]],
    results: dict[tuple[int, str], tuple[int, int, int]],
    problems: list[str],
) -> None:
    """A visit has one result a test: a second row for the same test and visit is refused, and
    so is a repeated result row that differs from the first. Kept a result: its visit's first
    line, the test, and hashes of its id and value."""
    res = row.result
    if res is None:
        return
    visit_line = seen[("visit", row.assessment_id)][0]  # the visit's own number in the file
    first = results.setdefault((visit_line, res.test), (row.line, hash(res.id), hash(res)))
    if first[1] != hash(res.id):
        problems.append(
            _(
                "line {line}: the visit {id} has a second {test} result (line {first} has "
                "one): keep one row per test and visit",
                line=row.line,
                id=row.assessment_id[:8],
                test=res.test.replace("_", " "),
                first=first[0],
            )
        )
    elif first[2] != hash(res):
        problems.append(
            _(
                "line {line}: the {test} result {id} differs from line {first}: keep one row "
                "per result",
                line=row.line,
                test=res.test.replace("_", " "),
                id=res.id[:8],
                first=first[0],
            )
        )


def _measure(r: dict[str, str], key: str, ns: NormSet) -> float | None:
    """A visit's measurement, checked by the same rule as the station's."""
    v = _opt_float(r[key], key)
    if v is None:
        return None
    fields = entry.measurement_fields(ns.battery.values())
    try:
        return entry.check_measurement(fields, key, v)
    except InputError as e:
        raise InputError(_("{column}: {problem}", column=key, problem=e)) from None


def _opt_int(text: str, what: str) -> int | None:
    v = _opt_float(text, what)
    if v is not None and not v.is_integer():
        raise InputError(_("{column} '{value}' is not a whole number", column=what, value=text))
    return None if v is None else int(v)


def _tests(text: str, ns: NormSet) -> tuple[str, ...]:
    tests = tuple(t.strip() for t in text.split(";") if t.strip())
    for t in tests:
        ns.test(t)
    return tests


def _yes_no(text: str, what: str) -> bool:
    if text not in ("yes", "no"):
        raise InputError(_("{column} must be yes or no, not '{value}'", column=what, value=text))
    return text == "yes"


def _parse_answers(text: str) -> tuple[tuple[str, bool], ...]:
    out: list[tuple[str, bool]] = []
    for part in filter(None, (x.strip() for x in text.split(";"))):
        qid, sep, answer = (x.strip() for x in part.partition("="))
        if not sep:
            raise InputError(
                _(
                    "screening_answers: '{value}' should look like chest_pain=no (question=yes "
                    "or no)",
                    value=part,
                )
            )
        if qid not in screening.QUESTION_IDS:
            raise InputError(
                _(
                    "screening_answers: unknown screening question '{question}': the questions "
                    "are {questions}",
                    question=qid,
                    questions=", ".join(screening.QUESTION_IDS),
                )
            )
        if answer not in ("yes", "no"):
            raise InputError(
                _(
                    "screening_answers: the answer to {question} must be yes or no, not '{value}'",
                    question=qid,
                    value=answer,
                )
            )
        if any(q == qid for q, _answered in out):
            raise InputError(_("screening_answers: {question} is answered twice", question=qid))
        out.append((qid, answer == "yes"))
    return tuple(out)


_SCREENING_COLUMNS = tuple(c for c in ADDED_COLUMNS if c.startswith("screening_"))


def _parse_screening(r: dict[str, str], ns: NormSet) -> _Screen | None:
    """The visit's screening as recorded: its outcome and ruled-out tests are kept as exported
    (what was decided on the day, under the rules then), after checking each value's form."""
    outcome = r["screening_outcome"]
    if not outcome:
        filled = [c for c in _SCREENING_COLUMNS if r[c]]
        if filled:
            raise InputError(
                _(
                    "{column} is filled but screening_outcome is empty: give the outcome "
                    "({outcomes}) or leave every screening column empty",
                    column=filled[0],
                    outcomes=", ".join(screening.OUTCOMES),
                )
            )
        return None
    if outcome not in screening.OUTCOMES:
        raise InputError(
            _(
                "screening_outcome '{value}' must be one of {outcomes}",
                value=outcome,
                outcomes=", ".join(screening.OUTCOMES),
            )
        )
    answers = _parse_answers(r["screening_answers"])
    systolic = _opt_int(r["screening_systolic"], "screening_systolic")
    diastolic = _opt_int(r["screening_diastolic"], "screening_diastolic")
    screening.assess(dict(answers), systolic, diastolic)  # the blood pressure's range and pair
    return _Screen(
        _uuid(r["screening_id"], "screening_id"),
        answers,
        systolic,
        diastolic,
        outcome,
        _tests(r["screening_excluded_tests"], ns),
        _opt_when(r["screening_recorded_at"], "screening_recorded_at"),
        r["screening_recorded_by"],
    )


_RESULT_COLUMNS = (
    "value",
    "unit",
    "band",
    "percentile",
    "done",
    "reason",
    "trials",
    "modifications",
    "result_id",
    "stop_reason",
    "result_recorded_by",
    "result_station",
    "result_recorded_at",
    "result_updated_at",
)


def _parse_result(r: dict[str, str], ns: NormSet) -> _Res | None:
    if not r["test"]:
        filled = [c for c in _RESULT_COLUMNS if r[c]]
        if filled:
            raise InputError(
                _("{column} is filled but test is empty: name the test", column=filled[0])
            )
        return None  # a visit with no result yet
    test = ns.test(r["test"])
    if r["done"] not in ("yes", "no"):
        raise InputError(_("done must be yes or no, not '{value}'", value=r["done"]))
    done = r["done"] == "yes"
    unit = units.normalise_unit(r["unit"], test.units, test.unit, test.short_name)
    value = _opt_float(r["value"], "value")
    trials: list[tuple[float, str]] = []
    if done:
        if value is None:
            raise InputError(_("a done test needs a value"))
        check_value(test, value, unit)
        for part in filter(None, (x.strip() for x in r["trials"].split(";"))):
            m = _TRIAL.match(part)
            if not m:
                raise InputError(_("trial '{value}' should look like 12.5 (left 1)", value=part))
            trials.append((float(m.group(1)), m.group(2) or ""))
        if trials:  # the station's own rules: how many, which choices, what range
            entry.check_trials(test, trials, unit)
    else:
        if r["reason"] not in NOT_DONE_REASONS:
            raise InputError(
                _("reason must be one of {reasons}", reasons=", ".join(NOT_DONE_REASONS))
            )
        if value is not None:
            raise InputError(_("a test not done cannot have a value"))
    stop = r["stop_reason"]
    if stop:
        if stop not in STOP_REASONS:
            raise InputError(
                _(
                    "stop_reason '{value}' must be one of {reasons}",
                    value=stop,
                    reasons=", ".join(STOP_REASONS),
                )
            )
        if done:
            raise InputError(
                _(
                    "stop_reason '{value}' goes only with reason stopped_by_tester, not with a "
                    "test that was done",
                    value=stop,
                )
            )
        if r["reason"] != "stopped_by_tester":
            raise InputError(
                _(
                    "stop_reason '{value}' goes only with reason stopped_by_tester, not with "
                    "reason {reason}",
                    value=stop,
                    reason=r["reason"],
                )
            )
    # A test stopped before ffmot asked why (before schema 0003) has no stop reason: allowed.
    return _Res(
        _uuid(r["result_id"], "result_id"),
        test.id,
        done,
        None if done else r["reason"],
        stop or None,
        value,
        unit,
        tuple(trials),
        tuple(entry.check_modifications(test, (m for m in r["modifications"].split(";") if m))),
        r["result_recorded_by"],
        r["result_station"],
        _opt_when(r["result_recorded_at"], "result_recorded_at"),
        _opt_when(r["result_updated_at"], "result_updated_at"),
    )


# One line of text each, with the most characters its column holds (as the screen allows).
_LINES = {
    "event": 200,
    "venue": 200,
    "organisation": 200,
    "norm_set_version": 40,
    "activities_directory": 500,
    "practitioner": 100,
    "station": 100,
    "result_recorded_by": 100,
    "result_station": 100,
    "screening_recorded_by": 100,
    **{f"consent_{p}_recorded_by": 100 for p in PURPOSES},
}
_RESULT_LINES = {c: n for c, n in _LINES.items() if c in _RESULT_COLUMNS}
# The columns of a row's result; every other column is the same on each of a visit's rows
# (its person, day, visit and screening).
_A_RESULTS_COLUMNS = ("test", *_RESULT_COLUMNS)
_VISIT_COLUMNS = tuple(c for c in COLUMNS if c not in _A_RESULTS_COLUMNS)


def _check_text(r: dict[str, str]) -> None:
    """The same rules for stored text as the screen's (ffmot.core.text): names, phone and email
    tidied and checked as at check-in, notes kept as written but checked, every other text
    cell checked against its column's length. Changes `r` in place."""
    for col in ("given_name", "family_name"):
        if not r[col]:
            raise InputError(_("{column} is empty: every row needs the person's name", column=col))
        r[col] = textrules.line(r[col], MAX_NAME, col)
    r["phone"] = textrules.line(r["phone"], 40, "phone")
    r["email"] = textrules.line(r["email"], 200, "email")
    try:
        r["postcode_district"] = _postcode_district(r["postcode_district"]) or ""
    except InputError as e:
        raise InputError(_("{column}: {problem}", column="postcode_district", problem=e)) from None
    for col in FREE_TEXT:
        textrules.check(r[col], MAX_NOTES, col, multiline=True)
    for col, limit in _LINES.items():
        textrules.check(r[col], limit, col)


def _parse_row(line: int, raw: dict[str, str], ns: NormSet) -> _Row:
    r = {c: raw.get(c, "") for c in COLUMNS}
    # A file from an earlier ffmot has no recorded_by columns; such records were always
    # imported as recorded by "import".
    if "result_recorded_by" not in raw and r["test"]:
        r["result_recorded_by"] = "import"
    for p in PURPOSES:
        if f"consent_{p}_recorded_by" not in raw and r[f"consent_{p}"]:
            r[f"consent_{p}_recorded_by"] = "import"
    _check_text(r)
    sex = r["sex"]
    if sex not in SEXES:
        raise InputError(
            _("sex '{value}' must be one of {sexes}", value=sex, sexes=", ".join(SEXES))
        )
    dob = parse_date(r["date_of_birth"], "date_of_birth")
    when = parse_date(r["assessment_date"], "assessment_date")
    if dob > when:
        raise InputError(_("the date of birth is after the assessment date"))
    age_on(dob, when)
    result = _parse_result(r, ns)
    consents = []
    for purpose in PURPOSES:
        v = r[f"consent_{purpose}"]
        if v not in ("", "yes", "no"):
            raise InputError(_("{column} must be yes, no or empty", column=f"consent_{purpose}"))
        at = _opt_when(r[f"consent_{purpose}_recorded_at"], f"consent_{purpose}_recorded_at")
        by = r[f"consent_{purpose}_recorded_by"]
        if v:
            consents.append((purpose, v == "yes", at, by))
        elif at or by:
            raise InputError(
                _(
                    "{column} is empty, so {column}_recorded_at and _by must be too",
                    column=f"consent_{purpose}",
                )
            )
    if not r["given_name"] or not r["family_name"]:
        raise InputError(_("given_name and family_name are needed"))
    pid = _uuid(r["participant_id"], "participant_id")
    eid = _uuid(r["event_id"], "event_id")
    previous = r["previous_assessment_id"]
    return _Row(
        line=line,
        participant_id=pid,
        event_id=eid,
        assessment_id=_uuid(r["assessment_id"], "assessment_id"),
        person=_Person(
            codes.normalise(r["participant_code"]),
            r["given_name"],
            r["family_name"],
            dob,
            sex,
            r["phone"],
            r["email"],
            r["postcode_district"],
            r["participant_notes"],
            tuple(consents),
        ),
        day=_Day(
            r["event"],
            parse_date(r["event_date"], "event_date"),
            r["venue"],
            r["organisation"],
            r["norm_set_version"],
            _tests(r["tests_offered"], ns),
            _yes_no(r["training"], "training"),
            r["activities_directory"],
        ),
        visit=_Visit(
            pid,
            eid,
            when,
            r["practitioner"],
            r["station"],
            _measure(r, "height_cm", ns),
            _measure(r, "weight_kg", ns),
            _measure(r, "strength_days", ns),  # type: ignore[arg-type]
            _measure(r, "balance_days", ns),  # type: ignore[arg-type]
            _measure(r, "sitting_hours", ns),
            _uuid(previous, "previous_assessment_id") if previous else None,
            _measure(r, "waist_cm", ns),
            _measure(r, "moderate_minutes", ns),
            r["visit_notes"],
            r["visit_goals"],
            _opt_when(r["printed_at"], "printed_at"),
            _opt_when(r["checked_in_at"], "checked_in_at"),
            _parse_screening(r, ns),
        ),
        result=result,
    )


def _who(s: Session, participant_id: str) -> str:
    p = s.get(Participant, participant_id)
    return codes.display(p.code) if p is not None else participant_id[:8]


def _check_links(s: Session, parsed: list[_Row], problems: list[str], p: _Progress) -> None:
    """Each visit belongs to its row's person, and its previous visit is the same person's
    and earlier, whether the visits are in this batch of rows, written by an earlier batch or
    already in this database. A previous visit not found yet (a later batch may write it) is
    checked once every batch is written (`_link_later`)."""
    visits: dict[str, _Row] = {}
    for row in parsed:
        if row.assessment_id not in p.linked:
            visits.setdefault(row.assessment_id, row)
    p.linked.update(visits)
    # The visits and results already here, read a chunk at a time (not one look-up a row).
    named = set(visits) | {r.visit.previous_id for r in visits.values() if r.visit.previous_id}
    stored_visits = _by_chunks(s, Assessment, Assessment.id, sorted(named))
    stored_results = _by_chunks(
        s, Result, Result.id, sorted({r.result.id for r in parsed if r.result is not None})
    )
    for aid, row in visits.items():
        who = codes.display(row.person.code)
        here = stored_visits.get(aid)
        if here is not None and here.participant_id != row.participant_id:
            problems.append(
                _(
                    "line {line}: the visit {id} (assessment_id) is {owner}'s visit here, not "
                    "{who}'s: give {who}'s own visit, or a new id for a new visit",
                    line=row.line,
                    id=aid[:8],
                    owner=_who(s, here.participant_id),
                    who=who,
                )
            )
            continue
        if here is not None and here.event_id != row.event_id:
            problems.append(
                _(
                    "line {line}: the visit {id} (assessment_id) is at another MOT day here: its "
                    "event_id must be the MOT day it was recorded at",
                    line=row.line,
                    id=aid[:8],
                )
            )
            continue
        prev = row.visit.previous_id
        if prev is None:
            continue
        if prev == aid:
            problems.append(
                _(
                    "line {line}: the visit {id} names itself as its previous visit "
                    "(previous_assessment_id): give {who}'s earlier visit, or leave it empty",
                    line=row.line,
                    id=aid[:8],
                    who=who,
                )
            )
            continue
        if prev in visits:
            owner, when = visits[prev].participant_id, visits[prev].visit.when
            owner_code = codes.display(visits[prev].person.code)
        else:
            earlier = stored_visits.get(prev)
            if earlier is None:
                # In a later batch, or neither in the file nor here (an export of one MOT day:
                # then it is left out).
                p.later.append((row.line, aid, prev, row.participant_id, row.visit.when))
                continue
            owner, when = earlier.participant_id, earlier.assessed_on
            owner_code = _who(s, owner)
        if owner != row.participant_id:
            problems.append(
                _(
                    "line {line}: the previous visit {id} (previous_assessment_id) is "
                    "{owner}'s, not {who}'s: give {who}'s own earlier visit, or leave it empty",
                    line=row.line,
                    id=prev[:8],
                    owner=owner_code,
                    who=who,
                )
            )
        elif when >= row.visit.when:
            problems.append(
                _(
                    "line {line}: the previous visit {id} (previous_assessment_id) is on "
                    "{date}, not before this visit on {visit_date}: give an earlier visit, or "
                    "leave it empty",
                    line=row.line,
                    id=prev[:8],
                    date=when.isoformat(),
                    visit_date=row.visit.when.isoformat(),
                )
            )
    for row in parsed:
        res = row.result
        if res is None:
            continue
        stored = stored_results.get(res.id)
        if stored is not None and stored.assessment_id != row.assessment_id:
            problems.append(
                _(
                    "line {line}: the result {id} (result_id) belongs to another visit here: "
                    "give a new result_id for a new result",
                    line=row.line,
                    id=res.id[:8],
                )
            )


_Value = tuple[
    str,
    bool,
    str | None,
    str | None,
    float | None,
    str,
    tuple[tuple[float, str], ...],
    tuple[str, ...],
]


def _stored_result(r: Result) -> _Value:
    return (
        r.test_id,
        r.done,
        r.reason if not r.done else None,
        r.stop_reason or None,
        r.value,
        r.unit,
        tuple((t.value, t.label or "") for t in r.trials),
        tuple(r.modifications or ()),
    )


def _file_result(res: _Res) -> _Value:
    return (
        res.test,
        res.done,
        res.reason,
        res.stop_reason,
        res.value,
        res.unit,
        res.trials,
        res.modifications,
    )


def _say_result(v: _Value) -> str:
    """A result's value in words, as the difference between two copies needs it."""
    _test, done, reason, stop, value, unit, trials, mods = v
    if not done and stop:
        said = _("not done ({reason}, {stop})", reason=reason, stop=stop)
    elif not done:
        said = _("not done ({reason})", reason=reason)
    else:
        said = f"{number_text(value)} {unit}".strip()
    extra = []
    if trials:
        extra.append(
            _(
                "trials {trials}",
                trials="; ".join(
                    f"{number_text(t)} ({lab})" if lab else number_text(t) for t, lab in trials
                ),
            )
        )
    if mods:
        extra.append(_("modifications {modifications}", modifications=";".join(mods)))
    return said + (f" [{', '.join(extra)}]" if extra else "")


CHUNK = 500  # ids in one IN list: bounded, whatever the size of the file


def _by_chunks(s: Session, model: Any, key: Any, ids: list[str]) -> dict[str, Any]:
    """The rows of `model` whose `key` is one of `ids`, by key, read a chunk at a time."""
    out: dict[str, Any] = {}
    for start in range(0, len(ids), CHUNK):
        for row in s.scalars(select(model).where(key.in_(ids[start : start + CHUNK]))):
            out[getattr(row, key.key)] = row
    return out


def _present(s: Session, key: Any, ids: Iterable[str]) -> set[str]:
    """Which of `ids` are already stored under `key` (a primary key column): one query a
    chunk, not a look-up a row."""
    wanted = sorted(set(ids))
    out: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        out.update(s.scalars(select(key).where(key.in_(wanted[start : start + CHUNK]))))
    return out


def _check_results(
    s: Session, parsed: list[_Row], problems: list[str], update: bool
) -> dict[str, Result]:
    """Results already here under the file's result_id: the same (nothing to do), or changed,
    which is refused unless `update` (then returned, to be changed). A new result for a test
    the visit already holds is refused: it would be a second result for one test (two in the
    file itself are refused by the checking pass, `_one_result_a_test`)."""
    changed: dict[str, Result] = {}
    # What is here already, read for the whole file in a few queries rather than two a row.
    stored_by_id = _by_chunks(
        s, Result, Result.id, sorted({r.result.id for r in parsed if r.result is not None})
    )
    held: dict[tuple[str, str], str] = {}
    visits = sorted({r.assessment_id for r in parsed if r.result is not None})
    for start in range(0, len(visits), CHUNK):
        for rid, aid, tid in s.execute(
            select(Result.id, Result.assessment_id, Result.test_id).where(
                Result.assessment_id.in_(visits[start : start + CHUNK])
            )
        ):
            held[(aid, tid)] = rid
    for row in parsed:
        res = row.result
        if res is None:
            continue
        name = res.test.replace("_", " ")
        stored = stored_by_id.get(res.id)
        if stored is None:
            other = held.get((row.assessment_id, res.test))
            if other is not None:
                problems.append(
                    _(
                        "line {line}: the visit {id} already has a {test} result here "
                        "(result_id {result}…): to change it, give that result_id",
                        line=row.line,
                        id=row.assessment_id[:8],
                        test=name,
                        result=other[:8],
                    )
                )
            continue
        if stored.assessment_id != row.assessment_id:
            continue  # refused by _check_links
        mine, theirs = _stored_result(stored), _file_result(res)
        if mine == theirs:
            continue
        if update:
            changed[res.id] = stored
            continue
        problems.append(
            _(
                "line {line}: the {test} result {id} is already here as {stored}; the file "
                "says {file_value}. To replace the stored result with the file's, import it "
                "with 'ffmot import --update'; to keep it, put the stored value back in the file",
                line=row.line,
                test=name,
                id=res.id[:8],
                stored=_say_result(mine),
                file_value=_say_result(theirs),
            )
        )
    return changed


def _update_result(s: Session, r: Result, res: _Res, actor: Actor, source: str) -> None:
    r.trials.clear()
    s.flush()
    r.done, r.reason, r.stop_reason = res.done, res.reason, res.stop_reason
    r.value, r.unit, r.modifications = res.value, res.unit, list(res.modifications)
    r.lineage = lineage.bump(lineage.of(r.lineage, r.station, r.version), actor.station)
    r.recorded_by, r.station, r.updated_at = actor.name, actor.station, utcnow()
    r.trials.extend(
        Trial(n=i + 1, value=value, unit=res.unit, label=label)
        for i, (value, label) in enumerate(res.trials)
    )
    s.flush()
    audit(s, actor, "update", "result", r.id, f"changed to the value in {source} (import)")


@dataclass
class _Progress:
    """What the writing pass carries from one batch of rows to the next: counts, and a few
    ids (people handled, visits whose links are checked), never the rows."""

    consents_held: bool  # new people's consent decisions are in the file but not to be taken
    made: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(
            ("participant", "event", "assessment", "result", "there", "updated"), 0
        )
    )
    consents: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(
            ("decisions", "people", "line", "not_taken", "not_taken_people"), 0
        )
    )
    people: set[str] = dataclasses.field(default_factory=set)  # handled, written or not
    new_people: set[str] = dataclasses.field(default_factory=set)
    refused: set[str] = dataclasses.field(default_factory=set)
    linked: set[str] = dataclasses.field(default_factory=set)  # visits whose links are checked
    said: set[str] = dataclasses.field(default_factory=set)  # people told they cannot be added
    # (line, visit, its previous visit, participant, visit date) for a previous visit not yet
    # written when the visit's links were checked
    later: list[tuple[int, str, str, str, dt.date]] = dataclasses.field(default_factory=list)
    unlinked: dict[str, str] = dataclasses.field(default_factory=dict)  # new visit: previous

    def summary(self) -> ImportSummary:
        made, consents = self.made, self.consents
        return ImportSummary(
            made["participant"],
            made["event"],
            made["assessment"],
            made["result"],
            made["there"],
            made["updated"],
            consents["decisions"],
            consents["people"],
            consents["line"],
            consents["not_taken"],
            consents["not_taken_people"],
        )


def _write(
    s: Session,
    path: Path,
    checked: _Checked,
    actor: Actor,
    *,
    update: bool,
    take_consents: bool,
    norms: NormSet,
) -> ImportSummary:
    """The second pass, in the caller's transaction: the file read again, `ROWS` rows at a
    time (a batch ends between visits), each batch checked against the database, then written
    and let go. After the first problem the rest is only checked, up to `MAX_LISTED` problems;
    the caller's transaction is rolled back by the ImportRefused raised here."""
    held = bool(checked.with_consents - _present(s, Participant.id, checked.with_consents))
    p = _Progress(consents_held=not take_consents and held)
    problems: list[str] = []
    table = _Table(path)
    batch: list[_Row] = []
    rows = 0

    def flush_batch() -> None:
        _write_batch(
            s,
            batch,
            problems,
            p,
            checked,
            actor,
            update=update,
            source=path.name,
            take_consents=take_consents,
            norms=norms,
        )
        batch.clear()

    try:
        for _line, row in _parsed_rows(table, table.rows(), norms):
            rows += 1
            if isinstance(row, str):  # the file changed after it was checked
                problems.append(row)
                break
            if len(batch) >= ROWS and row.assessment_id != batch[-1].assessment_id:
                flush_batch()
                if len(problems) >= MAX_LISTED:
                    break
            batch.append(row)
        else:
            flush_batch()
    except _TableError as e:
        problems.append(str(e))
    if not problems:
        _link_later(s, p, problems)
    if (rows != checked.rows and not problems) or _stamp(path) != checked.stamp:
        raise InputError(
            _(
                "{path} changed while it was being imported, so nothing was imported: import "
                "it again once nothing else is writing to it",
                path=path,
            )
        )
    if problems:
        raise ImportRefused(problems[:MAX_LISTED])
    summary = p.summary()
    if summary.consents and not take_consents:
        raise ConsentsInFile(
            [
                _(
                    "line {line}: the file holds consent decisions (the consent_ columns) "
                    "for {count} participant(s) new here. Consent is each person's own "
                    "decision: to take these as the file records them, import again with "
                    "--take-consents (File > Import asks); otherwise empty the consent "
                    "columns and ask each person at check-in",
                    line=summary.consent_line,
                    count=summary.consent_people,
                )
            ],
            summary.consent_people,
        )
    return summary


def _write_batch(
    s: Session,
    batch: list[_Row],
    problems: list[str],
    p: _Progress,
    checked: _Checked,
    actor: Actor,
    *,
    update: bool,
    source: str,
    take_consents: bool,
    norms: NormSet,
) -> None:
    """One batch of rows checked against the database and, while nothing is wrong, written;
    then flushed and let go of, so the session holds one batch at a time."""
    _check_links(s, batch, problems, p)
    changed = _check_results(s, batch, problems, update)
    if problems:
        return
    written = _insert(
        s,
        batch,
        problems,
        p,
        checked=checked,
        changed=changed,
        actor=actor,
        source=source,
        take_consents=take_consents,
    )
    # A file whose new people's consent decisions are not to be taken is refused as a whole
    # (ConsentsInFile) and asked again: their results are checked then.
    _check_may_record(
        s,
        written,
        problems,
        screened=checked.screened,
        consents_held=p.consents_held,
        new_people=p.new_people,
        said=p.said,
        norms=norms,
    )
    s.flush()
    s.expunge_all()


def _link_later(s: Session, p: _Progress, problems: list[str]) -> None:
    """The previous visits that were not written yet when their visits' links were checked:
    checked now that every batch is written, and linked to the visits this import added. One
    in neither the file nor here (an export of one MOT day) is left out."""
    earlier = _by_chunks(s, Assessment, Assessment.id, sorted({e[2] for e in p.later}))
    for line, aid, prev, participant_id, when in p.later:
        found = earlier.get(prev)
        if found is None:
            continue
        if found.participant_id != participant_id:
            problems.append(
                _(
                    "line {line}: the previous visit {id} (previous_assessment_id) is "
                    "{owner}'s, not {who}'s: give {who}'s own earlier visit, or leave it empty",
                    line=line,
                    id=prev[:8],
                    owner=_who(s, found.participant_id),
                    who=_who(s, participant_id),
                )
            )
        elif found.assessed_on >= when:
            problems.append(
                _(
                    "line {line}: the previous visit {id} (previous_assessment_id) is on "
                    "{date}, not before this visit on {visit_date}: give an earlier visit, or "
                    "leave it empty",
                    line=line,
                    id=prev[:8],
                    date=found.assessed_on.isoformat(),
                    visit_date=when.isoformat(),
                )
            )
        elif p.unlinked.get(aid) == prev:
            s.execute(sql_update(Assessment).where(Assessment.id == aid).values(previous_id=prev))


def _insert(  # noqa: C901 (each kind of record in an export row, in one transaction)
    s: Session,
    parsed: list[_Row],
    problems: list[str],
    p: _Progress,
    *,
    checked: _Checked,
    changed: dict[str, Result],
    actor: Actor,
    source: str = "",
    take_consents: bool = False,
) -> list[tuple[_Row, Result]]:
    """One batch's people, MOT days, visits, screenings and results added (or, with --update,
    results changed); returns the results added or changed, to be checked at the end."""
    made, consents = p.made, p.consents
    written: list[tuple[_Row, Result]] = []
    now = utcnow()
    handled: set[str] = set()  # this batch's MOT days and visits
    named: list[tuple[str, str, str]] = []  # new people, their name words added with the batch
    pending_previous: list[tuple[Assessment, str]] = []
    # Look-ups below do not flush what this loop has added so far: the rows go in as one batch
    # at the end (a new person is flushed at once, for their name words). Flushing at every
    # look-up made an import about 250 rows a second. Anything a look-up could miss because it
    # is not flushed yet is tracked here: people in `p.people`, days and visits in `handled`,
    # results in `added`.
    added: set[str] = set()
    # What is already stored, found a chunk at a time (a look-up a row was most of an import).
    days_here = _present(s, Event.id, (r.event_id for r in parsed))
    visits_here = _present(s, Assessment.id, (r.assessment_id for r in parsed))
    screenings_here = _present(
        s, Screening.id, (r.visit.screening.id for r in parsed if r.visit.screening is not None)
    )
    results_here = _present(s, Result.id, (r.result.id for r in parsed if r.result is not None))
    with s.no_autoflush:
        for row in parsed:
            if row.participant_id in p.refused:
                continue
            if row.participant_id not in p.people:
                p.people.add(row.participant_id)
                outcome = _insert_person(s, row, problems, now, take_consents)
                if outcome is None:
                    p.refused.add(row.participant_id)
                    continue
                made["participant"] += outcome == "new"
                if outcome == "new":
                    p.new_people.add(row.participant_id)
                    named.append((row.participant_id, row.person.given, row.person.family))
                if outcome == "existing":
                    not_taken = _consents_not_taken(s, row)
                    consents["not_taken"] += not_taken
                    consents["not_taken_people"] += not_taken > 0
                if outcome == "new" and row.person.consents:
                    consents["decisions"] += len(row.person.consents)
                    consents["people"] += 1
                    consents["line"] = consents["line"] or row.line
            if row.event_id not in handled:
                handled.add(row.event_id)
                if row.event_id not in days_here:
                    d = row.day
                    s.add(
                        Event(
                            id=row.event_id,
                            name=d.name,
                            date=d.date,
                            venue=d.venue,
                            organisation=d.organisation,
                            tests_offered=list(d.tests_offered)
                            or sorted(checked.tests_by_day.get(row.event_id, ())),
                            norm_set_version=d.norm_set_version,
                            activities_directory=d.activities_directory,
                            training=d.training,
                        )
                    )
                    made["event"] += 1
                    s.flush()  # a day goes in before its visits (no relationship orders them)
            if row.assessment_id not in handled:
                handled.add(row.assessment_id)
                v = row.visit
                if row.assessment_id not in visits_here:
                    m = checked.measured.get(row.assessment_id, {})
                    a = Assessment(
                        id=row.assessment_id,
                        participant_id=v.participant_id,
                        event_id=v.event_id,
                        assessed_on=v.when,
                        practitioner=v.practitioner,
                        station=v.station,
                        height_cm=v.height_cm,
                        weight_kg=v.weight_kg,
                        waist_cm=v.waist_cm if v.waist_cm is not None else m.get("waist"),
                        moderate_minutes=(
                            v.moderate_minutes
                            if v.moderate_minutes is not None
                            else m.get("activity")
                        ),
                        strength_days=v.strength_days,
                        balance_days=v.balance_days,
                        sitting_hours=v.sitting_hours,
                        notes=v.notes,
                        goals=v.goals,
                        printed_at=v.printed_at,
                        created_at=v.checked_in_at or now,
                        updated_at=now,
                    )
                    s.add(a)
                    if v.previous_id:
                        pending_previous.append((a, v.previous_id))
                    made["assessment"] += 1
                sc = v.screening
                if sc is not None and sc.id not in screenings_here:
                    screenings_here.add(sc.id)
                    s.add(
                        Screening(
                            id=sc.id,
                            assessment_id=row.assessment_id,
                            answers=dict(sc.answers),
                            systolic=sc.systolic,
                            diastolic=sc.diastolic,
                            outcome=sc.outcome,
                            excluded_tests=list(sc.excluded_tests),
                            recorded_at=sc.recorded_at or now,
                            recorded_by=sc.recorded_by,
                        )
                    )
            res = row.result
            if res is None:
                continue
            if res.id in changed:
                stored = changed.pop(res.id)
                _update_result(s, stored, res, actor, source)
                written.append((row, stored))
                made["updated"] += 1
                continue
            if res.id in added or res.id in results_here:
                made["there"] += 1
                continue
            added.add(res.id)
            result = Result(
                id=res.id,
                assessment_id=row.assessment_id,
                test_id=res.test,
                done=res.done,
                reason=res.reason,
                stop_reason=res.stop_reason,
                value=res.value,
                unit=res.unit,
                modifications=list(res.modifications),
                recorded_by=res.recorded_by,
                station=res.station,
                recorded_at=res.recorded_at or now,
                updated_at=res.updated_at or res.recorded_at or now,
            )
            result.trials = [
                Trial(n=i + 1, value=value, unit=res.unit, label=label)
                for i, (value, label) in enumerate(res.trials)
            ]
            s.add(result)
            written.append((row, result))
            made["result"] += 1
    s.flush()
    index_new_names(s, named)
    for a, prev in pending_previous:
        if s.get(Assessment, prev) is not None:
            a.previous_id = prev
        else:
            p.unlinked[a.id] = prev  # a later batch may write it: see _link_later
    s.flush()
    return written


def _consents_not_taken(s: Session, row: _Row) -> int:
    """How many of the file's consent decisions for someone already here differ from the
    decision in force here. None of them is taken, with or without `take_consents`.

    Consent is each person's own decision, recorded with them at check-in (and audited as
    theirs). For someone already here, this database holds the decisions they made; a file
    could carry an older copy (a withdrawal here undone by a file made before it), someone
    else's edit, or a typing slip, and none of those may speak for the person. Taking a new
    person's decisions is a question the practitioner answers for the whole file
    (`take_consents`); for someone already here there is nobody to ask but the person, so the
    safe course for their personal data is to leave what they decided as it is and say how
    many decisions in the file were not taken, and why (ImportSummary.consents_not_taken_note).
    A decision the same as the one in force here is not counted: there is nothing to take."""
    here: dict[str, bool] = {}
    for purpose, granted in s.execute(
        select(Consent.purpose, Consent.granted)
        .where(Consent.participant_id == row.participant_id)
        .order_by(Consent.recorded_at, Consent.id)
    ):
        here[purpose] = granted
    return sum(
        1 for purpose, granted, _at, _by in row.person.consents if here.get(purpose) != granted
    )


def _keeping(s: Session, participant_id: str) -> tuple[bool, dt.datetime | None]:
    """Whether they keep their results now (the station's own rule, records.keeps_results),
    and when their latest decision on it was recorded (None: they have made none)."""
    at = s.execute(
        select(Consent.recorded_at)
        .where(Consent.participant_id == participant_id, Consent.purpose == "keep_results")
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    ).scalar()
    return keeps_results(s, participant_id), None if at is None else _utc(at)


def _kept_when_saved(
    keeping: tuple[bool, dt.datetime | None], saved: dt.datetime, timed: bool = True
) -> bool:
    """Whether the person's decision on keeping their results allows a result saved at `saved`:
    their latest decision is yes, or the result was saved before they withdrew, which a merge
    keeps too, as one shared database would have (ffmot.services.merge). Never a result for
    someone who has made no decision, nor, when the file says "no" without saying when
    (`timed` False), one it cannot show came before."""
    keeps, decided = keeping
    if keeps:
        return True
    return timed and decided is not None and saved < decided


def _utc(v: dt.datetime) -> dt.datetime:
    """A stored moment as an aware UTC time (SQLite hands back the UTC it was given, naive)."""
    return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)


def _check_may_record(
    s: Session,
    written: list[tuple[_Row, Result]],
    problems: list[str],
    *,
    screened: bool,
    consents_held: bool,
    new_people: set[str],
    said: set[str],
    norms: NormSet,
) -> None:
    """Every result this import adds or changes is held to the station's rules for who may be
    tested, by line: the person's consent to keep their results (records.keeps_results, as in
    force when the result was saved), and, for a test that was done, their safety screening
    (records._check_allowed: screened, the screening finished, and the test not ruled out).

    A file from before screenings were exported (no screening columns) cannot say how a visit
    was screened: its results are held to a screening only where this database has one."""
    keeping: dict[str, tuple[bool, dt.datetime | None]] = {}
    loaded: set[str] = set()
    for row, result in written:
        who = codes.display(row.person.code)
        name = result.test_id.replace("_", " ")
        saved = _utc(result.updated_at or result.recorded_at)
        # A "no" the file gives no time for, taken for someone new, is stamped as made now: it
        # shows nothing was saved before it, so their results are held to it as it stands.
        timed = row.participant_id not in new_people or not any(
            purpose == "keep_results" and not granted and at is None
            for purpose, granted, at, _by in row.person.consents
        )
        if row.participant_id not in keeping:
            keeping[row.participant_id] = _keeping(s, row.participant_id)
        if not consents_held and not _kept_when_saved(keeping[row.participant_id], saved, timed):
            if row.participant_id not in said:
                said.add(row.participant_id)
                problems.append(
                    _(
                        "line {line}: the {test} result cannot be imported: {who} has not "
                        "agreed to keep their results (or had withdrawn it when it was saved), "
                        "so nothing can be recorded for them. Take their rows out of the file; "
                        "if they agree, tick 'Keep my results' at check-in first",
                        line=row.line,
                        test=name,
                        who=who,
                    )
                )
            continue
        if not result.done:
            continue
        a = s.get(Assessment, row.assessment_id)
        if a is None:
            continue
        if a.id not in loaded:  # the screenings this import added too, read once a visit
            loaded.add(a.id)
            s.expire(a, ["screenings"])
        if not screened and not a.screenings:
            continue
        try:
            _check_allowed(a, result.test_id, norms)
        except InputError as e:
            problems.append(_("line {line}: {who}'s {problem}", line=row.line, who=who, problem=e))


def _insert_person(
    s: Session, row: _Row, problems: list[str], now: dt.datetime, take_consents: bool
) -> str | None:
    """'new' if added, 'existing' if already here as in the file, None (with a problem noted)
    if the file disagrees with what this database holds."""
    p = row.person
    existing = s.get(Participant, row.participant_id)
    if existing is None:
        clash = s.scalar(select(Participant.id).where(Participant.code == p.code))
        if clash is not None:
            problems.append(
                _(
                    "line {line}: the code {code} belongs to someone else here",
                    line=row.line,
                    code=p.code,
                )
            )
            return None
        s.add(
            Participant(
                id=row.participant_id,
                code=p.code,
                given_name=p.given,
                family_name=p.family,
                date_of_birth=p.dob,
                sex=p.sex,
                phone=p.phone or None,
                email=p.email or None,
                postcode_district=p.postcode or None,
                notes=p.notes,
            )
        )
        for purpose, granted, at, by in p.consents if take_consents else ():
            s.add(
                Consent(
                    participant_id=row.participant_id,
                    purpose=purpose,
                    granted=granted,
                    recorded_at=at or now,
                    recorded_by=by or "import",
                )
            )
        return "new"
    mine = (
        existing.code,
        existing.given_name,
        existing.family_name,
        existing.date_of_birth,
        existing.sex,
    )
    if mine != (p.code, p.given, p.family, p.dob, p.sex):
        problems.append(
            _(
                "line {line}: participant {code} is already here with other details; use "
                "'ffmot merge' to bring databases together",
                line=row.line,
                code=p.code,
            )
        )
        return None
    return "existing"
