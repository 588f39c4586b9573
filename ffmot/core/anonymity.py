"""k-anonymity for the anonymised export: the one rule, in one place, with its parameters as data.

**Quasi-identifiers** are what someone outside could know about a person and link to a row: that
they went to a given MOT day (its name, its venue, so its place, and its date), their age and
their sex. In the file these are the columns `event`, `event_date`, `age_band` and `sex`
(`QUASI_IDENTIFIERS`). The postcode district, names, codes and dates of birth are never written.

Because one person's rows share one `export_id`, a person is recognised by everything their rows
say together: their sex and the set of (MOT day, period, age band) of each of their visits (their
"signature"). k-anonymity here means every signature in the file is shared by at least k PEOPLE
(not rows). That implies every combination of the four columns on any row is shared by at least
k people too.

k is reached by generalising the whole file along `LADDER`, coarsest last, and then leaving out
the people still in a group of fewer than k:

1. the MOT day's name and venue are never written: each day becomes "MOT day 1", "MOT day 2"…
   in date order, and its date becomes its month; 5-year age bands (open from 95);
2. 10-year age bands (open from 90); 3. the top band open from 80;
4. no MOT day, only the month; 5. only the year; 6. no date at all; 7. the top band open
   from 70.

The first level that leaves out no more than `MAX_LEFT_OUT` of the people is used; if none does,
the level that leaves out fewest.

**How a test went** (`done`, `reason`, `modifications`) is health information, and some of it can
be seen in the hall (a walking aid, someone who stopped). `reason` is banded: `felt_unsafe`,
`stopped_by_tester` and `unable` are all written `unable`; `declined` and `not_offered` stay.
`modifications` is written `adapted` (arms used, walking aid: which is not said) or empty. Within
each group of the quasi-identifiers, each test's (done, reason, adapted) must be shared by at
least k people: if it is not, the reason is cleared; if it still is not, that result is left out.

If k cannot be reached for anyone, nothing may be written (`TooFewToAnonymise`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ffmot.core.ages import age_band
from ffmot.core.errors import InputError
from ffmot.core.i18n import _, _n

DEFAULT_K = 5
OPEN_RELEASE_K = 10
MIN_K = 5  # fewer is not anonymous: use the full export, as personal data
QUASI_IDENTIFIERS = ("event", "event_date", "age_band", "sex")
# The result cells copied as they are (`reason` and `modifications` are banded, below).
RESULT_CELLS = ("test", "value", "unit", "band", "percentile", "done")
REASON_BANDS: Mapping[str, str] = {
    "declined": "declined",
    "not_offered": "not_offered",
    "unable": "unable",
    "felt_unsafe": "unable",
    "stopped_by_tester": "unable",
}
ADAPTED = "adapted"
# A level is good enough if it leaves out no more than this share of the people.
MAX_LEFT_OUT = 0.05


@dataclass(frozen=True)
class Level:
    """One step of generalisation, applied to the whole file."""

    place: str  # "day": MOT day 1..n; "none": not written
    period: str  # "month" (YYYY-MM), "year" (YYYY), "none"
    band_width: int  # years in an age band
    top: int  # ages from here are one open band, "N and over"

    def describe(self) -> str:
        place = _("MOT days as 'MOT day 1…n'") if self.place == "day" else _("no MOT day")
        if self.period == "month":
            period = _("dates to the month")
        elif self.period == "year":
            period = _("dates to the year")
        else:
            period = _("no dates")
        return _(
            "{place}, {period}, {width}-year age bands, {top} and over as one",
            place=place,
            period=period,
            width=self.band_width,
            top=self.top,
        )


LADDER: tuple[Level, ...] = (
    Level("day", "month", 5, 95),
    Level("day", "month", 10, 90),
    Level("day", "month", 10, 80),
    Level("none", "month", 10, 80),
    Level("none", "year", 10, 80),
    Level("none", "none", 10, 80),
    Level("none", "none", 10, 70),
)


@dataclass(frozen=True)
class Row:
    """One result of one visit, before generalisation."""

    person: str  # the export id: the same on every row of one person
    sex: str
    age: int  # on the day of the visit
    day: str  # the MOT day's id (never written)
    date: dt.date  # the MOT day's date
    cells: Mapping[str, str]  # RESULT_CELLS, with "reason" and "modifications"


@dataclass(frozen=True)
class Outcome:
    """What was done to reach k."""

    k: int
    level: Level
    people: int  # people written
    left_out: int  # people left out: too few like them
    # the fewest people sharing a signature, or a way a test went in a group (0 if none)
    smallest_group: int
    reasons_cleared: int  # results whose reason was cleared: too few gave it
    results_left_out: int  # results left out: too few did the test that way

    def describe(self) -> str:
        return "; ".join(self.lines())

    def lines(self) -> list[str]:
        parts = [
            _n(
                "at least {count} person shares every MOT day, date, age band and sex written "
                "(the fewest: {fewest})",
                "at least {count} people share every MOT day, date, age band and sex written "
                "(the fewest: {fewest})",
                self.k,
                fewest=self.smallest_group,
            ),
            _("generalised: {level}", level=self.level.describe()),
            _(
                "reasons banded (felt unsafe, stopped and unable all written 'unable'), "
                "adaptations written 'adapted'"
            ),
        ]
        if self.left_out:
            # The English says "1 people" too: tests/store/test_anonymity.py holds it.
            parts.append(
                _(
                    "{count} people left out: too few like them to keep them unrecognisable",
                    count=self.left_out,
                )
            )
        if self.reasons_cleared:
            parts.append(
                _n(
                    "{count} rare reason for a test not done cleared",
                    "{count} rare reasons for a test not done cleared",
                    self.reasons_cleared,
                )
            )
        if self.results_left_out:
            parts.append(
                _n(
                    "{count} result left out: too few did the test that way",
                    "{count} results left out: too few did the test that way",
                    self.results_left_out,
                )
            )
        return parts


class TooFewToAnonymise(InputError):
    """No one can be written without being recognisable: nothing was written."""


def _period(date: dt.date, period: str) -> str:
    if period == "month":
        return f"{date.year:04d}-{date.month:02d}"
    if period == "year":
        return f"{date.year:04d}"
    return ""


def _how(cells: Mapping[str, str]) -> tuple[str, str, str]:
    return (
        cells.get("done", ""),
        cells.get("reason", ""),
        ADAPTED if cells.get("modifications") else "",
    )


def _apply(rows: Sequence[Row], level: Level, k: int) -> tuple[list[dict[str, str]], Outcome]:  # noqa: C901 (one step per rung of the ladder, in order)
    """The file at `level`: rows generalised, then people and results left out until every
    signature, and every way a test went within a group, is shared by at least k people."""
    days = sorted({(r.date, r.day) for r in rows})
    names = {d: f"MOT day {n}" for n, (_date, d) in enumerate(days, start=1)}  # a cell: English
    out: list[dict[str, str]] = []
    for r in rows:
        reason = REASON_BANDS.get(r.cells.get("reason", ""), "") if r.cells.get("reason") else ""
        out.append(
            {
                "export_id": r.person,
                "age_band": age_band(r.age, level.band_width, level.top),
                "sex": r.sex,
                "event": names[r.day] if level.place == "day" else "",
                "event_date": _period(r.date, level.period),
                **{c: r.cells.get(c, "") for c in RESULT_CELLS},
                "reason": reason,
                "modifications": ADAPTED if r.cells.get("modifications") else "",
                "_day": r.day,
            }
        )
    everyone = {r.person for r in rows}
    dropped_results = 0
    while True:
        changed = False
        # People: each signature shared by at least k of them.
        visits: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        sex: dict[str, str] = {}
        for x in out:
            visits[x["export_id"]].add((x["event"], x["event_date"], x["age_band"]))
            sex[x["export_id"]] = x["sex"]
        groups: dict[tuple[object, ...], set[str]] = defaultdict(set)
        for person, seen in visits.items():
            groups[(sex[person], tuple(sorted(seen)))].add(person)
        rare = {p for g in groups.values() if len(g) < k for p in g}
        if rare:
            out = [x for x in out if x["export_id"] not in rare]
            changed = True
        # How each test went, within each group of the quasi-identifiers.
        for clearing in (True, False):
            sharing: dict[tuple[str, ...], set[str]] = defaultdict(set)
            for x in out:
                key = (*(x[c] for c in QUASI_IDENTIFIERS), x["test"], *_how(x))
                sharing[key].add(x["export_id"])
            keep = []
            for x in out:
                key = (*(x[c] for c in QUASI_IDENTIFIERS), x["test"], *_how(x))
                if len(sharing[key]) >= k:
                    keep.append(x)
                elif clearing and x["reason"]:
                    x["reason"] = ""
                    x["_cleared"] = "yes"
                    keep.append(x)
                    changed = True
                elif clearing:
                    keep.append(x)
                else:
                    dropped_results += 1
                    changed = True
            out = keep
        if not changed:
            break
    kept = {x["export_id"] for x in out}
    visits = defaultdict(set)
    for x in out:
        visits[x["export_id"]].add((x["event"], x["event_date"], x["age_band"]))
    sizes: dict[tuple[object, ...], int] = defaultdict(int)
    for x in {x["export_id"]: x for x in out}.values():
        sizes[(x["sex"], tuple(sorted(visits[x["export_id"]])))] += 1
    how: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for x in out:
        how[(*(x[c] for c in QUASI_IDENTIFIERS), x["test"], *_how(x))].add(x["export_id"])
    smallest = min([*sizes.values(), *(len(g) for g in how.values())], default=0)
    reasons_cleared = sum(1 for x in out if "_cleared" in x)
    for x in out:
        del x["_day"]
        x.pop("_cleared", None)
    out.sort(key=lambda x: (x["event_date"], x["event"], x["export_id"], x["test"]))
    return out, Outcome(
        k=k,
        level=level,
        people=len(kept),
        left_out=len(everyone - kept),
        smallest_group=smallest,
        reasons_cleared=reasons_cleared,
        results_left_out=dropped_results,
    )


def anonymise(
    rows: Sequence[Row],
    k: int = DEFAULT_K,
    ladder: Sequence[Level] = LADDER,
    max_left_out: float = MAX_LEFT_OUT,
) -> tuple[list[dict[str, str]], Outcome]:
    """The rows generalised and suppressed so that at least k people share every signature
    (see the module's docstring), and what was done. Raises TooFewToAnonymise if no one could
    be kept; an empty input gives an empty output."""
    if k < MIN_K:
        raise InputError(
            _(
                "k must be at least {least}, not {k}: fewer is not anonymous (the full export, "
                "handled as personal data, is for that)",
                least=MIN_K,
                k=k,
            )
        )
    people = len({r.person for r in rows})
    best: tuple[list[dict[str, str]], Outcome] | None = None
    for level in ladder:
        out, outcome = _apply(rows, level, k)
        if outcome.left_out <= max_left_out * people:
            return out, outcome
        if best is None or outcome.left_out < best[1].left_out:
            best = (out, outcome)
    assert best is not None
    if not best[0]:
        raise TooFewToAnonymise(
            _(
                "cannot write an anonymised export: of the {people} consenting people, none has "
                "at least {others} others like them (sex, age band, MOT day and date), even "
                "with no MOT day or date and 10-year age bands, so anyone in it could be "
                "recognised; nothing was written. Export more MOT days together, or keep this "
                "day's results to the full export, handled as personal data",
                people=people,
                others=k - 1,
            )
        )
    return best
