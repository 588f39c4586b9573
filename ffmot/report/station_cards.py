"""Station cards: one large-print A4 page per test, to stand at each station of an MOT day (and
in the course room). Everything on a card comes from the battery (norms/battery.toml): the
test's name, what it measures, how to run it, its safety notes and what to record. A service
with its own protocol file gets cards for its own protocol; nothing here is typed per test.
"""

from __future__ import annotations

import io
import re
from html import escape
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ffmot import __version__
from ffmot.core import units
from ffmot.core.battery import REASON_WORDS, STOP_WORDS, TestDef, load_battery
from ffmot.core.entry import TRIAL
from ffmot.core.i18n import _, _n, pdf_language
from ffmot.core.paths import norms_dir
from ffmot.report import fonts, style

BODY = 15.0  # large print: nothing on a card is smaller than 14 pt
SMALLEST = 14.0
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z0-9'‘\"])")


def steps(text: str) -> list[str]:
    """A protocol or safety note as steps: one sentence each, as the battery words them (a
    sentence ends at . or ; before a capital, a number or a quote, in any alphabet)."""
    out: list[str] = []
    for piece in re.split(r"(?<=[.;])\s+", text.strip()):
        if out and not (piece[:1].isupper() or piece[:1] in "0123456789'‘\""):
            out[-1] += " " + piece
        elif piece:
            out.append(piece)
    return [x.strip() for x in out if x.strip()]


