"""Errors that carry a message fit to show a person: what is wrong and how to fix it."""

from __future__ import annotations


class FfmotError(Exception):
    """Base class: the message is complete, one line, and safe to show."""


class InputError(FfmotError):
    """Something a person typed or a file they gave cannot be used as it is."""


class NormDataError(FfmotError):
    """A norm data file is missing or malformed: names the file, line and problem."""
