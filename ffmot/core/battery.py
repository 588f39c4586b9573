"""The test battery, read from norms/battery.toml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ffmot.core import units
from ffmot.core.datafiles import read_toml
from ffmot.core.errors import NormDataError

COMPONENTS = {
    "strength": "Strength",
    "balance_mobility": "Balance and mobility",
    "flexibility": "Flexibility",
    "stamina": "Stamina",
    "body": "Body measurements",
    "activity": "Activity habits",
}
NORM_KINDS = ("sft", "grip", "single_leg_stance", "bmi", "waist", "activity")


# Why a test was not done; the order is the station's keys 1 to 5.
NOT_DONE_REASONS = ("declined", "unable", "felt_unsafe", "stopped_by_tester", "not_offered")
# Why the tester stopped a test (recorded with "stopped_by_tester"; keys 1 to 5 at the station).
# The first four are symptoms: the sheet then says to talk to the GP before harder activity.
STOP_REASONS = ("chest_pain", "dizziness", "pain", "breathlessness", "other")
SYMPTOM_STOPS = ("chest_pain", "dizziness", "pain", "breathlessness")


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
        raise NormDataError(f"{path} defines no [tests.*] tables")
    return {tid: _test(path, tid, spec) for tid, spec in tests.items()}


def _test(path: Path, tid: str, spec: dict[str, Any]) -> TestDef:
    where = f"{path.name} [tests.{tid}]"

    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in spec:
            raise NormDataError(f"{where}: missing '{key}'")
        value = spec[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise NormDataError(f"{where}: '{key}' has the wrong type ({value!r})")
        return value

    def pair(key: str) -> tuple[float, float]:
        v = need(key, list)
        if len(v) != 2 or not all(isinstance(x, int | float) for x in v) or v[0] >= v[1]:
            raise NormDataError(f"{where}: '{key}' must be [min, max] with min < max")
        return float(v[0]), float(v[1])

    unit_list = tuple(need("units", list))
    unit = need("unit", str)
    norm_unit = need("norm_unit", str)
    for u in (*unit_list, unit, norm_unit):
        try:
            units.unit(u)
        except KeyError:
            raise NormDataError(f"{where}: unknown unit '{u}'") from None
    if unit not in unit_list or norm_unit not in unit_list:
        raise NormDataError(f"{where}: 'unit' and 'norm_unit' must be among 'units'")
    component = need("component", str)
    if component not in COMPONENTS:
        raise NormDataError(f"{where}: unknown component '{component}'")
    direction = need("direction", str)
    if direction not in ("higher", "lower", "none"):
        raise NormDataError(f"{where}: direction must be higher, lower or none")
    counts = need("counts", str)
    if counts not in ("best", "single"):
        raise NormDataError(f"{where}: counts must be best or single")
    norms = need("norms", str)
    if norms not in NORM_KINDS:
        raise NormDataError(f"{where}: norms must be one of {', '.join(NORM_KINDS)}")
    trials = need("trials", int)
    if trials < 1:
        raise NormDataError(f"{where}: trials must be at least 1")
    plausible, typical = pair("plausible"), pair("typical")
    if typical[0] < plausible[0] or typical[1] > plausible[1]:
        raise NormDataError(f"{where}: the typical range must lie inside the plausible range")
    cap = spec.get("cap")
    if cap is not None and (not isinstance(cap, int | float) or cap <= 0):
        raise NormDataError(f"{where}: cap must be a positive number")
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
    )
