"""Scoring many rows at once: parse each row, then score each test's rows as one numpy batch."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from ffmot.core import units
from ffmot.core.ages import age_on, parse_age, parse_date, parse_number
from ffmot.core.battery import TestDef
from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.core.norms import SEX_INDEX, NormSet, PercentileTable, ThresholdTable
from ffmot.core.scoring import (
    BANDS,
    NOT_CLASSIFIED,
    check_value,
    classify,
    criteria,
    flag_masks,
    in_unit,
    score,
    why_not,
)
from ffmot.core.vocabulary import parse_sex

INPUT_COLUMNS = ("test", "sex", "age", "dob", "date", "value", "unit")
OUTPUT_COLUMNS = (
    "age_used",
    "unit_used",
    "band",
    "percentile",
    "range_low",
    "range_high",
    "flags",
    "criterion_met",
    "source",
    "message",
)


@dataclass
class _Parsed:
    test: str
    sex: str
    age: int
    value: float
    unit: str


@dataclass(frozen=True)
class _Refused:
    message: str


def _attempt(work: Callable[..., object], *args: object) -> object:
    """What `work(*args)` gives, or its refusal kept as a message (raised or written later)."""
    try:
        return work(*args)
    except InputError as e:
        return _Refused(str(e))


def score_rows(
    rows: Iterable[Mapping[str, str | None]], ns: NormSet, today: dt.date | None = None
) -> list[dict[str, str]]:
    """One output dict per input row, in order: the input's own columns plus OUTPUT_COLUMNS.

    A row that cannot be scored gets band 'error' and a message; the others still score.
    """
    inputs = [dict(r) for r in rows]
    header = list(dict.fromkeys(k for r in inputs for k in r if k is not None))
    table = (  # a row DictReader found too long (its key None) stays too long for score_table
        [("" if r.get(k) is None else str(r.get(k))) for k in header]
        + (["\0"] if None in r else [])
        for r in inputs
    )
    out: list[dict[str, str]] = []
    for chunk in score_table(header, table, ns, today):
        for cells in chunk:
            out.append(dict(zip(header + list(OUTPUT_COLUMNS), cells, strict=True)))
    return out


CHUNK = 20_000  # rows scored as one numpy batch: large enough to be fast, small enough to stream


def score_table(
    header: Sequence[str],
    rows: Iterable[list[str]],
    ns: NormSet,
    today: dt.date | None = None,
    chunk: int = CHUNK,
) -> Iterator[list[list[str]]]:
    """Scores a table as it is read: yields, a chunk at a time, each row's own cells padded to
    the header, then the OUTPUT_COLUMNS. Memory is flat in the length of the table.

    A row longer than the header gets band 'error' and a message; the others still score.
    """
    day = today or dt.date.today()
    width = len(header)
    where = {h: i for i, h in enumerate(header)}
    it = iter(rows)
    while True:
        block = list(itertools.islice(it, chunk))
        if not block:
            return
        yield _score_block(block, width, where, ns, day)


def _parse_block(
    block: list[list[str]], width: int, where: dict[str, int], ns: NormSet, today: dt.date
) -> tuple[list[_Parsed | None], list[str]]:
    """Each row parsed, or None and why not. Column by column: each distinct cell is parsed
    once per block (a million-row batch repeats a dozen tests, a few sexes, forty ages and a
    few thousand values), and a row's first problem, in column order, is the one it is told."""
    n = len(block)

    def column(name: str) -> list[str]:
        i = where.get(name)
        if i is None:
            return [""] * n
        return [r[i].strip() if i < len(r) else "" for r in block]

    tests, sexes, ages, dobs = column("test"), column("sex"), column("age"), column("dob")
    dates, values, unit_texts = column("date"), column("value"), column("unit")
    test_of = {t: _attempt(ns.test, t.lower()) for t in set(tests) if t}
    sex_of = {x: _attempt(parse_sex, x) for x in set(sexes)}
    age_of = {x: _attempt(parse_age, x) for x in set(ages) if x}
    unit_of: dict[tuple[str, str], object] = {}
    value_of: dict[tuple[str, str, str], object] = {}
    parsed: list[_Parsed | None] = [None] * n
    problems = [""] * n
    for j in range(n):
        if len(block[j]) > width:
            problems[j] = _("this row has more fields than the header")
            continue
        t = tests[j]
        if not t:
            problems[j] = _("no test given")
            continue
        test = test_of[t]
        if isinstance(test, _Refused):
            problems[j] = test.message
            continue
        assert isinstance(test, TestDef)
        sex = sex_of[sexes[j]]
        if isinstance(sex, _Refused):
            problems[j] = sex.message
            continue
        try:
            age = _age(ages[j], age_of, dobs[j], dates[j], today)
        except InputError as e:
            problems[j] = str(e)
            continue
        if not values[j]:
            problems[j] = _("no value given")
            continue
        ukey = (test.id, unit_texts[j])
        unit = unit_of.get(ukey)
        if unit is None:
            unit = unit_of[ukey] = _attempt(
                units.normalise_unit, ukey[1], test.units, test.unit, _(test.short_name)
            )
        if isinstance(unit, _Refused):
            problems[j] = unit.message
            continue
        assert isinstance(unit, str)
        vkey = (test.id, unit, values[j])
        value = value_of.get(vkey)
        if value is None:
            value = value_of[vkey] = _attempt(_checked, test, unit, vkey[2])
        if isinstance(value, _Refused):
            problems[j] = value.message
            continue
        assert isinstance(value, float)
        parsed[j] = _Parsed(test.id, cast(str, sex), age, value, unit)
    return parsed, problems


