"""Export to CSV or XLSX (full or anonymised) and import of the full format.

Every cell a spreadsheet would run as a formula is neutralised with a leading apostrophe, in
both formats; import takes it off again. Import checks every row first and writes nothing if
any row is bad.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import secrets
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ffmot.core import codes, units
from ffmot.core.ages import age_on
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.scoring import check_value, score
from ffmot.services.records import audit
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import (
    NOT_DONE_REASONS,
    PURPOSES,
    SEXES,
    Assessment,
    Consent,
    Event,
    Participant,
    Result,
    Trial,
)

COLUMNS = (
    "participant_code",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "event",
    "assessment_date",
    "test",
    "value",
    "unit",
    "band",
    "percentile",
    "done",
    "reason",
    "trials",
    "modifications",
    "event_date",
    "venue",
    "organisation",
    "norm_set_version",
    "tests_offered",
    "training",
    "practitioner",
    "station",
    "height_cm",
    "weight_kg",
    "strength_days",
    "balance_days",
    "sitting_hours",
    "phone",
    "email",
    "postcode_district",
    *(f"consent_{p}" for p in PURPOSES),
    "participant_id",
    "event_id",
    "assessment_id",
    "previous_assessment_id",
    "result_id",
)
ANONYMISED_COLUMNS = (
    "export_id",
    "age_band",
    "sex",
    "event",
    "event_date",
    "test",
    "value",
    "unit",
    "band",
    "percentile",
    "done",
    "reason",
    "modifications",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_TRIAL = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(?:\(([^()]*)\))?\s*$")


class ImportRefused(FfmotError):
    """The file has rows that cannot be imported; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} row(s) cannot be imported; nothing was imported")
        self.problems = problems


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet would treat as a formula gets a leading apostrophe (and so does
    one that already starts with an apostrophe, so `restore` gives back exactly what was there).
    Plain numbers such as -2.5 stay numbers."""
    if cell.startswith("'") or (cell.startswith(FORMULA_START) and not _NUMBER.match(cell)):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _num(v: float | int | None) -> str:
    if v is None:
        return ""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def age_band(age: int) -> str:
    if age < 60:
        return "under 60"
    if age >= 95:
        return "95 and over"
    lo = age - age % 5
    return f"{lo}-{lo + 4}"


# --- export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    participants: int
    left_out: int  # anonymised: participants without consent to anonymous use


def _latest_consents(s: Session) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    for c in s.scalars(select(Consent).order_by(Consent.recorded_at, Consent.id)):
        out.setdefault(c.participant_id, {})[c.purpose] = c.granted
    return out


def export_rows(
    db: Database,
    anonymised: bool = False,
    event_id: str | None = None,
    norms: NormSet | None = None,
) -> tuple[list[dict[str, str]], ExportSummary]:
    ns = norms or default_norm_set()
    rows: list[dict[str, str]] = []
    left_out: set[str] = set()
    people: set[str] = set()
    export_ids: dict[str, str] = {}
    with db.transaction() as s:
        consents = _latest_consents(s)
        q = (
            select(Result, Assessment, Participant, Event)
            .join(Assessment, Result.assessment_id == Assessment.id)
            .join(Participant, Assessment.participant_id == Participant.id)
            .join(Event, Assessment.event_id == Event.id)
            .order_by(Event.date, Event.id, Participant.code, Assessment.id, Result.test_id)
        )
        if event_id:
            q = q.where(Event.id == event_id)
        trials: dict[str, list[Trial]] = {}
        for t in s.scalars(select(Trial).order_by(Trial.result_id, Trial.n)):
            trials.setdefault(t.result_id, []).append(t)
        for r, a, p, e in s.execute(q):
            given = consents.get(p.id, {})
            if anonymised and not given.get("anonymous_reports", False):
                left_out.add(p.id)
                continue
            people.add(p.id)
            age = age_on(p.date_of_birth, a.assessed_on) if p.date_of_birth <= a.assessed_on else 0
            band, pct = "", ""
            if r.done and r.value is not None and r.test_id in ns.battery:
                try:
                    sc = score(r.test_id, p.sex, age, r.value, r.unit, norms=ns)
                    band, pct = sc.band, "" if sc.percentile is None else str(sc.percentile)
                except InputError:
                    band = "not_classified"
            common = {
                "sex": p.sex,
                "event": e.name,
                "event_date": e.date.isoformat(),
                "test": r.test_id,
                "value": _num(r.value),
                "unit": r.unit,
                "band": band,
                "percentile": pct,
                "done": "yes" if r.done else "no",
                "reason": r.reason or "",
                "modifications": ";".join(r.modifications or ()),
            }
            if anonymised:
                if p.id not in export_ids:
                    export_ids[p.id] = secrets.token_hex(6)
                rows.append({"export_id": export_ids[p.id], "age_band": age_band(age), **common})
                continue
            rows.append(
                {
                    **common,
                    "participant_code": p.code,
                    "given_name": p.given_name,
                    "family_name": p.family_name,
                    "date_of_birth": p.date_of_birth.isoformat(),
                    "assessment_date": a.assessed_on.isoformat(),
                    "trials": "; ".join(
                        f"{_num(t.value)} ({t.label})" if t.label else _num(t.value)
                        for t in trials.get(r.id, [])
                    ),
                    "venue": e.venue,
                    "organisation": e.organisation,
                    "norm_set_version": e.norm_set_version,
                    "tests_offered": ";".join(e.tests_offered),
                    "training": "yes" if e.training else "no",
                    "practitioner": a.practitioner,
                    "station": a.station,
                    "height_cm": _num(a.height_cm),
                    "weight_kg": _num(a.weight_kg),
                    "strength_days": _num(a.strength_days),
                    "balance_days": _num(a.balance_days),
                    "sitting_hours": _num(a.sitting_hours),
                    "phone": p.phone or "",
                    "email": p.email or "",
                    "postcode_district": p.postcode_district or "",
                    **{
                        f"consent_{k}": ("" if k not in given else "yes" if given[k] else "no")
                        for k in PURPOSES
                    },
                    "participant_id": p.id,
                    "event_id": e.id,
                    "assessment_id": a.id,
                    "previous_assessment_id": a.previous_id or "",
                    "result_id": r.id,
                }
            )
    if anonymised:
        # Shuffle the order so row position says nothing about who came when.
        rows.sort(key=lambda x: (x["event_date"], x["event"], x["export_id"], x["test"]))
    return rows, ExportSummary(len(rows), len(people), len(left_out - people))


def export_file(
    db: Database,
    actor: Actor,
    path: Path,
    fmt: str,
    anonymised: bool = False,
    event_id: str | None = None,
) -> ExportSummary:
    if fmt not in ("csv", "xlsx"):
        raise InputError(f"unknown export format '{fmt}': use csv or xlsx")
    rows, summary = export_rows(db, anonymised, event_id)
    columns = ANONYMISED_COLUMNS if anonymised else COLUMNS
    _write(path, fmt, columns, rows)
    with db.transaction() as s:
        audit(
            s,
            actor,
            "export",
            "database",
            "",
            f"{summary.rows} rows, {fmt}{', anonymised' if anonymised else ''}, to {path.name}",
        )
    return summary


def _write(path: Path, fmt: str, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {path}: the folder {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ffmot-", suffix="." + fmt, dir=directory)
    except OSError as e:
        raise InputError(f"cannot write in {directory}: {e.strerror}") from None
    try:
        os.fchmod(fd, 0o600)  # exports hold personal data: owner only
        if fmt == "csv":
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(columns)
                for r in rows:
                    w.writerow([neutralise(r.get(c, "")) for c in columns])
        else:
            os.close(fd)
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            ws = wb.create_sheet("results")
            ws.append(list(columns))
            for r in rows:
                ws.append([_xlsx_cell(c, r.get(c, "")) for c in columns])
            wb.save(tmp)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {e.strerror}") from None


_NUMERIC_COLUMNS = {
    "value",
    "percentile",
    "height_cm",
    "weight_kg",
    "strength_days",
    "balance_days",
    "sitting_hours",
}


def _xlsx_cell(column: str, cell: str) -> str | float:
    if column in _NUMERIC_COLUMNS and cell and _NUMBER.match(cell):
        return float(cell)
    return neutralise(cell)


# --- import ---------------------------------------------------------------------------------


def read_table(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line or spreadsheet row number, row) for a CSV or XLSX file in the export format."""
    if not path.exists():
        raise InputError(f"cannot find {path}")
    if path.suffix.lower() == ".xlsx":
        try:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as e:
            raise InputError(f"{path} is not a readable XLSX file ({type(e).__name__})") from None
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(it, ())]
        for n, values in enumerate(it, start=2):
            cells = [
                ""
                if v is None
                else _num(v)
                if isinstance(v, float | int) and not isinstance(v, bool)
                else str(v)
                for v in values
            ]
            if not any(cells):
                continue
            yield n, dict(zip(header, cells, strict=False))
        wb.close()
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text: save it as CSV UTF-8") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        if None in row:
            yield reader.line_num, {"__error__": "this row has more fields than the header"}
            continue
        yield reader.line_num, {k: (v or "") for k, v in row.items()}


