"""Entering one test's result, without Qt: the fields a test has, what typed text means, what
Enter does, the live reading while typing, and what counts as a card scan.

The station and the score-card form only render this; the store and the import check with the
same functions (check_trials, check_modifications, check_measurement), so the screen, the
database and a file cannot disagree. What a test has (trial names, modifications, a leg choice,
measurement fields and their ranges) is data in norms/battery.toml.

Why one room: the station and the score-card form must accept, refuse and read exactly the same
typing; one module is the one rule they both render.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ffmot.core import codes, interpret, scoring
from ffmot.core.battery import READINGS, MeasureField, TestDef
from ffmot.core.errors import FfmotError, InputError, sentence
from ffmot.core.i18n import N_, _, _n
from ffmot.core.norms import NormSet

# The measurements a visit holds; a test entered as measurements names some of these.
MEASUREMENT_KEYS = (
    "height_cm",
    "weight_kg",
    "waist_cm",
    "moderate_minutes",
    "strength_days",
    "balance_days",
    "sitting_hours",
)


@dataclass(frozen=True)
class Field:
    """One box to type into."""

    key: str  # "trial0"... or a measurement key such as "height_cm"
    label: str  # "Trial 1", "Left 1", "Height"
    unit_words: str | None  # a measurement's unit in words; None: the test's chosen unit


@dataclass
class Entry:
    """What was typed, parsed: trials holding numbers (value, label) or measurements by key,
    and the first problem found (empty when there is none)."""

    trials: list[tuple[float, str]] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    problem: str = ""

    @property
    def empty(self) -> bool:
        return not self.trials and not self.values


@dataclass(frozen=True)
class Live:
    """The reading shown while typing."""

    counted: str = ""  # "14 stands", or "BMI 24.2 kg/m², waist 80 cm"
    band: str = ""  # a band key for the badge ("" shows none)
    band_words: str = ""
    range_text: str = ""  # the usual range in words, or a body reading
    chart: tuple[float, float, float, bool, str, str] | None = None  # lo, hi, value, lower...
    problem: str = ""  # something to check before saving


RESULT, TRIAL = N_("Result"), N_("Trial {n}")  # kept in English with a trial; shown translated


def trial_labels(test: TestDef) -> tuple[str, ...]:
    if test.trial_labels:
        return test.trial_labels
    if test.trials == 1:
        return (RESULT,)
    return tuple(TRIAL.format(n=n) for n in range(1, test.trials + 1))


def label_words(label: str) -> str:
    """A trial's or measurement's label (kept in English with the result) in the current
    language, for the screen."""
    numbered = re.fullmatch(r"Trial (\d+)", label)
    return _(TRIAL, n=numbered.group(1)) if numbered else _(label)


def number(text: str) -> float | None:
    """A typed number ("12", "12.5", "12,5"); None for an empty box. InputError otherwise."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        v = float(cleaned)
    except ValueError:
        raise InputError(_("'{value}' is not a number", value=text.strip())) from None
    if not math.isfinite(v):
        raise InputError(_("'{value}' is not a number", value=text.strip()))
    return v


