"""Age in completed years, the way the norms count it."""

from __future__ import annotations

import datetime as dt

from ffmot.core.errors import InputError
from ffmot.core.i18n import N_, _

OLDEST_AGE = 120

# Age bands: the one definition, for every output that groups people by age (the MOT-day
# summary, the anonymised export's ladder). Written in English in files ("60-64", "under 60",
# "90 and over"); said in words by `band_words`.
YOUNGEST_BAND = 60  # the norms start at 60: everyone younger is one band
UNDER = N_("under 60")
AND_OVER = N_("{age} and over")


def age_band(age: int, width: int = 5, top: int = 90) -> str:
    """The band of `age`: `width`-year bands from 60, everyone from `top` in one."""
    if age < YOUNGEST_BAND:
        return UNDER
    if age >= top:
        return AND_OVER.format(age=top)
    lo = YOUNGEST_BAND + (age - YOUNGEST_BAND) // width * width
    return f"{lo}-{min(lo + width, top) - 1}"


def age_bands(width: int = 5, top: int = 90) -> tuple[str, ...]:
    """Every band, youngest first."""
    ages = [YOUNGEST_BAND - 1, *range(YOUNGEST_BAND, top + 1, width)]
    return tuple(dict.fromkeys(age_band(a, width, top) for a in ages))


def band_words(band: str) -> str:
    """A band as a person reads it, in the language spoken."""
    if band == UNDER:
        return _(UNDER)
    first, _sep, rest = band.partition(" ")
    if rest == "and over" and first.isdigit():
        return _(AND_OVER, age=int(first))
    return band


# The ways a practitioner types a date (a date of birth at check-in, a search): the UK's
# day/month/year first, then ISO. Files and the command line take ISO only (parse_date).
TYPED_DATE_FORMS = ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y")


def typed_date(text: str) -> dt.date | None:
    """The date a practitioner typed, in any of TYPED_DATE_FORMS; None if it is not one."""
    t = text.strip()
    for form in TYPED_DATE_FORMS:
        try:
            return dt.datetime.strptime(t, form).date()
        except ValueError:
            continue
    return None


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            _(
                "{what} '{value}' is not a date: write it as YYYY-MM-DD, e.g. 1950-03-14",
                what=what,
                value=text.strip(),
            )
        ) from None


def age_on(dob: dt.date, on: dt.date) -> int:
    """Completed years on the date `on`. A birthday falling on `on` counts.

    Someone born on 29 February has their birthday on 1 March in other years.
    """
    if on < dob:
        raise InputError(
            _(
                "the test date {date} is before the date of birth {dob}",
                date=on.isoformat(),
                dob=dob.isoformat(),
            )
        )
    years = on.year - dob.year
    if (on.month, on.day) < (dob.month, dob.day):
        years -= 1
    if years > OLDEST_AGE:
        raise InputError(
            _(
                "a date of birth of {dob} makes the person {age} on {date}: check the year",
                dob=dob.isoformat(),
                age=years,
                date=on.isoformat(),
            )
        )
    return years


def check_age(age: int) -> int:
    if age < 0 or age > OLDEST_AGE:
        raise InputError(
            _(
                "age {age} is impossible: give completed years from 0 to {oldest}",
                age=age,
                oldest=OLDEST_AGE,
            )
        )
    return age


def parse_age(text: str) -> int:
    t = text.strip()
    f = parse_number(t, "age")
    if not f.is_integer():
        raise InputError(
            _(
                "age {age} is not a whole number: give completed years (e.g. {whole})",
                age=t,
                whole=int(f),
            )
        )
    return check_age(int(f))


def parse_number(text: str, what: str) -> float:
    """A finite number from text, or an InputError that names `what`."""
    t = text.strip()
    try:
        f = float(t)
    except ValueError:
        raise InputError(_("{what} '{value}' is not a number", what=what, value=t)) from None
    if f != f or f in (float("inf"), float("-inf")):
        raise InputError(_("{what} '{value}' is not a number", what=what, value=t))
    return f


def age_or_zero(dob: dt.date, on: dt.date) -> int:
    """The age on a day, or 0 for a date of birth after it (a typing slip being corrected)."""
    return age_on(dob, on) if dob <= on else 0
