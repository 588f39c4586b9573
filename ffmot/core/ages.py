"""Age in completed years, the way the norms count it."""

from __future__ import annotations

import datetime as dt

from ffmot.core.errors import InputError

OLDEST_AGE = 120


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{what} '{text.strip()}' is not a date: write it as YYYY-MM-DD, e.g. 1950-03-14"
        ) from None


def age_on(dob: dt.date, on: dt.date) -> int:
    """Completed years on the date `on`. A birthday falling on `on` counts.

    Someone born on 29 February has their birthday on 1 March in other years.
    """
    if on < dob:
        raise InputError(
            f"the test date {on.isoformat()} is before the date of birth {dob.isoformat()}"
        )
    years = on.year - dob.year
    if (on.month, on.day) < (dob.month, dob.day):
        years -= 1
    if years > OLDEST_AGE:
        raise InputError(
            f"a date of birth of {dob.isoformat()} makes the person {years} on "
            f"{on.isoformat()}: check the year"
        )
    return years


def check_age(age: int) -> int:
    if age < 0 or age > OLDEST_AGE:
        raise InputError(f"age {age} is impossible: give completed years from 0 to {OLDEST_AGE}")
    return age


def parse_age(text: str) -> int:
    t = text.strip()
    f = parse_number(t, "age")
    if not f.is_integer():
        raise InputError(f"age {t} is not a whole number: give completed years (e.g. {int(f)})")
    return check_age(int(f))


def parse_number(text: str, what: str) -> float:
    """A finite number from text, or an InputError that names `what`."""
    t = text.strip()
    try:
        f = float(t)
    except ValueError:
        raise InputError(f"{what} '{t}' is not a number") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise InputError(f"{what} '{t}' is not a number")
    return f
