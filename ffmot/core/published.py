"""What an MOT-day summary publishes, and the rule that keeps small numbers from giving anyone
away: the shape the services fill in (ffmot/services/summary.py) and the report prints
(ffmot/report/summary.py), with no database in it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from ffmot.core.ages import age_bands
from ffmot.core.battery import TABLE_KINDS
from ffmot.core.vocabulary import SEX_HEADINGS

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "*"
CONSENT = "anonymous_reports"
TOP_BAND = 90  # a day has few people over 90: one band keeps them from being picked out
AGE_BANDS = age_bands(5, TOP_BAND)
SEX_LABELS = SEX_HEADINGS
BANDED = TABLE_KINDS  # tests with a normal range


# --- what the summary holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """A count as published: its text ("12", "<5" or "*") and its value where shown."""

    text: str
    n: int | None

    @property
    def shown(self) -> bool:
        return self.n is not None


@dataclass(frozen=True)
class AgeSexTable:
    bands: tuple[str, ...]
    sexes: tuple[str, ...]  # labels: Women, Men, Not stated
    cells: tuple[tuple[Count, ...], ...]  # [band][sex]
    band_totals: tuple[Count, ...]
    sex_totals: tuple[Count, ...]
    total: Count


@dataclass(frozen=True)
class TestRow:
    """Everyone counted, by where their result stood against the normal range for their age
    and sex; percentages are of everyone counted, so the four add up to 100."""

    test_id: str
    name: str
    below: Count
    within: Count
    above: Count | None  # None: the test has no "above" (the one-leg stand)
    other: Count  # not done, or not compared (no norms for their age, sex not stated)
    below_pct: float | None
    within_pct: float | None
    above_pct: float | None
    other_pct: float | None
    lower_is_better: bool


@dataclass(frozen=True)
class NamedCount:
    id: str
    label: str
    people: Count


@dataclass(frozen=True)
class RetestRow:
    """The change since the last visit among people retested on this test."""

    test_id: str
    name: str
    unit: str  # the unit of mean and sd, in words
    people: Count  # retested people who did the test both times
    mean: float | None  # shown when 5 or more people did it both times (even if `people` is
    sd: float | None  # hidden: an average does not give away how many it is of)
    lower_is_better: bool


@dataclass(frozen=True)
class SummaryData:
    event_name: str
    event_date: dt.date
    venue: str
    organisation: str
    norm_set: str
    training: bool
    people: Count  # people counted: those who agreed to anonymous reports
    age_sex: AgeSexTable
    tests: tuple[TestRow, ...]
    flags: tuple[NamedCount, ...]
    any_flag: Count
    work_on: tuple[NamedCount, ...]  # by fitness component
    any_work_on: Count
    activities_matched: Count
    retested: Count
    retest: tuple[RetestRow, ...]
    threshold: int = THRESHOLD


# --- small numbers -------------------------------------------------------------------------------


def protect(
    values: dict[Hashable, int],
    lines: Sequence[tuple[Hashable, Sequence[Hashable]]],
    threshold: int = THRESHOLD,
) -> dict[Hashable, str]:
    """Which counts to show: "shown", "small" (under threshold) or "hidden" (so that a small
    count cannot be worked out). `lines` are (total, parts) with total = sum(parts)."""
    status = {k: "small" if v < threshold else "shown" for k, v in values.items()}
    changed = True
    while changed:
        changed = False
        for total, parts in lines:
            shown = sorted((p for p in parts if status[p] == "shown"), key=lambda p: values[p])
            if status[total] != "shown":
                if parts and len(shown) == len(parts):  # the total would be their sum
                    status[shown[0]] = "hidden"
                    changed = True
                continue
            if len(shown) == len(parts) or _safe(values, status, total, parts, threshold):
                continue
            if shown:
                status[shown[0]] = "hidden"
            else:
                status[total] = "hidden"
            changed = True
    return status


def _safe(
    values: dict[Hashable, int],
    status: dict[Hashable, str],
    total: Hashable,
    parts: Sequence[Hashable],
    threshold: int,
) -> bool:
    hidden = [p for p in parts if status[p] != "shown"]
    rest = values[total] - sum(values[p] for p in parts if status[p] == "shown")
    if len(hidden) < 2 or rest < threshold:
        return False
    bounds = [
        (0.0, threshold - 1.0) if status[p] == "small" else (threshold, math.inf) for p in hidden
    ]
    for i in range(len(hidden)):
        others = bounds[:i] + bounds[i + 1 :]
        lo = max(bounds[i][0], rest - sum(b[1] for b in others))
        hi = min(bounds[i][1], rest - sum(b[0] for b in others))
        if lo >= hi:
            return False
    return True


def published_count(value: int, state: str) -> Count:
    if state == "shown":
        return Count(str(value), value)
    return Count(SMALL if state == "small" else HIDDEN, None)


def percent(part: Count | None, whole: Count) -> float | None:
    if part is None or part.n is None or whole.n is None or whole.n == 0:
        return None
    return round(100.0 * part.n / whole.n, 1)
