"""The personalised take-home sheet: A4, large print, one or two pages.

`sheet_pdf(overview)` is a pure function of the overview (plain data) and returns the PDF's
bytes. The page is built in reading order (who, strengths first, then what to work on with next
steps, activity against the UK guidelines, local activities, things worth talking about with a
GP, notes and goals), so the text is selectable and a screen reader reads it as a person would.
Body text is 14 pt Atkinson Hyperlegible, embedded; only the footer naming the norm sources is
small print. The same overview always gives the same bytes.

A sheet that would run to a third page is laid out again more tightly (fewer next steps and
local activities, no summary box), so every sheet fits on two pages of A4.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    ActionFlowable,
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ffmot import __version__
from ffmot.report import style, words
from ffmot.report.fonts import BOLD, REGULAR, register_fonts
from ffmot.report.graphics import Key, RangeBar, bar_spec
from ffmot.services.overview import ComponentView, Item, Overview

PAGE_W, PAGE_H = float(A4[0]), float(A4[1])
MARGIN = 40.0
CONTENT_W = PAGE_W - 2 * MARGIN
TOP_FIRST = 36.0
TOP_LATER = 50.0
LEFT_COL = 252.0
GAP = 10.0
MAX_PAGES = 2
CONTINUED = "Continued on the next page \u203a"
TRAINING = "TRAINING"
SUBJECT = "Your Functional Fitness MOT results, and ideas to help you stay active"


@dataclass(frozen=True)
class Rendered:
    """One sheet's PDF, how many pages it took and how tightly it had to be laid out."""

    pdf: bytes
    pages: int
    level: int


def _p(text: str, st: Any) -> Paragraph:
    return Paragraph(text, st)


def _bullet(text: str, st: Any) -> Paragraph:
    return Paragraph(text, st, bulletText="\u2022")


def _e(text: str) -> str:
    return escape(text)


