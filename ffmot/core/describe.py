"""Plain-text descriptions of results and norm tables, for the command line."""

from __future__ import annotations

from ffmot.core import units
from ffmot.core.norms import SEXES, NormRow, NormSet, PercentileTable, ThresholdTable
from ffmot.core.scoring import Score

BAND_WORDS = {
    "below_average": "below average",
    "normal": "in the normal range",
    "above_average": "above average",
    "not_classified": "not compared",
}


def _n(x: float) -> str:
    return f"{x:g}"


def describe_score(r: Score, ns: NormSet) -> str:
    t = ns.battery[r.test]
    label = t.label(r.unit)
    who = {"female": "woman", "male": "man"}.get(r.sex, "person")
    lines = [f"{t.name}: {_n(r.value)} {label} ({who}, age {r.age})"]
    lines.append(f"Band: {BAND_WORDS[r.band]}")
    if r.normal_range:
        lo, hi = r.normal_range
        lines.append(
            f"Normal range for this age and sex: {_n(lo)} to {_n(hi)} {label}"
            + (" (lower is better)" if t.direction == "lower" else "")
        )
    if r.percentile is not None:
        lines.append(f"Estimated percentile: {r.percentile}")
    if r.reason:
        lines.append(f"Why: {r.reason}")
    if r.reading:
        lines.append(f"Reading: {r.reading}")
    if r.criterion:
        c = r.criterion
        lines.append(
            f"Fitness standard for staying independent: {_n(c.standard)} {label}, "
            + ("met" if c.meets else "not yet met")
            + f" [{c.source}]"
        )
    for g in r.guidelines:
        if g.met is None:
            state = "no number set" if g.target is None else "not asked"
        else:
            state = "meets the guideline" if g.met else "below the guideline"
        value = "" if g.value is None else f"{_n(g.value)} {g.unit}: "
        lines.append(f"{g.label}: {value}{state}. {g.text}")
    for f in r.flags:
        lines.append(f"To talk about: {f.text} [{f.source}]")
    if r.note:
        lines.append(f"Note: {r.note}")
    if r.source:
        lines.append(f"Source: {r.source}; norm set {r.norm_set}")
    return "\n".join(lines)


def describe_norm_set(ns: NormSet) -> str:
    out = [f"{ns.name}, version {ns.version}", ""]
    out.append(f"{'test':<18} {'component':<22} {'units':<16} {'ages':<8} source")
    for t in ns.battery.values():
        table = ns.tables.get(t.id)
        if table is not None:
            cov = table.coverage(0)
            ages = f"{cov[0]}-{cov[1]}" if cov else "-"
            src = ns.sources[table.rows[0].source].short
        elif t.id in ns.readings:
            ages, src = "adults", ns.sources[ns.readings[t.id][0].row.source].short
        else:
            ages, src = "adults", ns.sources[ns.guideline_source].short
        out.append(f"{t.id:<18} {t.component_name:<22} {', '.join(t.units):<16} {ages:<8} {src}")
    out += ["", "ffmot norms show TEST prints a table with the source and status of every row."]
    return "\n".join(out) + "\n"


def describe_test_norms(ns: NormSet, test_id: str) -> str:
    t = ns.battery[test_id]
    label = units.unit(t.norm_unit).label
    out = [
        f"{t.name} ({t.id}): {t.component_name}; entered in {t.unit}, accepted "
        f"{', '.join(t.units)}; {'lower' if t.direction == 'lower' else 'higher'} is better"
        if t.direction != "none"
        else f"{t.name} ({t.id}): {t.component_name}",
        "",
    ]
    table = ns.tables.get(test_id)
    if isinstance(table, PercentileTable) and not table.exact_ages:
        out.append(f"Normal range (25th-75th percentile) and median, in {label}:")
        out.append(f"{'sex':<7} {'ages':<6} {'range':<15} {'median':<7} {'status':<18} source")
        for r in table.rows:
            rng = f"{_n(r.value('range_low'))} to {_n(r.value('range_high'))}"
            out.append(
                f"{r.sex:<7} {r.age_min}-{r.age_max:<3} {rng:<15} "
                f"{_n(r.value('median')):<7} {r.status:<18} {_sources(ns, r)}"
            )
            if r.note:
                out.append(f"{'':<15}note: {r.note}")
    elif isinstance(table, PercentileTable):
        out.append(
            f"Centiles in {label} at the published ages; ages between rows are "
            "interpolated linearly; normal range = 25th to 75th centile:"
        )
        out.append(
            f"{'sex':<7} {'age':<4} {'p10':>5} {'p25':>5} {'p50':>5} {'p75':>5} "
            f"{'p90':>5}  status          source"
        )
        for r in table.rows:
            vals = " ".join(f"{v:>5g}" for _, v in r.values)
            out.append(f"{r.sex:<7} {r.age_min:<4} {vals}  {r.status:<15} {_sources(ns, r)}")
        for s, name in enumerate(SEXES):
            cov = table.coverage(s)
            if cov:
                out.append(f"{name}: compared for ages {cov[0]} to {cov[1]}")
    elif isinstance(table, ThresholdTable):
        out.append(
            f"Lower edge of the usual range by age (both sexes; capped at {_n(t.cap or 0)} s). "
            "At or above it counts as normal; below 5 s is flagged at any age; no percentile "
            "is published. The published mean is shown for reference only:"
        )
        for r in table.rows:
            out.append(
                f"ages {r.age_min}-{r.age_max}: {_n(r.value('usual_low_s'))} s "
                f"(mean {_n(r.value('mean_s'))} s)  {r.status}  {_sources(ns, r)}  {r.note}"
            )
    crit = ns.criteria.get(test_id)
    if crit is not None:
        out += ["", "Fitness standard for staying independent (criterion, not a percentile):"]
        for r in crit.rows:
            out.append(
                f"{r.sex:<7} {r.age_min}-{r.age_max:<3} {_n(r.value('standard')):<7} "
                f"{r.status:<15} {_sources(ns, r)}"
            )
    for title, rules in (
        ("Readings", ns.readings.get(test_id, ())),
        ("Flags (worth talking about)", ns.flags.get(test_id, ())),
    ):
        if rules:
            out += ["", f"{title}:"]
            for rule in rules:
                who = rule.sex or "everyone"
                ages = (
                    f", ages {rule.min_age}-{rule.max_age}"
                    if (rule.min_age, rule.max_age) != (0, 120)
                    else ""
                )
                cond = (
                    "otherwise"
                    if rule.comparison == "any"
                    else f"{rule.comparison} {_n(rule.cutoff)} {rule.unit}"
                )
                out.append(f"{who}{ages}, {cond}: {rule.text} [{ns.cite(rule.row)}]")
    if t.norms == "activity":
        out.append(f"UK CMO guidelines [{ns.sources[ns.guideline_source].short}]:")
        for g in ns.guidelines:
            target = "" if g.target is None else f" (target {_n(g.target)} {g.unit})"
            out.append(f"- {g.label}{target}: {g.text}")
    out += ["", f"Protocol: {t.protocol}", f"Safety: {t.safety}"]
    if isinstance(table, PercentileTable | ThresholdTable):
        keys = sorted({r.source for r in table.rows})
        out += [""] + [f"{ns.sources[k].short}: {ns.sources[k].cite}" for k in keys]
    return "\n".join(out) + "\n"


def _sources(ns: NormSet, r: NormRow) -> str:
    names = [ns.sources[r.source].short]
    if r.checked_against:
        names.append("checked: " + ", ".join(ns.sources[k].short for k in r.checked_against))
    return "; ".join(names)
