"""The participant's card for the check-in desk: their code in large print and as a QR code.

An A4 page with a credit-card-sized card (85.6 x 54 mm) to cut out, and under it the same code
again in large print with a word on what the card is for. The QR code holds the code alone
(7 characters), which the check-in desk's scanner types in; `ffmot.core.codes.normalise`
accepts it with or without the dash.
"""

from __future__ import annotations

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ffmot import __version__
from ffmot.core import codes
from ffmot.core.i18n import _, pdf_language, speaking
from ffmot.report import style
from ffmot.report.fonts import BOLD, REGULAR, register_fonts

CARD_W, CARD_H = 85.6 * mm, 54 * mm
PAGE_W, PAGE_H = float(A4[0]), float(A4[1])
MARGIN = 40.0


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest size from `size` down to `smallest` at which text fits the width."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _clip(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    w = QrCodeWidget(data, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = w.getBounds()
    d = Drawing(size, size, initialFontName=REGULAR)  # else renderPDF sets Helvetica
    d.add(w)
    d.scale(size / (x1 - x0), size / (y1 - y0))
    renderPDF.draw(d, c, x, y)


def card_pdf(
    code: str, name: str, event_name: str = "", training: bool = False, language: str = ""
) -> bytes:
    """A4 PDF with the participant's card to cut out, in `language` (English by default).
    `code` in stored form (7 characters)."""
    register_fonts()
    with speaking(language):
        return _card(code, name, event_name, training)


def _card(code: str, name: str, event_name: str, training: bool) -> bytes:
    raw = codes.normalise(code)
    shown = codes.display(raw)
    buf = io.BytesIO()
    c = Canvas(
        buf,
        pagesize=A4,
        invariant=1,
        initialFontName=REGULAR,
        initialFontSize=style.BODY_SIZE,
        lang=pdf_language(),
    )
    c.setTitle(_("Functional Fitness MOT card {code}", code=shown))
    c.setAuthor("ffmot")
    c.setSubject(_("Participant card with code and QR code"))
    c.setCreator(f"ffmot {__version__}")

    if training:
        c.saveState()
        c.addLiteral("/Artifact BMC")
        c.setFillColor(style.WATERMARK)
        mark = _("TRAINING")
        size = _fit(mark, BOLD, 110, 0.8 * (PAGE_W**2 + PAGE_H**2) ** 0.5, 40)
        c.setFont(BOLD, size)
        c.translate(PAGE_W / 2, PAGE_H / 2 - 80)
        c.rotate(55)
        c.drawCentredString(0, -size / 3, mark)
        c.addLiteral("EMC")
        c.restoreState()

    # The card, with a dashed line to cut along.
    x0, y0 = MARGIN, PAGE_H - MARGIN - CARD_H
    c.setStrokeColor(style.BLACK)
    c.setLineWidth(1)
    c.setDash(4, 3)
    c.roundRect(x0, y0, CARD_W, CARD_H, 8, stroke=1, fill=0)
    c.setDash()
    pad = 10.0
    qr_size = 32 * mm
    text_w = CARD_W - qr_size - 3 * pad
    c.setFillColor(style.BLACK)
    full_w = CARD_W - 2 * pad  # above and below the QR code, the card's whole width
    title = _("Functional Fitness MOT")
    size = _fit(title, BOLD, 11, full_w, 8)
    c.setFont(BOLD, size)
    c.drawString(x0 + pad, y0 + CARD_H - pad - 10, _clip(title, BOLD, size, full_w))
    size = _fit(name, BOLD, 14, text_w, 9)
    c.setFont(BOLD, size)
    c.drawString(x0 + pad, y0 + CARD_H - pad - 34, _clip(name, BOLD, size, text_w))
    c.setFont(REGULAR, 10)
    c.drawString(x0 + pad, y0 + CARD_H - pad - 58, _clip(_("Your code"), REGULAR, 10, text_w))
    size = _fit(shown, BOLD, 24, text_w, 14)
    c.setFont(BOLD, size)
    c.drawString(x0 + pad, y0 + CARD_H - pad - 84, shown)
    if event_name:
        c.setFont(REGULAR, 9)
        c.drawString(x0 + pad, y0 + pad + 14, _clip(event_name, REGULAR, 9, text_w))
    if training:
        c.setFont(BOLD, 9)
        c.drawString(x0 + pad, y0 + pad + 2, _clip(_("TRAINING: not a real card"), BOLD, 9, full_w))
    _qr(c, raw, x0 + CARD_W - pad - qr_size, y0 + (CARD_H - qr_size) / 2, qr_size)

    # Under the card, the same in large print.
    width = PAGE_W - 2 * MARGIN
    c.setFont(REGULAR, style.BODY_SIZE)
    c.drawString(x0, y0 - 24, _("Cut along the dashed line."))
    y = y0 - 80
    c.setFont(BOLD, 24)
    for line in simpleSplit(_("Your Functional Fitness MOT card"), BOLD, 24, width):
        c.drawString(MARGIN, y, line)
        y -= 30
    y -= 14
    c.setFont(REGULAR, 18)
    lead = _("Your code is")
    c.drawString(MARGIN, y, lead)
    c.setFont(BOLD, 36)
    c.drawString(MARGIN + stringWidth(lead + " ", REGULAR, 18), y, shown)
    y -= 36
    c.setFont(REGULAR, style.BODY_SIZE)
    for sentence in (
        _("Keep this card safe and bring it with you next time."),
        _("Show it at the desk, so we can find your results quickly."),
        _("If you lose it, we can still find you by your name and date of birth."),
    ):
        for line in simpleSplit(sentence, REGULAR, style.BODY_SIZE, width):
            c.drawString(MARGIN, y, line)
            y -= 22
    c.showPage()
    c.save()
    return buf.getvalue()
