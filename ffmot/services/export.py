"""Export to CSV or XLSX: the full format (one row per result, everything recorded about the
visit, the MOT day and the participant repeated on each) or the anonymised one.

A visit with no result yet (say, screened "do not test") is one row with the result columns
empty. Export, import into an empty database and export again gives the same CSV, byte for byte
(docs/export-columns.md describes every column). Every cell a spreadsheet would run as a
formula is neutralised with a leading apostrophe, in both formats; import takes it off again.

The full export streams: visits are read a chunk at a time in file order, each chunk's consents,
screenings and trials are fetched by key, its results are scored a test at a time as one numpy
batch, and its rows are written before the next chunk is read; so memory is flat in the size of
the database, and a day's export reads only that day. The anonymised export holds its rows (a
few short cells each) because k-anonymity is decided over all of them at once.

Why one room: the rows, their cells and the file writers follow one column order (the format
other tools rely on, ffmot.services.file_format); a split would spread that order over rooms.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ffmot.core import anonymity, files, screening
from ffmot.core.ages import age_on
from ffmot.core.batch import OUTPUT_COLUMNS, score_table
from ffmot.core.cells import NUMBER, neutralise
from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.paths import check_output_file
from ffmot.core.vocabulary import PURPOSES
from ffmot.services.file_format import (
    ANONYMISED_COLUMNS,
    COLUMNS,
    number_text,
    regular_file,
)
from ffmot.services.permits import check
from ffmot.services.records import audit
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import (
    Assessment,
    Consent,
    Event,
    Participant,
    Result,
    Screening,
    Trial,
)

VISITS = 100  # visits read, looked up by key and scored together (about a thousand rows)


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    participants: int
    left_out: int  # anonymised: participants without consent to anonymous use
    # anonymised: how k-anonymity was reached (people left out for it are not in `left_out`)
    k_anonymity: anonymity.Outcome | None = None


@dataclass
class _Visit:
    """One row's records, with what the chunk looked up for it."""

    a: Assessment
    p: Participant
    e: Event
    r: Any  # a result's fields (_RESULT_FIELDS), or None for a visit with none
    decided: dict[str, Consent]
    screening: Screening | None
    trials: list[Any]  # (result_id, value, label), in order
    age: int
    band: str
    percentile: str


def _when(v: dt.datetime | None) -> str:
    """A moment as ISO 8601 in UTC (SQLite hands back the UTC it was given, without a zone)."""
    if v is None:
        return ""
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.UTC)
    return v.astimezone(dt.UTC).isoformat()


def _answers_text(answers: dict[str, object]) -> str:
    """question_id=yes|no for each question answered, in the order they are asked."""
    order = {q: i for i, q in enumerate(screening.QUESTION_IDS)}
    keys = sorted(
        (k for k, v in answers.items() if v is not None),
        key=lambda k: (order.get(k, len(order)), k),
    )
    return ";".join(f"{k}={'yes' if answers[k] else 'no'}" for k in keys)


def _day_query(event_id: str) -> Select[Assessment, Participant]:
    # Every visit of one MOT day, by card code. Sorting a day at a time keeps the database's
    # sort as small as a day: sorting the whole database's rows at once held them all in
    # SQLite's memory.
    return (
        select(Assessment, Participant)
        .join(Participant, Assessment.participant_id == Participant.id)
        .where(Assessment.event_id == event_id)
        .order_by(Participant.code, Assessment.id)
    )


def _visits(s: Session, ns: NormSet, event_id: str | None, anonymised: bool) -> Iterator[_Visit]:
    """Each export row's records, in file order (MOT day by date, then card code, then test),
    a chunk of visits at a time."""
    days = s.scalars(
        select(Event).where(Event.id == event_id)
        if event_id
        else select(Event).order_by(Event.date, Event.id)
    ).all()
    for day in days:
        stream = s.execute(_day_query(day.id).execution_options(yield_per=VISITS))
        for part in stream.partitions():
            yield from _chunk(s, ns, day, list(part), anonymised)


# A result's and a trial's fields as plain rows: building an object for each of a whole
# database's results and trials was a third of an export's time.
_RESULT_FIELDS = (
    Result.id,
    Result.assessment_id,
    Result.test_id,
    Result.done,
    Result.reason,
    Result.stop_reason,
    Result.value,
    Result.unit,
    Result.modifications,
    Result.recorded_by,
    Result.station,
    Result.recorded_at,
    Result.updated_at,
)


