"""The take-home sheet's words: plain English, short sentences, "you" and "your".

Pure functions of the overview's plain data, so the wording can be tested (and read) without
drawing a PDF. A result below the usual range is something to work on, never a risk; a result
that was not compared or not done gets a kind reason, never a failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ffmot.core.advice import LocalActivity
from ffmot.core.i18n import N_, _
from ffmot.core.i18n import long_date as long_date
from ffmot.core.i18n import short_date as short_date
from ffmot.core.interpret import default_rules
from ffmot.core.norms import LOCAL_EDIT, UNVERIFIED, is_local_cite
from ffmot.core.scoring import GuidelineCheck
from ffmot.services.overview import Item, Overview, value_text


def status_words(status: str) -> str:
    """A component's status in words: the same words as the results screen (advice.toml)."""
    return default_rules().w("status", status)


INTENSITY_WORDS = {
    "gentle": N_("Gentle"),
    "moderate": N_("Moderate: you will breathe faster"),
    "vigorous": N_("Hard work: you will be out of breath"),
}
MINUS = "\u2212"


def is_local(norm_set: str) -> bool:
    """A norm set that is not, byte for byte, a published one carries the mark in its version."""
    return UNVERIFIED in norm_set


def norm_set_words(norm_set: str, sources: Iterable[str] = (), why: str = "") -> str:
    """How a page names its norm set. A local set says so, and why: the files its numbers came
    from that differ from the published set (named by the results' sources), or `why`."""
    if not is_local(norm_set):
        return _("Norm set {version}", version=norm_set)
    version = norm_set.replace(UNVERIFIED, "").strip()
    if not why:
        local = [s for s in dict.fromkeys(sources) if is_local_cite(s)]
        files = ", ".join(s[s.rfind("(") + 1 :].rstrip(")") for s in local)
        if any(s.startswith(LOCAL_EDIT) for s in local):
            why = _("changed from the published set ({files})", files=files)
        elif local:
            why = _("not checked against the published set ({files})", files=files)
        else:
            why = _("not the published set")
    return _(
        "Norm set {version} \u2014 {unverified}: {why}",
        version=version,
        unverified=_(UNVERIFIED),
        why=why,
    )


def num(x: float, whole: bool = False) -> str:
    """A number as people write it: no trailing zeros, at most one decimal, a real minus."""
    rounded = round(x) if whole or float(x).is_integer() else round(x, 1)
    text = f"{rounded:g}" if isinstance(rounded, float) else str(rounded)
    if text in ("-0", "0"):
        return "0"
    return text.replace("-", MINUS)


def peers(sex: str) -> str:
    return {"female": _("women"), "male": _("men")}.get(sex, _("people"))


def greeting(o: Overview, short: bool = False) -> str:
    first = o.participant.given_name
    if not any(i.result.done for c in o.components for i in c.items):
        return _(
            "Thank you for coming today, {first}. We did not do the fitness tests today, and "
            "that is fine. This sheet has ideas to help you stay active.",
            first=first,
        )
    if short:
        return _(
            "Thank you for coming today, {first}. Here is how you did, compared with "
            "{peers} of your age.",
            first=first,
            peers=peers(o.participant.sex),
        )
    return _(
        "Thank you for coming today, {first}. Here is how you did, compared with "
        "{peers} of your age. There are ideas to help you stay strong and steady too.",
        first=first,
        peers=peers(o.participant.sex),
    )


def who_line(o: Overview) -> str:
    where = o.event.venue or o.event.name
    return _(
        "{name}, {date}, {place}",
        name=o.participant.name,
        date=long_date(o.assessment.assessed_on),
        place=where,
    )


def display_name(item: Item, width: float = 0.0) -> str:
    """The test's full name, or its short name where the full one would not fit."""
    if width:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        from ffmot.report.fonts import BOLD

        if stringWidth(_(item.test.name), BOLD, 14) > width:
            return _(item.test.short_name)
    return _(item.test.name)


def band_words(item: Item) -> str:
    """The verdict in words, as on the results screen ("Below the usual range for your age")."""
    return item.says.band_words if item.says is not None else ""


def not_compared_words(item: Item) -> str:
    """Why a done result has no band (its age, sex not stated, a modified test), kindly."""
    if item.says is not None and item.says.note:
        return item.says.note
    return _("We could not compare this result today. Please ask us about it.")


def not_done_words(item: Item) -> str:
    """Why a test was not done, or why it was stopped."""
    if item.says is not None and item.says.note:
        return item.says.note
    return _("Not done today. That is fine.")


def value_words(item: Item) -> str:
    """The result in words; for the reach tests also what a minus means."""
    s = item.score
    r = item.result
    if not r.done or r.value is None:
        return _("Not done today")
    v = r.value
    said = {"amount": num(abs(v)), "unit": _(item.test.label(r.unit))}
    if item.test.value_words:  # the test's own words either side of zero (battery.toml)
        zero, below, above = item.test.value_words
        if abs(v) < 1e-9:
            return _(zero)
        return _(below if v < 0 else above, **said)
    if s is not None and item.test.cap is not None and v >= item.test.cap:
        return _("{amount} {unit}, the longest we time", amount=num(v), unit=said["unit"])
    return item.value_text.replace("-", MINUS)


