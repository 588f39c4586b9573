"""What to say to one person: the single place that turns everything known about them into the
words the results screen and the take-home sheet show.

It takes the person (age, sex or not stated, the screening's answers and outcome, every result
with its modifications and why a test was not done or was stopped, their activity habits, and
their previous visit) and decides:

- which mode the sheet is in: the full sheet, a screen-out sheet (no tests today: see your GP
  first, no targets and no exercises), or a sheet after a test stopped for a symptom (results,
  but no exercises or targets until they have seen their GP);
- each result's verdict in words, its usual range printed so it never contradicts the verdict,
  and the change since last time measured against that test's meaningful change;
- each fitness component's status, and at most three things to work on, by a stated priority;
- for each, steps at the person's level (seated, supported, standard, progressed), set by their
  screening, the way they did the test and how far below the range they were;
- which local activities fit (intensity and who the activity suits; nothing they already do);
- the things worth talking about with a GP: the screening, a symptom, a recent fall, and the
  flags the norms define at validated cut-offs, in calm words;
- a summary-and-action box for the top of the sheet.

The rules' words and thresholds are data (resources/advice.toml, explained in
resources/README.md). No Qt, no database: plain data in, plain data out.

Why one room: every sentence about one person comes from one set of rules, read in the order the
sheet reads, so a clinician can review them beside resources/advice.toml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ffmot.core.advice import FITNESS_COMPONENTS, LocalActivity
from ffmot.core.battery import READINGS, SYMPTOM_STOPS, TestDef
from ffmot.core.datafiles import read_toml
from ffmot.core.errors import NormDataError
from ffmot.core.i18n import _, short_date
from ffmot.core.paths import advice_file
from ffmot.core.scoring import FlagHit, Score

LEVELS = ("seated", "supported", "standard", "progressed")
FULL, SCREENED_OUT, SYMPTOM_STOP = "full", "screened_out", "symptom_stop"
MODIFIED = ("arms_used", "walking_aid", "held_support")
MOBILITY_FOCUS = ("balance", "leg_strength", "stamina")
WORK_ON = ("below", "attention")  # verdicts that can make something to work on
COMPARED = ("above", "usual", "below", "attention", "fine")  # verdicts that say how they did
FAR_BELOW_PERCENTILE = 10  # below this, steps start at the supported level


# --- the rules and words, from resources/advice.toml ---------------------------------------------


@dataclass(frozen=True)
class Focus:
    id: str
    title: str
    component: str
    tests: tuple[str, ...]
    priority: int
    why: str
    steps: dict[str, tuple[str, ...]]  # level: steps


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per file read
class Rules:
    words: dict[str, Any]  # the whole file, for plain lookups
    focus: tuple[Focus, ...]
    thresholds: dict[str, float]

    def w(self, *path: str) -> str:
        """The wording at `path`, in the current language."""
        node: Any = self.words
        for key in path:
            node = node[key]
        return _(str(node))

    def has(self, *path: str) -> bool:
        node: Any = self.words
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True

    def lines(self, *path: str) -> tuple[str, ...]:
        """A list of wording at `path`, each line in the current language."""
        node: Any = self.words
        for key in path:
            node = node[key]
        return tuple(_(str(x)) for x in node)


def load_rules(path: Path | None = None) -> Rules:
    path = path or advice_file()
    data = read_toml(path)
    try:
        focus = []
        for fid, f in data["focus"].items():
            steps = {lvl: tuple(str(s) for s in f[lvl]) for lvl in LEVELS}
            if f["component"] not in FITNESS_COMPONENTS:
                raise NormDataError(
                    _("{file} [focus.{focus}]: unknown component", file=path.name, focus=fid)
                )
            focus.append(
                Focus(
                    fid,
                    str(f["title"]),
                    str(f["component"]),
                    tuple(str(t) for t in f["tests"]),
                    int(f["priority"]),
                    str(f["why"]),
                    steps,
                )
            )
        thresholds = {str(k): float(v) for k, v in data["change"]["thresholds"].items()}
        for key in ("bands", "status", "not_done", "change", "summary", "screened_out"):
            if key not in data:
                raise NormDataError(
                    _("{file}: no [{section}] section", file=path.name, section=key)
                )
    except KeyError as e:
        raise NormDataError(_("{file}: missing {key}", file=path.name, key=e.args[0])) from None
    return Rules(data, tuple(sorted(focus, key=lambda f: f.priority)), thresholds)


def default_rules() -> Rules:
    """The advice in use: the organisation folder's wording, or ffmot's own."""
    return _rules_at(str(advice_file()))


@lru_cache(maxsize=4)
def _rules_at(path: str) -> Rules:
    return load_rules(Path(path))


# --- what we know about the person ----------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """One test at this visit, as recorded and scored."""

    test: TestDef
    done: bool
    value: float | None
    unit: str
    reason: str | None = None  # why not done
    stop_reason: str | None = None  # why the tester stopped it
    modifications: tuple[str, ...] = ()
    score: Score | None = None  # None when not done or not scorable
    # Sex not stated: the scores against women's and men's figures, to compare with both.
    both: tuple[Score, Score] | None = None
    previous: float | None = None  # last visit's value, in `unit`
    previous_band: str | None = None


@dataclass(frozen=True)
class Facts:
    age: int
    sex: str  # female, male or not_stated
    screening: str | None  # incomplete, clear, care, do_not_test; None: not screened
    screening_plain: tuple[str, ...] = ()  # the reasons, in the participant's words
    excluded: tuple[str, ...] = ()
    recent_fall: bool = False
    cannot_stand: bool = False
    cannot_walk: bool = False
    results: tuple[Observed, ...] = ()
    moderate_minutes: float | None = None
    strength_days: int | None = None
    balance_days: int | None = None
    sitting_hours: float | None = None
    previous_date: dt.date | None = None


# --- what to say ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestSays:
    test: str
    verdict: str  # above, usual, below; attention, fine (read against a cut-off); not_compared...
    band_words: str  # "Below the usual range for your age"; "" unless compared
    note: str  # why not compared, why not done, a modification
    range_text: str  # "usual range: 10 to 15 stands"; printed so it agrees with the verdict
    change: str  # since last time, in words
    change_kind: str  # better, worse, small, same, or ""
    band: str  # the band it was compared in: above_average, normal, below_average, or ""


@dataclass(frozen=True)
class WorkOn:
    focus: str
    title: str
    component: str
    why: str
    level: str
    steps: tuple[str, ...]
    tests: tuple[str, ...]
    already: bool = False  # the first step says they already do enough of this


@dataclass(frozen=True)
class Interpretation:
    mode: str  # full, screened_out, symptom_stop
    headline: tuple[str, ...]  # the summary box's lines
    actions: tuple[str, ...]  # the summary box's actions (one to three)
    tests: dict[str, TestSays]
    component_status: dict[str, str]  # strength, usual, work_on, lower, not_compared
    component_words: dict[str, str]
    work_on: tuple[WorkOn, ...]
    gp_items: tuple[str, ...]
    activities: tuple[LocalActivity, ...]
    sitting_steps: tuple[str, ...]
    show_targets: bool  # the activity guidelines with their targets, and exercises
    explain: tuple[str, ...]  # the band explained, in body text
    symptom_lines: tuple[str, ...] = field(default=())


def band_verdict(band: str) -> str:
    return {"above_average": "above", "normal": "usual", "below_average": "below"}.get(band, "")


def band_words(rules: Rules, test: TestDef, band: str, both: bool = False) -> str:
    v = band_verdict(band)
    if not v:
        return ""
    key = v
    if test.direction == "lower" and v in ("above", "below"):
        key = "above_faster" if v == "above" else "below_slower"
    text = rules.w("bands", key)
    return text + (rules.w("bands", "both_sexes") if both else "")


def reading_verdict(rules: Rules, score: Score) -> tuple[str, str]:
    """A result read against a published level (no usual range): "attention" or "fine", and
    its words from advice.toml [bands] ("" where an older copy of the file has none)."""
    verdict = "attention" if score.attention else "fine"
    return verdict, rules.w("bands", verdict) if rules.has("bands", verdict) else ""


def _decimals_that_agree(value: float, lo: float, hi: float) -> int:
    """The fewest decimals (0 to 3) at which the printed value and range edges keep the same
    order as the exact ones, so a printed range never contradicts the verdict."""

    def order(a: float, b: float) -> int:
        return (a > b) - (a < b)

    for d in range(0, 4):
        rv, rl, rh = round(value, d), round(lo, d), round(hi, d)
        exact = (order(value, lo) >= 0, order(value, hi) <= 0)
        printed = (order(rv, rl) >= 0, order(rv, rh) <= 0)
        if exact == printed and (d > 0 or (lo.is_integer() and hi.is_integer())):
            return d
    return 3


def _num(x: float, d: int) -> str:
    text = f"{x:.{d}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0"):
        return "0"
    return text.replace("-", "\u2212")


def range_text(test: TestDef, score: Score) -> str:
    """ "usual range: 10 to 15 stands", at a precision where the printed value and edges agree
    with the band ("typical: 20 seconds or more" for the one-leg stand)."""
    if score.normal_range is None:
        return ""
    lo, hi = score.normal_range
    label = _(test.label(score.unit))
    d = _decimals_that_agree(score.value, lo, hi)
    if test.cap is not None:
        if lo >= test.cap:
            return _("usual range: {low} {unit}", low=_num(lo, d), unit=label)
        return _("usual range: {low} {unit} or more", low=_num(lo, d), unit=label)
    return _("usual range: {low} to {high} {unit}", low=_num(lo, d), high=_num(hi, d), unit=label)


def value_precision(score: Score) -> int:
    """How many decimals to print the value with, so it agrees with the printed range."""
    if score.normal_range is None:
        return 1
    return max(1, _decimals_that_agree(score.value, *score.normal_range))


def _amount_words(test: TestDef, diff: float, unit: str) -> str:
    """ "3 more stands", "1 second faster", "7 kg weaker", "11 cm less far"."""
    better = diff < 0 if test.direction == "lower" else diff > 0
    n = abs(diff)
    amount = _num(n, 0 if float(round(n, 1)).is_integer() else 1)
    label = test.label(unit)
    one_second = label == "seconds" and amount == "1"
    said = {"amount": amount, "unit": _("second") if one_second else _(label)}
    if test.change_words:  # the test's own words (battery.toml)
        return _(test.change_words[0] if better else test.change_words[1], **said)
    if test.direction == "lower":
        return (
            _("{amount} {unit} faster", **said) if better else _("{amount} {unit} slower", **said)
        )
    if test.unit == "count":
        return _("{amount} more {unit}", **said) if better else _("{amount} fewer {unit}", **said)
    return _("{amount} {unit} more", **said) if better else _("{amount} {unit} less", **said)


def change_says(rules: Rules, o: Observed, on: dt.date | None, now_band: str) -> tuple[str, str]:
    """The change since last time and its kind (better, worse, small, same)."""
    if on is None or o.previous is None or o.value is None:
        return "", ""
    date = short_date(on)
    t = o.test
    if t.id not in rules.thresholds:  # the one-leg stand: only a change of band counts
        then_v, now_v = band_verdict(o.previous_band or ""), band_verdict(now_band)
        if not then_v or not now_v or then_v == now_v:
            return rules.w("change", "words", "band_same").format(date=date), "same"
        rank = {"below": 0, "usual": 1, "above": 2}
        better = rank[now_v] > rank[then_v]
        words = {
            "below": _("below the usual range"),
            "usual": _("the usual range"),
            "above": _("above it"),
        }
        key = "band_better" if better else "band_worse"
        text = rules.w("change", "words", key).format(
            date=date, then=words[then_v], now=words[now_v]
        )
        return text, "better" if better else "worse"
    diff = o.value - o.previous
    if abs(diff) < 1e-9:
        return rules.w("change", "words", "same").format(date=date), "same"
    amount = _amount_words(t, diff, o.unit)
    better = diff < 0 if t.direction == "lower" else diff > 0
    if abs(diff) + 1e-9 < rules.thresholds[t.id]:
        return rules.w("change", "words", "small").format(date=date, amount=amount), "small"
    key = "better" if better else "worse"
    text = rules.w("change", "words", key).format(date=date, amount=amount)
    return text[0].upper() + text[1:], key


def _not_compared_note(rules: Rules, score: Score | None) -> str:
    if score is None:
        return rules.w("not_compared", "other")
    reason = score.reason or ""
    if reason.startswith("sex not stated"):
        return rules.w("not_compared", "sex_not_stated")
    import re

    m = re.search(r"cover ages (\d+) to (\d+)", reason)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if score.age < lo:
            return rules.w("not_compared", "too_young").format(lo=lo)
        return rules.w("not_compared", "too_old").format(hi=hi)
    return rules.w("not_compared", "other")


def _combined_band(o: Observed) -> str:
    """Sex not stated: a band only where the figures for women and for men agree."""
    if o.both is None:
        return ""
    f, m = o.both
    if f.band == m.band and f.band in ("above_average", "normal", "below_average"):
        return f.band
    return ""


def test_says(rules: Rules, facts: Facts, o: Observed) -> TestSays:
    t = o.test
    if not o.done or o.value is None:
        if o.reason == "stopped_by_tester":
            if o.stop_reason in SYMPTOM_STOPS:
                note = rules.w("not_done", "stopped_symptom").format(
                    symptom=rules.w("symptoms", o.stop_reason or "")
                )
            else:
                note = rules.w("not_done", "stopped_other")
            return TestSays(t.id, "stopped", "", note, "", "", "", "")
        if t.id in facts.excluded and facts.screening != "do_not_test":
            note = rules.w("not_done", "ruled_out")
        else:
            key = o.reason if o.reason and rules.has("not_done", o.reason) else "default"
            note = rules.w("not_done", key)
        return TestSays(t.id, "not_done", "", note, "", "", "", "")
    mods = [m for m in o.modifications if m in MODIFIED]
    if mods:  # never compared with the figures for the unaided test
        change, kind = change_says(rules, o, facts.previous_date, "")
        return TestSays(
            t.id, "not_compared", "", rules.w("modified", mods[0]), "", change, kind, ""
        )
    s = o.score
    if s is not None and s.reading and t.norms == READINGS and t.component in FITNESS_COMPONENTS:
        # No population range: read against its published cut-off, in the file's own words.
        change, kind = change_says(rules, o, facts.previous_date, "")
        said = _(s.reading)
        said = said[:1].upper() + said[1:] + ("" if said.endswith(".") else ".")
        verdict, words = reading_verdict(rules, s)
        return TestSays(t.id, verdict, words, said, "", change, kind, "")
    both = False
    band = s.band if s is not None else ""
    if facts.sex == "not_stated" and o.both is not None:
        band, both = _combined_band(o), True
        s = s if s is not None and s.normal_range else o.both[0]
    v = band_verdict(band)
    change, kind = change_says(rules, o, facts.previous_date, band)
    if not v or s is None:
        note = rules.w("not_compared", "sex_not_stated") if both else _not_compared_note(rules, s)
        return TestSays(t.id, "not_compared", "", note, "", change, kind, "")
    shown = s
    if both and o.both is not None:
        f, m = o.both
        lo = min(f.normal_range[0], m.normal_range[0]) if f.normal_range and m.normal_range else 0
        hi = max(f.normal_range[1], m.normal_range[1]) if f.normal_range and m.normal_range else 0
        shown = Score(**{**s.__dict__, "normal_range": (lo, hi), "band": band})
    return TestSays(
        t.id,
        v,
        band_words(rules, t, band, both),
        "",
        range_text(t, shown) if shown.normal_range else "",
        change,
        kind,
        band,
    )


# --- levels ---------------------------------------------------------------------------------------


def _cap(level: str, cap: str) -> str:
    return level if LEVELS.index(level) <= LEVELS.index(cap) else cap


@dataclass(frozen=True)
class Seen:
    """One test's result, reduced to what the choice of things to work on depends on."""

    test: str
    verdict: str  # above, usual, below, not_compared, not_done, stopped
    far: bool = False  # far below: under the 10th percentile, or a one-leg stand under 5 s
    helped: bool = False  # done, but with help (arms used, a walking aid, holding on)


