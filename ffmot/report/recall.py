"""The retest recall on paper: a CSV for phoning round, and invitation letters (the people:
services/recall.py).

The letters are for older adults to read at home: large print (14 pt and up, nothing under
12), plain words, one page each, the retest's date and place first, then what to wear and
bring, and how to say no. ffmot keeps no postal address, so a letter carries the name at the
top for handing out or posting by the service's own list.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from ffmot import __version__
from ffmot.core import codes
from ffmot.core.cells import neutralise
from ffmot.core.i18n import _, long_date, pdf_language, speaking
from ffmot.report import style
from ffmot.report.fonts import BOLD, REGULAR, register_fonts
from ffmot.services.types import EventInfo

if TYPE_CHECKING:
    from ffmot.services.recall import Due

PAGE_W, PAGE_H = A4
MARGIN = 56.0

CSV_COLUMNS = (
    "code", "given_name", "family_name", "phone", "email", "postcode_district", "last_visit",
    "mot_day", "due_on", "state",
)  # fmt: skip


def recall_csv(rows: Sequence[Due]) -> bytes:
    """The list for phoning round: one row a person, formula-like cells neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for d in rows:
        cells = (
            codes.display(d.code), d.given_name, d.family_name, d.phone, d.email,
            d.postcode_district, d.visited_on.isoformat(), d.event_name, d.due_on.isoformat(),
            d.state,
        )  # fmt: skip
        w.writerow([neutralise(c) for c in cells])
    return buf.getvalue().encode("utf-8-sig")


class _Doc(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type hints
    def __init__(self, buf: io.BytesIO, training: bool, **kw: Any) -> None:
        self.training = training
        super().__init__(buf, pagesize=A4, **kw)
        frame = Frame(MARGIN, MARGIN, PAGE_W - 2 * MARGIN, PAGE_H - 2 * MARGIN, 0, 0, 0, 0)
        self.addPageTemplates([PageTemplate("all", [frame], onPageEnd=_mark)])


def _mark(c: Any, doc: _Doc) -> None:
    if not doc.training:
        return
    c.saveState()
    mark = _("TRAINING: not a real invitation")
    c.setFont(BOLD, 14)
    w = stringWidth(mark, BOLD, 14) + 14
    c.setStrokeColor(style.BLACK)
    c.rect(PAGE_W - MARGIN - w, PAGE_H - MARGIN + 14, w, 22, stroke=1, fill=0)
    c.drawString(PAGE_W - MARGIN - w + 7, PAGE_H - MARGIN + 20, mark)
    c.restoreState()


def _p(text: str, st: Any, bullet: str | None = None) -> Paragraph:
    return Paragraph(escape(text), st, bulletText=bullet)


def _letter(d: Due, day: EventInfo, st: dict[str, Any], weeks: int) -> list[Flowable]:
    where = f"{day.venue} ({day.name})" if day.venue else day.name
    who = day.organisation or _("the team who ran your MOT")
    flow: list[Flowable] = [
        _p(d.name, st["who"]),
        _p(_("Time for your Functional Fitness MOT retest"), st["title"]),
        _p(_("Dear {name},", name=d.given_name), st["body"]),
        _p(
            _(
                "On {date} you did a Functional Fitness MOT at {place}. You said we could "
                "invite you back after about {weeks} weeks, to see how you have got on.",
                date=long_date(d.visited_on),
                place=d.venue or d.event_name,
                weeks=weeks,
            ),
            st["body"],
        ),
        _p(_("Your retest"), st["h2"]),
        _p(_("When: {date}", date=long_date(day.date)), st["banner"]),
        _p(_("Where: {place}", place=where), st["banner"]),
        _p(_("Please contact {who} to book a time.", who=who), st["body"]),
        _p(_("Please wear"), st["h2"]),
        _p(_("Comfortable clothes you can move in."), st["bullet"], "\u2022"),
        _p(_("Flat shoes with a good grip."), st["bullet"], "\u2022"),
        _p(_("Please bring"), st["h2"]),
        _p(_("Your glasses or hearing aids, if you use them."), st["bullet"], "\u2022"),
        _p(_("Your walking stick or frame, if you use one."), st["bullet"], "\u2022"),
        _p(_("Any inhaler or spray you carry."), st["bullet"], "\u2022"),
        _p(_("Your take-home sheet from last time, if you have it."), st["bullet"], "\u2022"),
        _p(_("If you cannot come"), st["h2"]),
        _p(
            _(
                "That is fine. You do not have to take part. Please tell {who} if you would "
                "like another date, or if you would rather we did not contact you again.",
                who=who,
            ),
            st["body"],
        ),
        Spacer(1, 6),
        _p(_("Your code: {code}", code=codes.display(d.code)), st["small"]),
    ]
    return flow


def recall_letters_pdf(
    rows: Sequence[Due], days: Mapping[str, EventInfo], weeks: int, language: str = ""
) -> tuple[bytes, int]:
    """One large-print letter a person (`days`: each person's retest day, by participant id),
    and how many pages."""
    register_fonts()
    with speaking(language or None):
        st = style.sheet_styles()
        buf = io.BytesIO()
        doc = _Doc(
            buf,
            any(d.training for d in rows),
            title=_("Invitations to a Functional Fitness MOT retest"),
            author="ffmot",
            creator=f"ffmot {__version__}",
            invariant=1,
            lang=pdf_language(),
            displayDocTitle=1,
            initialFontName=REGULAR,
        )
        flow: list[Flowable] = []
        for n, d in enumerate(rows):
            if n:
                flow.append(PageBreak())
            flow += _letter(d, days[d.participant_id], st, weeks)
        doc.build(flow)
        return buf.getvalue(), doc.page


def retest_days(
    rows: Sequence[Due],
    events: Sequence[EventInfo],
    today: dt.date,
    chosen: EventInfo | None = None,
) -> tuple[dict[str, EventInfo], list[Due]]:
    """Each person's retest day: `chosen`, else the first MOT day on or after their due date
    and not before `today` (a training day for someone seen at a training day, a real one
    otherwise); and those for whom there is none."""
    days: dict[str, EventInfo] = {}
    missing: list[Due] = []
    ordered = sorted(events, key=lambda e: (e.date, e.name, e.id))
    for d in rows:
        if chosen is not None:
            days[d.participant_id] = chosen
            continue
        first = max(d.due_on, today)
        found = next((e for e in ordered if e.date >= first and e.training == d.training), None)
        if found is None:
            missing.append(d)
        else:
            days[d.participant_id] = found
    return days, missing
