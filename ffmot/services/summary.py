"""The data behind an MOT day's printouts: every visit's overview, and the anonymised summary.

`summary_data(db, event_id)` gathers the summary for commissioners and funders. It holds no
names, codes, dates of birth or dates of visits; only people whose latest decision on
"anonymous_reports" is yes are counted; and every count is published under the small-number
rule below. `summarise(event, overviews)` does the counting as a pure function of plain data.

Small numbers
-------------
A count under 5 (0 included) is shown as "<5". A count is also hidden (shown as "*") where
otherwise a hidden count could be worked out from a total: every published line of the form
total = part + part + ... (a row or column of the age-and-sex table, the results of a test, a
yes/no count against the number of people) is checked so that, from the total and the parts
shown, no hidden part can be pinned to one value and the hidden parts together are 5 or more.
The check treats "<5" as 0 to 4 and "*" as 5 or more. Percentages and averages are only shown
where the count they rest on is shown.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ffmot.core import units
from ffmot.core.advice import FITNESS_COMPONENTS, Directory, load_advice, load_directory
from ffmot.core.battery import COMPONENTS
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.paths import resources_dir
from ffmot.services import records as R
from ffmot.services.overview import Overview, build_overview
from ffmot.services.types import EventInfo
from ffmot.store.db import Database
from ffmot.store.models import Assessment, Participant

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "*"
CONSENT = "anonymous_reports"
AGE_BANDS = ("under 60", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90 and over")
SEXES = ("female", "male", "not_stated")
SEX_LABELS = {"female": "Women", "male": "Men", "not_stated": "Not stated"}
BANDED = ("sft", "grip", "single_leg_stance")  # tests with a normal range
FLAG_LABELS = {
    "ewgsop2_low_grip": "Low grip strength (EWGSOP2)",
    "nice_low_bmi": "BMI under 18.5 (NHS)",
    "nice_waist_high": "Waist: higher health risk (NICE)",
    "nice_waist_very_high": "Waist: very high health risk (NICE)",
}


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


def _count(value: int, state: str) -> Count:
    if state == "shown":
        return Count(str(value), value)
    return Count(SMALL if state == "small" else HIDDEN, None)


def _pct(part: Count | None, whole: Count) -> float | None:
    if part is None or part.n is None or whole.n is None or whole.n == 0:
        return None
    return round(100.0 * part.n / whole.n, 1)


# --- counting ------------------------------------------------------------------------------------


def age_band(age: int) -> str:
    if age < 60:
        return AGE_BANDS[0]
    if age >= 90:
        return AGE_BANDS[-1]
    lo = age - age % 5
    return f"{lo}-{lo + 4}"


def summarise(
    event: EventInfo, overviews: Iterable[Overview], norms: NormSet | None = None
) -> SummaryData:
    """The summary of one MOT day from its visits' overviews (people without consent to
    anonymous reports are left out here too)."""
    ns = norms or default_norm_set()
    people = [o for o in overviews if o.participant.consented(CONSENT) and o.event.id == event.id]
    values: dict[Hashable, int] = {}
    lines: list[tuple[Hashable, list[Hashable]]] = []
    n = len(people)
    values["N"] = n

    def yes_no(key: str, yes: int) -> None:
        values[(key, "yes")] = yes
        values[(key, "no")] = n - yes
        lines.append(("N", [(key, "yes"), (key, "no")]))

    # Age band by sex.
    for b in AGE_BANDS:
        for sx in SEXES:
            values[("cell", b, sx)] = sum(
                1 for o in people if age_band(o.age) == b and _sex(o) == sx
            )
        values[("band", b)] = sum(values[("cell", b, sx)] for sx in SEXES)
        lines.append((("band", b), [("cell", b, sx) for sx in SEXES]))
    for sx in SEXES:
        values[("sex", sx)] = sum(values[("cell", b, sx)] for b in AGE_BANDS)
        lines.append((("sex", sx), [("cell", b, sx) for b in AGE_BANDS]))
    lines.append(("N", [("band", b) for b in AGE_BANDS]))
    lines.append(("N", [("sex", sx) for sx in SEXES]))

    # Each banded test: below, within, above the normal range; the rest not compared.
    tests = [
        ns.battery[t]
        for t in (event.tests_offered or tuple(ns.battery))
        if t in ns.battery and ns.battery[t].norms in BANDED
    ]
    for t in tests:
        cats = ("below_average", "normal") + (() if t.cap is not None else ("above_average",))
        bands = [_band(o, t.id) for o in people]
        for cat in cats:
            values[(t.id, cat)] = sum(1 for b in bands if b == cat)
        values[(t.id, "other")] = n - sum(values[(t.id, cat)] for cat in cats)
        lines.append(("N", [(t.id, cat) for cat in (*cats, "other")]))

    # Flags raised, things to work on, activities matched.
    flag_ids = list(dict.fromkeys(r.id for rules in ns.flags.values() for r in rules))
    for fid in flag_ids:
        yes_no(f"flag:{fid}", sum(1 for o in people if any(f.id == fid for f in o.flags)))
    yes_no("flag:any", sum(1 for o in people if o.flags))
    for cid in FITNESS_COMPONENTS:
        yes_no(f"work:{cid}", sum(1 for o in people if cid in o.work_on))
    yes_no("work:any", sum(1 for o in people if o.work_on))
    yes_no("activities", sum(1 for o in people if o.activities))

    # Retests: the change per test among those retested on it.
    retested = [o for o in people if o.previous_date is not None]
    yes_no("retested", len(retested))
    changes: dict[str, list[float]] = {}
    for t in tests:
        diffs = [d for o in retested if (d := _change(o, t.id)) is not None]
        changes[t.id] = diffs
        values[("retest", t.id)] = len(diffs)
        values[("retest", t.id, "not")] = len(retested) - len(diffs)
        lines.append((("retested", "yes"), [("retest", t.id), ("retest", t.id, "not")]))

    state = protect(values, lines)

    def c(key: Hashable) -> Count:
        return _count(values[key], state[key])

    total = c("N")
    table = AgeSexTable(
        AGE_BANDS,
        tuple(SEX_LABELS[sx] for sx in SEXES),
        tuple(tuple(c(("cell", b, sx)) for sx in SEXES) for b in AGE_BANDS),
        tuple(c(("band", b)) for b in AGE_BANDS),
        tuple(c(("sex", sx)) for sx in SEXES),
        total,
    )
    rows = []
    for t in tests:
        below, within = c((t.id, "below_average")), c((t.id, "normal"))
        above = None if t.cap is not None else c((t.id, "above_average"))
        other = c((t.id, "other"))
        rows.append(
            TestRow(
                t.id,
                t.name,
                below,
                within,
                above,
                other,
                _pct(below, total),
                _pct(within, total),
                _pct(above, total),
                _pct(other, total),
                t.direction == "lower",
            )
        )
    retest_rows = []
    for t in tests:
        k = c(("retest", t.id))
        diffs = changes[t.id]
        show = len(diffs) >= THRESHOLD
        retest_rows.append(
            RetestRow(
                t.id,
                t.name,
                t.label(t.unit),
                k,
                round(statistics.fmean(diffs), 2) if show else None,
                round(statistics.stdev(diffs), 2) if show else None,
                t.direction == "lower",
            )
        )
    titles = {cid: COMPONENTS[cid] for cid in FITNESS_COMPONENTS}
    return SummaryData(
        event.name,
        event.date,
        event.venue,
        event.organisation,
        event.norm_set_version,
        event.training,
        total,
        table,
        tuple(rows),
        tuple(
            NamedCount(fid, FLAG_LABELS.get(fid, fid.replace("_", " ")), c((f"flag:{fid}", "yes")))
            for fid in flag_ids
        ),
        c(("flag:any", "yes")),
        tuple(
            NamedCount(cid, titles[cid], c((f"work:{cid}", "yes"))) for cid in FITNESS_COMPONENTS
        ),
        c(("work:any", "yes")),
        c(("activities", "yes")),
        c(("retested", "yes")),
        tuple(retest_rows),
    )


def _sex(o: Overview) -> str:
    return o.participant.sex if o.participant.sex in SEXES else "not_stated"


def _band(o: Overview, test_id: str) -> str:
    for comp in o.components:
        for i in comp.items:
            if i.test.id == test_id:
                return i.score.band if i.score is not None else "not_done"
    return "absent"


def _change(o: Overview, test_id: str) -> float | None:
    """Now minus then, in the test's own unit."""
    for comp in o.components:
        for i in comp.items:
            if i.test.id == test_id and i.change is not None and i.result.value is not None:
                diff = i.result.value - i.change.before
                return units.convert(diff, i.result.unit, i.test.unit)
    return None


