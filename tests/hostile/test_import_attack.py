"""A generated attack on import: malformed CSV and XLSX files, made by code from a valid export.

A small demo database (the program's own `load_demo`, plus a retest and a withdrawal made through
the records service) is exported by the program itself, as CSV and as XLSX. Mutation operators,
each run with several seeds of one `random.Random`, then damage the export: cut it mid-row, flip
bytes, swap, repeat or drop columns and the header, change the separator or the encoding, grow a
cell past every limit, put in NUL, control and direction characters or formulas, odd numbers and
dates, another person's visit, a visit that is its own previous visit, a cycle of previous visits,
unknown tests, repeated rows, blank lines, broken quoting; and, for XLSX, text in number cells,
real date cells, extra sheets, formulas, and damaged or huge zips. A few change only what the
file says about consent and screening, to hold the import to the station's rules.

Each file goes through the real `import_file` into a real SQLite database that already holds
data (the same demo day, or another), in a worker thread with a time bound, and is written to
the hostile-input ledger (tests/hostile/ledger.py) as:

    uncaught  anything but the import's own refusal escaped, or a refusal said nothing or showed
              Python's inner workings (a traceback, a repr)
    lost      a row that was there before is gone or changed (a refused import changes nothing
              at all; an accepted one only adds, or changes a result when asked to update)
    wrong     an accepted import stored what the station would not: a result under another
              person's visit, a previous visit that is not the same person's and earlier or that
              loops, text the screen refuses, a number outside the plausible range, a result for
              someone who has not agreed to keep their results or whose screening rules the test
              out, or a consent decision taken from the file for someone already here
    hung      it did not end within the bound
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import re
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ffmot.core import entry, screening
from ffmot.core import text as textrules
from ffmot.core.errors import FfmotError
from ffmot.core.norms import default_norm_set
from ffmot.core.scoring import check_value
from ffmot.demo import generate
from ffmot.services import records as R
from ffmot.services.demo_load import load_demo
from ffmot.services.export import export_file
from ffmot.services.file_format import COLUMNS
from ffmot.services.transfer import ImportRefused, import_file, read_table, restore
from ffmot.services.types import Actor
from ffmot.store.db import Database, connect
from ffmot.store.models import Base
from tests.helpers import copy_db_file
from tests.hostile import ledger

ATTACK = "import files (generated)"
ACTOR = Actor("Attack Tester", "Station A")
BOUND = 20.0  # seconds one import may take before it counts as hung
DAY = dt.date(2026, 6, 1)
SEEDS = 4  # each operator runs with this many seeds (some with more)

# --- the valid start: a demo day exported by the program itself --------------------------------


@dataclass
class Base_:
    folder: Path
    csv_bytes: bytes
    xlsx_bytes: bytes
    rows: list[list[str]]  # the CSV export, header first
    templates: dict[str, Path]  # name -> a closed SQLite file that holds data already


def _demo_db(path: Path, seed: int, people: int, extra: bool) -> None:
    db = connect(str(path))
    try:
        load_demo(db, ACTOR, generate(people, seed=seed, today=DAY), seed=seed)
        if extra:
            # A retest (a previous visit) and a withdrawal after testing, through the service.
            people_here = R.search_participants(db, "")
            autumn = R.create_event(db, ACTOR, "Autumn retest", DAY + dt.timedelta(days=100))
            v = R.check_in(db, ACTOR, people_here[0].id, autumn.id)
            R.record_screening(db, ACTOR, v.id, screening.answers_with())
            R.save_result(db, ACTOR, v.id, "grip", [(23.5, "right 1"), (22, "left 1")])
            R.save_result(db, ACTOR, v.id, "chair_stand", [(12, "")])
            R.record_consent(db, ACTOR, people_here[1].id, "keep_results", False)
    finally:
        db.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base_:
    folder = tmp_path_factory.mktemp("attack")
    src = folder / "source.db"
    _demo_db(src, seed=1, people=3, extra=True)
    other = folder / "other.db"
    _demo_db(other, seed=5, people=2, extra=False)
    db = connect(str(src))
    try:
        export_file(db, ACTOR, folder / "base.csv", "csv")
        export_file(db, ACTOR, folder / "base.xlsx", "xlsx")
    finally:
        db.close()
    csv_bytes = (folder / "base.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8"), newline="")))
    assert rows[0] == list(COLUMNS) and len(rows) > 30
    assert any(r[COLUMNS.index("previous_assessment_id")] for r in rows[1:])
    return Base_(
        folder,
        csv_bytes,
        (folder / "base.xlsx").read_bytes(),
        rows,
        {"same": src, "other": other},
    )


# --- the inputs --------------------------------------------------------------------------------


@dataclass
class Case:
    operator: str
    seed: int
    data: bytes
    suffix: str = ".csv"
    template: str = "other"  # which database it goes into
    update: bool = False
    take_consents: bool = True

    @property
    def name(self) -> str:
        return f"{self.operator}#{self.seed}"


Rows = list[list[str]]
H = {c: i for i, c in enumerate(COLUMNS)}


def _csv(rows: Rows, delimiter: str = ",", encoding: str = "utf-8", **kw: Any) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, **kw).writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")  # cp1252 has no Ŵ: "?"


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _fresh(rows: Rows, rng: random.Random) -> Rows:
    """The export with every id and card code new (consistently), so it is all new anywhere."""
    from ffmot.core import codes

    out = [list(r) for r in rows]
    ids: dict[str, str] = {}
    code_map: dict[str, str] = {}
    id_cols = [
        H[c]
        for c in (
            "participant_id",
            "event_id",
            "assessment_id",
            "previous_assessment_id",
            "result_id",
            "screening_id",
        )
    ]
    for r in out[1:]:
        for i in id_cols:
            if r[i]:
                r[i] = ids.setdefault(r[i], _uid(rng))
        c = r[H["participant_code"]]
        r[H["participant_code"]] = code_map.setdefault(c, codes.new_code(rng))
    return out


def _data_rows(rows: Rows) -> list[int]:
    return list(range(1, len(rows)))


def _text_cols() -> list[str]:
    return [
        "given_name",
        "family_name",
        "event",
        "venue",
        "organisation",
        "practitioner",
        "station",
        "phone",
        "email",
        "visit_notes",
        "visit_goals",
        "participant_notes",
        "result_recorded_by",
        "result_station",
        "screening_recorded_by",
    ]


# Each operator: (rng, base) -> Case parts (data, and optionally other settings).
Operator = Callable[[random.Random, Base_, int], Case]


def op_truncate(rng: random.Random, b: Base_, seed: int) -> Case:
    cut = rng.randrange(len(b.csv_bytes) // 20, len(b.csv_bytes) - 1)
    return Case("truncate", 0, b.csv_bytes[:cut], template=rng.choice(["same", "other"]))


def op_byte_flip(rng: random.Random, b: Base_, seed: int) -> Case:
    data = bytearray(b.csv_bytes)
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return Case(
        "byte flips",
        0,
        bytes(data),
        template=rng.choice(["same", "other"]),
        update=rng.random() < 0.5,
    )


def op_header(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = [list(r) for r in b.rows]
    head = rows[0]
    kinds = ["swap", "dup", "drop", "missing", "case", "spaces", "first_row", "empty"]
    kind = kinds[seed % len(kinds)]
    if kind == "swap":
        i, j = rng.sample(range(len(head)), 2)
        head[i], head[j] = head[j], head[i]
    elif kind == "dup":
        i = rng.randrange(len(head))
        at = rng.randrange(len(head) + 1)
        for r in rows:
            r.insert(at, r[i] if i < len(r) else "")
    elif kind == "drop":
        i = rng.randrange(len(head))
        for r in rows:
            del r[i]
    elif kind == "missing":
        rows = rows[1:]
    elif kind == "case":
        rows[0] = [h.upper() if rng.random() < 0.3 else h for h in head]
    elif kind == "spaces":
        rows[0] = [f" {h} " if rng.random() < 0.5 else h for h in head]
    elif kind == "first_row":
        rows[0] = rows[1]
    else:
        rows[0] = [""] * len(head)
    return Case(f"columns/header {kind}", 0, _csv(rows), template=rng.choice(["same", "other"]))


def op_swap_values(rng: random.Random, b: Base_, seed: int) -> Case:
    """Two columns' values swapped in the data but not the header."""
    rows = _fresh(b.rows, rng)
    i, j = rng.sample(range(len(COLUMNS)), 2)
    for r in rows[1:]:
        r[i], r[j] = r[j], r[i]
    return Case("swapped column values", 0, _csv(rows))


