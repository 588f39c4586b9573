"""Scoring many rows at once: parse each row, then score each test's rows as one numpy batch.

A chunk whose every row parses is parsed and its cells written a column at a time
(`_clean_block`, `_score_clean`); a chunk with any row that cannot be scored goes row by row
(`_parse_block`, `_score_rows`), which tells each row its own first problem.

Why one room: the two ways must write exactly the same cells from the same parsers and the
same scoring (tests/core/test_batch_columns.py holds them equal); kept side by side, a change
to one is seen next to the other."""

from __future__ import annotations

import datetime as dt
import gc
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt

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
    the header, then the OUTPUT_COLUMNS (a row as wide as the header may be the list given,
    extended). Memory is flat in the length of the table.

    A row longer than the header gets band 'error' and a message; the others still score.

    Python's cycle collector is paused while a chunk is read and scored: each chunk makes a
    list per row and many more objects, none in a cycle (they go when their last reference
    does), and the collector kept walking them all (a tenth of a million-row batch's time).
    """
    day = today or dt.date.today()
    width = len(header)
    where = {h: i for i, h in enumerate(header)}
    it = iter(rows)
    while True:
        collecting = gc.isenabled()
        gc.disable()
        try:
            block = list(itertools.islice(it, chunk))
            scored = _score_block(block, width, where, ns, day) if block else None
        finally:
            if collecting:
                gc.enable()
        if scored is None:
            return
        yield scored


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


@dataclass
class _Group:
    """One test's rows of a block whose every row parsed, as columns."""

    test: TestDef
    rows: npt.NDArray[np.int64]  # where they are in the block
    sexes: list[str]
    ages: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    units: list[str]


def _score_block(
    block: list[list[str]], width: int, where: dict[str, int], ns: NormSet, today: dt.date
) -> list[list[str]]:
    groups = _clean_block(block, width, where, ns, today)
    if groups is None:
        return _score_rows(block, width, where, ns, today)
    return _score_clean(block, groups, ns)


def _clean_block(
    block: list[list[str]], width: int, where: dict[str, int], ns: NormSet, today: dt.date
) -> list[_Group] | None:
    """The block parsed a column at a time, a test at a time, when every row is as wide as
    the header and every cell parses; None otherwise (the block is then parsed row by row,
    `_parse_block`, which tells each row its first problem). Each distinct cell (or cells
    read together) is parsed once, by the same functions as row by row."""
    n = len(block)
    if n == 0 or set(map(len, block)) != {width}:
        return None
    columns = list(zip(*block, strict=True))

    def column(name: str) -> list[str]:
        i = where.get(name)
        return [""] * n if i is None else list(map(str.strip, columns[i]))

    tests, sexes, ages, dobs = column("test"), column("sex"), column("age"), column("dob")
    dates, values, unit_texts = column("date"), column("value"), column("unit")
    test_of = {t: _attempt(ns.test, t.lower()) for t in set(tests)}
    sex_of = {x: _attempt(parse_sex, x) for x in set(sexes)}
    age_of = {x: _attempt(parse_age, x) for x in set(ages) if x}
    age_at: dict[Any, object]
    if set(dobs) == {""} and set(dates) == {""}:  # ages alone, as most files give them
        age_at = {x: _attempt(_age, x, age_of, "", "", today) for x in set(ages)}
        age_list = list(map(age_at.__getitem__, ages))
    else:
        when = list(zip(ages, dobs, dates, strict=True))
        age_at = {k: _attempt(_age, k[0], age_of, k[1], k[2], today) for k in set(when)}
        age_list = list(map(age_at.__getitem__, when))
    if (
        "" in values
        or not all(isinstance(x, TestDef) for x in test_of.values())
        or not all(isinstance(x, str) for x in sex_of.values())
        or not all(isinstance(x, int) for x in age_at.values())  # (each row's is one)
    ):
        return None
    cell_at = {t: k for k, t in enumerate(test_of)}
    which = np.fromiter(map(cell_at.__getitem__, tests), np.int64, n)
    sex_all = np.array(list(map(sex_of.__getitem__, sexes)), dtype=object)
    age_all = np.array(age_list, dtype=np.int64)
    unit_all = np.array(unit_texts, dtype=object)
    value_all = np.array(values, dtype=object)
    groups = []
    for cell, k in cell_at.items():
        test = cast(TestDef, test_of[cell])
        idx = np.flatnonzero(which == k)
        typed_units = unit_all[idx].tolist()
        unit_of = {
            u: _attempt(units.normalise_unit, u, test.units, test.unit, _(test.short_name))
            for u in set(typed_units)
        }
        if not all(isinstance(u, str) for u in unit_of.values()):
            return None
        unit_list = cast(list[str], list(map(unit_of.__getitem__, typed_units)))
        texts = value_all[idx].tolist()
        value_of: dict[Any, object]
        if len(set(unit_list)) == 1:  # one unit: each value's text is its key
            value_of = {v: _attempt(_checked, test, unit_list[0], v) for v in set(texts)}
            got = list(map(value_of.__getitem__, texts))
        else:
            keyed = list(zip(unit_list, texts, strict=True))
            value_of = {kv: _attempt(_checked, test, kv[0], kv[1]) for kv in set(keyed)}
            got = list(map(value_of.__getitem__, keyed))
        if not all(isinstance(v, float) for v in value_of.values()):
            return None
        groups.append(
            _Group(
                test,
                idx,
                sex_all[idx].tolist(),
                age_all[idx],
                np.array(got, dtype=np.float64),
                unit_list,
            )
        )
    # Groups of one test typed two ways ("grip", "Grip") are scored apart: the same rows.
    return groups


def _score_clean(block: list[list[str]], groups: list[_Group], ns: NormSet) -> list[list[str]]:
    """Each row's own cells, then OUTPUT_COLUMNS: each test's rows scored as one numpy batch
    and their cells made a column at a time, each distinct cell text made once."""
    n = len(block)
    cells = {name: np.full(n, "", dtype=object) for name in OUTPUT_COLUMNS}
    for g in groups:
        ages_text = {a: str(a) for a in set(g.ages.tolist())}
        cells["age_used"][g.rows] = list(map(ages_text.__getitem__, g.ages.tolist()))
        cells["unit_used"][g.rows] = g.units
        table = ns.tables.get(g.test.id)
        if table is None:  # BMI, waist, activity: scored one by one
            _singles(cells, g, ns)
        else:
            _columns_of(cells, g, ns, table)
    made = zip(*(cells[k].tolist() for k in OUTPUT_COLUMNS), strict=True)
    for row, more in zip(block, made, strict=True):
        row.extend(more)  # (the rows read, each a new list: not copied again)
    return block


def _singles(cells: dict[str, npt.NDArray[np.object_]], g: _Group, ns: NormSet) -> None:
    for j, i in enumerate(g.rows.tolist()):
        one = [""] * len(OUTPUT_COLUMNS)
        p = _Parsed(g.test.id, g.sexes[j], int(g.ages[j]), float(g.values[j]), g.units[j])
        _fill_single(_Out(one, 0), p, ns)
        for k, name in enumerate(OUTPUT_COLUMNS):
            if one[k]:
                cells[name][i] = one[k]


_BAND_TEXT = np.array(BANDS, dtype=object)
_PERCENT_TEXT = np.array([str(i) for i in range(101)], dtype=object)


def _columns_of(
    cells: dict[str, npt.NDArray[np.object_]],
    g: _Group,
    ns: NormSet,
    table: PercentileTable | ThresholdTable,
) -> None:
    """One test's rows scored and written into the output columns, as `_fill_batch` writes
    them row by row."""
    test = g.test
    sex_at = {x: SEX_INDEX.get(x, -1) for x in set(g.sexes)}
    sex = np.fromiter(map(sex_at.__getitem__, g.sexes), np.int64, len(g.sexes))
    factors = {
        u: (units.factor(u, test.norm_unit), units.factor(u, test.unit)) for u in set(g.units)
    }
    to_norm = np.array([factors[u][0] for u in g.units])
    to_test = np.array([factors[u][1] for u in g.units])
    v_norm = g.values * to_norm
    k = classify(table, test, sex, g.ages, v_norm)
    masks = flag_masks(ns.flags.get(test.id, ()), sex, g.ages, g.values * to_test)
    crit_row, _standard, crit_met = criteria(ns, test, sex, g.ages, v_norm)
    idx = g.rows
    cells["band"][idx] = _BAND_TEXT[k.band]
    if masks:
        code = np.zeros(idx.size, dtype=np.int64)
        for bit, (_rule, m) in enumerate(masks):
            code |= m.astype(np.int64) << bit
        said = {
            x: ";".join(rule.id for bit, (rule, _m) in enumerate(masks) if x >> bit & 1)
            for x in set(code.tolist())
        }
        cells["flags"][idx] = list(map(said.__getitem__, code.tolist()))
    compared = k.band != NOT_CLASSIFIED
    for j in np.flatnonzero(~compared).tolist():  # not compared: why, in words
        cells["message"][idx[j]] = why_not(table, test, g.sexes[j], int(g.ages[j])).said()
    at = idx[compared]
    if not at.size:
        return
    cites = np.array([ns.cite(r) for r in table.rows], dtype=object)
    cells["source"][at] = cites[k.row[compared]]
    pct = k.percentile[compared]
    known = ~np.isnan(pct)
    cells["percentile"][at[known]] = _PERCENT_TEXT[pct[known].astype(np.int64)]
    unit_of_row = np.array(g.units, dtype=object)[compared].tolist()
    keys = list(zip(k.low[compared].tolist(), k.high[compared].tolist(), unit_of_row, strict=True))
    span = {
        key: (f"{in_unit(key[0], test, key[2]):g}", f"{in_unit(key[1], test, key[2]):g}")
        for key in set(keys)
    }
    cells["range_low"][at] = [span[key][0] for key in keys]
    cells["range_high"][at] = [span[key][1] for key in keys]
    judged = crit_row[compared] >= 0
    met = np.where(crit_met[compared], "yes", "no").astype(object)
    cells["criterion_met"][at[judged]] = met[judged]


def _score_rows(
    block: list[list[str]], width: int, where: dict[str, int], ns: NormSet, today: dt.date
) -> list[list[str]]:
    """A block with a row that cannot be scored: parsed and scored row by row."""
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
