"""The letter to a person's GP practice as an A4 PDF (the words: services/gp_letter.py).

A letter for a clinician, so ordinary print sizes (9 to 10.5 pt; a participant's pages are 12 pt
and up), one page for a usual visit, black and white: nothing is said by colour. The footer of
every page carries the patient's name and date of birth, "page n of m" and "confidential", so
a page that comes apart from the others is still whose it is. A training MOT day's letter says
on every page that the person is not real.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from ffmot import __version__
from ffmot.report import style
from ffmot.report.fonts import BOLD, REGULAR, register_fonts
from ffmot.services.gp_letter import GpLetter, Section

PAGE_W, PAGE_H = A4
MARGIN = 36.0
CONTENT_W = PAGE_W - 2 * MARGIN
FOOT = 46.0  # room below the frame for the footer lines


class _Doc(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type hints
    def __init__(self, buf: io.BytesIO, letter: GpLetter, total: str, **kw: Any) -> None:
        self.letter, self.total = letter, total
        super().__init__(buf, pagesize=A4, **kw)
        frame = Frame(MARGIN, FOOT, CONTENT_W, PAGE_H - MARGIN - FOOT, 0, 0, 0, 0)
        self.addPageTemplates([PageTemplate("all", [frame], onPageEnd=_foot)])


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle(
        "gbody", fontName=REGULAR, fontSize=9.5, leading=12, textColor=style.BLACK, spaceAfter=3
    )
    return {
        "title": ParagraphStyle(
            "gtitle", parent=body, fontName=BOLD, fontSize=16, leading=20, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "gh2", parent=body, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=4,
            spaceAfter=1,
        ),
        "body": body,
        "cell": ParagraphStyle("gcell", parent=body, fontSize=9, leading=11, spaceAfter=0),
        "head": ParagraphStyle(
            "ghead", parent=body, fontName=BOLD, fontSize=9, leading=11, spaceAfter=0
        ),
        "bullet": ParagraphStyle(
            "gbullet", parent=body, leftIndent=12, bulletIndent=2, spaceAfter=1,
            bulletFontName=REGULAR,
        ),
    }  # fmt: skip


def _p(text: str, st: Any, bullet: str | None = None) -> Paragraph:
    return Paragraph(escape(text), st, bulletText=bullet)


def _section(s: Section, st: dict[str, Any]) -> list[Flowable]:
    lines = [_p(line, st["bullet"], "\u2022") for line in s.lines]
    return [KeepTogether([_p(s.heading, st["h2"]), *lines[:2]]), *lines[2:]]


def _side_by_side(sections: list[Section], st: dict[str, Any]) -> Table:
    """Short sections in columns, each with its heading (the activity and what was suggested:
    a line or two each, which would otherwise take a column of the page's height)."""
    cells = [[_p(x.heading, st["h2"]), *(_p(line, st["bullet"], "\u2022") for line in x.lines)]
             for x in sections]  # fmt: skip
    width = CONTENT_W / len(cells)
    t = Table([cells], colWidths=[width] * len(cells), hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return t


def _results(letter: GpLetter, st: dict[str, Any]) -> list[Flowable]:
    """The results table, each row's norms as a number, and the norms named below it once
    each (six of the eight tests share one). The last-test column only if there was one."""
    sources = list(dict.fromkeys(r.source for r in letter.rows if r.source))
    number = {src: str(n) for n, src in enumerate(sources, 1)}
    before = any(r.before for r in letter.rows)
    keep = [0, 1, *([2] if before else []), 3, 4]
    fractions = {0: 0.17, 1: 0.11, 2: 0.14, 3: 0.51, 4: 0.07}
    spare = 1 - sum(fractions[k] for k in keep)
    fractions[3] += spare
    head = [_p(letter.columns[k], st["head"]) for k in keep]
    rows: list[list[Any]] = [head]
    for r in letter.rows:
        compared = ". ".join(line.rstrip(".") for line in r.compared) + "."
        cells = [r.test, r.result, r.before, compared, number.get(r.source, "")]
        rows.append([_p(cells[k], st["cell"]) for k in keep])
    t = Table(rows, colWidths=[CONTENT_W * fractions[k] for k in keep], repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.0, style.BLACK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, style.RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    named = "; ".join(f"{number[src]}: {src}" for src in sources)
    return [t, Spacer(1, 2), _p(f"{letter.columns[4]}: {named}.", st["cell"])] if sources else [t]


def _patient(letter: GpLetter, st: dict[str, Any]) -> Table:
    pairs = [[_p(label, st["head"]), _p(value, st["cell"])] for label, value in letter.patient]
    pairs += [[_p("", st["cell"]), _p("", st["cell"])]] * (len(pairs) % 2)
    rows = [pairs[n] + pairs[n + 1] for n in range(0, len(pairs), 2)]  # two to a line
    widths = [CONTENT_W * f for f in (0.15, 0.35, 0.15, 0.35)]
    t = Table(rows, colWidths=widths, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, style.BLACK),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return t


def _foot(c: Any, doc: _Doc) -> None:
    letter = doc.letter
    c.saveState()
    c.setFillColor(style.BLACK)
    name = dict(letter.patient)
    who = "  ".join(v for v in name.values() if v)[:120]
    c.setFont(REGULAR, 9)
    c.drawString(MARGIN, FOOT - 16, who)
    c.drawRightString(PAGE_W - MARGIN, FOOT - 16, f"Page {doc.page} of {doc.total}")
    c.drawString(MARGIN, FOOT - 28, letter.footer[-1])
    if letter.training:
        mark = "TRAINING: NOT A REAL PERSON"
        c.setFont(BOLD, 12)
        w = stringWidth(mark, BOLD, 12) + 12
        c.rect(PAGE_W - MARGIN - w, PAGE_H - MARGIN + 6, w, 18, stroke=1, fill=0)
        c.drawString(PAGE_W - MARGIN - w + 6, PAGE_H - MARGIN + 11, mark)
    c.restoreState()


def gp_letter_pdf(letter: GpLetter) -> tuple[bytes, int]:
    """The letter as PDF bytes, and how many pages it took (laid out twice: the footer says
    "page n of m", and m is known once the story is laid out)."""
    register_fonts()
    _pdf, pages = _build(letter, "?")
    return _build(letter, str(pages))


def _build(letter: GpLetter, total: str) -> tuple[bytes, int]:
    st = _styles()
    buf = io.BytesIO()
    doc = _Doc(
        buf,
        letter,
        total,
        title=letter.title,
        author="ffmot",
        subject=letter.title,
        creator=f"ffmot {__version__}",
        invariant=1,
        lang="en-GB",
        displayDocTitle=1,
        initialFontName=REGULAR,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOT,
    )
    flow: list[Flowable] = [
        _p(letter.title, st["title"]),
        _p(letter.addressee, st["body"]),
        _patient(letter, st),
        Spacer(1, 6),
        _p(letter.intro, st["body"]),
        *(_p(line, st["body"]) for line in letter.about.lines),
        *_section(letter.screening, st),
        _p(letter.results_heading, st["h2"]),
        *_results(letter, st),
    ]
    sections = list(letter.sections)
    pair = [x for x in sections if x.heading in (letter.side_by_side or ())]
    for x in sections:
        if x not in pair:
            flow += _section(x, st)
    if pair:
        flow.append(_side_by_side(pair, st))
    flow.append(Spacer(1, 4))
    flow.append(_p(letter.footer[0], st["body"]))
    doc.build(flow)
    return buf.getvalue(), doc.page