@dataclass(frozen=True)
class Ability:
    """What the screening says about how the person gets about."""

    cannot_stand: bool = False
    cannot_walk: bool = False
    recent_fall: bool = False


def focus_level(focus: Focus, seen: Mapping[str, Seen], ability: Ability) -> str:
    """The step level for one thing to work on: the lowest that any rule allows."""
    level = "progressed"
    for tid in focus.tests:
        s = seen.get(tid)
        if s is None:
            continue
        if s.verdict in WORK_ON:
            level = _cap(level, "supported" if s.far else "standard")
        if s.helped:
            level = _cap(level, "supported")
    if ability.cannot_stand:  # every step done sitting down
        level = _cap(level, "seated")
    if ability.cannot_walk and focus.id in ("balance", "stamina", "grip"):
        level = _cap(level, "seated")  # (grip's standing steps mean carrying bags)
    if ability.recent_fall and focus.id in ("balance", "leg_strength", "stamina"):
        level = _cap(level, "supported")
    return level


@lru_cache(maxsize=4096)
def plan(
    seen: tuple[Seen, ...], ability: Ability, rules: Rules | None = None
) -> tuple[tuple[tuple[Focus, str], ...], str]:
    """The things to work on (at most three, in priority order) with the level of each, and the
    level their getting about allows for classes. A candidate is a test below the usual range,
    or done only with help. The same rule for every sheet and for the MOT day's summary."""
    r = rules or default_rules()
    by_test = {s.test: s for s in seen}
    chosen = [
        f
        for f in r.focus
        if any(
            (s := by_test.get(t)) is not None and (s.verdict in WORK_ON or s.helped)
            for t in f.tests
        )
    ][:3]
    mobility = min(
        (focus_level(f, by_test, ability) for f in r.focus if f.id in MOBILITY_FOCUS),
        key=LEVELS.index,
        default="standard",
    )
    return tuple((f, focus_level(f, by_test, ability)) for f in chosen), mobility