def _age(text: str, age_of: dict[str, object], dob: str, on: str, today: dt.date) -> int:
    if text:
        age = age_of[text]
        if isinstance(age, _Refused):
            raise InputError(age.message)
        assert isinstance(age, int)
        if dob:
            dob_age = age_on(parse_date(dob, "dob"), parse_date(on, "date") if on else today)
            if dob_age != age:
                raise InputError(
                    _(
                        "age {age} does not match the date of birth (age {dob_age})",
                        age=age,
                        dob_age=dob_age,
                    )
                )
        return age
    if dob:
        return age_on(parse_date(dob, "dob"), parse_date(on, "date") if on else today)
    raise InputError(_("give either age, or dob (and date)"))


def _checked(test: TestDef, unit: str, text: str) -> float:
    v = parse_number(text, "value")
    check_value(test, v, unit)
    return v


def _score_block(
    block: list[list[str]], width: int, where: dict[str, int], ns: NormSet, today: dt.date
) -> list[list[str]]:
    blank = [""] * len(OUTPUT_COLUMNS)
    out = [(row + [""] * (width - len(row)))[:width] + blank for row in block]
    parsed, problems = _parse_block(block, width, where, ns, today)
    by_test: dict[str, list[int]] = {}
    for i, p in enumerate(parsed):
        if p is None:
            out[i][width + _BAND], out[i][width + _MESSAGE] = "error", problems[i]
        else:
            by_test.setdefault(p.test, []).append(i)
    for test_id, idx in by_test.items():
        table = ns.tables.get(test_id)
        views = [_Out(out[i], width) for i in idx]
        if table is None:  # BMI, waist, activity: few rows, scored one by one
            for view, i in zip(views, idx, strict=True):
                p = parsed[i]
                assert p is not None
                _fill_single(view, p, ns)
            continue
        _fill_batch(views, [parsed[i] for i in idx], ns, table)
    for o, p in zip(out, parsed, strict=True):
        if p is not None:
            o[width + _AGE_USED], o[width + _UNIT_USED] = str(p.age), p.unit
    return out


_AGE_USED, _UNIT_USED, _BAND = 0, 1, 2
_MESSAGE = len(OUTPUT_COLUMNS) - 1
_AT = {c: i for i, c in enumerate(OUTPUT_COLUMNS)}


class _Out:
    """One output row's OUTPUT_COLUMNS, set by name."""

    __slots__ = ("row", "width")

    def __init__(self, row: list[str], width: int) -> None:
        self.row, self.width = row, width

    def __setitem__(self, column: str, cell: str) -> None:
        self.row[self.width + _AT[column]] = cell


def _fill_single(o: _Out, p: _Parsed, ns: NormSet) -> None:
    r = score(p.test, p.sex, p.age, p.value, p.unit, norms=ns)
    o["band"] = r.band
    o["flags"] = ";".join(f.id for f in r.flags)
    o["source"] = r.source
    o["message"] = _(r.reading) if r.reading else r.said_reason()


def _fill_batch(
    out: list[_Out],
    rows: list[_Parsed | None],
    ns: NormSet,
    table: PercentileTable | ThresholdTable,
) -> None:
    ps = [p for p in rows if p is not None]
    test = ns.battery[ps[0].test]
    sex = np.array([SEX_INDEX.get(p.sex, -1) for p in ps], dtype=np.int64)
    age = np.array([p.age for p in ps], dtype=np.int64)
    unit_codes = [p.unit for p in ps]
    to_norm = np.array([units.factor(u, test.norm_unit) for u in unit_codes])
    to_test = np.array([units.factor(u, test.unit) for u in unit_codes])
    raw = np.array([p.value for p in ps])
    v_norm = raw * to_norm
    c = classify(table, test, sex, age, v_norm)
    masks = flag_masks(ns.flags.get(test.id, ()), sex, age, raw * to_test)
    crit_row, _standard, crit_met = criteria(ns, test, sex, age, v_norm)
    cites = [ns.cite(r) for r in table.rows]
    # Written straight into each row; each distinct range is formatted once.
    at = out[0].width if out else 0
    band_at, flags_at, message_at = at + _AT["band"], at + _AT["flags"], at + _AT["message"]
    source_at, pct_at, low_at = at + _AT["source"], at + _AT["percentile"], at + _AT["range_low"]
    crit_at = at + _AT["criterion_met"]
    bands, rows_of, pcts = c.band.tolist(), c.row.tolist(), c.percentile.tolist()
    crit_rows, met = crit_row.tolist(), crit_met.tolist()
    flagged = [[rule.id for rule, m in masks if m[j]] for j in range(len(ps))] if masks else None
    lows, highs = c.low.tolist(), c.high.tolist()
    ranges: dict[tuple[float, float, str], tuple[str, str]] = {}
    for j, view in enumerate(out):
        o, u, band = view.row, unit_codes[j], bands[j]
        o[band_at] = BANDS[band]
        if flagged and flagged[j]:
            o[flags_at] = ";".join(flagged[j])
        if band == NOT_CLASSIFIED:
            o[message_at] = why_not(table, test, ps[j].sex, ps[j].age).said()
            continue
        r = rows_of[j]
        o[source_at] = cites[r]
        if pcts[j] == pcts[j]:  # not NaN
            o[pct_at] = _PERCENT[int(pcts[j])]
        key = (lows[j], highs[j], u)
        span = ranges.get(key)
        if span is None:
            span = ranges[key] = (
                f"{in_unit(lows[j], test, u):g}",
                f"{in_unit(highs[j], test, u):g}",
            )
        o[low_at], o[low_at + 1] = span
        if crit_rows[j] >= 0:
            o[crit_at] = "yes" if met[j] else "no"


_PERCENT = [str(i) for i in range(101)]