class Form:
    """How one test is entered."""

    def __init__(self, test: TestDef) -> None:
        self.test = test
        self.measured = bool(test.fields)
        if self.measured:
            self.fields = tuple(Field(f.key, f.label, f.unit) for f in test.fields)
        else:
            self.fields = tuple(
                Field(f"trial{n}", label, None) for n, label in enumerate(trial_labels(test))
            )

    @property
    def what(self) -> str:
        """What the practitioner enters, in words."""
        t = self.test
        if self.measured:
            return _("measurements")
        if t.trials == 1:
            return _("one result")
        return _("up to {n} trials, the best counts", n=t.trials)

    def parse(self, texts: Sequence[str], unit: str = "", choice: str = "") -> Entry:
        """The typed boxes, in the order of `fields`; unit and choice as chosen on screen."""
        t = self.test
        out = Entry()
        unit = unit or t.unit
        for f, text in zip(self.fields, texts, strict=False):
            try:
                v = number(text)
                if v is None:
                    continue
                if self.measured:
                    out.values[f.key] = check_measurement(t, f.key, v)
                else:
                    label = (choice or t.choice[1][0]) if t.choice else f.label
                    out.trials.append((v, label.lower()))
                    check_trials(t, [(v, label)], unit)
            except InputError as e:
                out.problem = sentence(e)
                return out
        return out

    def enter(self, n: int, texts: Sequence[str]) -> int | None:
        """Enter in box n: the index of the box to go to next, or None to save. Measurements are
        never saved half-typed: Enter goes on to the next box until the last. For trials, Enter
        on a typed trial goes to the next box while it is empty, so another trial can be typed;
        Enter on an empty box means that was the last trial."""
        nxt = n + 1
        if nxt >= len(self.fields):
            return None
        if self.measured:
            return nxt
        if not texts[n].strip() and any(t.strip() for t in texts):
            return None
        return nxt if not texts[nxt].strip() else None

    def counted(self, entry: Entry, unit: str = "") -> float | None:
        """The value that counts (the best trial, capped), in the unit entered."""
        if self.measured or not entry.trials or entry.problem:
            return None
        return scoring.counted_value(
            self.test, [v for v, _label in entry.trials], unit or self.test.unit
        )

    def unusual(self, entry: Entry, unit: str = "") -> str:
        """Words asking for a second look at a plausible but unusual value ("" if usual)."""
        t, u = self.test, unit or self.test.unit
        best = self.counted(entry, u)
        if best is None or not scoring.is_unusual(t, best, u):
            return ""
        return _(
            "{value:g} {unit} is unusual for this test (typical {low:g} to {high:g} "
            "{typical_unit})",
            value=best,
            unit=_(t.label(u)),
            low=t.typical[0],
            high=t.typical[1],
            typical_unit=_(t.label(t.unit)),
        )

    def live(
        self,
        entry: Entry,
        unit: str,
        modifications: Iterable[str],
        sex: str | None,
        age: int | None,
        norms: NormSet,
    ) -> Live:
        """The reading while typing; sex and age None when no person is chosen yet."""
        if entry.problem or entry.empty:
            return Live(problem=entry.problem)
        if self.measured:
            return self._live_body(entry.values, sex, age, norms)
        t, u = self.test, unit or self.test.unit
        best = self.counted(entry, u)
        assert best is not None
        counted = _("{value} {unit}", value=f"{best:g}", unit=_(t.label(u)))
        problem = (
            _(
                "Unusual for this test (typical {low:g} to {high:g} {unit}): "
                "check it before saving.",
                low=t.typical[0],
                high=t.typical[1],
                unit=_(t.label(t.unit)),
            )
            if self.unusual(entry, u)
            else ""
        )
        if sex is None or age is None:
            return Live(counted=counted, problem=problem)
        try:
            s = scoring.score(t.id, sex, age, best, u, norms=norms)
        except FfmotError as err:
            return Live(counted=counted, problem=sentence(err))
        rules = interpret.default_rules()
        mods = list(modifications)
        if mods:  # never compared with the figures for the unaided test
            return Live(
                counted=counted,
                band="not_classified",
                band_words=_("Not compared: done with help"),
                range_text=rules.w("modified", mods[0]),
                problem=problem,
            )
        words = interpret.band_words(rules, t, s.band)
        if t.norms == READINGS and s.reading:
            words = interpret.reading_verdict(rules, s)[1]
        if not s.normal_range:  # read against cut-offs, or not compared (and why)
            said = _(s.reading) if s.reading else s.said_reason()
            return Live(counted, s.band, words, said[:1].upper() + said[1:], None, problem)
        lo, hi = s.normal_range
        lower = t.direction == "lower"
        usual = interpret.range_text(t, s)
        return Live(
            counted,
            s.band,
            words,
            _("For their age and sex, {range} (lower is better)", range=usual)
            if lower
            else _("For their age and sex, {range}", range=usual),
            (lo, hi, best, lower, t.label(u), s.band),
            problem,
        )

    def _live_body(
        self, values: Mapping[str, float], sex: str | None, age: int | None, norms: NormSet
    ) -> Live:
        """BMI and waist as they are typed: the value and its reading, in words."""
        if self.test.norms != READINGS:
            return Live()  # activity habits are read on the sheet, against the guidelines
        h, w, waist = values.get("height_cm"), values.get("weight_kg"), values.get("waist_cm")
        shown: list[str] = []
        said: list[str] = []
        problem = ""
        try:
            if h is not None and w is not None:
                b = scoring.bmi(h, w)
                shown.append(_("BMI {value:.1f} kg/m²", value=b))
                if sex is not None and age is not None:
                    s = scoring.score("bmi", sex, age, b, norms=norms)
                    said.append(_("BMI: {reading}", reading=_(s.reading)) if s.reading else "")
            if waist is not None:
                shown.append(_("waist {value:g} cm", value=waist))
                if sex is not None and age is not None:
                    s = scoring.score("waist", sex, age, waist, norms=norms)
                    said.append(_("Waist: {reading}", reading=_(s.reading)) if s.reading else "")
        except FfmotError as err:
            problem = sentence(err)
        return Live(
            counted=_(", ").join(shown), range_text=" ".join(x for x in said if x), problem=problem
        )


