"""The personalised take-home sheet: A4, large print, one or two pages.

`sheet_pdf(overview)` is a pure function of the overview (plain data) and returns the PDF's
bytes. The page is built in reading order (who, strengths first, then what to work on with next
steps, activity against the UK guidelines, local activities, things worth talking about with a
GP, notes and goals), so the text is selectable and a screen reader reads it as a person would.
Body text is 14 pt Atkinson Hyperlegible, embedded; only the footer naming the norm sources is
small print. The same overview always gives the same bytes.

A sheet that would run to a third page is laid out again more tightly (fewer next steps and
local activities, no summary box), so every sheet fits on two pages of A4.

Why one room: the sheet's layouts (bars, tighter, tightest) are tried in turn until it fits two
pages; they share its styles and fitting.
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
from ffmot.core.i18n import N_, _, pdf_language, speaking
from ffmot.core.interpret import default_rules
from ffmot.core.norms import is_local_cite
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
LOGO_W, LOGO_H = 120.0, 44.0  # the organisation's logo, at most, beside the title
GAP = 10.0
MAX_PAGES = 2
CONTINUED = N_("Continued on the next page \u203a")
TRAINING = N_("TRAINING")
SUBJECT = N_("Your Functional Fitness MOT results, and ideas to help you stay active")


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

    glance: bool  # the summary box's longer form (the box itself is on every sheet)
    greeting: str  # "long", "short" or "" (none)
    long_key: bool
    component_words: str  # "all", "work_on" or "none"
    steps: int  # next steps per thing to work on (2 when there are three things)
    activities: int  # local activities
    activity_table: bool  # else one line per guideline
    sitting_steps: int
    banner: bool = True  # the yellow training banner (the TRAINING tag and watermark stay)
    headed_notes: bool = True  # notes and goals under headings, else as labelled paragraphs
    bars: bool = True  # each result with its range drawn as a bar, else in words on one row


LAYOUTS = (
    Layout(True, "long", True, "all", 3, 3, True, 2),
    Layout(False, "short", False, "all", 2, 2, False, 2),
    Layout(False, "short", False, "all", 2, 1, False, 1),
    Layout(False, "short", False, "work_on", 2, 1, False, 1),
    Layout(False, "short", False, "none", 2, 1, False, 1),
    Layout(False, "", False, "none", 1, 1, False, 1),
    Layout(False, "", False, "none", 1, 1, False, 0, banner=False, headed_notes=False),
    Layout(False, "short", False, "all", 2, 2, False, 1, bars=False),
    Layout(False, "", False, "none", 1, 1, False, 0, banner=False, headed_notes=False, bars=False),
)


class _Story:
    """The sheet's flowables in reading order."""

    def __init__(self, o: Overview, level: int = 0) -> None:
        self.o = o
        self.level = level
        self.lay = LAYOUTS[level]
        self.st = style.sheet_styles()
        if not self.lay.bars:  # the tightest sheets: headings a little smaller, still large
            h2 = self.st["h2"]
            h2.fontSize, h2.leading, h2.spaceBefore = 16, 19, 4
        self.flow: list[Flowable] = []
        self.retest = any(i.change is not None for c in o.components for i in c.items)

    def add(self, *fs: Flowable) -> None:
        self.flow.extend(fs)

    def build(self) -> list[Flowable]:
        o, st = self.o, self.st
        self.add(_with_logo(_p(_e(_("Your Functional Fitness MOT")), st["title"]), o.logo))
        self.add(_p(_e(words.who_line(o)), st["who"]))
        if o.training and self.lay.banner:
            banner = _p(_e(_("Training sheet: these results are not real.")), st["banner"])
            self.add(_boxed(banner, style.YELLOW), Spacer(1, 6))
        if o.says is not None and o.says.mode == "screened_out":
            return self.screened_out()
        if self.lay.greeting:
            greeting = words.greeting(o, short=self.lay.greeting == "short")
            self.add(_p(_e(greeting), st["body"]))
        self.summary_box()
        self.results()
        self.body()
        self.activity()
        self.local()
        self.flags()
        self.notes()
        self.about()
        return self.flow

    def summary_box(self) -> None:
        """How they did and what to do next, at the top of every sheet, never left out."""
        st = self.st
        lines = words.at_a_glance(self.o)
        todo = words.actions(self.o)
        content: list[Flowable] = [_p(_e(line), st["cell"]) for line in lines]
        if todo:
            content.append(_p(f"<b>{_e(_('What you could do next:'))}</b>", st["cell"]))
            content += [_bullet(_e(a), st["bullet"]) for a in todo]
        if content:
            self.add(_boxed(content, style.SHADE), Spacer(1, 4))

    def screened_out(self) -> list[Flowable]:
        """One page: why there were no tests today, to see the GP first, no targets, no
        exercises; the notes and goals."""
        o, st = self.o, self.st
        says = o.says
        assert says is not None
        self.add(_p(_e(default_rules().w("screened_out", "title")), st["h2"]))
        box = [_p(_e(line), st["body"]) for line in says.headline]
        box += [_p(f"<b>{_e(a)}</b>", st["body"]) for a in says.actions]
        self.add(_boxed(box, style.SHADE), Spacer(1, 6))
        for line in says.symptom_lines:
            self.add(_p(_e(line), st["body"]))
        self.notes()
        return self.flow

    # results, strengths first --------------------------------------------------------------
    def results(self) -> None:
        o = self.o
        if not o.components:
            return
        who = words.peers(o.participant.sex)
        if self.lay.bars and any(bar_spec(i) is not None for c in o.components for i in c.items):
            key = Key(CONTENT_W, who, self.retest, short=not self.lay.long_key)
            self.add(Spacer(1, 4), key)
        if o.says is not None and any(
            i.says and i.says.band for c in o.components for i in c.items
        ):
            self.add(*(_p(_e(t), self.st["body"]) for t in o.says.explain))
        for comp in o.components:
            self.component(comp)

    def component(self, comp: ComponentView) -> None:
        """A component's heading, words, results and next steps."""
        st = self.st
        head = _p(
            _e(_("{title}: {status}", title=comp.title, status=words.status_words(comp.status))),
            st["h2"],
        )
        section: list[Flowable] = [head]
        said = self.lay.component_words
        if comp.words and (said == "all" or (said == "work_on" and comp.status == "work_on")):
            section.append(_p(_e(comp.words), st["body"]))
        rows = [self.item(i) for i in comp.items]
        # The heading stays with its words and first result, each result stays whole, and
        # each set of next steps stays with the line that names it.
        self.add(KeepTogether([*section, *rows[:1]]), *(KeepTogether([r]) for r in rows[1:]))
        for w in comp.work:
            n = min(self.lay.steps, 2 if len(self.o.work_on) >= 3 else 3)
            lead = f"<b>{_e(_('{title}: next steps you could try', title=w.title))}</b>"
            steps: list[Flowable] = [_p(lead, st["body"])]
            steps += [_bullet(_e(x), st["bullet"]) for x in w.steps[:n]]
            self.add(KeepTogether(steps))

    def item(self, i: Item) -> Flowable:
        st = self.st
        lines = [f"<b>{_e(words.display_name(i, LEFT_COL))}</b>"]
        spec = bar_spec(i) if self.lay.bars else None
        right: Flowable
        if not self.lay.bars and i.says is not None:
            # The tightest sheets: each result as one full-width paragraph, in words.
            if i.result.done and i.result.value is not None and i.says.band:
                said = _("{verdict} ({range}).", verdict=i.says.band_words, range=i.says.range_text)
            else:
                said = i.says.note
            text = f"<b>{_e(words.display_name(i))}</b>: "
            if i.result.done and i.result.value is not None:
                text += f"{_e(words.value_words(i))}. "
            text += _e(said)
            change = words.change_words(i)
            if change:
                text += " " + _e(change)
            return _p(text, st["body"])
        if not i.result.done or i.result.value is None:
            right = _p(_e(words.not_done_words(i)), st["cell"])
        elif spec is None and i.says is not None and i.says.band:
            # compared in words only (sex not stated: against the figures for both)
            lines.append(f"{_e(words.value_words(i))}: {_e(words.band_words(i).lower())}")
            rng = i.says.range_text
            right = _p(_e(rng[:1].upper() + rng[1:] + "."), st["cell"])
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
        head = _p(_e(_("Your body measurements")), st["h2"])
        if not self.lay.activity_table:
            paras = []
            for i in o.body:
                value = f" {_e(i.value_text)}." if i.result.done and i.result.value else ""
                text = f"<b>{_e(words.body_name(i))}</b>:{value} {_e(words.body_words(i))}"
                paras.append(_p(text, st["body"]))
            self.add(KeepTogether([head, *paras]))
            self.add(*(_p(_e(t), st["body"]) for t in o.notes_on_norms))
            return
        rows = []
        for i in o.body:
            left = f"<b>{_e(words.body_name(i))}</b>"
            if i.result.done and i.result.value is not None:
                left += f"<br/>{_e(i.value_text)}"
            rows.append([_p(left, st["cell"]), _p(_e(words.body_words(i)), st["cell"])])
        t = _table(rows, [LEFT_COL, CONTENT_W - LEFT_COL])
        self.add(KeepTogether([head, t]))
        self.add(*(_p(_e(t), st["body"]) for t in o.notes_on_norms))

    def activity(self) -> None:
        o, st = self.o, self.st
        if o.says is not None and not o.says.show_targets:
            return  # no targets until they have talked to their GP
        head = _p(_e(_("Your activity and the UK guidelines")), st["h2"])
        advise = _("This is what the UK Chief Medical Officers advise for older adults.")
        if not self.level:
            advise += " " + _("Moderate activity makes you breathe faster, like a brisk walk.")
        intro = _p(_e(advise), st["body"])
        if not o.activity:
            bullets = [_bullet(_e(g) + ".", st["bullet"]) for g in words.guidelines_in_brief()]
            self.add(KeepTogether([head, intro, *bullets]))
        elif not self.lay.activity_table:
            lines = [
                _bullet(_e(r.sentence), st["bullet"]) for r in words.guideline_rows(o.activity)
            ]
            self.add(KeepTogether([head, intro, *lines]))
        else:
            rows = [
                [
                    _p(f"<b>{_e(_('Guideline'))}</b>", st["cell"]),
                    _p(f"<b>{_e(_('You'))}</b>", st["cell"]),
                    _p(f"<b>{_e(_('Do you meet it?'))}</b>", st["cell"]),
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
            sit = _("You sit for a long time each day. You could try this:")
            lead = _p(f"<b>{_e(sit)}</b>", st["body"])
            self.add(KeepTogether([lead, *steps]))

    def local(self) -> None:
        o, st = self.o, self.st
        if not o.activities and not o.work_on:
            return
        if o.says is not None and not o.says.show_targets:
            return
        head = _p(_e(_("Local activities that could help")), st["h2"])
        if not o.activities:
            if not self.lay.headed_notes:
                return  # the tightest sheets: no section just to say "ask us"
            ask = _("Ask us about activities near you. We can help you find one that suits you.")
            self.add(KeepTogether([head, _p(_e(ask), st["body"])]))
            return
        blocks: list[Flowable] = []
        for a in o.activities[: self.lay.activities]:
            blocks.append(_p(words.activity_text(a, _e), st["body"]))
        self.add(KeepTogether([head, blocks[0]]), *(KeepTogether([b]) for b in blocks[1:]))

    def flags(self) -> None:
        """Things worth talking about with a GP: a symptom, a recent fall, validated cut-offs."""
        o, st = self.o, self.st
        texts = list(o.says.gp_items) if o.says is not None else [f.text for f in o.flags]
        in_box = set(words.actions(o))
        texts = [t for t in dict.fromkeys(texts) if t not in in_box]  # said once, at the top
        if not texts:
            return
        rules = default_rules()
        paras = [_bullet(_e(t), st["bullet"]) for t in texts]
        head = _p(_e(rules.w("gp", "heading")), st["h2"])
        calm = [_p(_e(rules.w("gp", "calm")), st["body"])] if self.lay.headed_notes else []
        self.add(KeepTogether([head, *calm, *paras]))

    def notes(self) -> None:
        """The practitioner's notes and the goals chosen together: never left out."""
        o, st = self.o, self.st
        for title, text in ((_("Notes from today"), o.notes), (_("Your goals"), o.goals)):
            lines = [_e(line.strip()) for line in text.strip().splitlines() if line.strip()]
            if not lines:
                continue
            if self.lay.headed_notes:
                self.add(_p(_e(title), st["h2"]), *(_p(line, st["body"]) for line in lines))
            else:
                label = _e(_("{title}:", title=title))
                self.add(_p(f"<b>{label}</b> " + " ".join(lines), st["body"]))

    def about(self) -> None:
        """Where the figures come from, in plain words and the same large print."""
        o, st = self.o, self.st
        paras = [_p(_e(about_text(o, short=not self.lay.headed_notes)), st["body"])]
        if self.lay.headed_notes:
            head = _p(_e(_("About this sheet")), st["h2"])
            self.add(KeepTogether([head, paras[0]]), *paras[1:])
        else:
            self.add(*paras)


def _with_logo(title: Flowable, logo: str) -> Flowable:
    """The title, with the organisation's logo at its right when there is one (scaled to fit
    LOGO_W by LOGO_H, never stretched). A logo that cannot be read is left out, never the sheet."""
    if not logo:
        return title
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    try:
        picture_data = ImageReader(logo)
        picture_data.getRGBData()  # decoded whole here: a damaged one stops no sheet
        w, h = picture_data.getSize()
    except Exception:  # reportlab's reader raises anything for a damaged picture
        return title
    scale = min(LOGO_W / w, LOGO_H / h)
    picture = Image(logo, width=w * scale, height=h * scale)
    picture.hAlign = "RIGHT"
    t = Table([[title, picture]], colWidths=[CONTENT_W - LOGO_W - GAP, LOGO_W + GAP])
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return t


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


def plain_source(source: str) -> str:
    """A norm source as a reader would say it: no status labels in brackets. A number from a
    local, unverified file keeps its words and its file whole: it names no published source."""
    import re

    if is_local_cite(source):
        return source
    text = re.sub(r"\s*\([^)]*\)", "", source).replace("&", "and")
    return text.strip()


def about_text(o: Overview, short: bool = False) -> str:
    """Where the figures come from; `short` names each source by its authors and year only."""
    sources = [plain_source(x) for x in o.sources]
    if short:
        sources = [x if is_local_cite(x) else x.split(",")[0] for x in sources]
    sources = list(dict.fromkeys(sources))
    org = _("Made for {organisation}.", organisation=o.event.organisation)
    org = " " + org if o.event.organisation else ""
    studies = _("published studies") if not words.is_local(o.norm_set) else _("a local norm set")
    said = _("Figures from: {sources}.", sources="; ".join(sources) if sources else studies)
    norm_set = words.norm_set_words(o.norm_set, o.sources)
    if short:
        return f"{said} {norm_set}.{org}"
    return _("Not a medical assessment.") + f" {said} {norm_set}, ffmot {__version__}.{org}"


def footer_text(o: Overview) -> str:
    """The line at the foot of every page; from a local, unverified norm set, what it is."""
    text = _(
        "{first}'s Functional Fitness MOT. Not a medical assessment.",
        first=o.participant.given_name,
    )
    if words.is_local(o.norm_set):
        text += f" {words.norm_set_words(o.norm_set, o.sources)}."
    return text


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
            MARGIN,
            PAGE_H - 32,
            _("{name}: your Functional Fitness MOT, page {n}", name=o.participant.name, n=n),
        )
        c.setStrokeColor(style.RULE)
        c.setLineWidth(0.5)
        c.line(MARGIN, PAGE_H - 40, PAGE_W - MARGIN, PAGE_H - 40)
    if o.training:
        w = stringWidth(_(TRAINING), BOLD, style.BODY_SIZE) + 16
        x = PAGE_W - MARGIN - w
        y = PAGE_H - 36 if n > 1 else PAGE_H - 30
        c.setFillColor(style.YELLOW)
        c.setStrokeColor(style.BLACK)
        c.setLineWidth(1)
        c.rect(x, y, w, 21, stroke=1, fill=1)
        c.setFillColor(style.BLACK)
        c.setFont(BOLD, style.BODY_SIZE)
        c.drawString(x + 8, y + 5.5, _(TRAINING))
    c.restoreState()


def _watermark(c: Any) -> None:
    """A large pale TRAINING across the page, under everything, marked as an artifact."""
    c.addLiteral("/Artifact BMC")
    c.saveState()
    c.setFillColor(style.WATERMARK)
    mark = _(TRAINING)
    size = 110.0
    while size > 40 and stringWidth(mark, BOLD, size) > 0.8 * (PAGE_W**2 + PAGE_H**2) ** 0.5:
        size -= 2
    c.setFont(BOLD, size)
    c.translate(PAGE_W / 2, PAGE_H / 2)
    c.rotate(55)
    c.drawCentredString(0, -size / 3, mark)
    c.restoreState()
    c.addLiteral("EMC")


def _page_end(c: Any, doc: _SheetDoc) -> None:
    """The small print at the foot of every page; "continued" on all but the last."""
    c.saveState()
    if not doc.ended:
        c.setFillColor(style.BLACK)
        c.setFont(BOLD, style.BODY_SIZE)
        c.drawRightString(PAGE_W - MARGIN, 12 + doc.footer_h + 8, _(CONTINUED))
    doc.footer.drawOn(c, MARGIN, 12)
    c.restoreState()


def render(overview: Overview, level: int = 0) -> Rendered:
    """The sheet laid out at one level of tightness (0: everything), in the overview's
    language."""
    with speaking(overview.language):
        return _render(overview, level)


def _render(o: Overview, level: int) -> Rendered:
    register_fonts()
    buf = io.BytesIO()
    doc = _SheetDoc(
        buf,
        o,
        title=_(
            "Functional Fitness MOT: {name}, {date}",
            name=o.participant.name,
            date=words.long_date(o.assessment.assessed_on),
        ),
        author=o.event.organisation or "ffmot",
        subject=_(SUBJECT),
        creator=f"ffmot {__version__}",
        keywords=[_("Functional Fitness MOT"), *([_("training")] if o.training else [])],
        invariant=1,
        lang=pdf_language(),
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
            total += _height(list(f._content), canv)  # noqa: SLF001 (reportlab keeps it so)
            continue
        total += f.wrapOn(canv, CONTENT_W, PAGE_H)[1] + f.getSpaceBefore() + f.getSpaceAfter()
    return total


def _room(o: Overview) -> float:
    """The height of MAX_PAGES pages' frames for this sheet."""
    footer = Paragraph(_e(footer_text(o)), style.sheet_styles()["small"])
    bottom = _bottom(float(footer.wrap(CONTENT_W, PAGE_H)[1]))
    return (PAGE_H - TOP_FIRST - bottom) + (MAX_PAGES - 1) * (PAGE_H - TOP_LATER - bottom)


def render_sheet(overview: Overview) -> Rendered:
    """The sheet, as full as fits on two pages, in the overview's language."""
    with speaking(overview.language):
        return _render_sheet(overview)


def _render_sheet(overview: Overview) -> Rendered:
    """The sheet, as full as fits on two pages.

    The first level worth trying is the fullest whose content could fit at all (a quick
    measure, without laying out pages, halving the levels); a level that still runs over is
    followed by the next.
    """
    register_fonts()
    canv = Canvas(io.BytesIO())
    room = _room(overview)
    # Each level holds no more than the one before, so the fullest that fits is found by
    # halving (four measures at most, not one per level).
    lo, hi = 0, len(LAYOUTS) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _height(_Story(overview, mid).build(), canv) <= room:
            hi = mid
        else:
            lo = mid + 1
    start = lo
    r = render(overview, start)
    for level in range(start + 1, len(LAYOUTS)):
        if r.pages <= MAX_PAGES:
            break
        r = render(overview, level)
    return r


def sheet_pdf(overview: Overview) -> bytes:
    """The take-home sheet for one visit, as PDF bytes (A4, one or two pages)."""
    return render_sheet(overview).pdf
