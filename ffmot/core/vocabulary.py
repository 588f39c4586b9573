"""The words ffmot's records are kept in, once each: the sexes a person may give and the
consent purposes they may grant, with the words a person reads for them.

The stored values are stable ids (they are in every database and export); what a person reads
is looked up in the language spoken. The not-done and stop reasons are the battery's
(ffmot/core/battery.py), age bands are ffmot/core/ages.py's.
"""

from __future__ import annotations

from ffmot.core.errors import InputError
from ffmot.core.i18n import N_, _

FEMALE, MALE, NOT_STATED = "female", "male", "not_stated"
SEXES = (FEMALE, MALE, NOT_STATED)  # what a person may give; the norms are by FEMALE and MALE
PURPOSES = ("keep_results", "retest_contact", "share_gp", "anonymous_reports")

_SEX_WORDS = {FEMALE: N_("female"), MALE: N_("male"), NOT_STATED: N_("not stated")}
_SEX_ALONE = N_("sex not stated")  # where the word stands without a "sex" heading
SEX_HEADINGS = {FEMALE: N_("Women"), MALE: N_("Men"), NOT_STATED: N_("Not stated")}
PURPOSE_WORDS = {  # as the participant is asked, in the first person
    "keep_results": N_("Keep my results"),
    "retest_contact": N_("Contact me for a 12-week retest"),
    "share_gp": N_("Share my results with my GP"),
    "anonymous_reports": N_("Use my results anonymously in reports"),
}


def sex_words(sex: str, alone: bool = False) -> str:
    """A stored sex as a person reads it; an unknown value as it is, underscores as spaces."""
    if alone and sex == NOT_STATED:
        return _(_SEX_ALONE)
    return _(_SEX_WORDS[sex]) if sex in _SEX_WORDS else sex.replace("_", " ")


_SEX_TYPED = {  # what may be typed for each, in any case
    "female": "female",
    "f": "female",
    "woman": "female",
    "women": "female",
    "male": "male",
    "m": "male",
    "man": "male",
    "men": "male",
    "not_stated": NOT_STATED,
    "not stated": NOT_STATED,
}


def parse_sex(text: str, allow_not_stated: bool = True) -> str:
    key = text.strip().lower()
    sex = _SEX_TYPED.get(key)
    if sex is None or (sex == NOT_STATED and not allow_not_stated):
        if allow_not_stated:
            raise InputError(
                _(
                    "sex '{value}' is not recognised: use female, male or not_stated",
                    value=text.strip(),
                )
            )
        raise InputError(
            _("sex '{value}' is not recognised: use female or male", value=text.strip())
        )
    return sex
