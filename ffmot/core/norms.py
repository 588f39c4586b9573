"""The reference norms, read from the data files in norms/ and checked as they are read.

Every number keeps the row it came from, so a result can always name its source and status.

Why one room: every file of a norm set is read and checked against the others (sources, statuses,
battery, manifest) as one set. A split waiting: the manifest and its verification (the first 300
lines) could be their own module.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import itertools
import math
import os
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ffmot.core import units
from ffmot.core.ages import OLDEST_AGE
from ffmot.core.battery import TABLE_KINDS, TestDef, load_battery
from ffmot.core.errors import NormDataError
from ffmot.core.i18n import N_, _
from ffmot.core.paths import norms_dir

SEXES = ("female", "male")
SEX_INDEX = {s: i for i, s in enumerate(SEXES)}
N_AGES = OLDEST_AGE + 1
COMPARISONS = ("<", "<=", ">", ">=", "any")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --- is this the published set? ----------------------------------------------------------------

MANIFEST = "manifest.toml"
UNVERIFIED = N_("LOCAL, UNVERIFIED")  # kept in English in versions; shown translated
LOCAL_EDIT = "local edit, not the published source"
LOCAL_FILE = "local file, not checked against the published source"
# A version is stored with every MOT day (40 characters); an unverified set's carries the mark.
MAX_VERSION = 40 - len(UNVERIFIED) - 1
# Files whose change puts every number of the set in doubt: they name the sources and the
# statuses, and say how each test is scored.
SET_WIDE = ("norm-set.toml", "sources.toml", "battery.toml")

# The norm sets ffmot was released with: the digest of each one's manifest (its file list and
# checksums, see `set_digest`) and its version. A manifest written anywhere else, say after an
# edit, matches its files but is not here, so the set stays local. tools/norm_manifest.py prints
# the line to add when a new set is released.
PUBLISHED: dict[str, str] = {
    "195ded5223a5d358d385049a54c7e97540263948bc08c9fa76c1e9d8956168f3": "2026.11-2",
    # 2026.12-1: the same numbers; each test names the abilities it needs and its own words,
    # BMI and waist are "readings", and each flag has a short label for reports.
    "1196c10a1f2a01a09746f74716700b9c443e74e01fddbedd5afa3b8793d0c196": "2026.12-1",
}


# The biggest file a norm folder may hold; the shipped ones are under 20 kB. A bigger one is
# refused rather than read into memory (a log or a disk image copied in by mistake).
MAX_FILE_BYTES = 4 << 20


def read_bytes(path: Path) -> bytes:
    """A norm folder's file, if it is an ordinary file of a sane size. A pipe would wait for a
    writer for ever and a device (/dev/zero) never ends: both are refused, and neither is waited
    on (the file is opened without blocking and checked through the open handle)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise NormDataError(
            _("cannot read {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise NormDataError(_("cannot read {path}: it is a folder, not a file", path=path))
        if not stat.S_ISREG(st.st_mode):
            raise NormDataError(
                _("cannot read {path}: it is a pipe or a device, not a file", path=path)
            )
        if st.st_size > MAX_FILE_BYTES:
            raise NormDataError(
                _(
                    "{file} is {size:,} bytes: too big for a norm file (at most {limit:,})",
                    file=path.name,
                    size=st.st_size,
                    limit=MAX_FILE_BYTES,
                )
            )
        chunks = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise NormDataError(
                _("{file} grew too big for a norm file while being read", file=path.name)
            )
        return b"".join(chunks)
    except OSError as e:
        raise NormDataError(
            _("cannot read {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    finally:
        os.close(fd)


def read_text(path: Path) -> str:
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise NormDataError(
            _(
                "{file} line {line} is not UTF-8 text (byte {byte}): save it as UTF-8",
                file=path.name,
                line=line,
                byte=e.start + 1,
            )
        ) from None


def read_toml(path: Path) -> dict[str, Any]:
    """The file's tables; a NormDataError that names the file and what is wrong otherwise."""
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise NormDataError(
            _("{file} is not valid TOML: {problem}", file=path.name, problem=e)
        ) from None


def file_digest(path: Path) -> str:
    """SHA-256 of a data file, its line endings read as \\n (a Windows checkout of the same
    file is the same file)."""
    data = read_bytes(path)
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def data_files(directory: Path) -> tuple[str, ...]:
    """The files a manifest covers: every file at the top of the folder except the manifest,
    Markdown notes (never read) and hidden files (an editor's lock or swap file)."""
    try:
        found = [p for p in directory.iterdir() if p.is_file()]
    except OSError as e:
        raise NormDataError(
            _("cannot read the folder {folder}: {problem}", folder=directory, problem=e.strerror)
        ) from None
    return tuple(
        sorted(
            p.name
            for p in found
            if p.name != MANIFEST and not p.name.startswith(".") and p.suffix.lower() != ".md"
        )
    )


def set_digest(files: dict[str, str]) -> str:
    """One digest for a manifest's list of files and checksums, whatever its layout."""
    text = "".join(f"{name}\t{files[name]}\n" for name in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_text(directory: Path) -> str:
    """The manifest of the folder as it is now (what tools/norm_manifest.py writes)."""
    meta = read_toml(directory / "norm-set.toml")
    files = {name: file_digest(directory / name) for name in data_files(directory)}
    lines = [
        "# The checksums of this norm set's data files, written by tools/norm_manifest.py.",
        "# ffmot reads a folder whose files match a published manifest as the published set;",
        "# any other folder (a file changed, missing or added, or no manifest) is LOCAL,",
        "# UNVERIFIED on every screen and page. Do not edit by hand.",
        f"id = {_quoted(str(meta.get('id', '')))}",
        f"version = {_quoted(str(meta.get('version', '')))}",
        f'set_digest = "{set_digest(files)}"',
        "",
        "[files]",
        *(f'"{name}" = "{digest}"' for name, digest in files.items()),
    ]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_manifest(directory: Path) -> Path:
    path = directory / MANIFEST
    path.write_text(manifest_text(directory), encoding="utf-8", newline="\n")
    return path


@dataclass(frozen=True)
class Verification:
    """Whether a norm folder is, byte for byte, a set ffmot was released with."""

    folder: str  # the folder's name, to name files as "norms/x.csv"
    has_manifest: bool
    published: bool  # the manifest is one ffmot was released with
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    version: str = ""  # as norm-set.toml gives it, without the mark
    problem: str = ""  # why the manifest could not be read

    @property
    def verified(self) -> bool:
        return (
            self.has_manifest
            and self.published
            and not (self.changed or self.missing or self.extra or self.problem)
        )

    @property
    def differing(self) -> tuple[str, ...]:
        return self.changed + self.missing + self.extra

    def trusts(self, file: str) -> bool:
        """Is this data file the published one, read with the published sources and rules?"""
        if not (self.has_manifest and self.published) or self.problem:
            return False
        return file not in self.differing and not any(f in self.differing for f in SET_WIDE)

    def _names(self, files: tuple[str, ...]) -> str:
        return ", ".join(f"{self.folder}/{f}" for f in files)

    @property
    def reason(self) -> str:
        """Why the set is not verified, in a few words naming the files; "" when it is."""
        if self.verified:
            return ""
        if not self.has_manifest:
            return _(
                "no manifest ({folder}/{manifest}), so not checked against the published set",
                folder=self.folder,
                manifest=MANIFEST,
            )
        if self.problem:
            return _("its manifest cannot be read ({problem})", problem=self.problem)
        parts = []
        if self.changed:
            parts.append(
                _("changed from the published set ({files})", files=self._names(self.changed))
            )
        if self.missing:
            parts.append(
                _("missing from the published set ({files})", files=self._names(self.missing))
            )
        if self.extra:
            parts.append(_("not in the published set ({files})", files=self._names(self.extra)))
        if not self.published:
            parts.append(_("its manifest was written locally, not released with ffmot"))
        return "; ".join(parts)


UNCHECKED = Verification("norms", False, False)


def verify(directory: Path, version: str = "") -> Verification:
    """Compares the folder's files with its manifest, and the manifest with the published ones."""
    folder = directory.name or str(directory)
    path = directory / MANIFEST
    if not (path.exists() or path.is_symlink()):
        return Verification(folder, False, False, version=version)
    try:
        raw = read_toml(path).get("files")
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise NormDataError(_("{file} has no [files] table of checksums", file=MANIFEST))
    except NormDataError as e:
        return Verification(folder, True, False, version=version, problem=str(e))
    listed: dict[str, str] = raw
    present = data_files(directory)
    changed = tuple(
        n for n in sorted(listed) if n in present and file_digest(directory / n) != listed[n]
    )
    missing = tuple(n for n in sorted(listed) if n not in present)
    extra = tuple(n for n in present if n not in listed)
    published = set_digest(listed) in PUBLISHED
    return Verification(folder, True, published, changed, missing, extra, version)


def local_cite(file: str, edited: bool) -> str:
    """What a result names as its source when its number is not the published one: `edited`
    when a published manifest shows the set was changed, otherwise a local file (no manifest,
    or one written locally) that nothing ties to a published source."""
    return f"{LOCAL_EDIT if edited else LOCAL_FILE} ({file})"


def is_local_cite(text: str) -> bool:
    return text.startswith((LOCAL_EDIT, LOCAL_FILE))


@dataclass(frozen=True)
class Source:
    key: str
    short: str
    cite: str
    kind: str
    url: str = ""
    note: str = ""
    status: str = ""  # how sure the facts in `note` are; "" where the file does not say


@dataclass(frozen=True)
class Note:
    """Words the sheet prints beside a test's result (norm-set.toml [[notes]]), e.g. that the
    BMI and waist levels are not adjusted for ethnic background."""

    id: str
    tests: tuple[str, ...]
    text: str
    source: str  # a sources.toml key
    status: str


@dataclass(frozen=True)
class NormRow:
    """One row of a norm file, kept so every result can say where its numbers came from."""

    where: str  # "file.csv line N"
    test: str
    sex: str  # "female", "male" or "" for both
    age_min: int
    age_max: int
    values: tuple[tuple[str, float], ...]
    unit: str
    source: str
    checked_against: tuple[str, ...]
    status: str
    note: str

    def value(self, name: str) -> float:
        return dict(self.values)[name]


@dataclass(frozen=True)
class PercentileTable:
    """Published percentile points by sex and age; ages in completed years.

    points[sex, age] holds the values (in the norm unit, ascending) at `levels`, or NaN where the
    table does not cover that age. `row[sex, age]` indexes `rows`; with `exact_ages` the rows are
    single ages and the ages between them are linear interpolations of the two rows around them.
    """

    test: str
    levels: tuple[float, ...]  # percentiles on the value axis, ascending
    points: FloatArray  # (2, N_AGES, len(levels))
    row: IntArray  # (2, N_AGES), -1 where not covered
    rows: tuple[NormRow, ...]
    exact_ages: bool
    low_level: float = 25.0
    high_level: float = 75.0

    def coverage(self, sex: int) -> tuple[int, int] | None:
        covered = np.flatnonzero(self.row[sex] >= 0)
        if covered.size == 0:
            return None
        return int(covered[0]), int(covered[-1])


@dataclass(frozen=True)
class ThresholdTable:
    """A capped test with no published spread (the one-leg stand), the same for both sexes.

    `threshold` is the lower edge of the usual range for the age: at or above it (up to the cap)
    is `normal`, below it `below_average`; there is no `above_average`. `typical` is the
    published average time for the age (a mean, NaN where none): for reference and for drawing
    realistic values, never for the band.
    """

    test: str
    threshold: FloatArray  # (N_AGES,), NaN where not covered
    row: IntArray  # (N_AGES,)
    rows: tuple[NormRow, ...]
    typical: FloatArray = field(default_factory=lambda: np.full(N_AGES, np.nan))

    def coverage(self, _sex: int) -> tuple[int, int] | None:
        """The same for both sexes (the argument keeps PercentileTable's form)."""
        covered = np.flatnonzero(self.row >= 0)
        if covered.size == 0:
            return None
        return int(covered[0]), int(covered[-1])


@dataclass(frozen=True)
class CriterionTable:
    test: str
    standard: FloatArray  # (2, N_AGES), NaN where none
    row: IntArray
    rows: tuple[NormRow, ...]


@dataclass(frozen=True)
class Rule:
    """A comparison against a cut-off: a criterion flag, or one line of a reading table."""

    id: str
    group: str
    test: str
    sex: str  # "" = both
    comparison: str
    cutoff: float
    unit: str
    min_age: int
    max_age: int
    text: str
    attention: bool
    row: NormRow
    label: str = ""  # a flag's short name, for reports ("Low grip strength (EWGSOP2)")

    def applies(self, sex: str, age: int) -> bool:
        return (not self.sex or self.sex == sex) and self.min_age <= age <= self.max_age

    def crossed(self, value: float) -> bool:
        return compare(value, self.comparison, self.cutoff)


def compare(value: float, comparison: str, cutoff: float) -> bool:
    if comparison == "<":
        return value < cutoff
    if comparison == "<=":
        return value <= cutoff
    if comparison == ">":
        return value > cutoff
    if comparison == ">=":
        return value >= cutoff
    return True


@dataclass(frozen=True)
class Guideline:
    id: str
    label: str
    target: float | None
    comparison: str
    unit: str
    text: str


@dataclass(frozen=True)
class NormSet:
    id: str
    name: str
    version: str
    directory: Path
    battery: dict[str, TestDef]
    sources: dict[str, Source]
    tables: dict[str, PercentileTable | ThresholdTable]
    criteria: dict[str, CriterionTable]
    flags: dict[str, tuple[Rule, ...]]
    readings: dict[str, tuple[Rule, ...]]
    guidelines: tuple[Guideline, ...]
    guideline_source: str
    statuses: tuple[str, ...] = field(default=())
    notes: tuple[Note, ...] = field(default=())
    verification: Verification = field(default_factory=lambda: UNCHECKED)

    @property
    def verified(self) -> bool:
        return self.verification.verified

    @property
    def label(self) -> str:
        """The set as every screen and page names it: "Norm set 2026.11-2 (verified)", or
        "Norm set 2026.11-2 — LOCAL, UNVERIFIED: changed from the published set (norms/x.csv)"."""
        return _("Norm set {which}", which=self.which)

    @property
    def which(self) -> str:
        """The label without its "Norm set" (where a heading already says it, as About does):
        "2026.11-2 (verified)"."""
        v = self.verification
        if v.verified:
            return _("{version} (verified)", version=self.version)
        return _(
            "{version} \u2014 {unverified}: {why}",
            version=v.version or self.version,
            unverified=_(UNVERIFIED),
            why=v.reason,
        )

    def notes_for(self, *test_ids: str) -> tuple[Note, ...]:
        """The notes that go with any of these tests, each once, in file order."""
        return tuple(n for n in self.notes if any(t in n.tests for t in test_ids))

    def test(self, test_id: str) -> TestDef:
        from ffmot.core.errors import InputError

        try:
            return self.battery[test_id]
        except KeyError:
            known = ", ".join(self.battery)
            raise InputError(
                _("unknown test '{test}': the tests are {tests}", test=test_id, tests=known)
            ) from None

    def test_name(self, test_id: str) -> str:
        """A test's short name in the current language, as messages say it ("Chair stand"); a
        test this set does not have (a result recorded with another set) is its id in words."""
        test = self.battery.get(test_id)
        return _(test.short_name) if test is not None else test_id.replace("_", " ")

    def cite(self, row: NormRow) -> str:
        """The source and status of one number, as results print it. A number from a file that
        is not byte for byte the published one names no published source and no status."""
        file = row.where.split(" line ")[0]
        if self.verification.trusts(file):
            return f"{self.sources[row.source].short} ({row.status})"
        v = self.verification
        return local_cite(file, v.has_manifest and v.published and not v.problem)


# --- reading the files -------------------------------------------------------------------------


def _toml(path: Path) -> dict[str, Any]:
    return read_toml(path)


def _csv(path: Path, required: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str]]]:
    reader = csv.DictReader(read_text(path).splitlines())
    try:
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise NormDataError(
                _(
                    "{file}: missing column(s) {columns}",
                    file=path.name,
                    columns=", ".join(missing),
                )
            )
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as e:  # a field longer than the csv module allows
        raise NormDataError(
            _(
                "{file} line {line}: cannot be read ({problem})",
                file=path.name,
                line=reader.line_num,
                problem=e,
            )
        ) from None
    for line, row in rows:
        # Kept in English: a result stores it (Score.norm_row) and `NormSet.cite` reads it back.
        where = f"{path.name} line {line}"
        if None in row or any(v is None for v in row.values()):
            raise NormDataError(_("{where}: wrong number of fields", where=where))
        yield where, row


class _Reader:
    def __init__(
        self,
        directory: Path,
        battery: dict[str, TestDef],
        sources: dict[str, Source],
        statuses: tuple[str, ...],
    ) -> None:
        self.dir = directory
        self.battery = battery
        self.sources = sources
        self.statuses = statuses

    def number(self, where: str, row: dict[str, str], col: str) -> float:
        text = row[col].strip()
        try:
            v = float(text)
        except ValueError:
            raise NormDataError(
                _(
                    "{where}: '{column}' is not a number ({value!r})",
                    where=where,
                    column=col,
                    value=text,
                )
            ) from None
        if v != v or abs(v) == float("inf"):
            raise NormDataError(
                _("{where}: '{column}' is not a finite number", where=where, column=col)
            )
        return v

    def age(self, where: str, row: dict[str, str], col: str, default: int | None = None) -> int:
        if default is not None and not row[col].strip():
            return default
        v = self.number(where, row, col)
        if not v.is_integer() or not 0 <= v <= OLDEST_AGE:
            raise NormDataError(
                _(
                    "{where}: '{column}' must be a whole age from 0 to {oldest}",
                    where=where,
                    column=col,
                    oldest=OLDEST_AGE,
                )
            )
        return int(v)

    def norm_row(
        self,
        where: str,
        row: dict[str, str],
        test: str,
        sex: str,
        age_min: int,
        age_max: int,
        *,
        values: dict[str, float],
        unit_code: str,
    ) -> NormRow:
        src = row["source"].strip()
        if src not in self.sources:
            raise NormDataError(
                _(
                    "{where}: unknown source '{source}' (add it to sources.toml)",
                    where=where,
                    source=src,
                )
            )
        checked = tuple(s.strip() for s in row.get("checked_against", "").split(";") if s.strip())
        for s in checked:
            if s not in self.sources:
                raise NormDataError(
                    _(
                        "{where}: unknown source '{source}' in checked_against",
                        where=where,
                        source=s,
                    )
                )
        status = row["status"].strip()
        if status not in self.statuses:
            raise NormDataError(
                _(
                    "{where}: status '{status}' is not one of {statuses}",
                    where=where,
                    status=status,
                    statuses=", ".join(self.statuses),
                )
            )
        if age_min > age_max:
            raise NormDataError(_("{where}: age_min is above age_max", where=where))
        return NormRow(
            where,
            test,
            sex,
            age_min,
            age_max,
            tuple(values.items()),
            unit_code,
            src,
            checked,
            status,
            row.get("note", "").strip(),
        )

    def test_for(self, where: str, test: str, kind: str, unit_code: str) -> TestDef:
        if test not in self.battery:
            raise NormDataError(
                _("{where}: test '{test}' is not in battery.toml", where=where, test=test)
            )
        t = self.battery[test]
        if t.norms != kind:
            raise NormDataError(
                _(
                    "{where}: battery.toml scores '{test}' with '{kind}' norms",
                    where=where,
                    test=test,
                    kind=t.norms,
                )
            )
        if unit_code != t.norm_unit:
            raise NormDataError(
                _(
                    "{where}: unit '{unit}' differs from the battery's norm_unit "
                    "'{norm_unit}' for {test}",
                    where=where,
                    unit=unit_code,
                    norm_unit=t.norm_unit,
                    test=test,
                )
            )
        return t

    def sex(self, where: str, text: str, allow_both: bool = False) -> str:
        s = text.strip()
        if s in SEXES or (allow_both and s == ""):
            return s
        raise NormDataError(
            _("{where}: sex must be female or male, not '{value}'", where=where, value=s)
        )

    # -- SFT normal ranges: range_low, median, range_high per 5-year band
    def sft(self, path: Path) -> dict[str, PercentileTable]:
        cols = (
            "test",
            "sex",
            "age_min",
            "age_max",
            "range_low",
            "range_high",
            "median",
            "unit",
            "source",
            "status",
        )
        grouped: dict[str, list[NormRow]] = {}
        for where, r in _csv(path, cols):
            test, sex = r["test"].strip(), self.sex(where, r["sex"])
            unit_code = r["unit"].strip()
            self.test_for(where, test, "sft", unit_code)
            lo, med, hi = (self.number(where, r, c) for c in ("range_low", "median", "range_high"))
            if not lo < med < hi:
                raise NormDataError(_("{where}: need range_low < median < range_high", where=where))
            nr = self.norm_row(
                where,
                r,
                test,
                sex,
                self.age(where, r, "age_min"),
                self.age(where, r, "age_max"),
                values={"range_low": lo, "median": med, "range_high": hi},
                unit_code=unit_code,
            )
            grouped.setdefault(test, []).append(nr)
        tables = {}
        for test, rows in grouped.items():
            t = self.battery[test]
            points = np.full((2, N_AGES, 3), np.nan)
            index = np.full((2, N_AGES), -1, dtype=np.int64)
            for i, nr in enumerate(rows):
                s = SEX_INDEX[nr.sex]
                span = slice(nr.age_min, nr.age_max + 1)
                if (index[s, span] >= 0).any():
                    raise NormDataError(
                        _("{where}: ages overlap another {test} row", where=nr.where, test=test)
                    )
                index[s, span] = i
                points[s, span] = [
                    nr.value("range_low"),
                    nr.value("median"),
                    nr.value("range_high"),
                ]
            for s, name in enumerate(SEXES):
                if not (index[s] >= 0).any():
                    raise NormDataError(
                        _(
                            "{file}: no {sex} rows for {test}",
                            file=path.name,
                            sex=name,
                            test=test,
                        )
                    )
            # On the value axis a lower-is-better test's fast end is its 75th percentile.
            levels = (25.0, 50.0, 75.0)
            tables[test] = PercentileTable(test, levels, points, index, tuple(rows), False)
            assert t.direction in ("higher", "lower")
        return tables

    # -- Dodds grip centiles at single ages; ages between rows interpolated linearly
    def grip(self, path: Path) -> dict[str, PercentileTable]:
        cols = ("sex", "age", "p10", "p25", "p50", "p75", "p90", "unit", "source", "status")
        names = ("p10", "p25", "p50", "p75", "p90")
        rows: list[NormRow] = []
        for where, r in _csv(path, cols):
            sex, unit_code = self.sex(where, r["sex"]), r["unit"].strip()
            self.test_for(where, "grip", "grip", unit_code)
            vals = [self.number(where, r, c) for c in names]
            if any(a >= b for a, b in itertools.pairwise(vals)):
                raise NormDataError(
                    _("{where}: centiles must increase from p10 to p90", where=where)
                )
            age = self.age(where, r, "age")
            rows.append(
                self.norm_row(
                    where,
                    r,
                    "grip",
                    sex,
                    age,
                    age,
                    values=dict(zip(names, vals, strict=True)),
                    unit_code=unit_code,
                )
            )
        points = np.full((2, N_AGES, 5), np.nan)
        index = np.full((2, N_AGES), -1, dtype=np.int64)
        for s, name in enumerate(SEXES):
            mine = sorted(
                (i for i, nr in enumerate(rows) if nr.sex == name), key=lambda i: rows[i].age_min
            )
            if len(mine) < 2:
                raise NormDataError(
                    _("{file}: need at least two {sex} rows", file=path.name, sex=name)
                )
            for a, b in itertools.pairwise(mine):
                ra, rb = rows[a], rows[b]
                if ra.age_min == rb.age_min:
                    raise NormDataError(
                        _("{where}: age {age} is listed twice", where=rb.where, age=rb.age_min)
                    )
                va = np.array([v for _name, v in ra.values])
                vb = np.array([v for _name, v in rb.values])
                for age in range(ra.age_min, rb.age_min + 1):
                    w = (age - ra.age_min) / (rb.age_min - ra.age_min)
                    points[s, age] = va + w * (vb - va)
                    index[s, age] = b if age == rb.age_min else a
        levels = (10.0, 25.0, 50.0, 75.0, 90.0)
        return {"grip": PercentileTable("grip", levels, points, index, tuple(rows), True)}

    def single_leg(self, path: Path) -> dict[str, ThresholdTable]:
        cols = ("age_min", "age_max", "usual_low_s", "mean_s", "unit", "source", "status")
        rows: list[NormRow] = []
        threshold = np.full(N_AGES, np.nan)
        typical = np.full(N_AGES, np.nan)
        index = np.full(N_AGES, -1, dtype=np.int64)
        test = "single_leg_stance"
        for where, r in _csv(path, cols):
            unit_code = r["unit"].strip()
            t = self.test_for(where, test, "single_leg_stance", unit_code)
            low = self.number(where, r, "usual_low_s")
            if low <= 0:
                raise NormDataError(_("{where}: usual_low_s must be above 0 s", where=where))
            # A result at the cap is always in the usual range, whatever the age.
            if t.cap is not None and low >= t.cap:
                raise NormDataError(
                    _(
                        "{where}: usual_low_s {low:g} s is not below the cap ({cap:g} s)",
                        where=where,
                        low=low,
                        cap=t.cap,
                    )
                )
            mean = self.number(where, r, "mean_s") if r["mean_s"].strip() else math.nan
            # "typical_s" repeats usual_low_s for readers written before 2026.11-2.
            vals = {"usual_low_s": low, "typical_s": low}
            if not math.isnan(mean):
                vals["mean_s"] = mean
            nr = self.norm_row(
                where,
                r,
                test,
                "",
                self.age(where, r, "age_min"),
                self.age(where, r, "age_max"),
                values=vals,
                unit_code=unit_code,
            )
            span = slice(nr.age_min, nr.age_max + 1)
            if (index[span] >= 0).any():
                raise NormDataError(_("{where}: ages overlap another row", where=where))
            index[span] = len(rows)
            threshold[span] = low
            typical[span] = mean
            rows.append(nr)
        return {test: ThresholdTable(test, threshold, index, tuple(rows), typical)}

    def criteria(self, path: Path) -> dict[str, CriterionTable]:
        cols = ("test", "sex", "age_min", "age_max", "standard", "unit", "source", "status")
        grouped: dict[str, list[NormRow]] = {}
        for where, r in _csv(path, cols):
            test, sex, unit_code = r["test"].strip(), self.sex(where, r["sex"]), r["unit"].strip()
            self.test_for(where, test, "sft", unit_code)
            nr = self.norm_row(
                where,
                r,
                test,
                sex,
                self.age(where, r, "age_min"),
                self.age(where, r, "age_max"),
                values={"standard": self.number(where, r, "standard")},
                unit_code=unit_code,
            )
            grouped.setdefault(test, []).append(nr)
        out = {}
        for test, rows in grouped.items():
            standard = np.full((2, N_AGES), np.nan)
            index = np.full((2, N_AGES), -1, dtype=np.int64)
            for i, nr in enumerate(rows):
                s, span = SEX_INDEX[nr.sex], slice(nr.age_min, nr.age_max + 1)
                if (index[s, span] >= 0).any():
                    raise NormDataError(
                        _("{where}: ages overlap another {test} row", where=nr.where, test=test)
                    )
                index[s, span] = i
                standard[s, span] = nr.value("standard")
            out[test] = CriterionTable(test, standard, index, tuple(rows))
        return out

    def rules(self, path: Path, kind: str) -> dict[str, tuple[Rule, ...]]:
        cols: tuple[str, ...]
        if kind == "flags":
            cols = (
                "id",
                "group",
                "test",
                "sex",
                "comparison",
                "cutoff",
                "unit",
                "min_age",
                "source",
                "status",
                "wording",
            )
        else:
            cols = (
                "test",
                "sex",
                "min_age",
                "max_age",
                "order",
                "comparison",
                "cutoff",
                "unit",
                "reading",
                "attention",
                "source",
                "status",
            )
        out: dict[str, list[Rule]] = {}
        for where, r in _csv(path, cols):
            test = r["test"].strip()
            if test not in self.battery:
                raise NormDataError(
                    _("{where}: test '{test}' is not in battery.toml", where=where, test=test)
                )
            unit_code = r["unit"].strip()
            if unit_code not in self.battery[test].units:
                raise NormDataError(
                    _(
                        "{where}: unit '{unit}' is not a unit of {test}",
                        where=where,
                        unit=unit_code,
                        test=test,
                    )
                )
            comparison = r["comparison"].strip()
            if comparison not in COMPARISONS:
                raise NormDataError(
                    _(
                        "{where}: comparison must be one of {comparisons}",
                        where=where,
                        comparisons=" ".join(COMPARISONS),
                    )
                )
            cutoff = 0.0 if comparison == "any" else self.number(where, r, "cutoff")
            # Cut-offs are kept in the test's own unit so they compare with a converted value.
            cutoff = units.convert(cutoff, unit_code, self.battery[test].unit)
            sex = self.sex(where, r["sex"], allow_both=True)
            min_age = self.age(where, r, "min_age", default=0)
            max_age = (
                self.age(where, r, "max_age", default=OLDEST_AGE)
                if "max_age" in r
                else (OLDEST_AGE)
            )
            nr = self.norm_row(
                where,
                r,
                test,
                sex,
                min_age,
                max_age,
                values={"cutoff": cutoff},
                unit_code=self.battery[test].unit,
            )
            if kind == "flags":
                rule = Rule(
                    r["id"].strip(),
                    r["group"].strip(),
                    test,
                    sex,
                    comparison,
                    cutoff,
                    self.battery[test].unit,
                    min_age,
                    max_age,
                    r["wording"].strip(),
                    True,
                    nr,
                    (r.get("label") or "").strip() or r["id"].strip().replace("_", " "),
                )
            else:
                att = r["attention"].strip()
                if att not in ("yes", "no"):
                    raise NormDataError(_("{where}: attention must be yes or no", where=where))
                rule = Rule(
                    f"{test}_{r['order'].strip()}",
                    test,
                    test,
                    sex,
                    comparison,
                    cutoff,
                    self.battery[test].unit,
                    min_age,
                    max_age,
                    r["reading"].strip(),
                    att == "yes",
                    nr,
                )
            out.setdefault(test, []).append(rule)
        return {k: tuple(v) for k, v in out.items()}

    def guidelines(self, path: Path) -> tuple[tuple[Guideline, ...], str]:
        data = _toml(path)
        src = data.get("source", "")
        if not isinstance(src, str) or src not in self.sources:
            raise NormDataError(_("{file}: unknown source '{source}'", file=path.name, source=src))
        raw = data.get("items", [])
        if not isinstance(raw, list):
            raise NormDataError(
                _("{file}: 'items' must be a list of [[items]] tables", file=path.name)
            )
        items = []
        for i, it in enumerate(raw, 1):
            if not isinstance(it, dict):
                raise NormDataError(
                    _("{file}: item {number} must be a table", file=path.name, number=i)
                )
            try:
                comparison = it["comparison"]
                target = it.get("target")
                if comparison != "none" and not isinstance(target, int | float):
                    raise KeyError("target")
                items.append(
                    Guideline(
                        it["id"], it["label"], target, comparison, it["unit"], it["guideline"]
                    )
                )
            except KeyError as e:
                raise NormDataError(
                    _(
                        "{file}: item {number} lacks {key}",
                        file=path.name,
                        number=i,
                        key=e.args[0],
                    )
                ) from None
        return tuple(items), src


def _notes(
    meta: dict[str, Any],
    battery: dict[str, TestDef],
    sources: dict[str, Source],
    statuses: tuple[str, ...],
) -> tuple[Note, ...]:
    raw = meta.get("notes", [])
    if not isinstance(raw, list):
        raise NormDataError(_("norm-set.toml: 'notes' must be a list of [[notes]] tables"))
    out: list[Note] = []
    for i, n in enumerate(raw, 1):
        where = _("norm-set.toml note {number}", number=i)
        if not isinstance(n, dict):
            raise NormDataError(_("{where}: must be a table", where=where))
        missing = [k for k in ("id", "tests", "text", "source", "status") if k not in n]
        if missing:
            raise NormDataError(_("{where}: lacks {keys}", where=where, keys=", ".join(missing)))
        tests = n["tests"]
        if not isinstance(tests, list) or not tests or not all(isinstance(x, str) for x in tests):
            raise NormDataError(_("{where}: 'tests' must be a list of test ids", where=where))
        for x in tests:
            if x not in battery:
                raise NormDataError(
                    _("{where}: test '{test}' is not in battery.toml", where=where, test=x)
                )
        if n["source"] not in sources:
            raise NormDataError(
                _("{where}: unknown source '{source}'", where=where, source=n["source"])
            )
        if n["status"] not in statuses:
            raise NormDataError(
                _(
                    "{where}: status '{status}' is not one of {statuses}",
                    where=where,
                    status=n["status"],
                    statuses=", ".join(statuses),
                )
            )
        text = str(n["text"]).strip()
        if not text:
            raise NormDataError(_("{where}: 'text' is empty", where=where))
        if any(o.id == n["id"] for o in out):
            raise NormDataError(_("{where}: id '{id}' is used twice", where=where, id=n["id"]))
        out.append(Note(str(n["id"]), tuple(tests), text, n["source"], n["status"]))
    return tuple(out)


def _check_needs(battery: dict[str, TestDef]) -> None:
    """Every ability a test needs is one the screening knows, so an answer can rule it out."""
    from ffmot.core.screening import RULES

    for t in battery.values():
        for ability in t.needs:
            if ability not in RULES.abilities:
                raise NormDataError(
                    _(
                        "battery.toml [tests.{test}]: needs '{ability}', which is not one of the "
                        "screening's abilities ({abilities})",
                        test=t.id,
                        ability=ability,
                        abilities=", ".join(RULES.abilities),
                    )
                )


def load_norm_set(directory: Path) -> NormSet:
    """Reads and checks every file of a norm set. Raises NormDataError naming file and line.

    A folder that is not byte for byte a published set (see `verify`) is still read, so a
    service can use its own protocol, but it is marked: its version carries LOCAL, UNVERIFIED
    (and so does every sheet and MOT day that names it), and a number from a changed file
    names no published source (`NormSet.cite`)."""
    meta = _toml(directory / "norm-set.toml")
    version = str(meta.get("version", ""))
    if len(version) > MAX_VERSION:
        raise NormDataError(
            _("norm-set.toml: version is longer than {limit} characters", limit=MAX_VERSION)
        )
    checked = verify(directory, version)
    raw_statuses = meta.get("statuses", [])
    if not isinstance(raw_statuses, list) or not all(isinstance(x, str) for x in raw_statuses):
        raise NormDataError(_("norm-set.toml: 'statuses' must be a list of words"))
    statuses = tuple(raw_statuses)
    raw_sources = _toml(directory / "sources.toml")
    sources = {}
    for key, s in raw_sources.items():
        if not isinstance(s, dict) or "cite" not in s or "short" not in s:
            raise NormDataError(_("sources.toml [{key}]: needs 'short' and 'cite'", key=key))
        texts = ("short", "cite", "kind", "url", "note", "status")
        if not all(isinstance(s.get(k, ""), str) for k in texts):
            raise NormDataError(
                _("sources.toml [{key}]: {keys} must be text", key=key, keys=", ".join(texts))
            )
        status = s.get("status", "")
        if status and status not in statuses:
            raise NormDataError(
                _(
                    "sources.toml [{key}]: status '{status}' is not one of {statuses}",
                    key=key,
                    status=status,
                    statuses=", ".join(statuses),
                )
            )
        sources[key] = Source(
            key,
            s["short"],
            s["cite"],
            s.get("kind", ""),
            s.get("url", ""),
            s.get("note", ""),
            status,
        )
    read_text(directory / "battery.toml")  # an ordinary UTF-8 file, before it is parsed
    battery = load_battery(directory / "battery.toml")
    _check_needs(battery)
    rd = _Reader(directory, battery, sources, statuses)
    tables: dict[str, PercentileTable | ThresholdTable] = {}
    tables.update(rd.sft(directory / "sft_normal_ranges.csv"))
    tables.update(rd.grip(directory / "grip_centiles.csv"))
    tables.update(rd.single_leg(directory / "single_leg_stance.csv"))
    for t in battery.values():
        if t.norms in TABLE_KINDS and t.id not in tables:
            raise NormDataError(_("battery.toml: no norm table for {test}", test=t.id))
    guidelines, gsrc = rd.guidelines(directory / "activity_guidelines.toml")
    return NormSet(
        id=str(meta.get("id", "")),
        name=str(meta.get("name", "")),
        version=version if checked.verified else f"{version} {UNVERIFIED}",
        directory=directory,
        battery=battery,
        sources=sources,
        tables=tables,
        criteria=rd.criteria(directory / "sft_criterion_standards.csv"),
        flags=rd.rules(directory / "flags.csv", "flags"),
        readings=rd.rules(directory / "body_readings.csv", "readings"),
        guidelines=guidelines,
        guideline_source=gsrc,
        statuses=statuses,
        notes=_notes(meta, battery, sources, statuses),
        verification=checked,
    )


@functools.cache
def _cached(directory: str) -> NormSet:
    return load_norm_set(Path(directory))


def default_norm_set() -> NormSet:
    """The norm set shipped with ffmot (or FFMOT_NORMS_DIR), read once per process."""
    return _cached(str(norms_dir()))
