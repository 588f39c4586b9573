"""Colours and type for ffmot's printouts.

Colours are from the Okabe-Ito palette (safe for the common kinds of colour blindness), and
nothing is said by colour alone: every band and mark also has a label or a shape. Text is
black on white. The take-home sheet's body text is 14 pt; only its small-print footer is
smaller.
"""

from __future__ import annotations

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle

from ffmot.report.fonts import BOLD, REGULAR

# Okabe & Ito (2008), "Color Universal Design".
BLACK = HexColor("#000000")
ORANGE = HexColor("#E69F00")
SKY_BLUE = HexColor("#56B4E9")
BLUISH_GREEN = HexColor("#009E73")
YELLOW = HexColor("#F0E442")
BLUE = HexColor("#0072B2")
VERMILLION = HexColor("#D55E00")
REDDISH_PURPLE = HexColor("#CC79A7")

WHITE = HexColor("#FFFFFF")
TRACK = HexColor("#E6E6E6")  # the bar behind a range: light grey, outlined in black
RULE = HexColor("#404040")
SHADE = HexColor("#F2F2F2")  # boxes behind text: still far above 7:1 contrast with black
WATERMARK = HexColor("#D9D9D9")

BODY_SIZE = 14.0
BODY_LEADING = 17.5
SMALL_PRINT = 12.0  # nothing on a participant's page is smaller


def sheet_styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles for the large-print take-home sheet."""
    body = ParagraphStyle(
        "body",
        fontName=REGULAR,
        fontSize=BODY_SIZE,
        leading=BODY_LEADING,
        textColor=BLACK,
        alignment=TA_LEFT,
        spaceAfter=4,
    )
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=26, leading=31, spaceAfter=4
        ),
        "who": ParagraphStyle("who", parent=body, fontSize=16, leading=21, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=BOLD,
            fontSize=18,
            leading=22,
            spaceBefore=8,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle("h3", parent=body, fontName=BOLD, spaceAfter=0),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=0),
        "bullet": ParagraphStyle(
            "bullet",
            parent=body,
            leftIndent=20,
            bulletIndent=4,
            bulletFontName=REGULAR,
            bulletFontSize=BODY_SIZE,
            spaceAfter=3,
        ),
        "banner": ParagraphStyle(
            "banner", parent=body, fontName=BOLD, fontSize=16, leading=21, spaceAfter=6
        ),
        "small": ParagraphStyle(
            "small", parent=body, fontSize=SMALL_PRINT, leading=SMALL_PRINT * 1.25, spaceAfter=0
        ),
    }


def summary_styles() -> dict[str, ParagraphStyle]:
    """Styles for the MOT-day summary, a report for commissioners: ordinary print sizes."""
    body = ParagraphStyle(
        "sbody", fontName=REGULAR, fontSize=11, leading=14.5, textColor=BLACK, spaceAfter=5
    )
    return {
        "title": ParagraphStyle(
            "stitle", parent=body, fontName=BOLD, fontSize=20, leading=25, spaceAfter=4
        ),
        "h2": ParagraphStyle(
            "sh2",
            parent=body,
            fontName=BOLD,
            fontSize=14,
            leading=18,
            spaceBefore=10,
            spaceAfter=4,
        ),
        "body": body,
        "cell": ParagraphStyle("scell", parent=body, fontSize=10, leading=12.5, spaceAfter=0),
        "head": ParagraphStyle(
            "shead", parent=body, fontName=BOLD, fontSize=10, leading=12.5, spaceAfter=0
        ),
        "note": ParagraphStyle("snote", parent=body, fontSize=9, leading=11.5, spaceAfter=3),
        "small": ParagraphStyle("ssmall", parent=body, fontSize=8, leading=10, spaceAfter=0),
    }


def mix(c: Color, amount: float) -> Color:
    """c lightened towards white by amount (0..1)."""
    return Color(
        c.red + (1 - c.red) * amount,
        c.green + (1 - c.green) * amount,
        c.blue + (1 - c.blue) * amount,
    )
