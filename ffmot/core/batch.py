"""Scoring many rows at once: parse each row, then score each test's rows as one numpy batch."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ffmot.core import units
from ffmot.core.ages import age_on, parse_age, parse_date, parse_number
from ffmot.core.errors import FfmotError, InputError
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


def parse_row(row: Mapping[str, str | None], ns: NormSet, today: dt.date) -> _Parsed:
    def get(key: str) -> str:
        return (row.get(key) or "").strip()

    if not get("test"):
        raise InputError(_("no test given"))
    test = ns.test(get("test").lower())
    sex = parse_sex(get("sex"))
    if get("age"):
        age = parse_age(get("age"))
        if get("dob"):
            dob_age = age_on(
                parse_date(get("dob"), "dob"),
                parse_date(get("date"), "date") if get("date") else today,
            )
            if dob_age != age:
                raise InputError(
                    _(
                        "age {age} does not match the date of birth (age {dob_age})",
                        age=age,
                        dob_age=dob_age,
                    )
                )
    elif get("dob"):
        on = parse_date(get("date"), "date") if get("date") else today
        age = age_on(parse_date(get("dob"), "dob"), on)
    else:
        raise InputError(_("give either age, or dob (and date)"))
    if not get("value"):
        raise InputError(_("no value given"))
    value = parse_number(get("value"), "value")
    unit_code = units.normalise_unit(get("unit"), test.units, test.unit, _(test.short_name))
    check_value(test, value, unit_code)
    return _Parsed(test.id, sex, age, value, unit_code)


def score_rows(
    rows: Iterable[Mapping[str, str | None]], ns: NormSet, today: dt.date | None = None
) -> list[dict[str, str]]:
    """One output dict per input row, in order: the input's own columns plus OUTPUT_COLUMNS.

    A row that cannot be scored gets band 'error' and a message; the others still score.
    """
    today = today or dt.date.today()
    inputs = [dict(r) for r in rows]
    out: list[dict[str, str]] = []
    parsed: list[_Parsed | None] = []
    for r in inputs:
        o = {k: ("" if v is None else str(v)) for k, v in r.items() if k is not None}
        o.update(dict.fromkeys(OUTPUT_COLUMNS, ""))
        if None in r:
            p = None
            o["band"], o["message"] = "error", _("this row has more fields than the header")
        else:
            try:
                p = parse_row(r, ns, today)
            except FfmotError as e:
                p = None
                o["band"], o["message"] = "error", str(e)
        parsed.append(p)
        out.append(o)

    by_test: dict[str, list[int]] = {}
    for i, p in enumerate(parsed):
        if p is not None:
            by_test.setdefault(p.test, []).append(i)
    for test_id, idx in by_test.items():
        table = ns.tables.get(test_id)
        if table is None:  # BMI, waist, activity: few rows, scored one by one
            for i in idx:
                p = parsed[i]
                assert p is not None
                _fill_single(out[i], p, ns)
            continue
        _fill_batch(out, [parsed[i] for i in idx], idx, ns, table)
    for o, p in zip(out, parsed, strict=True):
        if p is not None:
            o["age_used"], o["unit_used"] = str(p.age), p.unit
    return out


def _fill_single(o: dict[str, str], p: _Parsed, ns: NormSet) -> None:
    r = score(p.test, p.sex, p.age, p.value, p.unit, norms=ns)
    o["band"] = r.band
    o["flags"] = ";".join(f.id for f in r.flags)
    o["source"] = r.source
    o["message"] = _(r.reading) if r.reading else r.said_reason()


def _fill_batch(
    out: list[dict[str, str]],
    rows: list[_Parsed | None],
    idx: list[int],
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
    for j, i in enumerate(idx):
        o, u = out[i], unit_codes[j]
        band = int(c.band[j])
        o["band"] = BANDS[band]
        o["flags"] = ";".join(rule.id for rule, m in masks if m[j])
        if band == NOT_CLASSIFIED:
            o["message"] = why_not(table, test, ps[j].sex, ps[j].age).said()
            continue
        o["source"] = cites[int(c.row[j])]
        if not math.isnan(c.percentile[j]):
            o["percentile"] = str(int(c.percentile[j]))
        o["range_low"] = f"{in_unit(float(c.low[j]), test, u):g}"
        o["range_high"] = f"{in_unit(float(c.high[j]), test, u):g}"
        if crit_row[j] >= 0:
            o["criterion_met"] = "yes" if crit_met[j] else "no"