@dataclass(frozen=True)
class ImportSummary:
    participants: int
    events: int
    visits: int
    results: int
    already_there: int


def _uuid(text: str, what: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InputError(f"{what} '{text}' is not a valid id") from None


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} '{text}' is not a date (YYYY-MM-DD)") from None


def _opt_float(text: str, what: str) -> float | None:
    if not text:
        return None
    if not _NUMBER.match(text):
        raise InputError(f"{what} '{text}' is not a number")
    return float(text)


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
    consents: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class _Day:
    name: str
    date: dt.date
    venue: str
    organisation: str
    norm_set_version: str
    tests_offered: tuple[str, ...]
    training: bool


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


@dataclass(frozen=True)
class _Row:
    line: int
    participant_id: str
    event_id: str
    assessment_id: str
    result_id: str
    person: _Person
    day: _Day
    visit: _Visit
    test: str
    done: bool
    reason: str | None
    value: float | None
    unit: str
    trials: tuple[tuple[float, str], ...]
    modifications: tuple[str, ...]


def import_file(
    db: Database, actor: Actor, path: Path, norms: NormSet | None = None
) -> ImportSummary:
    ns = norms or default_norm_set()
    rows = list(read_table(path))
    if not rows:
        raise InputError(f"{path} has no rows to import")
    header = set(rows[0][1])
    if "export_id" in header and "participant_id" not in header:
        raise InputError(
            f"{path} is an anonymised export: it cannot be imported (it holds no "
            "names or ids on purpose)"
        )
    missing = [c for c in COLUMNS if c not in header and "__error__" not in header]
    if missing:
        raise InputError(
            f"{path} is not an ffmot export: it lacks {', '.join(missing[:4])}"
            + ("…" if len(missing) > 4 else "")
        )
    problems: list[str] = []
    parsed: list[_Row] = []
    for line, raw in rows:
        if "__error__" in raw:
            problems.append(f"line {line}: {raw['__error__']}")
            continue
        r = {k: restore(v.strip()) for k, v in raw.items()}
        try:
            parsed.append(_parse_row(line, r, ns))
        except FfmotError as e:
            problems.append(f"line {line}: {e}")
    seen: dict[tuple[str, str], tuple[int, object]] = {}
    for row in parsed:
        for key, ident, data in (
            ("participant", row.participant_id, row.person),
            ("MOT day", row.event_id, row.day),
            ("visit", row.assessment_id, row.visit),
        ):
            prev = seen.setdefault((key, ident), (row.line, data))
            if prev[1] != data:
                problems.append(
                    f"line {row.line}: the {key} {ident[:8]} differs from line {prev[0]}"
                )
    if problems:
        raise ImportRefused(problems)
    with db.transaction() as s:
        summary = _insert(s, parsed, problems)
        if problems:
            raise ImportRefused(problems)
        audit(s, actor, "import", "database", "", f"{summary.results} results from {path.name}")
    return summary


