"""Errors that carry a message fit to show a person: what is wrong and how to fix it."""

from __future__ import annotations


class FfmotError(Exception):
    """Base class: the message is complete, one line, and safe to show."""


class InputError(FfmotError):
    """Something a person typed or a file they gave cannot be used as it is."""


class NormDataError(FfmotError):
    """A norm data file is missing or malformed: names the file, line and problem."""


def sentence(text: object) -> str:
    """A message as a sentence: capital first letter, full stop; the rest left as it is."""
    t = str(text).strip()
    if not t:
        return ""
    t = t[0].upper() + t[1:]
    return t if t.endswith((".", "!", "?")) else t + "."