def range_words(item: Item) -> str:
    """The label under the band, printed so it agrees with the verdict."""
    return item.says.range_text if item.says is not None else ""


def direction_word(item: Item) -> str:
    return _("faster") if item.test.direction == "lower" else _("better")


def change_words(item: Item) -> str:
    """The change since last time, in words, measured against the test's meaningful change."""
    if item.says is None or item.result.value is None:
        return ""
    return item.says.change


def then_now(item: Item) -> str:
    """Then and now in one line, for a result with a change but no bar to show it on."""
    c = item.change
    if c is None or item.result.value is None:
        return ""
    then = value_text(item.test, c.before, item.result.unit).replace("-", MINUS)
    return _("Then {then}, now {now}.", then=then, now=item.value_text.replace("-", MINUS))


# --- activity and the UK guidelines -----------------------------------------------------------


@dataclass(frozen=True)
class GuidelineRow:
    id: str
    guideline: str
    you: str
    verdict: str

    @property
    def sentence(self) -> str:
        """The row as one line: "Strength activities on 2 days a week: you do 3 days. Yes."."""
        if not self.asked:
            return _("{guideline}: not asked today.", guideline=self.guideline)
        if self.id == "sitting_hours":
            return _(
                "{guideline}. You sit for about {amount}.",
                guideline=self.guideline,
                amount=self.you,
            )
        verdict = self.verdict.rstrip(".!")
        return _(
            "{guideline}: you do {amount}. {verdict}.",
            guideline=self.guideline,
            amount=self.you,
            verdict=verdict,
        )

    @property
    def asked(self) -> bool:
        return self.you != _("Not asked")


_GUIDELINE = {
    "moderate_minutes": N_("150 minutes a week of moderate activity"),
    "strength_days": N_("Strength activities on 2 days a week"),
    "balance_days": N_("Balance activities on 2 days a week"),
    "sitting_hours": N_("Break up long spells of sitting"),
}


def guidelines_in_brief() -> list[str]:
    return [_(g) for g in _GUIDELINE.values()]


def _amount(g: GuidelineCheck) -> str:
    v = g.value
    if v is None or not math.isfinite(v):
        return _("Not asked")
    if g.id == "moderate_minutes":
        return _("{n} minutes", n=num(v, whole=True))
    if g.id in ("strength_days", "balance_days"):
        n = num(v, whole=True)
        return _("{n} day", n=n) if n == "1" else _("{n} days", n=n)
    if g.id == "sitting_hours":
        return _("{n} hours a day", n=num(v))
    return f"{num(v)} {_(g.unit)}"


def guideline_rows(checks: tuple[GuidelineCheck, ...]) -> list[GuidelineRow]:
    rows = []
    for g in checks:
        if g.met is None:
            verdict = _("Stand up often") if g.id == "sitting_hours" and g.value is not None else ""
        else:
            verdict = _("Yes, well done!") if g.met else _("Not yet")
        rows.append(GuidelineRow(g.id, _(_GUIDELINE.get(g.id, g.label)), _amount(g), verdict))
    return rows


def activity_text(a: LocalActivity, esc: Callable[[str], str] = str) -> str:
    """One local activity as a short paragraph: name (bold), when and where, how hard, who it
    suits, cost and contact."""
    where = ", ".join(x for x in (a.venue, a.town) if x)
    when = " ".join(x for x in (a.day, a.time) if x)
    bits = [", ".join(x for x in (when, where) if x) + "."]
    bits.append(intensity_words(a.intensity) + ".")
    if a.suits:
        bits.append(_("Suits: {who}.", who=a.suits.rstrip(".")))
    if a.cost:
        bits.append(_("Cost: {cost}.", cost=a.cost.rstrip(".")))
    if a.contact:
        bits.append(_("Contact: {contact}.", contact=a.contact.rstrip(".")))
    return f"<b>{esc(a.name)}</b>. {esc(' '.join(bits))}"


def intensity_words(intensity: str) -> str:
    return _(INTENSITY_WORDS.get(intensity, intensity.capitalize()))


def body_words(item: Item) -> str:
    """BMI and waist are read in words, not against an age range."""
    s = item.score
    if not item.result.done or item.result.value is None:
        return not_done_words(item)
    if s is None or not s.reading:
        if s is not None and (s.reason or "").startswith("sex not stated"):
            return _("Not read: the levels are different for women and men.")
        return _("Not read today.")
    reading = _(s.reading)
    reading = reading[0].upper() + reading[1:]
    return reading if reading.endswith(".") else reading + "."


def body_name(item: Item) -> str:
    return _(item.test.name)


def at_a_glance(o: Overview) -> list[str]:
    """The summary box's lines: how they did, in a sentence or three."""
    return list(o.says.headline) if o.says is not None else []


def actions(o: Overview) -> list[str]:
    """The summary box's actions: what to do next, one to three."""
    return list(o.says.actions) if o.says is not None else []


def join_titles(items: list[str]) -> str:
    """Titles in a list. Commas only, because a title may itself hold "and"."""
    return _(", ").join(items)
