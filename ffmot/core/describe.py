"""Plain-text descriptions of results and norm tables, for the command line.

Its words are in the practitioner's language (ffmot/core/i18n.py); the wording that comes from
the norm files (test names, units, readings, flags, protocols) is looked up as the sheet looks
it up. Codes, numbers, statuses and sources are shown as the files give them."""

from __future__ import annotations

from ffmot.core import units
from ffmot.core.battery import ACTIVITY
from ffmot.core.i18n import N_, _
from ffmot.core.norms import SEXES, NormRow, NormSet, PercentileTable, ThresholdTable
from ffmot.core.scoring import Score

BAND_WORDS = {  # (N_: translated where shown)
    "below_average": N_("below average"),
    "normal": N_("in the normal range"),
    "above_average": N_("above average"),
    "not_classified": N_("not compared"),
}


def _num(x: float) -> str:
    return f"{x:g}"


def _first_line(t_name: str, r: Score, label: str) -> str:
    fields = {"test": t_name, "value": _num(r.value), "unit": label, "age": str(r.age)}
    if r.sex == "female":
        return _("{test}: {value} {unit} (woman, age {age})", **fields)
    if r.sex == "male":
        return _("{test}: {value} {unit} (man, age {age})", **fields)
    return _("{test}: {value} {unit} (person, age {age})", **fields)


def describe_score(r: Score, ns: NormSet) -> str:
    t = ns.battery[r.test]
    label = _(t.label(r.unit))
    lines = [_first_line(_(t.name), r, label)]
    lines.append(_("Band: {band}", band=_(BAND_WORDS[r.band])))
    if r.normal_range:
        lo, hi = r.normal_range
        if t.direction == "lower":
            lines.append(
                _(
                    "Normal range for this age and sex: {low} to {high} {unit} (lower is better)",
                    low=_num(lo),
                    high=_num(hi),
                    unit=label,
                )
            )
        else:
            lines.append(
                _(
                    "Normal range for this age and sex: {low} to {high} {unit}",
                    low=_num(lo),
                    high=_num(hi),
                    unit=label,
                )
            )
    if r.percentile is not None:
        lines.append(_("Estimated percentile: {percentile}", percentile=r.percentile))
    if r.reason:  # kept in English in the Score (--json writes it); said in words here
        lines.append(_("Why: {reason}", reason=r.said_reason()))
    if r.reading:
        lines.append(_("Reading: {reading}", reading=_(r.reading)))
    if r.criterion:
        c = r.criterion
        fields = {"standard": _num(c.standard), "unit": label, "source": c.source}
        if c.meets:
            lines.append(
                _(
                    "Fitness standard for staying independent: {standard} {unit}, met [{source}]",
                    **fields,
                )
            )
        else:
            lines.append(
                _(
                    "Fitness standard for staying independent: {standard} {unit}, not yet met "
                    "[{source}]",
                    **fields,
                )
            )
    for g in r.guidelines:
        if g.met is None:
            state = _("no number set") if g.target is None else _("not asked")
        else:
            state = _("meets the guideline") if g.met else _("below the guideline")
        if g.value is None:
            lines.append(_("{label}: {state}. {text}", label=_(g.label), state=state, text=g.text))
        else:
            lines.append(
                _(
                    "{label}: {value} {unit}: {state}. {text}",
                    label=_(g.label),
                    value=_num(g.value),
                    unit=g.unit,
                    state=state,
                    text=g.text,
                )
            )
    for f in r.flags:
        lines.append(_("To talk about: {text} [{source}]", text=_(f.text), source=f.source))
    if r.note:
        lines.append(_("Note: {note}", note=r.said_note()))
    if r.source:
        lines.append(_("Source: {source}; norm set {version}", source=r.source, version=r.norm_set))
    return "\n".join(lines)


def describe_norm_set(ns: NormSet) -> str:
    out = [_("{name}, version {version}", name=ns.name, version=ns.version), ""]
    test = _("test", context="norms table")
    component = _("component", context="norms table")
    units_ = _("units", context="norms table")
    ages_ = _("ages", context="norms table")
    source = _("source", context="norms table")
    out.append(f"{test:<18} {component:<22} {units_:<16} {ages_:<8} {source}")
    for t in ns.battery.values():
        table = ns.tables.get(t.id)
        if table is not None:
            cov = table.coverage(0)
            ages = f"{cov[0]}-{cov[1]}" if cov else "-"
            src = ns.sources[table.rows[0].source].short
        elif t.id in ns.readings:
            ages, src = _("adults"), ns.sources[ns.readings[t.id][0].row.source].short
        else:
            ages, src = _("adults"), ns.sources[ns.guideline_source].short
        out.append(f"{t.id:<18} {_(t.component_name):<22} {', '.join(t.units):<16} {ages:<8} {src}")
    out += ["", _("ffmot norms show TEST prints a table with the source and status of every row.")]
    return "\n".join(out) + "\n"


def _heading(ns: NormSet, test_id: str) -> str:
    t = ns.battery[test_id]
    fields = {
        "name": _(t.name),
        "id": t.id,
        "component": _(t.component_name),
        "unit": t.unit,
        "units": ", ".join(t.units),
    }
    if t.direction == "none":
        return _("{name} ({id}): {component}", **fields)
    if t.direction == "lower":
        return _(
            "{name} ({id}): {component}; entered in {unit}, accepted {units}; lower is better",
            **fields,
        )
    return _(
        "{name} ({id}): {component}; entered in {unit}, accepted {units}; higher is better",
        **fields,
    )


