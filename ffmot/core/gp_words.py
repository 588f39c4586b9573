"""The words of the letter to a person's GP practice (resources/gp_letter.toml), read and
checked: every key present and text, and no {place} the letter does not fill in (a slip
would otherwise stop a letter half made). A clinical lead reviews the file; the letter itself
is services/gp_letter.py.
"""

from __future__ import annotations

import string
from pathlib import Path

from ffmot.core.datafiles import read_toml
from ffmot.core.errors import NormDataError
from ffmot.core.i18n import _
from ffmot.core.paths import resources_dir

# Every key the letter uses, by section: a file missing one is refused by name.
KEYS = {
    "letter": ("title", "addressee", "intro", "caveat", "no_action"),
    "headings": (
        "patient", "screening", "results", "flags", "body", "activity", "suggested", "about",
    ),
    "patient": ("name", "born", "sex", "age", "code"),
    "results": (
        "test", "result", "compared", "source", "percentile", "range", "criterion_met",
        "criterion_not_met", "not_done", "stopped", "modified", "not_compared", "previous",
        "last",
    ),
    "bands": ("above_average", "normal", "below_average"),
    "screening": (
        "clear", "care", "do_not_test", "incomplete", "blood_pressure", "no_blood_pressure",
        "recent_fall", "excluded", "none",
    ),
    "activity": ("none", "met", "not_met", "no_target", "not_asked"),
    "suggested": ("none", "screened_out", "activities", "work_on"),
    "footer": ("recorded", "confidential"),
}  # fmt: skip
# The {places} each text may hold (any other would stop the letter half made).
PLACES = {
    ("letter", "intro"): {"name", "date", "venue", "organisation", "consented"},
    ("results", "percentile"): {"band", "percentile"},
    ("results", "range"): {"low", "high", "unit"},
    ("results", "criterion_met"): {"standard", "unit"},
    ("results", "criterion_not_met"): {"standard", "unit"},
    ("results", "not_done"): {"reason"},
    ("results", "stopped"): {"symptom"},
    ("results", "modified"): {"how"},
    ("results", "not_compared"): {"reason"},
    ("results", "previous"): {"date", "value"},
    ("screening", "care"): {"answers"},
    ("screening", "do_not_test"): {"reasons"},
    ("screening", "blood_pressure"): {"systolic", "diastolic"},
    ("screening", "excluded"): {"tests"},
    ("suggested", "activities"): {"names"},
    ("suggested", "work_on"): {"title", "level"},
    ("activity", "met"): {"label", "value", "unit", "target"},
    ("activity", "not_met"): {"label", "value", "unit", "target"},
    ("activity", "no_target"): {"label", "value", "unit"},
    ("activity", "not_asked"): {"label"},
    ("footer", "recorded"): {"practitioner", "station", "norm_set", "made"},
}


def letter_words_file() -> Path:
    return resources_dir() / "gp_letter.toml"


def load_words(path: Path | None = None) -> dict[str, dict[str, str]]:
    """The letter's words, every key in KEYS present and text (else NormDataError, naming the
    file, the section and the key)."""
    path = path or letter_words_file()
    data = read_toml(path)
    words: dict[str, dict[str, str]] = {}
    for section, keys in KEYS.items():
        got = data.get(section)
        for key in keys:
            value = got.get(key) if isinstance(got, dict) else None
            if not isinstance(value, str) or not value.strip():
                raise NormDataError(
                    _(
                        "{file} [{section}]: {key} is missing or empty",
                        file=path.name,
                        section=section,
                        key=key,
                    )
                )
        words[section] = {k: str(got[k]).strip() for k in keys}  # type: ignore[index]
    for (section, key), allowed in PLACES.items():
        text = words[section][key]
        try:
            places = {
                f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None
            }
        except ValueError:  # a lone { or }
            places = {"{"}
        for place in sorted(places - allowed):
            raise NormDataError(
                _(
                    "{file} [{section}] {key}: ffmot does not fill in '{place}' (it fills in: "
                    "{allowed})",
                    file=path.name,
                    section=section,
                    key=key,
                    place=place,
                    allowed=", ".join(sorted(allowed)),
                )
            )
    for (section, key), text in (((s, k), t) for s, d in words.items() for k, t in d.items()):
        if (section, key) not in PLACES and ("{" in text or "}" in text):
            raise NormDataError(
                _(
                    "{file} [{section}] {key}: ffmot fills in nothing here; take out the braces",
                    file=path.name,
                    section=section,
                    key=key,
                )
            )
    return words