def _either(words: list[str]) -> str:
    """ "a or b or c", in the language spoken."""
    said = words[0]
    for word in words[1:]:
        said = _("{first} or {second}", first=said, second=word)
    return said


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "card",
        fontName=fonts.REGULAR,
        fontSize=BODY,
        leading=BODY * 1.3,
        textColor=style.BLACK,
        spaceAfter=3,
    )
    return {
        "title": ParagraphStyle(
            "cardTitle", parent=body, fontName=fonts.BOLD, fontSize=30, leading=36, spaceAfter=2
        ),
        "measures": ParagraphStyle("cardMeasures", parent=body, fontSize=18, leading=23),
        "h2": ParagraphStyle(
            "cardH2",
            parent=body,
            fontName=fonts.BOLD,
            fontSize=19,
            leading=24,
            spaceBefore=9,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "body": body,
        "step": ParagraphStyle(
            "cardStep",
            parent=body,
            leftIndent=26,
            bulletIndent=2,
            bulletFontName=fonts.BOLD,
            bulletFontSize=BODY,
        ),
        "foot": ParagraphStyle("cardFoot", parent=body, fontSize=SMALLEST, leading=18),
    }


def _number(value: float) -> str:
    return f"{value:g}"


def record_lines(test: TestDef) -> list[str]:
    """What the station records for this test, in words, from its battery entry."""
    lines: list[str] = []
    if test.fields:
        for f in test.fields:
            lines.append(
                _(
                    "{label} in {unit}: {low} to {high}.",
                    label=_(f.label),
                    unit=_(f.unit),
                    low=_number(f.low),
                    high=_number(f.high),
                )
            )
        return lines
    unit = _(test.label(test.unit))
    others = [_(units.unit(u).label) for u in test.units if u != test.unit]
    if test.whole_numbers and others:
        said = _(
            "The result in {unit}, a whole number (or in {others}).",
            unit=unit,
            others=_either(others),
        )
    elif test.whole_numbers:
        said = _("The result in {unit}, a whole number.", unit=unit)
    elif others:
        said = _("The result in {unit} (or in {others}).", unit=unit, others=_either(others))
    else:
        said = _("The result in {unit}.", unit=unit)
    lines.append(said)
    if test.trials == 1:
        lines.append(_("One result."))
    else:
        labels = [_(x) for x in test.trial_labels] or [
            _(TRIAL, n=n) for n in range(1, test.trials + 1)
        ]
        if test.direction == "lower":
            lines.append(
                _n(
                    "{count} trial ({labels}): the lowest (fastest) counts.",
                    "{count} trials ({labels}): the lowest (fastest) counts.",
                    test.trials,
                    labels=", ".join(labels),
                )
            )
        else:
            lines.append(
                _n(
                    "{count} trial ({labels}): the best counts.",
                    "{count} trials ({labels}): the best counts.",
                    test.trials,
                    labels=", ".join(labels),
                )
            )
    if test.cap is not None:
        lines.append(
            _("Stop timing at {cap} {unit}: no more is counted.", cap=_number(test.cap), unit=unit)
        )
    low, high = test.plausible
    lines.append(
        _(
            "The app accepts {low} to {high} {unit}.",
            low=_number(low),
            high=_number(high),
            unit=unit,
        )
    )
    if test.choice is not None:
        label, options = test.choice
        lines.append(
            _("{label}: {options}.", label=_(label), options=_either([_(o) for o in options]))
        )
    for m in test.modifications:
        lines.append(_("Tick if it was done that way: {way}.", way=_(m.words)))
    return lines


def _not_done_line() -> str:
    reasons = ", ".join(_(w) for w in REASON_WORDS.values())
    stops = [re.sub(r"\s*\(.*\)", "", _(w)).lower() for w in STOP_WORDS.values()]
    return _(
        "Not done (F9): why: {reasons}. Stopped by tester: also why: {stopped}.",
        reasons=reasons,
        stopped=_either(stops)
        if len(stops) < 3
        else _("{first} or {second}", first=", ".join(stops[:-1]), second=stops[-1]),
    )


def _card(test: TestDef, s: dict[str, ParagraphStyle], frame_width: float) -> list[object]:
    story: list[object] = [
        Paragraph(escape(_(test.name)), s["title"]),
        Paragraph(
            _("Measures: <b>{component}</b>", component=escape(_(test.component_name))),
            s["measures"],
        ),
        Paragraph(escape(_("How to do it")), s["h2"]),
    ]
    for n, step in enumerate(steps(_(test.protocol)), 1):
        story.append(Paragraph(escape(step), s["step"], bulletText=f"{n}."))
    safety = [Paragraph(escape(_("Safety")), s["h2"])]
    safety += [Paragraph(escape(x), s["step"], bulletText="!") for x in steps(_(test.safety))]
    box = Table([[safety]], colWidths=[frame_width])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 2, style.BLACK),  # a heavy frame: not colour alone
                ("BACKGROUND", (0, 0), (-1, -1), style.SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story += [Spacer(1, 8), box, Paragraph(escape(_("What to record")), s["h2"])]
    record = [Paragraph(escape(x), s["step"], bulletText="\u2022") for x in record_lines(test)]
    record.append(Paragraph(escape(_not_done_line()), s["step"], bulletText="\u2022"))
    story.append(KeepTogether(record))
    return story


def station_cards_pdf(battery: dict[str, TestDef] | None = None, training: bool = False) -> bytes:
    """One A4 page per test of `battery` (by default the battery ffmot scores with)."""
    fonts.register_fonts()
    tests = battery if battery is not None else load_battery(norms_dir() / "battery.toml")
    s = _styles()
    buf = io.BytesIO()
    margin = 18 * mm
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 10 * mm,
        title=_("Functional Fitness MOT station cards"),
        lang=pdf_language(),
        author="ffmot",
        invariant=1,
    )
    foot = _(
        "Station card · ffmot {version} · from the test battery (battery.toml)",
        version=__version__,
    )
    if training:
        foot = _("TRAINING · {footer}", footer=foot)

    def footer(canvas, _doc) -> None:  # type: ignore[no-untyped-def]
        """The footer, wrapped to the page's width (a longer language takes two lines):
        never cut off at the page's edge."""
        from reportlab.lib.utils import simpleSplit

        canvas.saveState()
        canvas.setFont(fonts.REGULAR, SMALLEST)
        page = _("{footer} · page {page}", footer=foot, page=canvas.getPageNumber())
        lines = simpleSplit(page, fonts.REGULAR, SMALLEST, doc.width)
        for n, line in enumerate(reversed(lines)):
            canvas.drawString(margin, margin + n * SMALLEST * 1.2, line)
        canvas.restoreState()

    story: list[object] = []
    for n, test in enumerate(tests.values()):
        if n:
            story.append(PageBreak())
        story += _card(test, s, doc.width - 12)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def write_station_cards(path: Path) -> Path:
    """The cards as a PDF at `path`, written whole (never half a file)."""
    from ffmot.core.files import write_private

    write_private(path, station_cards_pdf())
    return path