# --- the story ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How much a sheet holds. Level 0 holds everything; each later level is tighter, for a
    sheet that would otherwise run to a third page."""

    glance: bool  # the "at a glance" box
    greeting: str  # "long", "short" or "" (none)
    long_key: bool
    component_words: str  # "all", "work_on" or "none"
    steps: int  # next steps per thing to work on (2 when there are three things)
    activities: int  # local activities
    activity_table: bool  # else one line per guideline
    sitting_steps: int
    banner: bool = True  # the yellow training banner (the TRAINING tag and watermark stay)
    headed_notes: bool = True  # notes and goals under headings, else as labelled paragraphs


LAYOUTS = (
    Layout(True, "long", True, "all", 3, 3, True, 2),
    Layout(False, "short", False, "all", 2, 2, False, 2),
    Layout(False, "short", False, "all", 2, 1, False, 1),
    Layout(False, "short", False, "work_on", 2, 1, False, 1),
    Layout(False, "short", False, "none", 2, 1, False, 1),
    Layout(False, "", False, "none", 1, 1, False, 1),
    Layout(False, "", False, "none", 1, 1, False, 0, banner=False, headed_notes=False),
)


class _Story:
    """The sheet's flowables in reading order."""

    def __init__(self, o: Overview, level: int = 0) -> None:
        self.o = o
        self.level = level
        self.lay = LAYOUTS[level]
        self.st = style.sheet_styles()
        self.flow: list[Flowable] = []
        self.retest = any(i.change is not None for c in o.components for i in c.items)

    def add(self, *fs: Flowable) -> None:
        self.flow.extend(fs)

    def build(self) -> list[Flowable]:
        o, st = self.o, self.st
        self.add(_p("Your Functional Fitness MOT", st["title"]))
        self.add(_p(_e(words.who_line(o)), st["who"]))
        if o.training and self.lay.banner:
            banner = _p("Training sheet: these results are not real.", st["banner"])
            self.add(_boxed(banner, style.YELLOW), Spacer(1, 6))
        if self.lay.greeting:
            greeting = words.greeting(o, short=self.lay.greeting == "short")
            self.add(_p(_e(greeting), st["body"]))
        glance = words.at_a_glance(o)
        if glance and self.lay.glance:
            self.add(_boxed([_p(_e(line), st["cell"]) for line in glance], style.SHADE))
        self.results()
        self.body()
        self.activity()
        self.local()
        self.flags()
        self.notes()
        return self.flow

    # results, strengths first --------------------------------------------------------------
    def results(self) -> None:
        o = self.o
        if not o.components:
            return
        who = words.peers(o.participant.sex)
        if any(bar_spec(i) is not None for c in o.components for i in c.items):
            key = Key(CONTENT_W, who, self.retest, short=not self.lay.long_key)
            self.add(Spacer(1, 4), key)
        for comp in o.components:
            self.component(comp)

    def component(self, comp: ComponentView) -> None:
        o, st = self.o, self.st
        head = _p(f"{_e(comp.title)}: {words.STATUS_WORDS[comp.status]}", st["h2"])
        first: list[Flowable] = [head]
        said = self.lay.component_words
        if comp.words and (said == "all" or (said == "work_on" and comp.status == "work_on")):
            first.append(_p(_e(comp.words), st["body"]))
        elif comp.status == "not_compared" and any(i.result.done for i in comp.items):
            first.append(_p("We could not compare these results today.", st["body"]))
        rows = [self.item(i) for i in comp.items]
        # The heading stays with its first result; each result stays whole.
        self.add(KeepTogether([*first, rows[0]]) if rows else KeepTogether(first))
        self.add(*(KeepTogether([r]) for r in rows[1:]))
        if comp.id in o.work_on and comp.next_steps:
            n = min(self.lay.steps, 2 if len(o.work_on) >= 3 else 3)
            steps: list[Flowable] = [_p("<b>Next steps you could try:</b>", st["body"])]
            steps += [_bullet(_e(s), st["bullet"]) for s in comp.next_steps[:n]]
            self.add(KeepTogether(steps))

    def item(self, i: Item) -> Flowable:
        st = self.st
        lines = [f"<b>{_e(words.display_name(i, LEFT_COL))}</b>"]
        spec = bar_spec(i)
        right: Flowable
        if not i.result.done or i.result.value is None:
            right = _p(_e(words.not_done_words(i)), st["cell"])
        elif spec is None:
            lines.append(_e(words.value_words(i)))
            right = _p(_e(words.not_compared_words(i)), st["cell"])
        else:
            lines.append(f"{_e(words.value_words(i))}: {_e(words.band_words(i).lower())}")
            right = RangeBar(spec, CONTENT_W - LEFT_COL - GAP)
        change = words.change_words(i)
        if change:
            if spec is None:
                lines.append(_e(words.then_now(i)))
            lines.append(_e(change))
        t = Table(
            [[_p("<br/>".join(lines), st["cell"]), right]],
            colWidths=[LEFT_COL, CONTENT_W - LEFT_COL],
            hAlign="LEFT",
        )
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (1, 0), (1, 0), GAP),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.5, style.RULE),
                ]
            )
        )
        return t

    # the rest ---------------------------------------------------------------------------------
    def body(self) -> None:
        o, st = self.o, self.st
        if not o.body:
            return
        head = _p("Your body measurements", st["h2"])
        if not self.lay.activity_table:
            paras = []
            for i in o.body:
                value = f" {_e(i.value_text)}." if i.result.done and i.result.value else ""
                text = f"<b>{_e(words.body_name(i))}</b>:{value} {_e(words.body_words(i))}"
                paras.append(_p(text, st["body"]))
            self.add(KeepTogether([head, *paras]))
            return
        rows = []
        for i in o.body:
            left = f"<b>{_e(words.body_name(i))}</b>"
            if i.result.done and i.result.value is not None:
                left += f"<br/>{_e(i.value_text)}"
            rows.append([_p(left, st["cell"]), _p(_e(words.body_words(i)), st["cell"])])
        t = _table(rows, [LEFT_COL, CONTENT_W - LEFT_COL])
        self.add(KeepTogether([head, t]))

    def activity(self) -> None:
        o, st = self.o, self.st
        head = _p("Your activity and the UK guidelines", st["h2"])
        intro = _p(
            "This is what the UK Chief Medical Officers advise for older adults."
            + (
                ""
                if self.level
                else " Moderate activity makes you breathe faster, like a brisk walk."
            ),
            st["body"],
        )
        if not o.activity:
            bullets = [_bullet(_e(g) + ".", st["bullet"]) for g in words.GUIDELINES_IN_BRIEF]
            self.add(KeepTogether([head, intro, *bullets]))
        elif not self.lay.activity_table:
            lines = [
                _bullet(_e(r.sentence), st["bullet"]) for r in words.guideline_rows(o.activity)
            ]
            self.add(KeepTogether([head, intro, *lines]))
        else:
            rows = [
                [
                    _p("<b>Guideline</b>", st["cell"]),
                    _p("<b>You</b>", st["cell"]),
                    _p("<b>Do you meet it?</b>", st["cell"]),
                ]
            ]
            for r in words.guideline_rows(o.activity):
                rows.append(
                    [
                        _p(_e(r.guideline), st["cell"]),
                        _p(_e(r.you), st["cell"]),
                        _p(_e(r.verdict), st["cell"]),
                    ]
                )
            t = _table(rows, [272, 112, CONTENT_W - 384])
            self.add(KeepTogether([head, intro, t]))
        if o.sitting_steps and self.lay.sitting_steps:
            steps = [
                _bullet(_e(s), st["bullet"]) for s in o.sitting_steps[: self.lay.sitting_steps]
            ]
            lead = _p("<b>You sit for a long time each day. You could try this:</b>", st["body"])
            self.add(KeepTogether([lead, *steps]))

    def local(self) -> None:
        o, st = self.o, self.st
        if not o.activities and not o.work_on:
            return
        head = _p("Local activities that could help", st["h2"])
        if not o.activities:
            ask = "Ask us about activities near you. We can help you find one that suits you."
            self.add(KeepTogether([head, _p(ask, st["body"])]))
            return
        blocks: list[Flowable] = []
        for a in o.activities[: self.lay.activities]:
            blocks.append(_p(words.activity_text(a, _e), st["body"]))
        self.add(KeepTogether([head, blocks[0]]), *(KeepTogether([b]) for b in blocks[1:]))

    def flags(self) -> None:
        o, st = self.o, self.st
        if not o.flags:
            return
        texts = list(dict.fromkeys(f.text for f in o.flags))
        paras = [_bullet(_e(t), st["bullet"]) for t in texts]
        head = _p("Worth talking about with your GP", st["h2"])
        calm = _p("None of this is a diagnosis. It is just worth a chat.", st["body"])
        self.add(KeepTogether([head, calm, *paras]))

    def notes(self) -> None:
        """The practitioner's notes and the goals chosen together: never left out."""
        o, st = self.o, self.st
        for title, text in (("Notes from today", o.notes), ("Your goals", o.goals)):
            lines = [_e(line.strip()) for line in text.strip().splitlines() if line.strip()]
            if not lines:
                continue
            if self.lay.headed_notes:
                self.add(_p(title, st["h2"]), *(_p(line, st["body"]) for line in lines))
            else:
                self.add(_p(f"<b>{title}:</b> " + " ".join(lines), st["body"]))