def describe_test_norms(ns: NormSet, test_id: str) -> str:  # noqa: C901 (one paragraph per kind of norm table)
    t = ns.battery[test_id]
    label = _(units.unit(t.norm_unit).label)
    out = [_heading(ns, test_id), ""]
    table = ns.tables.get(test_id)
    sex = _("sex", context="norms table")
    status = _("status", context="norms table")
    source = _("source", context="norms table")
    if isinstance(table, PercentileTable) and not table.exact_ages:
        out.append(_("Normal range (25th-75th percentile) and median, in {unit}:", unit=label))
        ages = _("ages", context="norms table")
        rng = _("range", context="norms table")
        median = _("median", context="norms table")
        out.append(f"{sex:<7} {ages:<6} {rng:<15} {median:<7} {status:<18} {source}")
        for r in table.rows:
            rng = _(
                "{low} to {high}",
                low=_num(r.value("range_low")),
                high=_num(r.value("range_high")),
            )
            out.append(
                f"{r.sex:<7} {r.age_min}-{r.age_max:<3} {rng:<15} "
                f"{_num(r.value('median')):<7} {r.status:<18} {_sources(ns, r)}"
            )
            if r.note:
                out.append(f"{'':<15}" + _("note: {note}", note=r.note))
    elif isinstance(table, PercentileTable):
        out.append(
            _(
                "Centiles in {unit} at the published ages; ages between rows are "
                "interpolated linearly; normal range = 25th to 75th centile:",
                unit=label,
            )
        )
        age = _("age", context="norms table")
        out.append(
            f"{sex:<7} {age:<4} {'p10':>5} {'p25':>5} {'p50':>5} {'p75':>5} "
            f"{'p90':>5}  {status:<15} {source}"
        )
        for r in table.rows:
            vals = " ".join(f"{v:>5g}" for _centile, v in r.values)
            out.append(f"{r.sex:<7} {r.age_min:<4} {vals}  {r.status:<15} {_sources(ns, r)}")
        for s, name in enumerate(SEXES):
            cov = table.coverage(s)
            if cov:
                out.append(
                    _("{sex}: compared for ages {low} to {high}", sex=name, low=cov[0], high=cov[1])
                )
    elif isinstance(table, ThresholdTable):
        out.append(
            _(
                "Lower edge of the usual range by age (both sexes; capped at {cap} s). "
                "At or above it counts as normal; below 5 s is flagged at any age; no percentile "
                "is published. The published mean is shown for reference only:",
                cap=_num(t.cap or 0),
            )
        )
        for r in table.rows:
            ages = _(
                "ages {low}-{high}: {usual} s (mean {mean} s)",
                low=r.age_min,
                high=r.age_max,
                usual=_num(r.value("usual_low_s")),
                mean=_num(r.value("mean_s")),
            )
            out.append(f"{ages}  {r.status}  {_sources(ns, r)}  {r.note}")
    crit = ns.criteria.get(test_id)
    if crit is not None:
        out += [
            "",
            _("Fitness standard for staying independent (criterion, not a percentile):"),
        ]
        for r in crit.rows:
            out.append(
                f"{r.sex:<7} {r.age_min}-{r.age_max:<3} {_num(r.value('standard')):<7} "
                f"{r.status:<15} {_sources(ns, r)}"
            )
    for title, rules in (
        (N_("Readings:"), ns.readings.get(test_id, ())),
        (N_("Flags (worth talking about):"), ns.flags.get(test_id, ())),
    ):
        if rules:
            out += ["", _(title)]
            for rule in rules:
                who = rule.sex or _("everyone")
                if (rule.min_age, rule.max_age) != (0, 120):
                    who = _(
                        "{who}, ages {low}-{high}", who=who, low=rule.min_age, high=rule.max_age
                    )
                cond = (
                    _("otherwise")
                    if rule.comparison == "any"
                    else f"{rule.comparison} {_num(rule.cutoff)} {rule.unit}"
                )
                out.append(
                    _(
                        "{who}, {condition}: {text} [{source}]",
                        who=who,
                        condition=cond,
                        text=_(rule.text),
                        source=ns.cite(rule.row),
                    )
                )
    if t.norms == ACTIVITY:
        out.append(_("UK CMO guidelines [{source}]:", source=ns.sources[ns.guideline_source].short))
        for g in ns.guidelines:
            if g.target is None:
                out.append(_("- {label}: {text}", label=_(g.label), text=g.text))
            else:
                out.append(
                    _(
                        "- {label} (target {target} {unit}): {text}",
                        label=_(g.label),
                        target=_num(g.target),
                        unit=g.unit,
                        text=g.text,
                    )
                )
    out += [
        "",
        _("Protocol: {protocol}", protocol=_(t.protocol)),
        _("Safety: {safety}", safety=_(t.safety)),
    ]
    if isinstance(table, PercentileTable | ThresholdTable):
        keys = sorted({r.source for r in table.rows})
        out += [""] + [f"{ns.sources[k].short}: {ns.sources[k].cite}" for k in keys]
    return "\n".join(out) + "\n"


def _sources(ns: NormSet, r: NormRow) -> str:
    names = [ns.sources[r.source].short]
    if r.checked_against:
        names.append(
            _(
                "checked: {sources}",
                sources=", ".join(ns.sources[k].short for k in r.checked_against),
            )
        )
    return "; ".join(names)