def _opt_int(text: str, what: str) -> int | None:
    v = _opt_float(text, what)
    if v is not None and not v.is_integer():
        raise InputError(f"{what} '{text}' is not a whole number")
    return None if v is None else int(v)


def _tests(text: str, ns: NormSet) -> tuple[str, ...]:
    tests = tuple(t for t in text.split(";") if t)
    for t in tests:
        ns.test(t)
    return tests


def _yes_no(text: str, what: str) -> bool:
    if text not in ("yes", "no"):
        raise InputError(f"{what} must be yes or no, not '{text}'")
    return text == "yes"


def _parse_row(line: int, r: dict[str, str], ns: NormSet) -> _Row:
    test = ns.test(r["test"])
    sex = r["sex"]
    if sex not in SEXES:
        raise InputError(f"sex '{sex}' must be one of {', '.join(SEXES)}")
    dob = _date(r["date_of_birth"], "date_of_birth")
    when = _date(r["assessment_date"], "assessment_date")
    if dob > when:
        raise InputError("the date of birth is after the assessment date")
    age_on(dob, when)
    if r["done"] not in ("yes", "no"):
        raise InputError(f"done must be yes or no, not '{r['done']}'")
    done = r["done"] == "yes"
    unit = units.normalise_unit(r["unit"], test.units, test.unit, test.short_name)
    value = _opt_float(r["value"], "value")
    trials: list[tuple[float, str]] = []
    if done:
        if value is None:
            raise InputError("a done test needs a value")
        check_value(test, value, unit)
        for part in filter(None, (x.strip() for x in r["trials"].split(";"))):
            m = _TRIAL.match(part)
            if not m:
                raise InputError(f"trial '{part}' should look like 12.5 (left 1)")
            trials.append((float(m.group(1)), m.group(2) or ""))
            check_value(test, trials[-1][0], unit)
        if len(trials) > test.trials:
            raise InputError(f"{test.short_name} has at most {test.trials} trials")
    else:
        if r["reason"] not in NOT_DONE_REASONS:
            raise InputError(f"reason must be one of {', '.join(NOT_DONE_REASONS)}")
        if value is not None:
            raise InputError("a test not done cannot have a value")
    consents = []
    for purpose in PURPOSES:
        v = r[f"consent_{purpose}"]
        if v not in ("", "yes", "no"):
            raise InputError(f"consent_{purpose} must be yes, no or empty")
        if v:
            consents.append((purpose, v == "yes"))
    if not r["given_name"] or not r["family_name"]:
        raise InputError("given_name and family_name are needed")
    pid = _uuid(r["participant_id"], "participant_id")
    eid = _uuid(r["event_id"], "event_id")
    previous = r["previous_assessment_id"]
    return _Row(
        line=line,
        participant_id=pid,
        event_id=eid,
        assessment_id=_uuid(r["assessment_id"], "assessment_id"),
        result_id=_uuid(r["result_id"], "result_id"),
        person=_Person(
            codes.normalise(r["participant_code"]),
            r["given_name"],
            r["family_name"],
            dob,
            sex,
            r["phone"],
            r["email"],
            r["postcode_district"],
            tuple(consents),
        ),
        day=_Day(
            r["event"],
            _date(r["event_date"], "event_date"),
            r["venue"],
            r["organisation"],
            r["norm_set_version"],
            _tests(r["tests_offered"], ns),
            _yes_no(r["training"], "training"),
        ),
        visit=_Visit(
            pid,
            eid,
            when,
            r["practitioner"],
            r["station"],
            _opt_float(r["height_cm"], "height_cm"),
            _opt_float(r["weight_kg"], "weight_kg"),
            _opt_int(r["strength_days"], "strength_days"),
            _opt_int(r["balance_days"], "balance_days"),
            _opt_float(r["sitting_hours"], "sitting_hours"),
            _uuid(previous, "previous_assessment_id") if previous else None,
        ),
        test=test.id,
        done=done,
        reason=None if done else r["reason"],
        value=value,
        unit=unit,
        trials=tuple(trials),
        modifications=tuple(m for m in r["modifications"].split(";") if m),
    )