def _boxed(content: Flowable | list[Flowable], colour: Any) -> Table:
    t = Table([[content]], colWidths=[CONTENT_W], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("BACKGROUND", (0, 0), (-1, -1), colour),
                ("BOX", (0, 0), (-1, -1), 1, style.BLACK),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return t


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    t = Table(rows, colWidths=widths, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, style.RULE),
            ]
        )
    )
    return t


def footer_text(o: Overview) -> str:
    sources = "; ".join(o.sources) if o.sources else "none used"
    org = f" {o.event.organisation}." if o.event.organisation else ""
    return (
        "The usual range is the middle half (25th to 75th percentile) of published results "
        "for people of the same age and sex. This sheet is not a medical assessment. "
        f"Sources: {sources}. Norm set {o.norm_set}. Made with ffmot {__version__}.{org}"
    )


# --- pages --------------------------------------------------------------------------------------


class _EndSheet(ActionFlowable):  # type: ignore[misc]  # reportlab has no type hints
    """Placed after the last flowable: the page now being filled is the sheet's last."""

    def apply(self, doc: Any) -> None:
        doc.ended = True


def _bottom(footer_h: float) -> float:
    """The frame's bottom edge: room for the small print and the "continued" line."""
    return 12 + footer_h + 24


class _SheetDoc(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, buf: io.BytesIO, o: Overview, **kw: Any) -> None:
        self.o = o
        self.ended = False
        self.footer = Paragraph(_e(footer_text(o)), style.sheet_styles()["small"])
        self.footer_h = self.footer.wrap(CONTENT_W, PAGE_H)[1]
        bottom = _bottom(self.footer_h)
        super().__init__(buf, pagesize=A4, **kw)
        first = Frame(MARGIN, bottom, CONTENT_W, PAGE_H - TOP_FIRST - bottom, 0, 0, 0, 0)
        later = Frame(MARGIN, bottom, CONTENT_W, PAGE_H - TOP_LATER - bottom, 0, 0, 0, 0)
        self.addPageTemplates(
            [
                PageTemplate("first", [first], onPage=_page_start, onPageEnd=_page_end),
                PageTemplate("later", [later], onPage=_page_start, onPageEnd=_page_end),
            ]
        )


