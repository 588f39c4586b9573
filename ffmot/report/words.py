"""The take-home sheet's words: plain English, short sentences, "you" and "your".

Pure functions of the overview's plain data, so the wording can be tested (and read) without
drawing a PDF. A result below the usual range is something to work on, never a risk; a result
that was not compared or not done gets a kind reason, never a failure.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from ffmot.core.advice import LocalActivity
from ffmot.core.scoring import GuidelineCheck
from ffmot.services.overview import Item, Overview, value_text

STATUS_WORDS = {
    "strength": "a strength of yours",
    "steady": "in the usual range",
    "work_on": "something to work on",
    "not_compared": "not compared today",
}
INTENSITY_WORDS = {
    "gentle": "Gentle",
    "moderate": "Moderate: you will breathe faster",
    "vigorous": "Hard work: you will be out of breath",
}
MINUS = "\u2212"


def long_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def short_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B')}"


def num(x: float, whole: bool = False) -> str:
    """A number as people write it: no trailing zeros, at most one decimal, a real minus."""
    rounded = round(x) if whole or float(x).is_integer() else round(x, 1)
    text = f"{rounded:g}" if isinstance(rounded, float) else str(rounded)
    if text in ("-0", "0"):
        return "0"
    return text.replace("-", MINUS)


def peers(sex: str) -> str:
    return {"female": "women", "male": "men"}.get(sex, "people")


def greeting(o: Overview, short: bool = False) -> str:
    first = o.participant.given_name
    if not any(i.result.done for c in o.components for i in c.items):
        return (
            f"Thank you for coming today, {first}. We did not do the fitness tests today, and "
            "that is fine. This sheet has ideas to help you stay active."
        )
    text = (
        f"Thank you for coming today, {first}. Here is how you did, compared with "
        f"{peers(o.participant.sex)} of your age."
    )
    return text if short else text + " There are ideas to help you stay strong and steady too."


def who_line(o: Overview) -> str:
    where = o.event.venue or o.event.name
    return f"{o.participant.name}, {long_date(o.assessment.assessed_on)}, {where}"


def display_name(item: Item, width: float = 0.0) -> str:
    """The test's full name, or its short name where the full one would not fit."""
    if width:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        from ffmot.report.fonts import BOLD

        if stringWidth(item.test.name, BOLD, 14) > width:
            return item.test.short_name
    return item.test.name


def is_threshold(item: Item) -> bool:
    """The one-leg stand: a typical time for the age and a cap, no percentiles."""
    return item.test.cap is not None


def band_words(item: Item) -> str:
    s = item.score
    if s is None:
        return ""
    if is_threshold(item):
        return {
            "normal": "As long as is typical for your age",
            "below_average": "Shorter than typical for your age",
        }.get(s.band, "")
    if item.test.direction == "lower":
        return {
            "above_average": "Faster than the usual range",
            "normal": "In the usual range",
            "below_average": "Slower than the usual range",
        }.get(s.band, "")
    return {
        "above_average": "Above the usual range",
        "normal": "In the usual range",
        "below_average": "Below the usual range",
    }.get(s.band, "")


_COVER = re.compile(r"cover ages (\d+) to (\d+)")


def not_compared_words(item: Item) -> str:
    """Why a done result has no band, kindly."""
    s = item.score
    if s is None:
        return "We could not compare this result today. Please ask us about it."
    if s.reason and s.reason.startswith("sex not stated"):
        return "Not compared: the figures for this test are different for women and men."
    m = _COVER.search(s.reason or "")
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if s.age < lo:
            return (
                f"No comparison for your age: the published figures start at age {lo}. "
                "Your result is a good start to build on."
            )
        return (
            f"No comparison for your age: the published figures stop at age {hi}. "
            "Well done for taking part."
        )
    return "No comparison for your age. Your result is a good start to build on."


def not_done_words(item: Item) -> str:
    why = item.not_done_words or "it was not done today"
    return f"Not done: {why}. That is fine. You can try it another time."


def value_words(item: Item) -> str:
    """The result in words; for the reach tests also what a minus means."""
    s = item.score
    r = item.result
    if not r.done or r.value is None:
        return "Not done today"
    v = r.value
    label = item.test.label(r.unit)
    if item.test.id == "back_scratch":
        if abs(v) < 1e-9:
            return "Your fingertips touched"
        return f"{num(abs(v))} {label} " + ("gap" if v < 0 else "overlap")
    if item.test.id == "sit_and_reach":
        if abs(v) < 1e-9:
            return "You reached your toes"
        return f"{num(abs(v))} {label} " + ("short of your toes" if v < 0 else "past your toes")
    if s is not None and item.test.cap is not None and v >= item.test.cap:
        return f"{num(v)} {label}, the longest we time"
    return item.value_text.replace("-", MINUS)