def _insert(s: Session, parsed: list[_Row], problems: list[str]) -> ImportSummary:
    made = {"participant": 0, "event": 0, "assessment": 0, "result": 0, "there": 0}
    handled: set[str] = set()
    pending_previous: list[tuple[Assessment, str]] = []
    tests_by_day: dict[str, set[str]] = {}
    measured: dict[str, dict[str, float]] = {}
    for row in parsed:
        tests_by_day.setdefault(row.event_id, set()).add(row.test)
        if row.done and row.value is not None and row.test in ("waist", "activity"):
            measured.setdefault(row.assessment_id, {})[row.test] = row.value
    for row in parsed:
        if row.participant_id not in handled:
            handled.add(row.participant_id)
            outcome = _insert_person(s, row, problems)
            if outcome is None:
                continue
            made["participant"] += outcome == "new"
        if row.event_id not in handled:
            handled.add(row.event_id)
            if s.get(Event, row.event_id) is None:
                d = row.day
                s.add(
                    Event(
                        id=row.event_id,
                        name=d.name,
                        date=d.date,
                        venue=d.venue,
                        organisation=d.organisation,
                        tests_offered=list(d.tests_offered) or sorted(tests_by_day[row.event_id]),
                        norm_set_version=d.norm_set_version,
                        training=d.training,
                    )
                )
                made["event"] += 1
        if row.assessment_id not in handled:
            handled.add(row.assessment_id)
            if s.get(Assessment, row.assessment_id) is None:
                v = row.visit
                m = measured.get(row.assessment_id, {})
                a = Assessment(
                    id=row.assessment_id,
                    participant_id=v.participant_id,
                    event_id=v.event_id,
                    assessed_on=v.when,
                    practitioner=v.practitioner,
                    station=v.station,
                    height_cm=v.height_cm,
                    weight_kg=v.weight_kg,
                    waist_cm=m.get("waist"),
                    moderate_minutes=m.get("activity"),
                    strength_days=v.strength_days,
                    balance_days=v.balance_days,
                    sitting_hours=v.sitting_hours,
                )
                s.add(a)
                if v.previous_id:
                    pending_previous.append((a, v.previous_id))
                made["assessment"] += 1
        if s.get(Result, row.result_id) is not None:
            made["there"] += 1
            continue
        res = Result(
            id=row.result_id,
            assessment_id=row.assessment_id,
            test_id=row.test,
            done=row.done,
            reason=row.reason,
            value=row.value,
            unit=row.unit,
            modifications=list(row.modifications),
            recorded_by="import",
        )
        res.trials = [
            Trial(n=i + 1, value=v, unit=row.unit, label=label)
            for i, (v, label) in enumerate(row.trials)
        ]
        s.add(res)
        made["result"] += 1
    s.flush()
    for a, prev in pending_previous:
        if s.get(Assessment, prev) is not None:
            a.previous_id = prev
    s.flush()
    return ImportSummary(
        made["participant"], made["event"], made["assessment"], made["result"], made["there"]
    )


def _insert_person(s: Session, row: _Row, problems: list[str]) -> str | None:
    """'new' if added, 'existing' if already here as in the file, None (with a problem noted)
    if the file disagrees with what this database holds."""
    p = row.person
    existing = s.get(Participant, row.participant_id)
    if existing is None:
        clash = s.scalar(select(Participant.id).where(Participant.code == p.code))
        if clash is not None:
            problems.append(f"line {row.line}: the code {p.code} belongs to someone else here")
            return None
        s.add(
            Participant(
                id=row.participant_id,
                code=p.code,
                given_name=p.given,
                family_name=p.family,
                search_given=p.given.lower(),
                search_family=p.family.lower(),
                date_of_birth=p.dob,
                sex=p.sex,
                phone=p.phone or None,
                email=p.email or None,
                postcode_district=p.postcode or None,
            )
        )
        for purpose, granted in p.consents:
            s.add(
                Consent(
                    participant_id=row.participant_id,
                    purpose=purpose,
                    granted=granted,
                    recorded_by="import",
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
            f"line {row.line}: participant {p.code} is already here with other "
            "details; use 'ffmot merge' to bring databases together"
        )
        return None
    return "existing"