def _page_start(c: Any, doc: _SheetDoc) -> None:
    """The training mark (on every page, under everything) and, after page 1, who this is."""
    o = doc.o
    n = c.getPageNumber()
    c.saveState()
    if o.training:
        _watermark(c)
    if n > 1:
        c.setFillColor(style.BLACK)
        c.setFont(REGULAR, style.BODY_SIZE)
        c.drawString(
            MARGIN, PAGE_H - 32, f"{o.participant.name}: your Functional Fitness MOT, page {n}"
        )
        c.setStrokeColor(style.RULE)
        c.setLineWidth(0.5)
        c.line(MARGIN, PAGE_H - 40, PAGE_W - MARGIN, PAGE_H - 40)
    if o.training:
        w = stringWidth(TRAINING, BOLD, style.BODY_SIZE) + 16
        x = PAGE_W - MARGIN - w
        y = PAGE_H - 36 if n > 1 else PAGE_H - 30
        c.setFillColor(style.YELLOW)
        c.setStrokeColor(style.BLACK)
        c.setLineWidth(1)
        c.rect(x, y, w, 21, stroke=1, fill=1)
        c.setFillColor(style.BLACK)
        c.setFont(BOLD, style.BODY_SIZE)
        c.drawString(x + 8, y + 5.5, TRAINING)
    c.restoreState()


def _watermark(c: Any) -> None:
    """A large pale TRAINING across the page, under everything, marked as an artifact."""
    c.addLiteral("/Artifact BMC")
    c.saveState()
    c.setFillColor(style.WATERMARK)
    c.setFont(BOLD, 110)
    c.translate(PAGE_W / 2, PAGE_H / 2)
    c.rotate(55)
    c.drawCentredString(0, -35, TRAINING)
    c.restoreState()
    c.addLiteral("EMC")


def _page_end(c: Any, doc: _SheetDoc) -> None:
    """The small print at the foot of every page; "continued" on all but the last."""
    c.saveState()
    if not doc.ended:
        c.setFillColor(style.BLACK)
        c.setFont(BOLD, style.BODY_SIZE)
        c.drawRightString(PAGE_W - MARGIN, 12 + doc.footer_h + 8, CONTINUED)
    doc.footer.drawOn(c, MARGIN, 12)
    c.restoreState()


def render(overview: Overview, level: int = 0) -> Rendered:
    """The sheet laid out at one level of tightness (0: everything)."""
    register_fonts()
    o = overview
    buf = io.BytesIO()
    doc = _SheetDoc(
        buf,
        o,
        title=f"Functional Fitness MOT: {o.participant.name}, "
        f"{words.long_date(o.assessment.assessed_on)}",
        author=o.event.organisation or "ffmot",
        subject=SUBJECT,
        creator=f"ffmot {__version__}",
        keywords=["Functional Fitness MOT", *(["training"] if o.training else [])],
        invariant=1,
        lang="en-GB",
        displayDocTitle=1,
        initialFontName=REGULAR,
        initialFontSize=style.BODY_SIZE,
        initialLeading=style.BODY_LEADING,
    )
    story: list[Flowable] = [NextPageTemplate("later"), *_Story(o, level).build(), _EndSheet()]
    doc.build(story)
    return Rendered(buf.getvalue(), doc.page, level)


def _height(fs: list[Flowable], canv: Canvas) -> float:
    """The story's height if nothing were kept together: never more than it will take."""
    total = 0.0
    for f in fs:
        if isinstance(f, KeepTogether):
            total += _height(list(f._content), canv)
            continue
        total += f.wrapOn(canv, CONTENT_W, PAGE_H)[1] + f.getSpaceBefore() + f.getSpaceAfter()
    return total


def _room(o: Overview) -> float:
    """The height of MAX_PAGES pages' frames for this sheet."""
    footer = Paragraph(_e(footer_text(o)), style.sheet_styles()["small"])
    bottom = _bottom(float(footer.wrap(CONTENT_W, PAGE_H)[1]))
    return (PAGE_H - TOP_FIRST - bottom) + (MAX_PAGES - 1) * (PAGE_H - TOP_LATER - bottom)


def render_sheet(overview: Overview) -> Rendered:
    """The sheet, as full as fits on two pages.

    The first level worth trying is the fullest whose content could fit at all (a quick
    measure, without laying out pages); a level that still runs over is followed by the next.
    """
    register_fonts()
    canv = Canvas(io.BytesIO())
    room = _room(overview)
    start = len(LAYOUTS) - 1
    for level in range(len(LAYOUTS)):
        if _height(_Story(overview, level).build(), canv) <= room:
            start = level
            break
    r = render(overview, start)
    for level in range(start + 1, len(LAYOUTS)):
        if r.pages <= MAX_PAGES:
            break
        r = render(overview, level)
    return r


def sheet_pdf(overview: Overview) -> bytes:
    """The take-home sheet for one visit, as PDF bytes (A4, one or two pages)."""
    return render_sheet(overview).pdf
