"""Scoring results against the norms: one at a time for a person, or in numpy batches.

A single result goes through the same vectorised code as a batch of one, so the two can never
disagree. Bands: `normal` is the 25th to 75th percentile, both ends included; a value outside a
table's ages is `not_classified` with the reason, never extrapolated.

Why one room: a single result goes through the batch code, so the two cannot disagree; splitting
them would bring that risk back.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from ffmot.core import units
from ffmot.core.ages import check_age
from ffmot.core.battery import ACTIVITY, READINGS, TestDef
from ffmot.core.errors import InputError
from ffmot.core.i18n import N_, Message, _
from ffmot.core.norms import (
    SEX_INDEX,
    FloatArray,
    IntArray,
    NormRow,
    NormSet,
    PercentileTable,
    Rule,
    ThresholdTable,
    default_norm_set,
)
from ffmot.core.vocabulary import NOT_STATED, parse_sex

BANDS = ("below_average", "normal", "above_average", "not_classified")
BELOW, NORMAL, ABOVE, NOT_CLASSIFIED = 0, 1, 2, 3
EPS = 1e-9  # published edges are inclusive; unit conversion must not push an edge value out
# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagHit:
    id: str
    text: str
    cutoff: float
    unit: str
    source: str


@dataclass(frozen=True)
class Criterion:
    """Rikli & Jones 2013 standard for staying independent: met or not yet met."""

    standard: float  # in the input unit
    meets: bool
    source: str


@dataclass(frozen=True)
class GuidelineCheck:
    id: str
    label: str
    target: float | None
    unit: str
    value: float | None
    met: bool | None  # None: the guideline sets no number, or the answer was not given
    text: str


@dataclass(frozen=True)
class Activity:
    """Answers about a usual week; moderate minutes are the scored value."""

    strength_days: float | None = None
    balance_days: float | None = None
    sitting_hours: float | None = None


@dataclass(frozen=True)
class Score:
    test: str
    sex: str
    age: int
    value: float  # as entered
    unit: str  # as entered
    band: str
    percentile: int | None
    normal_range: tuple[float, float] | None  # in the input unit
    median: float | None  # in the input unit
    flags: tuple[FlagHit, ...]
    criterion: Criterion | None
    source: str
    norm_row: str
    note: str
    # Why the result is not classified. Kept in English, like `note`: interpret.py and the
    # sheet's words read it back, and --json writes it. `said_reason` and `said_note` say them
    # to a person in the language spoken.
    reason: str | None
    reading: str | None = None  # BMI and waist: the plain-English reading
    attention: bool = False  # BMI and waist: the reading deserves a conversation
    guidelines: tuple[GuidelineCheck, ...] = ()
    norm_set: str = ""
    reason_words: Message | None = field(default=None, compare=False, repr=False)
    note_words: Message | None = field(default=None, compare=False, repr=False)

    def said_reason(self) -> str:
        """Why the result is not compared, for a person, in the language spoken ("" if it is)."""
        return self.reason_words.said() if self.reason_words else (self.reason or "")

    def said_note(self) -> str:
        return self.note_words.said() if self.note_words else self.note

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["reason_words"], d["note_words"]
        d["normal_range"] = list(self.normal_range) if self.normal_range else None
        d["flags"] = [f.id for f in self.flags]
        d["flag_details"] = [asdict(f) for f in self.flags]
        return d


# --- the vectorised core -----------------------------------------------------------------------


def _erf(x: FloatArray) -> FloatArray:
    # Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, ample for whole percentiles.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    result: FloatArray = sign * (1.0 - poly * np.exp(-a * a))
    return result


def _z(level: float) -> float:
    """The normal score (z) of a published percentile level: the inverse normal CDF."""
    return NormalDist().inv_cdf(level / 100.0)


@functools.cache
def _zs(levels: tuple[float, ...]) -> FloatArray:
    """The normal scores of a table's levels, worked out once per set of levels (a table has
    three to five, and every score used to redo them). Read-only: shared by every call."""
    zs = np.array([_z(level) for level in levels])
    zs.setflags(write=False)
    return zs


@dataclass(frozen=True)
class Classified:
    """Vectorised outcome for one test: arrays aligned with the inputs."""

    band: IntArray
    percentile: FloatArray  # NaN where none
    low: FloatArray  # normal range in the norm unit; NaN where none
    high: FloatArray
    median: FloatArray
    row: IntArray  # index into the table's rows, -1 where not covered


def classify(
    table: PercentileTable | ThresholdTable,
    test: TestDef,
    sex: IntArray,
    age: IntArray,
    value: FloatArray,
) -> Classified:
    """Band, percentile and range for values already in the table's unit.

    sex: 0 female, 1 male, -1 not stated. age: completed years, 0..120.
    """
    n = value.shape[0]
    if isinstance(table, ThresholdTable):
        row = table.row[age]
        thr = table.threshold[age]
        ok = row >= 0
        band = np.where(ok, np.where(value >= thr - EPS, NORMAL, BELOW), NOT_CLASSIFIED)
        cap = np.float64(test.cap) if test.cap is not None else np.nan
        nan = np.full(n, np.nan)
        return Classified(
            band.astype(np.int64),
            nan,
            np.where(ok, thr, np.nan),
            np.where(ok, cap, np.nan),
            nan.copy(),
            row,
        )

    s = np.clip(sex, 0, 1)
    row = np.where(sex >= 0, table.row[s, age], -1)
    ok = row >= 0
    pts = table.points[s, age]  # (n, K)
    levels = table.levels
    i_lo, i_hi = levels.index(table.low_level), levels.index(table.high_level)
    low, high = pts[:, i_lo], pts[:, i_hi]
    i_med = levels.index(50.0) if 50.0 in levels else None
    median = pts[:, i_med] if i_med is not None else np.full(n, np.nan)

    on_axis = np.where(value < low - EPS, BELOW, np.where(value > high + EPS, ABOVE, NORMAL))
    higher_better = test.direction != "lower"
    band = on_axis if higher_better else 2 - on_axis
    band = np.where(ok, band, NOT_CLASSIFIED)

    # Percentile: piecewise-linear in z between the published points, extended past the
    # outermost points with the slope of the nearest segment; then the normal CDF.
    zs = _zs(tuple(levels))
    safe = np.where(ok[:, None], pts, np.arange(len(levels), dtype=np.float64)[None, :])
    k = len(levels)
    seg = np.clip((safe <= value[:, None]).sum(axis=1) - 1, 0, k - 2)
    rows_i = np.arange(n)
    v0, v1 = safe[rows_i, seg], safe[rows_i, seg + 1]
    z = zs[seg] + (value - v0) * (zs[seg + 1] - zs[seg]) / (v1 - v0)
    pct = 50.0 * (1.0 + _erf(z / math.sqrt(2.0)))
    if not higher_better:
        pct = 100.0 - pct
    pct = np.clip(np.rint(pct), 1, 99)
    # Keep the whole percentile consistent with the band it rounds next to.
    pct = np.where(band == BELOW, np.minimum(pct, 24), pct)
    pct = np.where(band == NORMAL, np.clip(pct, 25, 75), pct)
    pct = np.where(band == ABOVE, np.maximum(pct, 76), pct)
    pct = np.where(ok, pct, np.nan)
    return Classified(
        band.astype(np.int64),
        pct,
        np.where(ok, low, np.nan),
        np.where(ok, high, np.nan),
        np.where(ok, median, np.nan),
        row,
    )


def flag_masks(
    rules: tuple[Rule, ...], sex: IntArray, age: IntArray, value: FloatArray
) -> list[tuple[Rule, np.ndarray]]:
    """For each rule, where it is raised. Within a group only the first matching rule counts."""
    taken: dict[str, np.ndarray] = {}
    out = []
    for rule in rules:
        m = (age >= rule.min_age) & (age <= rule.max_age)
        if rule.sex:
            m &= sex == SEX_INDEX[rule.sex]
        if rule.comparison == "<":
            m &= value < rule.cutoff
        elif rule.comparison == "<=":
            m &= value <= rule.cutoff
        elif rule.comparison == ">":
            m &= value > rule.cutoff
        elif rule.comparison == ">=":
            m &= value >= rule.cutoff
        prior = taken.get(rule.group)
        if prior is not None:
            m &= ~prior
            taken[rule.group] = prior | m
        else:
            taken[rule.group] = m
        out.append((rule, m))
    return out


# --- one result ---------------------------------------------------------------------------------


def check_value(test: TestDef, value: float, unit_code: str) -> None:
    """Refuses an impossible value, naming the plausible range in the unit it was given in."""
    if not math.isfinite(value):
        raise InputError(_("{test}: the value is not a number", test=_(test.short_name)))
    lo = units.convert(test.plausible[0], test.unit, unit_code)
    hi = units.convert(test.plausible[1], test.unit, unit_code)
    if not lo - EPS <= value <= hi + EPS:
        label = _(test.label(unit_code))  # worded only when refused: batches check millions
        raise InputError(
            _(
                "{test} {value:g} {unit} is outside the plausible range "
                "{low} to {high} {unit}: check the value and its unit",
                test=_(test.short_name),
                value=value,
                unit=label,
                low=_fmt(lo),
                high=_fmt(hi),
            )
        )
    if test.whole_numbers and not float(value).is_integer():
        raise InputError(
            _(
                "{test} is a count: {value:g} is not a whole number",
                test=_(test.short_name),
                value=value,
            )
        )


def counted_value(test: TestDef, trials: list[float], unit_code: str) -> float:
    """The trial that counts, in the unit it was entered in (the best, capped), without a
    round trip through another unit."""
    in_test = [units.convert(v, unit_code, test.unit) for v in trials]
    best = test.best_of(in_test)
    if test.cap is not None and best >= test.cap and max(in_test) > test.cap:
        return units.convert(test.cap, test.unit, unit_code)
    return trials[in_test.index(best)]


def is_unusual(test: TestDef, value: float, unit_code: str) -> bool:
    """Plausible but outside the typical range: worth a second look before saving."""
    v = units.convert(value, unit_code, test.unit)
    return not test.typical[0] <= v <= test.typical[1]


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if not float(x).is_integer() else f"{x:.0f}"


def in_unit(x: float, test: TestDef, unit_code: str) -> float:
    """A norm-unit number in the unit the value was entered in (converted ones to 0.01)."""
    v = units.convert(x, test.norm_unit, unit_code)
    return v if unit_code == test.norm_unit else round(v, 2)


def score(
    test_id: str,
    sex: str,
    age: int,
    value: float,
    unit: str = "",
    *,
    activity: Activity | None = None,
    norms: NormSet | None = None,
) -> Score:
    """Scores one result. Raises InputError for anything that cannot be scored as given."""
    ns = norms or default_norm_set()
    test = ns.test(test_id)
    sex = parse_sex(sex)
    check_age(age)
    unit_code = units.normalise_unit(unit, test.units, test.unit, _(test.short_name))
    check_value(test, value, unit_code)
    sex_i = np.array([SEX_INDEX.get(sex, -1)], dtype=np.int64)
    age_a = np.array([age], dtype=np.int64)
    v_test = units.convert(value, unit_code, test.unit)
    v_norm = units.convert(value, unit_code, test.norm_unit)

    flags = tuple(
        FlagHit(rule.id, rule.text, rule.cutoff, rule.unit, ns.cite(rule.row))
        for rule, m in flag_masks(ns.flags.get(test.id, ()), sex_i, age_a, np.array([v_test]))
        if m[0]
    )
    base: dict[str, Any] = dict(
        test=test.id,
        sex=sex,
        age=age,
        value=value,
        unit=unit_code,
        flags=flags,
        norm_set=ns.version,
    )

    if test.norms == READINGS:
        return _score_reading(ns, test, sex, age, v_test, base)
    if test.norms == ACTIVITY:
        return _score_activity(ns, v_test, activity or Activity(), base)

    table = ns.tables[test.id]
    c = classify(table, test, sex_i, age_a, np.array([v_norm]))
    band = int(c.band[0])
    if band == NOT_CLASSIFIED:
        return _unclassified(base, _table_source(ns, table), "", why_not(table, test, sex, age))
    row = table.rows[int(c.row[0])]
    note = _note(ns, table, row, age)
    crit = _criterion(ns, test, sex_i, age_a, v_norm, unit_code)
    pct = None if math.isnan(c.percentile[0]) else int(c.percentile[0])
    median = None if math.isnan(c.median[0]) else in_unit(float(c.median[0]), test, unit_code)
    return Score(
        **base,
        band=BANDS[band],
        percentile=pct,
        normal_range=(
            in_unit(float(c.low[0]), test, unit_code),
            in_unit(float(c.high[0]), test, unit_code),
        ),
        median=median,
        criterion=crit,
        source=ns.cite(row),
        norm_row=row.where,
        note=str(note or ""),
        reason=None,
        note_words=note,
    )


def _table_source(ns: NormSet, table: PercentileTable | ThresholdTable) -> str:
    return ns.cite(table.rows[0])


def _note(
    ns: NormSet, table: PercentileTable | ThresholdTable, row: NormRow, age: int
) -> Message | None:
    if isinstance(table, ThresholdTable):
        return _threshold_note(ns, row)
    if table.exact_ages and age != row.age_min:
        ages = sorted({r.age_min for r in table.rows if r.sex == row.sex})
        above = min(a for a in ages if a > age)
        below = max(a for a in ages if a < age)
        return Message.of(
            N_("interpolated between the published ages {below} and {above}"),
            below=below,
            above=above,
        )
    return None


def _threshold_note(ns: NormSet, row: NormRow) -> Message:
    """The one-leg stand: where the usual range starts for the age, and on what it rests."""
    low = row.value("usual_low_s")
    mean = dict(row.values).get("mean_s")
    if mean is not None and abs(low - mean / 2) < 0.051:
        why = Message.of(
            N_("half the published average of {mean:g} s (a convention, not a published cut-off)"),
            mean=mean,
        )
    else:
        why = Message.of(N_("from {source}"), source=ns.sources[row.source].short)
    cutoffs = [
        rule for rule in ns.flags.get(row.test, ()) if rule.comparison == "<"
    ]  # at most one in the published set; each said in turn
    flags = Message.of("")
    for rule in reversed(cutoffs):
        flags = Message.of(
            N_("; under {cutoff:g} {unit} raises a flag to talk about{more}"),
            cutoff=rule.cutoff,
            unit=rule.unit,
            more=flags,
        )
    return Message.of(
        N_(
            "usual range for ages {low_age}-{high_age}: {low:g} {unit} or more, {why}{flags}; "
            "no percentile is published for this test"
        ),
        low_age=row.age_min,
        high_age=row.age_max,
        low=low,
        unit=row.unit,
        why=why,
        flags=flags,
    )


def why_not(table: PercentileTable | ThresholdTable, test: TestDef, sex: str, age: int) -> Message:
    """Why a result is not compared: said in English by str(), to a person by said()."""
    name = Message.of(test.short_name, lower=True)  # in the catalogue as the battery writes it
    if isinstance(table, PercentileTable) and sex == NOT_STATED:
        return Message.of(
            N_(
                "sex not stated: the {test} norms are separate for women and men, so this "
                "result is not compared"
            ),
            test=name,
        )
    cov = table.coverage(SEX_INDEX.get(sex, 0))
    if cov:
        return Message.of(
            N_(
                "the {test} norms cover ages {low} to {high}; at {age} this result is not "
                "compared (ffmot does not extrapolate beyond a table)"
            ),
            test=name,
            low=cov[0],
            high=cov[1],
            age=age,
        )
    return Message.of(
        N_(
            "the {test} norms cover no ages; at {age} this result is not compared (ffmot "
            "does not extrapolate beyond a table)"
        ),
        test=name,
        age=age,
    )


def criteria(
    ns: NormSet, test: TestDef, sex: IntArray, age: IntArray, v_norm: FloatArray
) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """Rikli & Jones standards: the row (-1 where none), the standard and whether it is met."""
    table = ns.criteria.get(test.id)
    if table is None:
        none = np.full(v_norm.shape[0], -1, dtype=np.int64)
        return none, np.full(v_norm.shape[0], np.nan), np.zeros(v_norm.shape[0], dtype=bool)
    s = np.clip(sex, 0, 1)
    row = np.where(sex >= 0, table.row[s, age], -1)
    std = np.where(row >= 0, table.standard[s, age], np.nan)
    met = v_norm <= std + EPS if test.direction == "lower" else v_norm >= std - EPS
    return row, std, met & (row >= 0)


def _criterion(
    ns: NormSet, test: TestDef, sex_i: IntArray, age_a: IntArray, v_norm: float, unit_code: str
) -> Criterion | None:
    row, std, met = criteria(ns, test, sex_i, age_a, np.array([v_norm]))
    if row[0] < 0:
        return None
    table = ns.criteria[test.id]
    return Criterion(
        in_unit(float(std[0]), test, unit_code), bool(met[0]), ns.cite(table.rows[int(row[0])])
    )


def _unclassified(
    base: dict[str, Any], source: str, norm_row: str, reason: Message, **extra: Any
) -> Score:
    """A result kept and shown, but not placed in a band."""
    return Score(
        **base,
        band=BANDS[NOT_CLASSIFIED],
        percentile=None,
        normal_range=None,
        median=None,
        criterion=None,
        source=source,
        norm_row=norm_row,
        note="",
        reason=str(reason),
        reason_words=reason,
        **extra,
    )


def _score_reading(
    ns: NormSet, test: TestDef, sex: str, age: int, v_test: float, base: dict[str, Any]
) -> Score:
    reading, attention, where, source = None, False, "", ""
    for rule in ns.readings.get(test.id, ()):
        if rule.applies(sex, age) and rule.crossed(v_test):
            reading, attention, where, source = (
                rule.text,
                rule.attention,
                rule.row.where,
                ns.cite(rule.row),
            )
            break
    reason = Message.of(
        N_("{test} has no age-and-sex normal range; it is read against health thresholds instead"),
        test=Message.of(test.short_name),
    )
    by_sex = any(rule.sex for rule in ns.readings.get(test.id, ()))
    if reading is None and by_sex and sex == NOT_STATED:  # its lines differ for women and men
        reason = Message.of(
            N_("sex not stated: {test} thresholds differ for women and men"),
            test=Message.of(test.short_name, lower=True),
        )
    return _unclassified(base, source, where, reason, reading=reading, attention=attention)


_ANSWER_LIMITS = {"strength_days": (0, 7), "balance_days": (0, 7), "sitting_hours": (0, 24)}
_ANSWER_IMPOSSIBLE = {  # (N_: in the translators' catalogue; filled in where it is said)
    "strength_days": N_("strength days {value:g} is impossible: give {low} to {high}"),
    "balance_days": N_("balance days {value:g} is impossible: give {low} to {high}"),
    "sitting_hours": N_("sitting hours {value:g} is impossible: give {low} to {high}"),
}


def impossible_answer(answers: Activity) -> str | None:
    """What is impossible in the activity answers (days a week, hours a day), or None."""
    for key, (lo, hi) in _ANSWER_LIMITS.items():
        v = getattr(answers, key)
        if v is not None and not (math.isfinite(v) and lo <= v <= hi):
            return _(_ANSWER_IMPOSSIBLE[key], value=v, low=lo, high=hi)
    return None


def _score_activity(ns: NormSet, minutes: float, answers: Activity, base: dict[str, Any]) -> Score:
    problem = impossible_answer(answers)
    if problem:
        raise InputError(problem)
    given = {
        "moderate_minutes": minutes,
        "strength_days": answers.strength_days,
        "balance_days": answers.balance_days,
        "sitting_hours": answers.sitting_hours,
    }
    checks = []
    for g in ns.guidelines:
        v = given.get(g.id)
        met = None
        if v is not None and g.target is not None:
            met = bool(v >= g.target) if g.comparison == ">=" else bool(v <= g.target)
        checks.append(GuidelineCheck(g.id, g.label, g.target, g.unit, v, met, g.text))
    return _unclassified(
        base,
        ns.sources[ns.guideline_source].short,
        "activity_guidelines.toml",
        Message.of(N_("activity is compared with the UK CMO guidelines, not with age norms")),
        guidelines=tuple(checks),
    )


def bmi(height_cm: float, weight_kg: float) -> float:
    """BMI from measured height and weight, refusing values no adult could have."""
    if not (math.isfinite(height_cm) and 100 <= height_cm <= 230):
        raise InputError(
            _(
                "height {value:g} cm is outside 100 to 230 cm: check the value "
                "and that it is in centimetres",
                value=height_cm,
            )
        )
    if not (math.isfinite(weight_kg) and 25 <= weight_kg <= 300):
        raise InputError(
            _(
                "weight {value:g} kg is outside 25 to 300 kg: check the value "
                "and that it is in kilograms",
                value=weight_kg,
            )
        )
    return round(weight_kg / (height_cm / 100.0) ** 2, 1)
