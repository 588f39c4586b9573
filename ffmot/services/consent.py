"""Whether a person's results may be used: one rule for the board, the screen and every sheet.

Of the consent purposes (keep_results, retest_contact, share_gp, anonymous_reports), keeping
their results is the one that governs testing and their sheet: a person whose latest decision
on it is no (they withdrew it, or never gave it) is not tested, and no sheet of their results
is made or printed, by the desktop app or by `ffmot sheet` and `ffmot sheets`. The stations
refuse to save for them on the same rule (`records._check_keeping`).

Light on purpose (no database layer): the desktop app's views import it as they are built.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ffmot.core import codes
from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.services.types import ParticipantInfo

if TYPE_CHECKING:
    from ffmot.services.overview import Overview

KEEP_RESULTS = "keep_results"
SHARE_GP = "share_gp"

GRANTED, WITHDRAWN, NOT_GIVEN = "granted", "withdrawn", "not_given"


def keeping(person: ParticipantInfo) -> str:
    """Their latest decision on keeping their results: granted, withdrawn (the latest is no)
    or not_given (never recorded)."""
    c = person.consents.get(KEEP_RESULTS)
    if c is None:
        return NOT_GIVEN
    return GRANTED if c.granted else WITHDRAWN


def may_use_results(person: ParticipantInfo) -> bool:
    """Whether they may be tested and their sheet made and printed."""
    return keeping(person) == GRANTED


def why_not(person: ParticipantInfo) -> str:
    """In plain words, why their sheet is not made (empty when it may be). No name: this is
    also what the command line and the log say."""
    state = keeping(person)
    who = codes.display(person.code)
    if state == WITHDRAWN:
        return _(
            "{code} has withdrawn consent to keep their results, so their sheet is not made "
            "or printed and they are not tested. If they change their mind, tick 'Keep my "
            "results' at check-in first",
            code=who,
        )
    if state == NOT_GIVEN:
        return _(
            "{code} has not agreed to keep their results, so their sheet is not made or "
            "printed. Ask them at check-in; if they agree, tick 'Keep my results' first",
            code=who,
        )
    return ""


def check_may_print(person: ParticipantInfo) -> None:
    """Refuses (InputError, in plain words) to make the sheet of someone who may not have one."""
    reason = why_not(person)
    if reason:
        raise InputError(reason)


def check_may_share_with_gp(person: ParticipantInfo) -> None:
    """Refuses (InputError, in plain words) a letter to the GP of someone whose latest decision
    on sharing their results with their GP is not yes, or whose results may not be kept."""
    check_may_print(person)
    c = person.consents.get(SHARE_GP)
    who = codes.display(person.code)
    if c is None:
        raise InputError(
            _(
                "{code} has not agreed to share their results with their GP, so no letter is "
                "made. Ask them; if they agree, tick 'Share my results with my GP' at check-in "
                "first",
                code=who,
            )
        )
    if not c.granted:
        raise InputError(
            _(
                "{code}'s latest answer to sharing their results with their GP is no, so no "
                "letter is made. If they change their mind, tick 'Share my results with my GP' "
                "at check-in first",
                code=who,
            )
        )


def printable(overviews: Iterable[Overview]) -> tuple[list[Overview], list[Overview]]:
    """The sheets that may be made, and those held back, each in the order given."""
    kept: list[Overview] = []
    held: list[Overview] = []
    for o in overviews:
        (kept if may_use_results(o.participant) else held).append(o)
    return kept, held
