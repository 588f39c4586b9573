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

import statistics
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

from ffmot.core import units
from ffmot.core.advice import (
    FITNESS_COMPONENTS,
    Directory,
    load_advice,
)
from ffmot.core.ages import age_band
from ffmot.core.battery import COMPONENTS
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.paths import advice_file
from ffmot.core.published import (
    AGE_BANDS,
    BANDED,
    CONSENT,
    SEX_LABELS,
    THRESHOLD,
    TOP_BAND,
    AgeSexTable,
    Count,
    NamedCount,
    RetestRow,
    SummaryData,
    TestRow,
    percent,
    protect,
    published_count,
)
from ffmot.core.vocabulary import SEXES
from ffmot.services import records as R
from ffmot.services.day_people import Person, day_directory, read_people
from ffmot.services.overview import Overview, build_overview
from ffmot.services.types import EventInfo
from ffmot.store.db import Database

# --- counting ------------------------------------------------------------------------------------


def person_from_overview(o: Overview) -> Person:
    bands: dict[str, str] = {}
    changes: dict[str, float] = {}
    for comp in o.components:
        for i in comp.items:
            bands[i.test.id] = i.score.band if i.score is not None else "not_done"
            if i.change is not None and i.result.value is not None:
                diff = i.result.value - i.change.before
                changes[i.test.id] = units.convert(diff, i.result.unit, i.test.unit)
    return Person(
        o.age,
        o.participant.sex if o.participant.sex in SEXES else "not_stated",
        bands,
        frozenset(f.id for f in o.flags),
        frozenset(o.work_on),
        bool(o.activities),
        o.previous_date is not None,
        changes,
    )


def summarise(
    event: EventInfo, overviews: Iterable[Overview], norms: NormSet | None = None
) -> SummaryData:
    """The summary of one MOT day from its visits' overviews (people without consent to
    anonymous reports are left out here too)."""
    return summarise_people(
        event,
        [
            person_from_overview(o)
            for o in overviews
            if o.participant.consented(CONSENT) and o.event.id == event.id
        ],
        norms,
    )


def summarise_people(
    event: EventInfo, people: Sequence[Person], norms: NormSet | None = None
) -> SummaryData:
    """The summary of one MOT day from what is counted of each consenting person."""
    ns = norms or default_norm_set()
    values: dict[Hashable, int] = {}
    lines: list[tuple[Hashable, list[Hashable]]] = []
    n = len(people)
    values["N"] = n

    def yes_no(key: str, yes: int) -> None:
        values[(key, "yes")] = yes
        values[(key, "no")] = n - yes
        lines.append(("N", [(key, "yes"), (key, "no")]))

    # Age band by sex.
    cells = Counter((age_band(o.age, 5, TOP_BAND), o.sex) for o in people)
    for b in AGE_BANDS:
        for sx in SEXES:
            values[("cell", b, sx)] = cells[(b, sx)]
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
        bands = [o.bands.get(t.id, "absent") for o in people]
        for cat in cats:
            values[(t.id, cat)] = sum(1 for b in bands if b == cat)
        values[(t.id, "other")] = n - sum(values[(t.id, cat)] for cat in cats)
        lines.append(("N", [(t.id, cat) for cat in (*cats, "other")]))

    # Flags raised, things to work on, activities matched.
    flag_labels = {r.id: r.label for rules in ns.flags.values() for r in rules}
    flag_ids = list(flag_labels)
    for fid in flag_ids:
        yes_no(f"flag:{fid}", sum(1 for o in people if fid in o.flags))
    yes_no("flag:any", sum(1 for o in people if o.flags))
    for cid in FITNESS_COMPONENTS:
        yes_no(f"work:{cid}", sum(1 for o in people if cid in o.work_on))
    yes_no("work:any", sum(1 for o in people if o.work_on))
    yes_no("activities", sum(1 for o in people if o.activities))

    # Retests: the change per test among those retested on it.
    retested = [o for o in people if o.retested]
    yes_no("retested", len(retested))
    changes: dict[str, list[float]] = {}
    for t in tests:
        diffs = [o.changes[t.id] for o in retested if t.id in o.changes]
        changes[t.id] = diffs
        values[("retest", t.id)] = len(diffs)
        values[("retest", t.id, "not")] = len(retested) - len(diffs)
        lines.append((("retested", "yes"), [("retest", t.id), ("retest", t.id, "not")]))

    state = protect(values, lines)

    def c(key: Hashable) -> Count:
        return published_count(values[key], state[key])

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
                percent(below, total),
                percent(within, total),
                percent(above, total),
                percent(other, total),
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
        tuple(NamedCount(fid, flag_labels[fid], c((f"flag:{fid}", "yes"))) for fid in flag_ids),
        c(("flag:any", "yes")),
        tuple(
            NamedCount(cid, titles[cid], c((f"work:{cid}", "yes"))) for cid in FITNESS_COMPONENTS
        ),
        c(("work:any", "yes")),
        c(("activities", "yes")),
        c(("retested", "yes")),
        tuple(retest_rows),
    )


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
    advice = load_advice(advice_file())
    d = directory if directory is not None else day_directory(event)
    return [
        build_overview(p, a, event, prev, ns, advice=advice, directory=d)
        for p, a, prev in R.day_visits(db, event.id)
        if consent is None or p.consented(consent)
    ]


def summary_data(db: Database, event_id: str, norms: NormSet | None = None) -> SummaryData:
    """The anonymised summary of one MOT day (event_id may be the prefix `ffmot events`
    shows)."""
    event = R.get_event(db, event_id)
    return summarise_people(event, read_people(db, event, norms), norms)