def seen_of(o: Observed, says: TestSays) -> Seen:
    pct = o.score.percentile if o.score is not None else None
    low = pct is not None and pct < FAR_BELOW_PERCENTILE
    far = says.verdict in WORK_ON and (low or _flagged(o))
    helped = o.done and bool(set(o.modifications) & set(MODIFIED))
    return Seen(o.test.id, says.verdict, bool(far), helped)


def _flagged(o: Observed) -> bool:
    """A result past one of the validated cut-offs in flags.csv (a one-leg stand under 5 s, a
    grip under the EWGSOP2 level...), done without help: the supported level of steps."""
    return (
        o.done
        and o.value is not None
        and o.score is not None
        and bool(o.score.flags)
        and not o.modifications
    )


def _balance_flag(o: Observed) -> bool:
    """A balance result past a validated falls cut-off (a one-leg stand under 5 s, Vellas 1997):
    the sheet suggests a falls check and a class for people who feel unsteady."""
    return o.test.component == "balance_mobility" and _flagged(o)


def done_enough(
    strength_days: float | None, balance_days: float | None, minutes: float | None
) -> frozenset[str]:
    """The components whose guideline activity they already do."""
    out = set()
    if (strength_days or 0) >= 2:
        out.add("strength")
    if (balance_days or 0) >= 2:
        out.add("balance_mobility")
    if (minutes or 0) >= 150:
        out.add("stamina")
    return frozenset(out)


