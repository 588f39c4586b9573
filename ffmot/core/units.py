"""Units ffmot accepts, their spellings, and exact conversions between them."""

from __future__ import annotations

from dataclasses import dataclass

from ffmot.core.errors import InputError
from ffmot.core.i18n import _


@dataclass(frozen=True)
class Unit:
    code: str
    dimension: str
    factor: float  # multiply a value in this unit by factor to get the dimension's base unit
    label: str


_UNITS = {
    u.code: u
    for u in (
        Unit("count", "count", 1.0, "count"),
        Unit("kg", "mass", 1.0, "kg"),
        Unit("lb", "mass", 0.45359237, "lb"),
        Unit("s", "time", 1.0, "seconds"),
        Unit("m", "length", 1.0, "metres"),
        Unit("yd", "length", 0.9144, "yards"),
        Unit("cm", "length", 0.01, "cm"),
        Unit("in", "length", 0.0254, "inches"),
        Unit("kg/m2", "bmi", 1.0, "kg/m²"),
        Unit("min/week", "activity", 1.0, "minutes a week"),
        Unit("h/week", "activity", 60.0, "hours a week"),
    )
}

_ALIASES = {
    "": "",
    "n": "count",
    "reps": "count",
    "stands": "count",
    "curls": "count",
    "steps": "count",
    "kgs": "kg",
    "kilograms": "kg",
    "lbs": "lb",
    "pounds": "lb",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "metre": "m",
    "metres": "m",
    "meter": "m",
    "meters": "m",
    "yard": "yd",
    "yards": "yd",
    "yds": "yd",
    "centimetre": "cm",
    "centimetres": "cm",
    "centimeter": "cm",
    "centimeters": "cm",
    "inch": "in",
    "inches": "in",
    '"': "in",
    "kg/m²": "kg/m2",
    "kg/m^2": "kg/m2",
    "min": "min/week",
    "mins": "min/week",
    "minutes": "min/week",
    "min/wk": "min/week",
    "hours": "h/week",
    "h/wk": "h/week",
}


def unit(code: str) -> Unit:
    return _UNITS[code]


def normalise_unit(text: str, accepted: tuple[str, ...], default: str, what: str) -> str:
    """The canonical code for a unit someone typed, or an InputError naming what is accepted."""
    key = text.strip().lower()
    key = _ALIASES.get(key, key)
    if key == "":
        return default
    if key in accepted:
        return key
    listed = ", ".join(accepted)
    raise InputError(
        _(
            "{what} cannot be given in '{value}': use {units}",
            what=what,
            value=text.strip(),
            units=listed,
        )
    )


def convert(value: float, from_code: str, to_code: str) -> float:
    if from_code == to_code:
        return value
    a, b = _UNITS[from_code], _UNITS[to_code]
    if a.dimension != b.dimension:
        raise InputError(_("cannot convert {unit} to {other}", unit=_(a.label), other=_(b.label)))
    return value * a.factor / b.factor


def factor(from_code: str, to_code: str) -> float:
    """The multiplier taking a value in from_code to to_code."""
    return convert(1.0, from_code, to_code)