# --- reading the database ----------------------------------------------------------------------


def event_overviews(
    db: Database,
    event_id: str,
    consent: str | None = None,
    norms: NormSet | None = None,
    directory: Directory | None = None,
) -> list[Overview]:
    """Every visit to the MOT day, by family name, as overviews (the data for its sheets).

    With `consent`, only people whose latest decision on that purpose is yes. The advice
    wording and the activities directory are read once for the lot.
    """
    ns = norms or default_norm_set()
    event = R.get_event(db, event_id)
    advice = load_advice(resources_dir() / "advice.toml")
    d = directory
    if d is None and event.activities_directory:
        try:
            d = load_directory(Path(event.activities_directory))
        except FfmotError as e:
            d = Directory((), (str(e),))
    with db.transaction() as s:
        visits = s.execute(
            select(Assessment.id, Assessment.participant_id)
            .join(Participant, Participant.id == Assessment.participant_id)
            .where(Assessment.event_id == event.id)
            .order_by(Participant.search_family, Participant.search_given, Participant.id)
        ).all()
    out = []
    for aid, pid in visits:
        p = R.get_participant(db, pid)
        if consent is not None and not p.consented(consent):
            continue
        a = R.get_assessment(db, aid)
        prev = R.get_assessment(db, a.previous_id) if a.previous_id else None
        out.append(build_overview(p, a, event, prev, ns, advice, d))
    return out