def _chunk(s: Session, ns: NormSet, e: Event, part: list[Any], anonymised: bool) -> list[_Visit]:
    """One chunk's rows: each visit once per result (or once with none), with its consents,
    screenings and trials fetched by key, scored."""
    by_visit: dict[str, list[Any]] = {}
    for r in s.execute(
        select(*_RESULT_FIELDS)
        .where(Result.assessment_id.in_([a.id for a, _p in part]))
        .order_by(Result.assessment_id, Result.test_id)
    ):
        by_visit.setdefault(r.assessment_id, []).append(r)
    rows_of = [(a, p, e, r) for a, p in part for r in (by_visit.get(a.id) or [None])]
    return _looked_up(s, ns, rows_of, anonymised)


def _looked_up(s: Session, ns: NormSet, part: list[Any], anonymised: bool) -> list[_Visit]:
    people = list({p.id for _a, p, _e, _r in part})
    visits = list({a.id for a, _p, _e, _r in part})
    results = [r.id for _a, _p, _e, r in part if r is not None]
    consents: dict[str, dict[str, Consent]] = {}
    for c in s.scalars(
        select(Consent)
        .where(Consent.participant_id.in_(people))
        .order_by(Consent.recorded_at, Consent.id)
    ):
        consents.setdefault(c.participant_id, {})[c.purpose] = c  # the latest is in force
    screenings: dict[str, Screening] = {}
    trials: dict[str, list[Any]] = {}
    if not anonymised:
        for sc in s.scalars(
            select(Screening)
            .where(Screening.assessment_id.in_(visits))
            .order_by(Screening.recorded_at, Screening.id)
        ):
            screenings[sc.assessment_id] = sc  # a later screening supersedes
        for t in s.execute(
            select(Trial.result_id, Trial.value, Trial.label)
            .where(Trial.result_id.in_(results))
            .order_by(Trial.result_id, Trial.n)
        ):
            trials.setdefault(t.result_id, []).append(t)
    rows = [
        _Visit(
            a,
            p,
            e,
            r,
            consents.get(p.id, {}),
            screenings.get(a.id),
            trials.get(r.id, []) if r is not None else [],
            age_on(p.date_of_birth, a.assessed_on) if p.date_of_birth <= a.assessed_on else 0,
            "",
            "",
        )
        for a, p, e, r in part
    ]
    _score(rows, ns)
    return rows


_SCORED = ("test", "sex", "age", "value", "unit")
_BAND = len(_SCORED) + OUTPUT_COLUMNS.index("band")
_PERCENTILE = len(_SCORED) + OUTPUT_COLUMNS.index("percentile")


def _score(rows: list[_Visit], ns: NormSet) -> None:
    """Band and percentile for each done result, scored a test at a time as numpy batches
    (ffmot.core.batch); a result the norms cannot score is 'not_classified'."""
    done = [
        v
        for v in rows
        if v.r is not None and v.r.done and v.r.value is not None and v.r.test_id in ns.battery
    ]
    table = (
        [v.r.test_id, v.p.sex, str(v.age), number_text(v.r.value), v.r.unit]
        for v in done
        if v.r is not None
    )
    scored = itertools.chain.from_iterable(score_table(_SCORED, table, ns, chunk=len(rows)))
    for v, out in zip(done, scored, strict=True):
        if out[_BAND] == "error":
            v.band, v.percentile = "not_classified", ""
        else:
            v.band, v.percentile = out[_BAND], out[_PERCENTILE]


def _result_cells(v: _Visit) -> dict[str, str]:
    r = v.r
    if r is None:
        return {}
    return {
        "test": r.test_id,
        "value": number_text(r.value),
        "unit": r.unit,
        "band": v.band,
        "percentile": v.percentile,
        "done": "yes" if r.done else "no",
        "reason": r.reason or "",
        "modifications": ";".join(r.modifications or ()),
    }


def _full_result_cells(v: _Visit) -> dict[str, str]:
    """The full export's result columns beyond the shared ones (empty for a visit-only row)."""
    r = v.r
    if r is None:
        return {}
    return {
        "trials": "; ".join(
            f"{number_text(t.value)} ({t.label})" if t.label else number_text(t.value)
            for t in v.trials
        ),
        "stop_reason": r.stop_reason or "",
        "result_recorded_by": r.recorded_by,
        "result_station": r.station,
        "result_recorded_at": _when(r.recorded_at),
        "result_updated_at": _when(r.updated_at),
        "result_id": r.id,
    }


def _screening_cells(sc: Screening | None) -> dict[str, str]:
    if sc is None:
        return {}
    return {
        "screening_id": sc.id,
        "screening_outcome": sc.outcome,
        "screening_excluded_tests": ";".join(sc.excluded_tests or ()),
        "screening_answers": _answers_text(dict(sc.answers or {})),
        "screening_systolic": number_text(sc.systolic),
        "screening_diastolic": number_text(sc.diastolic),
        "screening_recorded_at": _when(sc.recorded_at),
        "screening_recorded_by": sc.recorded_by,
    }