def _already(facts: Facts, component: str) -> int | None:
    """How much of a component's guideline activity they already do, when it meets it."""
    if component == "strength" and (facts.strength_days or 0) >= 2:
        return facts.strength_days
    if component == "balance_mobility" and (facts.balance_days or 0) >= 2:
        return facts.balance_days
    if component == "stamina" and (facts.moderate_minutes or 0) >= 150:
        return int(facts.moderate_minutes or 0)
    return None


def choose_activities(
    rules: Rules,
    enough: frozenset[str],
    wanted: Sequence[str],
    directory: Sequence[LocalActivity],
    falls: bool,
    *,
    mobility_level: str,
    limit: int = 4,
) -> tuple[LocalActivity, ...]:
    """Activities that help what they are to work on, at an intensity their level allows, that
    suit them (a seated class only at the seated or supported level), and not only for what they
    already do enough of. Classes for people who feel unsteady come first after a fall or a very
    short balance test."""
    if not wanted:
        return ()
    act = rules.words["activities"]
    level = mobility_level
    allowed = set(act["intensities"][level])
    seated_words = [str(x).lower() for x in act["seated_words"]]
    falls_words = [str(x).lower() for x in act["falls_words"]]
    wanted = list(wanted)

    def suits(a: LocalActivity) -> bool:
        text = a.suits.lower()
        seated_only = any(w in text for w in seated_words)
        if seated_only and level not in ("seated", "supported"):
            return False
        if level == "seated" and not seated_only:
            return False
        return a.intensity in allowed

    def useful(a: LocalActivity) -> bool:
        helps = [c for c in a.components if c in wanted]
        if falls and helps and any(w in a.suits.lower() for w in falls_words):
            return True  # after a fall or a very short balance test, whatever else they do
        return bool(helps) and not all(c in enough for c in helps)

    def rank(a: LocalActivity) -> tuple[int, int, int]:
        helps = [wanted.index(c) for c in a.components if c in wanted]
        for_falls = any(w in a.suits.lower() for w in falls_words)
        return (0 if (falls and for_falls) else 1, -len(helps), min(helps))

    chosen = [a for a in directory if suits(a) and useful(a)]
    return tuple(sorted(chosen, key=rank)[:limit])