def summary_data(db: Database, event_id: str, norms: NormSet | None = None) -> SummaryData:
    """The anonymised summary of one MOT day (event_id may be the prefix `ffmot events`
    shows)."""
    event = R.get_event(db, event_id)
    return summarise(event, event_overviews(db, event.id, CONSENT, norms), norms)


def participant_visits(db: Database, participant_id: str) -> list[tuple[str, dt.date]]:
    """A participant's visits (assessment id, date), the latest first."""
    with db.transaction() as s:
        rows = s.execute(
            select(Assessment.id, Assessment.assessed_on)
            .where(Assessment.participant_id == participant_id)
            .order_by(Assessment.assessed_on.desc(), Assessment.created_at.desc())
        ).all()
    return [(r.id, r.assessed_on) for r in rows]


def pick_visit(db: Database, participant_id: str, code: str, prefix: str | None) -> str:
    """The visit to print: the latest, or the one whose id starts with `prefix`."""
    visits = participant_visits(db, participant_id)
    if not visits:
        raise InputError(f"{code} has no visits yet: check them in to an MOT day first")
    if prefix is None:
        return visits[0][0]
    p = prefix.strip().lower()
    if len(p) < 4:
        raise InputError("--assessment needs at least the first 4 characters of a visit id")
    found = [v for v, _ in visits if v.lower().startswith(p)]
    if not found:
        raise InputError(f"{code} has no visit whose id starts with {prefix.strip()}")
    if len(found) > 1:
        raise InputError(f"more than one of {code}'s visits starts with {prefix.strip()}")
    return found[0]