def why_blocked(
    outcome: str | None, excluded: Iterable[str], test: TestDef | None, key: str = ""
) -> str:
    """Why this test cannot be entered for a person today, in words ("" when it can): the
    screening (None: not screened yet) decides. `test` None: the person as a whole. `key`: the
    key that records a test as not done where one does (the station's F9), said with it."""
    if outcome is None:
        return _("Not screened yet: please send them to check-in for screening.")
    if outcome == "incomplete":
        return _(
            "Screening not finished: please send them back to check-in to answer every "
            "safety question."
        )
    if outcome == "do_not_test":
        if key:
            return _(
                "Do not test today: the safety screening says to talk to their GP first. "
                "Record the tests as not done ({key}).",
                key=key,
            )
        return _(
            "Do not test today: the safety screening says to talk to their GP first. "
            "Record the tests as not done."
        )
    if test is not None and test.id in set(excluded):
        if key:
            return _(
                "Not this test today: the safety screening rules out {test}. Record it as not "
                "done ({key}).",
                test=_(test.short_name).lower(),
                key=key,
            )
        return _(
            "Not this test today: the safety screening rules out {test}. Record it as not done.",
            test=_(test.short_name).lower(),
        )
    return ""


# --- the rules the store and the import check with ------------------------------------------


def check_trials(test: TestDef, trials: Sequence[tuple[float, str]], unit: str) -> list[float]:
    """The trials' values, each checked against the test's plausible range in `unit`."""
    if not trials:
        raise InputError(_("{test}: enter at least one trial", test=_(test.short_name)))
    if len(trials) > test.trials:
        raise InputError(
            _n(
                "{test} has at most {count} trial",
                "{test} has at most {count} trials",
                test.trials,
                test=_(test.short_name),
            )
        )
    values = []
    for v, _label in trials:  # a label names the trial (or leg); older files say "trial 1"
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InputError(_("{test}: a trial is not a number", test=_(test.short_name)))
        scoring.check_value(test, float(v), unit)
        values.append(float(v))
    return values


def check_modifications(test: TestDef, modifications: Iterable[str]) -> list[str]:
    """The modifications, sorted, each one this test can have."""
    known = {m.key for m in test.modifications}
    mods = sorted(set(modifications))
    for m in mods:
        if m not in known:
            if not known:
                raise InputError(
                    _(
                        "{test} cannot be recorded as '{modification}' (it can be: none)",
                        test=_(test.short_name),
                        modification=m,
                    )
                )
            raise InputError(
                _(
                    "{test} cannot be recorded as '{modification}' (it can be: {allowed})",
                    test=_(test.short_name),
                    modification=m,
                    allowed=", ".join(sorted(known)),
                )
            )
    return mods


def measurement_fields(tests: Iterable[TestDef]) -> dict[str, MeasureField]:
    return {f.key: f for t in tests for f in t.fields}


def check_measurement(
    test_or_fields: TestDef | Mapping[str, MeasureField], key: str, v: float
) -> float:
    """A measurement checked against its range; whole numbers (days) come back whole."""
    fields = (
        {f.key: f for f in test_or_fields.fields}
        if isinstance(test_or_fields, TestDef)
        else test_or_fields
    )
    f = fields.get(key)
    if f is None:
        raise InputError(_("'{key}' is not a measurement", key=key))
    if not (math.isfinite(v) and f.low <= v <= f.high):
        raise InputError(
            _(
                "{measurement} {value:g} is outside {low:g} to {high:g} {unit}: check the "
                "value and its unit",
                measurement=_(f.label).lower(),
                value=v,
                low=f.low,
                high=f.high,
                unit=_(f.unit),
            )
        )
    if f.whole:
        if not float(v).is_integer():
            raise InputError(
                _(
                    "{measurement} is a whole number of {unit}",
                    measurement=_(f.label).lower(),
                    unit=_(f.unit).split()[0],  # "days", of "days a week"
                )
            )
        return int(v)
    return v


# --- scans ---------------------------------------------------------------------------------


def scanned_code(text: str) -> tuple[str, str] | None:
    """A card scanned into a box that held something else (a scanner types the code and Enter
    wherever the focus is): (the card code, what was in the box before it), or None when the
    box holds no whole card code at its end. A number typed into the box is never a code."""
    text = text.strip()
    for i in range(len(text) - 1, -1, -1):  # the shortest ending that is a whole code
        tail = text[i:]
        if not tail[0].isalnum() or not any(ch.isalpha() for ch in tail):
            continue
        try:
            code = codes.normalise(tail)
        except InputError:
            continue
        kept = text[:i].strip()
        if any(ch.isalpha() for ch in kept):
            return None
        return code, kept
    return None