def op_delimiter(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    kind = [";", "\t", "|", "mixed", "semicolon-decimal"][seed % 5]
    if kind == "mixed":
        data = _csv(rows[:1], delimiter=";") + _csv(rows[1:], delimiter=",")
    elif kind == "semicolon-decimal":
        for r in rows[1:]:
            for c in ("value", "height_cm", "weight_kg"):
                r[H[c]] = r[H[c]].replace(".", ",")
        data = _csv(rows, delimiter=";")
    else:
        data = _csv(rows, delimiter=kind)
    return Case(f"delimiter {kind!r}", 0, data)


def op_encoding(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    names: dict[str, str] = {}
    for r in rows[1:]:
        r[H["given_name"]] = names.setdefault(
            r[H["participant_id"]], rng.choice(["Siân", "Zoë", "José", "Ærin", "Ŵyn", "Öz"])
        )
        r[H["visit_notes"]] = "café – 12° “quoted”"
    kinds = ["cp1252", "utf-16", "utf-8-sig", "invalid-utf8", "latin1-mixed", "utf-32"]
    kind = kinds[seed % len(kinds)]
    if kind == "invalid-utf8":
        data = bytearray(_csv(rows))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.choice([0xC3, 0xFF, 0x80, 0xED])
        data = bytes(data)
    elif kind == "latin1-mixed":
        data = _csv(rows[: len(rows) // 2]) + _csv(rows[len(rows) // 2 :], encoding="cp1252")
    else:
        for r in rows[1:]:
            r[H["visit_notes"]] = "café – 12°"
        data = _csv(rows, encoding=kind)
    return Case(f"encoding {kind}", 0, data, update=rng.random() < 0.3)


def op_huge_cell(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    r = rows[rng.choice(_data_rows(rows))]
    col = rng.choice(COLUMNS)
    size = rng.choice([101, 201, 4_001, 140_000, 300_000])
    r[H[col]] = rng.choice("xé") * size
    return Case(f"huge cell ({size:,})", 0, _csv(rows))


CONTROL = ["\x00", "\x1b[31m", "\x07", "\x08", "\u202e", "\u2066", "\u200f", "\ufeff", "\ud800"]


def op_control(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    for _ in range(rng.randint(1, 3)):
        r = rows[rng.choice(_data_rows(rows))]
        col = rng.choice(_text_cols())
        ch = rng.choice(CONTROL)
        text = r[H[col]] or "x"
        at = rng.randrange(len(text) + 1)
        r[H[col]] = text[:at] + ch + text[at:]
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    data = buf.getvalue().encode("utf-8", errors="surrogatepass")
    return Case("control/bidi characters", 0, data)


FORMULAS = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", '=HYPERLINK("http://x")', "=cmd|'/C calc'!A0"]


def op_formula(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    for _ in range(rng.randint(1, 4)):
        r = rows[rng.choice(_data_rows(rows))]
        col = rng.choice([*_text_cols(), "value", "test", "participant_code", "height_cm"])
        r[H[col]] = rng.choice(FORMULAS) + ("" if rng.random() < 0.5 else r[H[col]])
    return Case("formula cells", 0, _csv(rows))


NUMBERS = ["1e20", "NaN", "nan", "inf", "-inf", "-0", "12,5", "0x10", "1_000", " 12 ", "١٢"]
NUMBERS += ["12.5.1", "1e-400", "-1e400", "+7", ".5", "5.", "1e3", "99999999999999999999999"]


def op_numbers(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    cols = ["value", "height_cm", "weight_kg", "waist_cm", "strength_days", "sitting_hours"]
    cols += ["moderate_minutes", "screening_systolic", "trials", "percentile"]
    for _ in range(rng.randint(1, 3)):
        r = rows[rng.choice(_data_rows(rows))]
        col = rng.choice(cols)
        v = rng.choice(NUMBERS)
        r[H[col]] = f"{v} (right 1)" if col == "trials" else v
    return Case("odd numbers", 0, _csv(rows))


DATES = ["01/02/1950", "1950-02-30", "0000-01-01", "9999-12-31", "1950-1-2", "2026-06-01T10:00"]
DATES += ["", "yesterday", "1800-01-01", "2100-01-01", "20260601", "2026-13-01", "-2026-01-01"]
DATES += ["2026-06-01T25:00:00+00:00", "2026-06-01T10:00:00+99:00"]


def op_dates(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    cols = ["date_of_birth", "assessment_date", "event_date", "result_recorded_at"]
    cols += ["checked_in_at", "printed_at", "consent_keep_results_recorded_at"]
    for _ in range(rng.randint(1, 3)):
        r = rows[rng.choice(_data_rows(rows))]
        r[H[rng.choice(cols)]] = rng.choice(DATES)
    return Case("odd or impossible dates", 0, _csv(rows))


def _visits(rows: Rows) -> dict[str, tuple[str, str]]:
    """assessment id -> (participant id, date)."""
    return {
        r[H["assessment_id"]]: (r[H["participant_id"]], r[H["assessment_date"]]) for r in rows[1:]
    }


def op_other_visit(rng: random.Random, b: Base_, seed: int) -> Case:
    """A row's result put under another person's visit (one already here, or in the file)."""
    rows = [list(r) for r in b.rows]
    visits = _visits(rows)
    r = rows[rng.choice(_data_rows(rows))]
    others = [a for a, (p, _) in visits.items() if p != r[H["participant_id"]]]
    r[H["assessment_id"]] = rng.choice(others)
    if rng.random() < 0.5:
        r[H["result_id"]] = _uid(rng)
    return Case("another person's visit", 0, _csv(rows), template=rng.choice(["same", "other"]))


def op_self_previous(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng) if rng.random() < 0.5 else [list(r) for r in b.rows]
    aid = rows[rng.choice(_data_rows(rows))][H["assessment_id"]]
    for r in rows[1:]:
        if r[H["assessment_id"]] == aid:
            r[H["previous_assessment_id"]] = aid
    return Case("visit as its own previous", 0, _csv(rows), template=rng.choice(["same", "other"]))


def op_previous_cycle(rng: random.Random, b: Base_, seed: int) -> Case:
    """Two or three visits of one person, each naming the next as its previous one."""
    rows = _fresh(b.rows, rng)
    first = rows[1]
    n = rng.choice([2, 3])
    made: list[list[str]] = []
    ids = [_uid(rng) for _ in range(n)]
    for k in range(n):
        r = list(first)
        r[H["assessment_id"]] = ids[k]
        r[H["previous_assessment_id"]] = ids[(k + 1) % n]
        r[H["result_id"]] = _uid(rng)
        r[H["screening_id"]] = _uid(rng) if r[H["screening_id"]] else ""
        r[H["event_id"]] = _uid(rng)
        day = DAY + dt.timedelta(days=30 * (k + 1) * rng.choice([1, -1]))
        r[H["event_date"]] = r[H["assessment_date"]] = day.isoformat()
        r[H["event"]] = f"Cycle day {k}"
        made.append(r)
    return Case(f"previous-visit cycle of {n}", 0, _csv(rows + made))


def op_previous_other(rng: random.Random, b: Base_, seed: int) -> Case:
    """A visit whose previous visit is another person's, or a later one."""
    rows = [list(r) for r in b.rows]
    visits = _visits(rows)
    r = rows[rng.choice(_data_rows(rows))]
    mine = r[H["assessment_id"]]
    pick = rng.choice([a for a in visits if a != mine])
    for x in rows[1:]:
        if x[H["assessment_id"]] == mine:
            x[H["previous_assessment_id"]] = pick
    if rng.random() < 0.5:
        rows = _fresh(rows, rng)
    return Case("previous visit not own/earlier", 0, _csv(rows), template="other")


TESTS = ["juggling", "GRIP", "grip ", "chair-stand", "", "bmi;grip", "../etc/passwd", "grip\x00"]


def op_unknown_test(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    for _ in range(rng.randint(1, 2)):
        r = rows[rng.choice(_data_rows(rows))]
        col = rng.choice(["test", "test", "tests_offered", "screening_excluded_tests"])
        r[H[col]] = rng.choice(TESTS)
    return Case("unknown test ids", 0, _csv(rows))


def op_duplicates(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    for _ in range(rng.randint(1, 4)):
        r = list(rows[rng.choice(_data_rows(rows))])
        kind = rng.random()
        if kind < 0.4:
            r[H["result_id"]] = _uid(rng) if r[H["result_id"]] else ""  # a second result
        elif kind < 0.6:
            r[H["value"]] = str(float(r[H["value"]] or 0) + 1)  # the same id, another value
        rows.insert(rng.randrange(1, len(rows) + 1), r)
    return Case("duplicate rows", 0, _csv(rows))


def op_blank_lines(rng: random.Random, b: Base_, seed: int) -> Case:
    text = _csv(_fresh(b.rows, rng)).decode("utf-8")
    lines = text.split("\r\n")
    for _ in range(rng.randint(1, 6)):
        lines.insert(rng.randrange(1, len(lines)), rng.choice(["", " ", ",,,,", "\t", ";;"]))
    return Case("blank lines", 0, "\r\n".join(lines).encode("utf-8"))


def op_quoting(rng: random.Random, b: Base_, seed: int) -> Case:
    text = _csv(_fresh(b.rows, rng), quoting=csv.QUOTE_ALL).decode("utf-8")
    lines = text.split("\r\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(1, len(lines) - 1)
        line = lines[i]
        at = rng.randrange(len(line)) if line else 0
        bad = rng.choice(['"', '""', '"x"y"', "\r", '\\"', "\n"])
        lines[i] = line[:at] + bad + line[at:]
    if rng.random() < 0.3:
        lines[-2] = lines[-2] + ',"unterminated'
    return Case("quoting errors", 0, "\r\n".join(lines).encode("utf-8"))


def op_consent_screening(rng: random.Random, b: Base_, seed: int) -> Case:
    """Only what the file says about consent or screening changes: the station's rules hold."""
    rows = _fresh(b.rows, rng) if rng.random() < 0.7 else [list(r) for r in b.rows]
    pid = rows[rng.choice(_data_rows(rows))][H["participant_id"]]
    kinds = ["no consent", "declined", "withdrawn later", "do_not_test", "excluded"]
    kinds += ["incomplete", "no screening", "consent flipped", "declined untimed"]
    kind = kinds[seed % len(kinds)]
    ruled_out = "sit_and_reach;grip;chair_stand;up_and_go"
    for r in rows[1:]:
        if r[H["participant_id"]] != pid:
            continue
        if kind == "no consent":
            for c in COLUMNS:
                if c.startswith("consent_keep_results"):
                    r[H[c]] = ""
        elif kind == "declined untimed":
            r[H["consent_keep_results"]] = "no"
            r[H["consent_keep_results_recorded_at"]] = r[H["consent_keep_results_recorded_by"]] = ""
        elif kind in ("declined", "consent flipped"):
            r[H["consent_keep_results"]] = "no"
            r[H["consent_share_gp"]] = "yes" if kind == "consent flipped" else "no"
        elif kind == "withdrawn later":
            r[H["consent_keep_results"]] = "no"
            r[H["consent_keep_results_recorded_at"]] = "2020-01-01T00:00:00+00:00"
        elif kind == "do_not_test":
            r[H["screening_outcome"]] = "do_not_test"
        elif kind == "incomplete":
            r[H["screening_outcome"]] = "incomplete"
        elif kind == "excluded":
            r[H["screening_outcome"]] = "care"
            r[H["screening_excluded_tests"]] = ruled_out
        else:
            for c in COLUMNS:
                if c.startswith("screening_"):
                    r[H[c]] = ""
    fresh = rows[1][H["participant_id"]] != b.rows[1][H["participant_id"]]
    return Case(
        f"consent/screening: {kind}",
        0,
        _csv(rows),
        template="other" if fresh else "same",
        take_consents=rng.random() < 0.8,
    )


def op_garbage_fields(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _fresh(b.rows, rng)
    garbage = {
        "participant_id": ["", "not-a-uuid", "{" + _uid(rng) + "}", _uid(rng).upper()],
        "result_id": ["", "x", rows[1][H["assessment_id"]]],
        "sex": ["F", "woman", "", "FEMALE"],
        "done": ["Yes", "1", "true", ""],
        "reason": ["lazy", "", "declined\x00"],
        "training": ["maybe", ""],
        "participant_code": ["", "0000-000", "ZZZZ-ZZZ", "x" * 50],
        "consent_keep_results": ["maybe", "YES", "y"],
        "screening_answers": ["chest_pain=maybe", "nonsense", "chest_pain=no;chest_pain=yes"],
        "modifications": ["flying", "arms_used;arms_used"],
        "stop_reason": ["bored", "chest_pain"],
        "unit": ["furlongs", "KG", "lb"],
    }
    for _ in range(rng.randint(1, 3)):
        col = rng.choice(list(garbage))
        r = rows[rng.choice(_data_rows(rows))]
        r[H[col]] = rng.choice(garbage[col])
    return Case("garbage in fields", 0, _csv(rows))


# --- XLSX ---------------------------------------------------------------------------------------


def _workbook(rows: list[list[object]], extra: Callable[[Any], None] | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if extra is not None:
        extra(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _typed(rows: Rows) -> list[list[object]]:
    out: list[list[object]] = [list(rows[0])]
    for r in rows[1:]:
        cells: list[object] = list(r)
        for c in ("value", "height_cm", "weight_kg", "waist_cm", "moderate_minutes"):
            if r[H[c]]:
                cells[H[c]] = float(r[H[c]])
        out.append(cells)
    return out


def op_xlsx_cells(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _typed(_fresh(b.rows, rng))
    kinds = ["text in number", "date cells", "datetime with time", "bool", "int ids"]
    kinds += ["formula", "nan", "huge number", "old date", "none header"]
    kind = kinds[seed % len(kinds)]
    for _ in range(rng.randint(1, 3)):
        r = rows[rng.randrange(1, len(rows))]
        if kind == "text in number":
            r[H[rng.choice(["value", "height_cm", "weight_kg"])]] = rng.choice(["twenty", "12,5"])
        elif kind == "date cells":
            for c in ("date_of_birth", "assessment_date", "event_date"):
                r[H[c]] = dt.datetime.fromisoformat(str(r[H[c]]))
        elif kind == "datetime with time":
            r[H["date_of_birth"]] = dt.datetime(1950, 3, 14, 13, 45)
        elif kind == "bool":
            r[H[rng.choice(["done", "training", "consent_keep_results", "value"])]] = True
        elif kind == "int ids":
            r[H[rng.choice(["participant_id", "result_id", "participant_code"])]] = 12345
        elif kind == "formula":
            r[H[rng.choice(["value", "given_name", "test"])]] = "=1+1"
        elif kind == "nan":
            r[H["value"]] = rng.choice([math.inf, -math.inf, 1e308])
        elif kind == "huge number":
            r[H["value"]] = 10**30
        elif kind == "old date":
            r[H["assessment_date"]] = dt.datetime(1899, 12, 31)
        else:
            rows[0][rng.randrange(len(rows[0]))] = None
    return Case(f"xlsx {kind}", 0, _workbook(rows), suffix=".xlsx")


def op_xlsx_sheets(rng: random.Random, b: Base_, seed: int) -> Case:
    rows = _typed(_fresh(b.rows, rng))
    kind = ["extra after", "extra before", "empty", "header only", "csv inside"][seed % 5]

    def extra(wb: Any) -> None:
        if kind == "extra after":
            wb.create_sheet("notes").append(["nothing", "here"])
        elif kind == "extra before":
            ws = wb.create_sheet("cover", 0)
            ws.append(["ffmot export"])
            ws.append(["made by hand"])

    if kind == "empty":
        return Case("xlsx empty", 0, _workbook([]), suffix=".xlsx")
    if kind == "header only":
        return Case("xlsx header only", 0, _workbook(rows[:1]), suffix=".xlsx")
    if kind == "csv inside":
        return Case("xlsx that is a CSV", 0, b.csv_bytes, suffix=".xlsx")
    return Case(f"xlsx sheet {kind}", 0, _workbook(rows, extra), suffix=".xlsx")


def op_xlsx_zip(rng: random.Random, b: Base_, seed: int) -> Case:
    data = bytearray(b.xlsx_bytes)
    kind = ["truncated", "flipped", "lying size", "not a zip", "csv named xlsx"][seed % 5]
    if kind == "truncated":
        data = data[: rng.randrange(10, len(data) - 1)]
    elif kind == "flipped":
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] ^= 0xFF
    elif kind == "lying size":
        # The central directory says a part unpacks to nearly 4 GB; its data say otherwise.
        at = data.rfind(b"PK\x01\x02")
        data[at + 24 : at + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    elif kind == "not a zip":
        data = bytearray(rng.randbytes(2000))
    else:
        return Case("xlsx: CSV bytes", 0, b.csv_bytes, suffix=".xlsx", template="same")
    return Case(f"xlsx zip {kind}", 0, bytes(data), suffix=".xlsx", template="same")


def op_xlsx_huge_member(rng: random.Random, b: Base_, seed: int) -> Case:
    """A real workbook with one more part that unpacks far past any export."""
    kind = ["sheet part", "shared text", "extra part"][seed % 3]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(b.xlsx_bytes)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z,
    ):
        for item in src.infolist():
            if kind == "shared text" and item.filename.endswith("sharedStrings.xml"):
                continue
            z.writestr(item, src.read(item))
        name = {
            "shared text": "xl/sharedStrings.xml",
            "sheet part": "xl/worksheets/sheet9.xml",
            "extra part": "xl/media/image1.bin",
        }[kind]
        size = (70 if kind == "shared text" else 520) * (1 << 20)
        with z.open(name, "w", force_zip64=True) as part:
            chunk = b"<si><t>x</t></si>" * (1 << 16) if kind == "shared text" else b"\0" * (1 << 22)
            written = 0
            while written < size:
                part.write(chunk)
                written += len(chunk)
    return Case(f"xlsx huge member ({kind})", 0, out.getvalue(), suffix=".xlsx")


OPERATORS: list[tuple[Operator, int]] = [
    (op_truncate, 8),
    (op_byte_flip, 10),
    (op_header, 10),
    (op_swap_values, 6),
    (op_delimiter, 6),
    (op_encoding, 10),
    (op_huge_cell, 6),
    (op_control, 8),
    (op_formula, 6),
    (op_numbers, 8),
    (op_dates, 8),
    (op_other_visit, 6),
    (op_self_previous, 4),
    (op_previous_cycle, 4),
    (op_previous_other, 4),
    (op_unknown_test, 6),
    (op_duplicates, 6),
    (op_blank_lines, 4),
    (op_quoting, 8),
    (op_consent_screening, 18),
    (op_garbage_fields, 8),
    (op_xlsx_cells, 12),
    (op_xlsx_sheets, 5),
    (op_xlsx_zip, 8),
    (op_xlsx_huge_member, 2),
]


def cases(b: Base_) -> Iterator[Case]:
    # The unchanged export first, into both databases: it must come in (and change nothing
    # in the database it came from).
    yield Case("unchanged csv", 0, b.csv_bytes, template="same")
    yield Case("unchanged csv", 1, b.csv_bytes, template="other")
    yield Case("unchanged xlsx", 0, b.xlsx_bytes, suffix=".xlsx", template="other")
    for op, n in OPERATORS:
        for seed in range(n):
            rng = random.Random(f"{op.__name__}-{seed}")
            c = op(rng, b, seed)
            c.seed = seed
            yield c


# --- running one input ----------------------------------------------------------------------

Snapshot = dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]
KEPT = ("participant", "event", "assessment", "result", "trial", "consent", "screening")
KEPT += ("name_word",)
# What an update may change in a result that is already here (and its trials, replaced).
UPDATABLE = {"done", "reason", "stop_reason", "value", "unit", "modifications", "recorded_by"}
UPDATABLE |= {"station", "updated_at", "version", "lineage"}


def snapshot(db: Database) -> Snapshot:
    out: Snapshot = {}
    with db.transaction() as s:
        for t in Base.metadata.sorted_tables:
            pk = [c.name for c in t.primary_key]
            names = [c.name for c in t.columns]
            out[t.name] = {}
            for row in s.execute(select(t)).mappings():
                out[t.name][tuple(row[k] for k in pk)] = tuple(repr(row[n]) for n in names)
    return out


def _columns(table: str) -> list[str]:
    return [c.name for c in Base.metadata.tables[table].columns]


BAD_MESSAGE = re.compile(
    r"Traceback|object at 0x|^\s*File \"|\b\w+(Error|Exception)\(|<class '|\\x[0-9a-f]{2}"
)


def message_problem(e: BaseException) -> str | None:
    texts = [str(e)] + (list(e.problems) if isinstance(e, ImportRefused) else [])
    if not texts[0].strip():
        return "an empty refusal"
    for t in texts:
        if not t.strip():
            return "an empty problem line"
        m = BAD_MESSAGE.search(t)
        if m:
            return f"Python's inner workings in the message ({m.group()!r}): {t[:200]}"
    return None


def run_bounded(fn: Callable[[], Any], bound: float = BOUND) -> tuple[str, Any]:
    """('ok', value) | ('raised', exception) | ('hung', None)."""
    return ledger.bounded(fn, bound)


def lost(before: Snapshot, after: Snapshot, accepted: bool, update: bool) -> list[str]:
    if not accepted:
        return [f"{t}: changed by a refused import" for t in before if before[t] != after[t]]
    out: list[str] = []
    result_cols = _columns("result")
    updated: set[Any] = set()
    for t in KEPT:
        for key, row in before[t].items():
            new = after[t].get(key)
            if new == row:
                continue
            if t == "result" and new is not None and update:
                changed = {c for c, x, y in zip(result_cols, row, new, strict=True) if x != y}
                if changed <= UPDATABLE:
                    updated.add(repr(key[0]))
                    continue
            if t == "trial" and update:
                continue  # checked below: only the trials of a result that was updated
            out.append(f"{t} {key}: {'gone' if new is None else 'changed'}")
    trial_cols = _columns("trial")
    ri = trial_cols.index("result_id")
    for key, row in before["trial"].items():
        if after["trial"].get(key) != row and row[ri] not in updated:
            out.append(f"trial {key} of a result not updated: gone or changed")
    return out


@dataclass
class Accepted:
    rows: list[dict[str, str]]
    before: Snapshot
    started: dt.datetime = dt.datetime.min  # when the import began (naive UTC)


def wrong(db: Database, acc: Accepted) -> list[str]:
    """What an accepted import stored that the station would not have."""
    from ffmot.store.models import Assessment, Consent, Event, Participant, Result, Screening

    ns = default_norm_set()
    fields = entry.measurement_fields(ns.battery.values())
    out: list[str] = []
    before_ids = {t: {k[0] for k in acc.before[t]} for t in KEPT}
    with db.transaction() as s:
        visits = {a.id: a for a in s.scalars(select(Assessment))}
        people = {p.id: p for p in s.scalars(select(Participant))}
        # Each file row's result is stored under the row's own visit and person.
        for r in acc.rows:
            rid = r.get("result_id", "").strip()
            try:
                rid = str(uuid.UUID(rid))
                aid = str(uuid.UUID(r.get("assessment_id", "").strip()))
                pid = str(uuid.UUID(r.get("participant_id", "").strip()))
            except ValueError:
                continue
            stored = s.get(Result, rid)
            if stored is None:
                continue
            v = visits[stored.assessment_id]
            if stored.assessment_id != aid or v.participant_id != pid:
                out.append(f"result {rid[:8]} stored under another visit or person")
        for a in visits.values():
            seen: set[str] = {a.id}
            cur = a
            while cur.previous_id is not None:
                prev = visits.get(cur.previous_id)
                if prev is None:
                    out.append(f"visit {a.id[:8]}: its previous visit is not here")
                    break
                if prev.participant_id != cur.participant_id or prev.assessed_on >= cur.assessed_on:
                    out.append(f"visit {cur.id[:8]}: previous visit not the same person's/earlier")
                    break
                if prev.id in seen:
                    out.append(f"visit {a.id[:8]}: previous visits loop")
                    break
                seen.add(prev.id)
                cur = prev
            for key in ("height_cm", "weight_kg", "waist_cm", "moderate_minutes", "sitting_hours"):
                val = getattr(a, key)
                if val is not None:
                    try:
                        entry.check_measurement(fields, key, float(val))
                    except FfmotError as e:
                        out.append(f"visit {a.id[:8]}: {e}")
            for text, limit, multi in (
                (a.notes, R.MAX_NOTES, True),
                (a.goals, R.MAX_NOTES, True),
                (a.practitioner, 100, False),
                (a.station, 100, False),
            ):
                if textrules.bad_character(text or "", multi) or len(text or "") > limit:
                    out.append(f"visit {a.id[:8]}: text the screen refuses: {text[:40]!r}")
            p = people[a.participant_id]
            if p.date_of_birth > a.assessed_on:
                out.append(f"visit {a.id[:8]}: born after the visit")
        for p in people.values():
            for text, limit in ((p.given_name, R.MAX_NAME), (p.family_name, R.MAX_NAME)):
                try:
                    tidy = textrules.line(text, limit, "name")
                except FfmotError:
                    tidy = None
                if not text or tidy != text:
                    out.append(f"participant {p.id[:8]}: a name the screen refuses: {text!r}")
            for text, limit, multi in (
                (p.phone, 40, False),
                (p.email, 200, False),
                (p.notes, R.MAX_NOTES, True),
            ):
                if textrules.bad_character(text or "", multi) or len(text or "") > limit:
                    out.append(f"participant {p.id[:8]}: text the screen refuses: {text!r}")
        for e in s.scalars(select(Event)):
            for text in (e.name, e.venue, e.organisation):
                if textrules.bad_character(text or "") or len(text or "") > 200:
                    out.append(f"MOT day {e.id[:8]}: text the screen refuses: {text[:40]!r}")
        # No consent decision is taken from a file for someone already here.
        for c in s.scalars(select(Consent)):
            if c.id not in before_ids["consent"] and c.participant_id in before_ids["participant"]:
                out.append(f"a consent decision taken from the file for {c.participant_id[:8]}")
        # Every result stored: a plausible number; and each new one allowed as at the station.
        latest_screening: dict[str, Screening] = {}
        for sc in s.scalars(select(Screening).order_by(Screening.recorded_at, Screening.id)):
            latest_screening[sc.assessment_id] = sc
        for res in s.scalars(select(Result)):
            test = ns.battery.get(res.test_id)
            if test is None:
                out.append(f"result {res.id[:8]}: unknown test {res.test_id!r}")
                continue
            if res.done:
                try:
                    if res.value is None:
                        raise FfmotError("done with no value")
                    check_value(test, res.value, res.unit)
                except FfmotError as e:
                    out.append(f"result {res.id[:8]}: {e}")
            for t in res.trials:
                if t.value is None or not math.isfinite(t.value):
                    out.append(f"result {res.id[:8]}: a trial that is not a number")
            if res.id in before_ids["result"]:
                continue
            v = visits[res.assessment_id]
            saved = res.updated_at or res.recorded_at
            if not R.keeps_results(s, v.participant_id):
                withdrew = s.scalar(
                    select(Consent.recorded_at)
                    .where(
                        Consent.participant_id == v.participant_id,
                        Consent.purpose == "keep_results",
                    )
                    .order_by(Consent.recorded_at.desc(), Consent.id.desc())
                    .limit(1)
                )
                # Saved before a withdrawal is kept (as a merge keeps it); a "no" stamped
                # during the import is one the file gave no time for: nothing came before it.
                if (
                    withdrew is None
                    or not _naive(saved) < _naive(withdrew)
                    or _naive(withdrew) >= acc.started
                ):
                    out.append(
                        f"result {res.id[:8]} ({res.test_id}) for someone who has not agreed "
                        "to keep their results"
                    )
            sc = latest_screening.get(res.assessment_id)
            if (
                res.done
                and sc is not None
                and (
                    sc.outcome in (screening.INCOMPLETE, screening.DO_NOT_TEST)
                    or res.test_id in (sc.excluded_tests or ())
                )
            ):
                out.append(
                    f"result {res.id[:8]} ({res.test_id}) done though the screening says "
                    f"{sc.outcome} / rules out {sc.excluded_tests}"
                )
            if res.done and sc is None:
                out.append(f"result {res.id[:8]} ({res.test_id}) done with no screening")
    return out


def _naive(v: dt.datetime) -> dt.datetime:
    return v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo else v


def _file_rows(path: Path) -> list[dict[str, str]]:
    return [
        {k: restore(v.strip()) for k, v in row.items() if isinstance(k, str)}
        for _line, row in read_table(path)
    ]


OUTCOMES: dict[str, list[str]] = {}  # operator -> 'ok' or 'raised' per input (for reading)


def attack_one(b: Base_, case: Case, work: Path, a: ledger.Attack) -> None:
    a.tried += 1
    label = f"{case.name} ({case.template}{', update' if case.update else ''})"
    path = work / f"input{case.suffix}"
    path.write_bytes(case.data)
    dbfile = work / "ffmot.db"
    for f in work.glob("ffmot.db*"):
        f.unlink()
    copy_db_file(b.templates[case.template], dbfile)
    db = connect(str(dbfile))
    hung = False
    try:
        before = snapshot(db)
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        how, value = run_bounded(
            lambda: import_file(
                db, ACTOR, path, update=case.update, take_consents=case.take_consents
            )
        )
        if how == "hung":
            hung = True
            a.problem("hung", f"{label}: no answer within {BOUND:.0f} s")
            return
        if how == "raised":
            if not isinstance(value, FfmotError):
                a.problem("uncaught", f"{label}: {type(value).__name__}: {value}"[:400])
                return
            bad = message_problem(value)
            if bad:
                a.problem("uncaught", f"{label}: {bad}")
        after = snapshot(db)
        gone = lost(before, after, accepted=how == "ok", update=case.update)
        if gone:
            a.problem("lost", f"{label}: {'; '.join(gone[:3])}")
        OUTCOMES.setdefault(case.operator.split(" (")[0].split(":")[0], []).append(how)
        if how == "ok":
            found = wrong(db, Accepted(_file_rows(path), before, started))
            if found:
                a.problem("wrong", f"{label}: {'; '.join(found[:3])}")
    finally:
        if not hung:
            db.close()


def test_generated_malformed_import_files(base: Base_, tmp_path: Path) -> None:
    a = ledger.attack(ATTACK)
    work = tmp_path / "work"
    work.mkdir()
    with a.timed():
        for case in cases(base):
            attack_one(base, case, work, a)
    assert a.tried >= 150, a.tried
    for op, seen in sorted(OUTCOMES.items()):
        print(f"{op}: {len(seen)} inputs, {seen.count('ok')} accepted")
    # Some damaged files must still come in (else the checks of accepted imports never ran).
    assert sum(seen.count("ok") for seen in OUTCOMES.values()) >= 20
    a.check()


def test_the_attack_can_see_each_kind_of_failure(base: Base_, tmp_path: Path) -> None:
    """The checks are real: each one catches the failure it is for (a database changed behind
    the import's back, a message that shows a repr, a result for someone not screened)."""
    work = tmp_path / "work"
    work.mkdir()
    copy_db_file(base.templates["other"], work / "x.db")
    db = connect(str(work / "x.db"))
    try:
        before = snapshot(db)
        with db.transaction() as s:
            from ffmot.store.models import Participant

            p = s.scalars(select(Participant)).first()
            assert p is not None
            p.given_name = "Changed\u202e"
        after = snapshot(db)
        assert lost(before, after, accepted=False, update=False)
        assert lost(before, after, accepted=True, update=True)
        assert wrong(db, Accepted([], before))  # a name the screen refuses
    finally:
        db.close()
    assert message_problem(FfmotError("bad value ValueError('x')"))
    assert message_problem(ImportRefused(["line 2: <ffmot.X object at 0x7f>"]))
    assert message_problem(FfmotError(""))
    assert message_problem(FfmotError("line 2: value 'x' is not a number")) is None
    assert run_bounded(lambda: threading.Event().wait(5), bound=0.2)[0] == "hung"