def range_words(item: Item) -> str:
    """The label under the band."""
    s = item.score
    if s is None or s.normal_range is None:
        return ""
    lo, hi = s.normal_range
    label = item.test.label(s.unit)
    if is_threshold(item):
        if item.test.cap is not None and lo >= item.test.cap:
            return f"typical: {num(lo)} {label}"
        return f"typical: {num(lo)} {label} or more"
    return f"usual range: {num(lo)} to {num(hi)}"


def direction_word(item: Item) -> str:
    return "faster" if item.test.direction == "lower" else "better"


def change_words(item: Item) -> str:
    """The change since last time, in words ("3 more stands than on 12 June."); a result that
    went down carries a gentle note."""
    c = item.change
    if c is None or item.result.value is None:
        return ""
    text = c.words.replace(" -", f" {MINUS}")
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!")) else text + "."


def then_now(item: Item) -> str:
    """Then and now in one line, for a result with a change but no bar to show it on."""
    c = item.change
    if c is None or item.result.value is None:
        return ""
    then = value_text(item.test, c.before, item.result.unit).replace("-", MINUS)
    return f"Then {then}, now {item.value_text.replace('-', MINUS)}."


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
        if self.you == "Not asked":
            return f"{self.guideline}: not asked today."
        if self.id == "sitting_hours":
            return f"{self.guideline}. You sit for about {self.you}."
        verdict = self.verdict.rstrip(".!")
        return f"{self.guideline}: you do {self.you}. {verdict}."


_GUIDELINE = {
    "moderate_minutes": "150 minutes a week of moderate activity",
    "strength_days": "Strength activities on 2 days a week",
    "balance_days": "Balance activities on 2 days a week",
    "sitting_hours": "Break up long spells of sitting",
}
GUIDELINES_IN_BRIEF = tuple(_GUIDELINE.values())


def _amount(g: GuidelineCheck) -> str:
    v = g.value
    if v is None or not math.isfinite(v):
        return "Not asked"
    if g.id == "moderate_minutes":
        return f"{num(v, whole=True)} minutes"
    if g.id in ("strength_days", "balance_days"):
        n = num(v, whole=True)
        return f"{n} {'day' if n == '1' else 'days'}"
    if g.id == "sitting_hours":
        return f"{num(v)} hours a day"
    return f"{num(v)} {g.unit}"


def guideline_rows(checks: tuple[GuidelineCheck, ...]) -> list[GuidelineRow]:
    rows = []
    for g in checks:
        if g.met is None:
            verdict = "Stand up often" if g.id == "sitting_hours" and g.value is not None else ""
        else:
            verdict = "Yes, well done!" if g.met else "Not yet"
        rows.append(GuidelineRow(g.id, _GUIDELINE.get(g.id, g.label), _amount(g), verdict))
    return rows


def activity_text(a: LocalActivity, esc: Callable[[str], str] = str) -> str:
    """One local activity as a short paragraph: name (bold), when and where, how hard, who it
    suits, cost and contact."""
    where = ", ".join(x for x in (a.venue, a.town) if x)
    when = " ".join(x for x in (a.day, a.time) if x)
    bits = [", ".join(x for x in (when, where) if x) + "."]
    bits.append(intensity_words(a.intensity) + ".")
    if a.suits:
        bits.append(f"Suits: {a.suits.rstrip('.')}.")
    if a.cost:
        bits.append(f"Cost: {a.cost.rstrip('.')}.")
    if a.contact:
        bits.append(f"Contact: {a.contact.rstrip('.')}.")
    return f"<b>{esc(a.name)}</b>. {esc(' '.join(bits))}"


def intensity_words(intensity: str) -> str:
    return INTENSITY_WORDS.get(intensity, intensity.capitalize())


def body_words(item: Item) -> str:
    """BMI and waist are read in words, not against an age range."""
    s = item.score
    if not item.result.done or item.result.value is None:
        return not_done_words(item)
    if s is None or not s.reading:
        if s is not None and (s.reason or "").startswith("sex not stated"):
            return "Not read: the levels are different for women and men."
        return "Not read today."
    reading = s.reading[0].upper() + s.reading[1:]
    return reading if reading.endswith(".") else reading + "."


def body_name(item: Item) -> str:
    return {"bmi": "Body mass index (BMI)", "waist": "Waist"}.get(item.test.id, item.test.name)


def at_a_glance(o: Overview) -> list[str]:
    titles = {c.id: c.title for c in o.components}
    strong = [c.title for c in o.components if c.status == "strength"]
    steady = [c.title for c in o.components if c.status == "steady"]
    work = [titles[w] for w in o.work_on if w in titles]
    lines = []
    if strong:
        lines.append(f"Your strengths: {join_titles(strong)}.")
    if steady:
        lines.append(f"In the usual range for your age: {join_titles(steady)}.")
    if work:
        lines.append(f"Things to work on: {join_titles(work)}.")
    elif strong or steady:
        lines.append("Nothing stands out to work on. Keep doing what you do!")
    return lines


def join_titles(items: list[str]) -> str:
    """Titles in a list. Commas only, because a title may itself hold "and"."""
    return ", ".join(items)
