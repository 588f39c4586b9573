"""The test battery, read from norms/battery.toml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ffmot.core import units
from ffmot.core.datafiles import read_toml
from ffmot.core.errors import NormDataError
from ffmot.core.i18n import N_, _, _n

COMPONENTS = {  # (N_: in the translators' catalogue; looked up where they are shown)
    "strength": N_("Strength"),
    "balance_mobility": N_("Balance and mobility"),
    "flexibility": N_("Flexibility"),
    "stamina": N_("Stamina"),
    "body": N_("Body measurements"),
    "activity": N_("Activity habits"),
}
# How a test is scored (battery.toml's `norms`): against the table of that name (sft, grip,
# single_leg_stance), against cut-off lines in plain words (readings: BMI, waist, or any test with
# no population range), or against the activity guidelines.
TABLE_KINDS = ("sft", "grip", "single_leg_stance")
READINGS = "readings"
ACTIVITY = "activity"
NORM_KINDS = (*TABLE_KINDS, READINGS, ACTIVITY)
_OLD_KINDS = {"bmi": READINGS, "waist": READINGS}  # the names battery.toml used before 2026.12


# Why a test was not done; the order is the station's keys 1 to 5.
NOT_DONE_REASONS = ("declined", "unable", "felt_unsafe", "stopped_by_tester", "not_offered")
# Why the tester stopped a test (recorded with "stopped_by_tester"; keys 1 to 5 at the station).
# The first four are symptoms: the sheet then says to talk to the GP before harder activity.
STOP_REASONS = ("chest_pain", "dizziness", "pain", "breathlessness", "other")
SYMPTOM_STOPS = ("chest_pain", "dizziness", "pain", "breathlessness")
# The reasons in words, as the station and the score card offer them.
REASON_WORDS = {
    "declined": N_("Declined"),
    "unable": N_("Unable"),
    "felt_unsafe": N_("Felt unsafe"),
    "stopped_by_tester": N_("Stopped by tester"),
    "not_offered": N_("Not offered"),
}
STOP_WORDS = {
    "chest_pain": N_("Chest pain"),
    "dizziness": N_("Dizziness"),
    "pain": N_("Pain"),
    "breathlessness": N_("Breathlessness"),
    "other": N_("Other (a slip, equipment…)"),
}


@dataclass(frozen=True)
class MeasureField:
    """One measurement a test is entered as (height, weight, minutes of activity...)."""

    key: str
    label: str
    unit: str  # in words: "cm", "minutes a week"
    low: float
    high: float
    whole: bool = False


@dataclass(frozen=True)
class Modification:
    """A way a test can be done with help (arms used, a walking aid)."""

    key: str
    words: str


@dataclass(frozen=True)
class TestDef:
    id: str
    name: str
    short_name: str
    component: str
    unit: str
    units: tuple[str, ...]
    norm_unit: str
    direction: str  # "higher", "lower" or "none"
    plausible: tuple[float, float]
    typical: tuple[float, float]
    whole_numbers: bool
    trials: int
    counts: str  # "best" or "single"
    norms: str
    protocol: str
    safety: str
    cap: float | None = None
    unit_label: str = ""
    trial_labels: tuple[str, ...] = ()
    modifications: tuple[Modification, ...] = ()
    choice: tuple[str, tuple[str, ...]] | None = None  # (label, options) naming every trial
    fields: tuple[MeasureField, ...] = ()  # entered as measurements, not trials
    needs: tuple[str, ...] = ()  # abilities (resources/screening.toml) a person needs for it
    offered: bool = True  # ticked on a new MOT day
    change_words: tuple[str, ...] | None = None  # (better, worse), with {amount} and {unit}
    value_words: tuple[str, ...] | None = None  # (zero, below, above), the same fields

    def label(self, unit_code: str) -> str:
        """How a value in this unit is named in words: 'stands', 'cm', 'seconds'."""
        if unit_code == "count" and self.unit_label:
            return self.unit_label
        return units.unit(unit_code).label

    @property
    def component_name(self) -> str:
        return COMPONENTS[self.component]

    def best_of(self, trials: list[float]) -> float:
        """The trial that counts: the highest, or for a lower-is-better test the lowest."""
        if not trials:
            raise ValueError("no trials")
        best = min(trials) if self.direction == "lower" else max(trials)
        if self.cap is not None:
            best = min(best, self.cap)
        return best


def load_battery(path: Path) -> dict[str, TestDef]:
    data = read_toml(path)
    tests = data.get("tests")
    if not isinstance(tests, dict) or not tests:
        raise NormDataError(_("{path} defines no [tests.*] tables", path=path))
    measures = _measurements(path, data.get("measurements", {}))
    return {tid: _test(path, tid, spec, measures) for tid, spec in tests.items()}


def _measurements(path: Path, table: Any) -> dict[str, MeasureField]:
    if not isinstance(table, dict):
        raise NormDataError(_("{file}: [measurements] must be a table of tables", file=path.name))
    out = {}
    for key, spec in table.items():
        where = f"{path.name} [measurements.{key}]"  # a place in the file: no words
        if not isinstance(spec, dict):
            raise NormDataError(_("{where} must be a table", where=where))
        low, high = spec.get("min"), spec.get("max")
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (low, high)):
            raise NormDataError(_("{where}: 'min' and 'max' must be numbers", where=where))
        low, high = float(low), float(high)  # type: ignore[arg-type]
        if low >= high:
            raise NormDataError(_("{where}: 'min' must be below 'max'", where=where))
        label, unit = spec.get("label"), spec.get("unit")
        if not isinstance(label, str) or not isinstance(unit, str):
            raise NormDataError(_("{where}: 'label' and 'unit' must be text", where=where))
        out[key] = MeasureField(key, label, unit, low, high, bool(spec.get("whole", False)))
    return out


def _entry(
    where: str, spec: dict[str, Any], trials: int, measures: dict[str, MeasureField]
) -> dict[str, Any]:
    """How the test is entered: trial names, modifications, a choice, or measurements."""
    labels = spec.get("trial_labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise NormDataError(_("{where}: 'trial_labels' must be a list of text", where=where))
    if labels and len(labels) != trials:
        raise NormDataError(
            _n(
                "{where}: 'trial_labels' must name the {count} trial",
                "{where}: 'trial_labels' must name each of the {count} trials",
                trials,
                where=where,
            )
        )
    mods = []
    for m in spec.get("modifications", []):
        if not isinstance(m, dict) or not all(isinstance(m.get(k), str) for k in ("key", "words")):
            raise NormDataError(
                _("{where}: each modification needs 'key' and 'words'", where=where)
            )
        mods.append(Modification(m["key"], m["words"]))
    choice = spec.get("choice")
    if choice is not None:
        options = choice.get("options") if isinstance(choice, dict) else None
        if (
            not isinstance(options, list)
            or len(options) < 2
            or not all(isinstance(x, str) for x in options)
            or not isinstance(choice.get("label"), str)
        ):
            raise NormDataError(
                _("{where}: 'choice' needs a 'label' and two or more 'options'", where=where)
            )
        choice = (choice["label"], tuple(options))
    fields = []
    for key in spec.get("fields", []):
        if key not in measures:
            raise NormDataError(
                _(
                    "{where}: field '{field}' has no [measurements.{field}] table",
                    where=where,
                    field=key,
                )
            )
        fields.append(measures[key])
    return {
        "trial_labels": tuple(labels),
        "modifications": tuple(mods),
        "choice": choice,
        "fields": tuple(fields),
    }


def _flag(where: str, spec: dict[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise NormDataError(_("{where}: '{key}' must be true or false", where=where, key=key))
    return value


def _words(
    where: str, spec: dict[str, Any], key: str, parts: tuple[str, ...]
) -> tuple[str, ...] | None:
    """A table of wording with exactly these keys, each text whose only fields are {amount} and
    {unit}; None when the test has none."""
    table = spec.get(key)
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) != set(parts):
        raise NormDataError(
            _("{where}: '{key}' must give {parts}", where=where, key=key, parts=", ".join(parts))
        )
    out = []
    for part in parts:
        text = table[part]
        try:
            ok = isinstance(text, str) and bool(text.strip())
            if ok:
                text.format(amount="1", unit="cm")
        except (KeyError, IndexError, ValueError):
            ok = False
        if not ok:
            raise NormDataError(
                _(
                    "{where}: '{key}.{part}' must be words, with no fields but {{amount}} and "
                    "{{unit}}",
                    where=where,
                    key=key,
                    part=part,
                )
            )
        out.append(text)
    return tuple(out)


def _test(path: Path, tid: str, spec: dict[str, Any], measures: dict[str, MeasureField]) -> TestDef:  # noqa: C901 (one check per field of a test, each naming the field)
    where = f"{path.name} [tests.{tid}]"  # a place in the file: no words

    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in spec:
            raise NormDataError(_("{where}: missing '{key}'", where=where, key=key))
        value = spec[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise NormDataError(
                _(
                    "{where}: '{key}' has the wrong type ({value!r})",
                    where=where,
                    key=key,
                    value=value,
                )
            )
        return value

    def pair(key: str) -> tuple[float, float]:
        v = need(key, list)
        if len(v) != 2 or not all(isinstance(x, int | float) for x in v) or v[0] >= v[1]:
            raise NormDataError(
                _("{where}: '{key}' must be [min, max] with min < max", where=where, key=key)
            )
        return float(v[0]), float(v[1])

    unit_list = tuple(need("units", list))
    unit = need("unit", str)
    norm_unit = need("norm_unit", str)
    for u in (*unit_list, unit, norm_unit):
        try:
            units.unit(u)
        except KeyError:
            raise NormDataError(_("{where}: unknown unit '{unit}'", where=where, unit=u)) from None
    if unit not in unit_list or norm_unit not in unit_list:
        raise NormDataError(_("{where}: 'unit' and 'norm_unit' must be among 'units'", where=where))
    component = need("component", str)
    if component not in COMPONENTS:
        raise NormDataError(
            _("{where}: unknown component '{component}'", where=where, component=component)
        )
    direction = need("direction", str)
    if direction not in ("higher", "lower", "none"):
        raise NormDataError(_("{where}: direction must be higher, lower or none", where=where))
    counts = need("counts", str)
    if counts not in ("best", "single"):
        raise NormDataError(_("{where}: counts must be best or single", where=where))
    norms = need("norms", str)
    norms = _OLD_KINDS.get(norms, norms)
    if norms not in NORM_KINDS:
        raise NormDataError(
            _(
                "{where}: norms must be one of {kinds}",
                where=where,
                kinds=", ".join(NORM_KINDS),
            )
        )
    trials = need("trials", int)
    if trials < 1:
        raise NormDataError(_("{where}: trials must be at least 1", where=where))
    plausible, typical = pair("plausible"), pair("typical")
    if typical[0] < plausible[0] or typical[1] > plausible[1]:
        raise NormDataError(
            _("{where}: the typical range must lie inside the plausible range", where=where)
        )
    cap = spec.get("cap")
    if cap is not None and (not isinstance(cap, int | float) or cap <= 0):
        raise NormDataError(_("{where}: cap must be a positive number", where=where))
    needs = spec.get("needs", [])
    if not isinstance(needs, list) or not all(isinstance(x, str) and x for x in needs):
        raise NormDataError(_("{where}: 'needs' must be a list of abilities", where=where))
    return TestDef(
        id=tid,
        name=need("name", str),
        short_name=need("short_name", str),
        component=component,
        unit=unit,
        units=unit_list,
        norm_unit=norm_unit,
        direction=direction,
        plausible=plausible,
        typical=typical,
        whole_numbers=need("whole_numbers", bool),
        trials=trials,
        counts=counts,
        norms=norms,
        protocol=need("protocol", str),
        safety=need("safety", str),
        cap=float(cap) if cap is not None else None,
        unit_label=str(spec.get("unit_label", "")),
        needs=tuple(needs),
        offered=_flag(where, spec, "offered", default=True),
        change_words=_words(where, spec, "change_words", ("better", "worse")),
        value_words=_words(where, spec, "value_words", ("zero", "below", "above")),
        **_entry(where, spec, trials, measures),
    )
