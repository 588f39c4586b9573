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
from ffmot.core.paths import norms_dir
from ffmot.report import fonts, style

BODY = 15.0  # large print: nothing on a card is smaller than 14 pt
SMALLEST = 14.0
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z0-9'‘\"])")


def steps(text: str) -> list[str]:
    """A protocol or safety note as steps: one sentence each, as the battery words them."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


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
            lines.append(f"{f.label} in {f.unit}: {_number(f.low)} to {_number(f.high)}.")
        return lines
    unit = test.label(test.unit)
    others = [units.unit(u).label for u in test.units if u != test.unit]
    said = f"The result in {unit}"
    if test.whole_numbers:
        said += ", a whole number"
    if others:
        said += f" (or in {' or '.join(others)})"
    lines.append(said + ".")
    if test.trials == 1:
        lines.append("One result.")
    else:
        labels = test.trial_labels or tuple(f"Trial {n}" for n in range(1, test.trials + 1))
        which = "the lowest (fastest)" if test.direction == "lower" else "the best"
        lines.append(f"{test.trials} trials ({', '.join(labels)}): {which} counts.")
    if test.cap is not None:
        lines.append(f"Stop timing at {_number(test.cap)} {unit}: no more is counted.")
    low, high = test.plausible
    lines.append(f"The app accepts {_number(low)} to {_number(high)} {unit}.")
    if test.choice is not None:
        label, options = test.choice
        lines.append(f"{label}: {' or '.join(options)}.")
    for m in test.modifications:
        lines.append(f"Tick if it was done that way: {m.words}.")
    return lines


def _not_done_line() -> str:
    reasons = ", ".join(REASON_WORDS.values())
    stops = [re.sub(r"\s*\(.*\)", "", w).lower() for w in STOP_WORDS.values()]
    stopped = ", ".join(stops[:-1]) + " or " + stops[-1]
    return f"Not done (F9): why: {reasons}. Stopped by tester: also why: {stopped}."


def _card(test: TestDef, s: dict[str, ParagraphStyle], frame_width: float) -> list[object]:
    story: list[object] = [
        Paragraph(escape(test.name), s["title"]),
        Paragraph(f"Measures: <b>{escape(test.component_name)}</b>", s["measures"]),
        Paragraph("How to do it", s["h2"]),
    ]
    for n, step in enumerate(steps(test.protocol), 1):
        story.append(Paragraph(escape(step), s["step"], bulletText=f"{n}."))
    safety = [Paragraph("Safety", s["h2"])]
    safety += [Paragraph(escape(x), s["step"], bulletText="!") for x in steps(test.safety)]
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
    story += [Spacer(1, 8), box, Paragraph("What to record", s["h2"])]
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
        title="Functional Fitness MOT station cards",
        author="ffmot",
        invariant=1,
    )
    foot = f"Station card · ffmot {__version__} · from the test battery (battery.toml)"
    if training:
        foot = "TRAINING · " + foot

    def footer(canvas, _doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(fonts.REGULAR, SMALLEST)
        canvas.drawString(margin, margin, f"{foot} · page {canvas.getPageNumber()}")
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