def interpret(  # noqa: C901 (the sheet's rules in reading order, to review beside advice.toml)
    facts: Facts,
    flags: Sequence[FlagHit] = (),
    directory: Sequence[LocalActivity] = (),
    titles: Mapping[str, str] | None = None,
    rules: Rules | None = None,
) -> Interpretation:
    """Everything the screen and the sheet say about one person."""
    r = rules or default_rules()
    comp_title = (
        {c: _(t) for c, t in titles.items()}
        if titles
        else {c: r.w("components", c, "title") for c in FITNESS_COMPONENTS}
    )
    says = {o.test.id: test_says(r, facts, o) for o in facts.results}
    explain = [r.w("explain", "usual_range")]
    if facts.sex == "not_stated":
        explain.append(r.w("explain", "usual_range_both"))

    status: dict[str, str] = {}
    words: dict[str, str] = {}
    for c in FITNESS_COMPONENTS:
        vs = [says[o.test.id].verdict for o in facts.results if o.test.component == c]
        if not vs:
            continue
        if "below" in vs:
            status[c] = "lower"
        elif "attention" in vs:
            status[c] = "work_on"
        elif "above" in vs:
            status[c] = "strength"
        elif "usual" in vs or "fine" in vs:
            status[c] = "usual"
        else:
            status[c] = "not_compared"

    # --- screened out: no tests, no targets, no exercises ---------------------------------------
    if facts.screening == "do_not_test":
        reasons = _join(list(facts.screening_plain)) or _("of your answers to our safety questions")
        lines = (
            r.w("screened_out", "lead").format(reasons=reasons),
            r.w("screened_out", "safety"),
        )
        gp_first = r.w("screened_out", "gp")
        return Interpretation(
            SCREENED_OUT,
            lines,
            (gp_first, r.w("screened_out", "welcome")),
            says,
            {c: "not_compared" for c in status},
            {},
            (),
            (gp_first,),
            (),
            (),
            False,
            (),
            (r.w("screened_out", "urgent"),),
        )

    # --- components and what to work on ---------------------------------------------------------
    seen = tuple(seen_of(o, says[o.test.id]) for o in facts.results)
    ability = Ability(facts.cannot_stand, facts.cannot_walk, facts.recent_fall)
    chosen, mobility = plan(seen, ability, r)
    stopped = [
        o
        for o in facts.results
        if o.reason == "stopped_by_tester" and o.stop_reason in SYMPTOM_STOPS
    ]
    mode = SYMPTOM_STOP if stopped else FULL
    work: list[WorkOn] = []
    for f, level in chosen:
        steps = [_(x) for x in f.steps[level]]
        n = _already(facts, f.component)
        already = n is not None and r.has("already", f.component)
        if already:
            steps.insert(0, r.w("already", f.component).format(n=n))
        work.append(
            WorkOn(
                f.id, _(f.title), f.component, _(f.why), level, tuple(steps[:3]), f.tests, already
            )
        )
    for w in work:
        status[w.component] = "work_on"
    for c, st in status.items():
        key = {"strength": "strength", "usual": "usual", "work_on": "work_on"}.get(st)
        words[c] = r.w("components", c, key) if key else ""

    # --- the GP, falls, and what the norms flag ---------------------------------------------------
    gp: list[str] = []
    symptom_lines: list[str] = []
    if stopped:
        names = _join([_(o.test.short_name).lower() for o in stopped])
        symptoms = _join(list(dict.fromkeys(r.w("symptoms", o.stop_reason or "") for o in stopped)))
        symptom_lines.append(r.w("symptom_stop", "lead").format(tests=names, symptoms=symptoms))
        gp.append(r.w("symptom_stop", "gp"))
    if facts.recent_fall:
        gp.append(r.w("falls", "recent_fall"))
    very_poor_balance = any(_balance_flag(o) for o in facts.results)
    gp.extend(dict.fromkeys(_(f.text) for f in flags))

    # --- the summary box -------------------------------------------------------------------------
    headline: list[str] = []
    actions: list[str] = []
    strong = [comp_title[c] for c in FITNESS_COMPONENTS if status.get(c) == "strength"]
    usual = [comp_title[c] for c in FITNESS_COMPONENTS if status.get(c) == "usual"]
    any_done = any(o.done for o in facts.results if o.test.component in FITNESS_COMPONENTS)
    compared = any(s.verdict in COMPARED for s in says.values())
    if symptom_lines:
        headline.extend(symptom_lines)
    if not any_done:
        headline.append(r.w("summary", "no_tests"))
    elif not compared and not work:
        headline.append(r.w("summary", "no_comparison"))
    if strong:
        headline.append(r.w("summary", "strengths").format(titles=_list(strong)))
    if usual:
        headline.append(r.w("summary", "usual").format(titles=_list(usual)))
    if work:
        headline.append(r.w("summary", "work_on").format(titles=_list([w.title for w in work])))
    show_targets = mode == FULL
    if mode == SYMPTOM_STOP:
        actions.append(r.w("symptom_stop", "gp"))
    else:
        if facts.recent_fall:
            actions.append(r.w("falls", "recent_fall"))
        for w in work:
            if len(actions) >= 3:
                break
            actions.append(w.steps[1] if w.already and len(w.steps) > 1 else w.steps[0])
        if len(actions) < 3:
            actions.extend(_guideline_actions(r, facts)[: 3 - len(actions)])
        if not actions:
            actions.append(
                r.w("summary", "all_met") if _meets_all(facts) else r.w("summary", "keep_going")
            )
    if very_poor_balance and mode == FULL:
        gp_text = r.w("falls", "poor_balance")
        if gp_text not in actions and len(actions) < 3:
            actions.append(gp_text)

    # How hard a class may be is set by how they get about (balance, legs, stamina), never by
    # their grip or arms: low grip alone does not send anyone to a seated class.
    acts = (
        choose_activities(
            r,
            done_enough(facts.strength_days, facts.balance_days, facts.moderate_minutes),
            [w.component for w in work],
            directory,
            facts.recent_fall or very_poor_balance,
            mobility_level=mobility,
        )
        if mode == FULL
        else ()
    )
    sitting: tuple[str, ...] = ()
    if mode == FULL and facts.sitting_hours is not None and facts.sitting_hours >= 6:
        key = "seated_steps" if facts.cannot_stand else "next_steps"
        sitting = r.lines("sitting", key)
    return Interpretation(
        mode,
        tuple(headline),
        tuple(actions),
        says,
        status,
        words,
        tuple(work) if mode == FULL else (),
        tuple(dict.fromkeys(gp)),
        acts,
        sitting,
        show_targets,
        tuple(explain),
        tuple(symptom_lines),
    )


def _guideline_actions(r: Rules, facts: Facts) -> list[str]:
    out = []
    if facts.moderate_minutes is not None and facts.moderate_minutes < 150:
        out.append(r.w("summary", "move_more"))
    if facts.strength_days is not None and facts.strength_days < 2:
        out.append(r.w("summary", "strength_days"))
    if facts.balance_days is not None and facts.balance_days < 2:
        out.append(r.w("summary", "balance_days"))
    return out


def _meets_all(facts: Facts) -> bool:
    return (
        facts.moderate_minutes is not None
        and facts.moderate_minutes >= 150
        and (facts.strength_days or 0) >= 2
        and (facts.balance_days or 0) >= 2
    )


def _join(parts: list[str]) -> str:
    """ "a, b and c", in the current language."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return _("{these} and {last}", these=_list(parts[:-1]), last=parts[-1])


def _list(parts: list[str]) -> str:
    """Titles in a list, commas only (a title may itself hold "and")."""
    return _(", ").join(parts)