def _full_rows(visits: Iterable[_Visit]) -> Iterator[dict[str, str]]:
    """The full export's rows: a visit's own cells (the same on each of its results' rows, which
    come together) are worked out once per visit."""
    at, cells = "", {}
    for v in visits:
        if v.a.id != at:
            at, cells = v.a.id, _visit_cells(v)
        yield {**cells, **_result_cells(v), **_full_result_cells(v)} if v.r is not None else cells


def _visit_cells(v: _Visit) -> dict[str, str]:
    a, p, e, decided = v.a, v.p, v.e, v.decided
    return {
        "sex": p.sex,
        "event": e.name,
        "event_date": e.date.isoformat(),
        "participant_code": p.code,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "date_of_birth": p.date_of_birth.isoformat(),
        "assessment_date": a.assessed_on.isoformat(),
        "venue": e.venue,
        "organisation": e.organisation,
        "norm_set_version": e.norm_set_version,
        "tests_offered": ";".join(e.tests_offered),
        "training": "yes" if e.training else "no",
        "practitioner": a.practitioner,
        "station": a.station,
        "height_cm": number_text(a.height_cm),
        "weight_kg": number_text(a.weight_kg),
        "strength_days": number_text(a.strength_days),
        "balance_days": number_text(a.balance_days),
        "sitting_hours": number_text(a.sitting_hours),
        "phone": p.phone or "",
        "email": p.email or "",
        "postcode_district": p.postcode_district or "",
        **{
            f"consent_{k}": ("" if k not in decided else "yes" if decided[k].granted else "no")
            for k in PURPOSES
        },
        "participant_id": p.id,
        "event_id": e.id,
        "assessment_id": a.id,
        "previous_assessment_id": a.previous_id or "",
        "waist_cm": number_text(a.waist_cm),
        "moderate_minutes": number_text(a.moderate_minutes),
        "visit_notes": a.notes,
        "visit_goals": a.goals,
        "printed_at": _when(a.printed_at),
        "checked_in_at": _when(a.created_at),
        **_screening_cells(v.screening),
        "activities_directory": e.activities_directory,
        "participant_notes": p.notes,
        **{
            f"consent_{k}_{what}": (
                ""
                if k not in decided
                else _when(decided[k].recorded_at)
                if what == "recorded_at"
                else decided[k].recorded_by
            )
            for k in PURPOSES
            for what in ("recorded_at", "recorded_by")
        },
    }


def _people(s: Session, event_id: str | None) -> int:
    """How many participants the full export holds: one count, not a set of every id."""
    q = select(func.count(func.distinct(Assessment.participant_id)))
    if event_id:
        q = q.where(Assessment.event_id == event_id)
    return s.scalar(q) or 0


def _anonymised(
    s: Session, ns: NormSet, event_id: str | None, k: int
) -> tuple[list[dict[str, str]], ExportSummary]:
    """k-anonymous rows (MOT day, date, age band and sex shared by at least k people; see
    ffmot.core.anonymity), or TooFewToAnonymise rather than rows in which anyone could be
    recognised. Sorted by a random id, so row position says nothing about who came when."""
    raw: list[anonymity.Row] = []
    left_out: set[str] = set()
    people: set[str] = set()
    export_ids: dict[str, str] = {}
    for v in _visits(s, ns, event_id, anonymised=True):
        if v.r is None:
            continue  # the anonymised export is results only
        granted = v.decided.get("anonymous_reports")
        if granted is None or not granted.granted:
            left_out.add(v.p.id)
            continue
        people.add(v.p.id)
        if v.p.id not in export_ids:
            export_ids[v.p.id] = secrets.token_hex(6)
        common = {
            "sex": v.p.sex,
            "event": v.e.name,
            "event_date": v.e.date.isoformat(),
            **_result_cells(v),
        }
        raw.append(anonymity.Row(export_ids[v.p.id], v.p.sex, v.age, v.e.id, v.e.date, common))
    rows, outcome = anonymity.anonymise(raw, k)
    return rows, ExportSummary(
        len(rows), outcome.people, len(left_out - people), k_anonymity=outcome
    )


def export_rows(
    db: Database,
    anonymised: bool = False,
    event_id: str | None = None,
    norms: NormSet | None = None,
    k: int = anonymity.DEFAULT_K,
) -> tuple[list[dict[str, str]], ExportSummary]:
    """The export's rows, all in memory (export_file streams them instead). Anonymised, they
    are k-anonymous or TooFewToAnonymise is raised."""
    ns = norms or default_norm_set()
    with db.transaction() as s:
        if anonymised:
            return _anonymised(s, ns, event_id, k)
        rows = list(_full_rows(_visits(s, ns, event_id, anonymised=False)))
        return rows, ExportSummary(len(rows), _people(s, event_id), 0)


def export_file(
    db: Database,
    actor: Actor,
    path: Path,
    fmt: str,
    anonymised: bool = False,
    *,
    event_id: str | None = None,
    k: int = anonymity.DEFAULT_K,
    norms: NormSet | None = None,
) -> ExportSummary:
    """Writes the export. Anonymised, it is k-anonymous (at least `k` people share every
    quasi-identifier written, see ffmot.core.anonymity) or it is not written at all:
    TooFewToAnonymise is raised before the file is touched. The full export is written as it
    is read, into a temporary file that replaces `path` only when complete."""
    if fmt not in ("csv", "xlsx"):
        raise InputError(_("unknown export format '{format}': use csv or xlsx", format=fmt))
    check(db, actor, "export_anonymised" if anonymised else "export_identifiable")
    regular_file(path, "write")  # before any work: a pipe or a device is refused at once
    ns = norms or default_norm_set()
    if anonymised:
        rows, summary = export_rows(db, True, event_id, ns, k)
        _write(path, fmt, ANONYMISED_COLUMNS, rows)
    else:
        with db.transaction() as s:
            written = _write(path, fmt, COLUMNS, _full_rows(_visits(s, ns, event_id, False)))
            summary = ExportSummary(written, _people(s, event_id), 0)
    with db.transaction() as s:
        audit(
            s,
            actor,
            "export",
            "database",
            "",
            f"{summary.rows} rows, {fmt}"
            + (
                f", anonymised at k={summary.k_anonymity.k} "
                f"({summary.k_anonymity.left_out} people left out for it)"
                if summary.k_anonymity
                else ""
            )
            + f", to {path.name}",
        )
    return summary


def _write(path: Path, fmt: str, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> int:
    """Writes rows as they come into a temporary file beside `path` and puts it in place only
    when every row is written; returns how many. On any failure `path` is as it was."""
    # A pipe or a device is never opened (that could block) and never replaced.
    regular_file(path, "write")
    check_output_file(path)  # its folder is there, its name can be made
    try:
        # owner-only, whole or not at all (ffmot/core/files.py): exports hold personal data
        with files.replacing(path, text=fmt == "csv") as f:
            if fmt == "csv":
                w = csv.writer(f)
                w.writerow(columns)
                count = 0
                for count, r in enumerate(rows, start=1):  # noqa: B007 (the count is returned)
                    w.writerow([neutralise(r.get(c, "")) for c in columns])
            else:
                count = _write_xlsx(path, f, columns, rows)
        return count
    except OSError as e:
        raise InputError(
            _("cannot write {path}: {problem}", path=path, problem=e.strerror)
        ) from None


def _write_xlsx(
    path: Path, out: IO[Any], columns: Sequence[str], rows: Iterable[dict[str, str]]
) -> int:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)  # streams its rows to a temporary file of its own
    ws = wb.create_sheet("results")
    ws.append(list(columns))
    count = 0
    try:
        for n, r in enumerate(rows, start=2):
            cells = [_xlsx_cell(c, r.get(c, "")) for c in columns]
            for c, v in zip(columns, cells, strict=True):
                bad = ILLEGAL_CHARACTERS_RE.search(v) if isinstance(v, str) else None
                if bad:
                    raise InputError(
                        _(
                            "cannot write {file} as XLSX: {column} on row {row} holds a "
                            "control character (U+{code:04X}) a spreadsheet cannot hold; "
                            "export as CSV, or take the character out",
                            file=path.name,
                            column=c,
                            row=n,
                            code=ord(bad.group()),
                        )
                    )
            ws.append(cells)
            count += 1
    except BaseException:
        # Close the sheet's own temporary file before giving up (what was written is dropped).
        with contextlib.suppress(Exception):
            wb.save(io.BytesIO())
        raise
    wb.save(out)
    return count


_NUMERIC_COLUMNS = {
    "value",
    "percentile",
    "height_cm",
    "weight_kg",
    "strength_days",
    "balance_days",
    "sitting_hours",
    "waist_cm",
    "moderate_minutes",
    "screening_systolic",
    "screening_diastolic",
}


def _xlsx_cell(column: str, cell: str) -> str | float:
    if column in _NUMERIC_COLUMNS and cell and NUMBER.match(cell):
        return float(cell)
    return neutralise(cell)
