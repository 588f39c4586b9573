"""The MOT-day summary for commissioners and funders: PDF, CSV and XLSX from `SummaryData`.

Pure functions of the (already anonymised and small-number-protected) data: they print what
`ffmot.services.summary` decided to show, "<5" and "*" included, and nothing else. Charts are
drawn with reportlab graphics in Okabe-Ito colours, every bar and segment labelled in words or
numbers so nothing depends on telling colours apart. Spreadsheet cells that a spreadsheet would
run as a formula are neutralised as in `ffmot export`.

Why one room: the PDF, CSV and XLSX print the same rows from the same data and must never differ;
one module lays out all three.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ffmot import __version__
from ffmot.core.ages import band_words
from ffmot.core.cells import neutralise
from ffmot.core.i18n import N_, _, pdf_language, speaking
from ffmot.core.published import HIDDEN, SMALL, Count, SummaryData, TestRow
from ffmot.report import style
from ffmot.report.fonts import BOLD, REGULAR, register_fonts
from ffmot.report.words import is_local, long_date
from ffmot.report.words import norm_set_words as named_norm_set

PAGE_W, PAGE_H = float(A4[0]), float(A4[1])
MARGIN = 48.0
CONTENT_W = PAGE_W - 2 * MARGIN
SEGMENTS = (  # below, within, above (Okabe-Ito orange, sky blue, blue), then the rest in grey
    ("below", N_("below the range"), style.ORANGE, style.BLACK),
    ("within", N_("within the range"), style.SKY_BLUE, style.BLACK),
    ("above", N_("above the range"), style.BLUE, style.WHITE),
    ("other", N_("not compared or not done"), style.TRACK, style.BLACK),
)


def _e(text: str) -> str:
    return escape(text)


def _num(x: float | None, places: int = 1) -> str:
    if x is None:
        return ""
    text = f"{x:.{places}f}"
    return "0" if text.strip("-0.") == "" else text


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.0f}%"


def _share(c: Count, pct: float | None) -> str:
    return c.text + (f" ({_pct(pct)})" if pct is not None else "")


def norm_set_words(d: SummaryData) -> str:
    """The norm set the summary names. Its bands are worked out with the norm set in force
    (`default_norm_set`), so when that is not the published set the summary says so, and why,
    whatever version the MOT day was stored with; a day stored from a local set says so too."""
    from ffmot.core.errors import FfmotError
    from ffmot.core.norms import default_norm_set

    try:
        ns = default_norm_set()
    except FfmotError:
        ns = None
    if ns is not None and not ns.verified:
        return ns.label
    return named_norm_set(d.norm_set)


def method_notes(d: SummaryData) -> list[str]:
    named = norm_set_words(d)
    local = _("the results in this local norm set")
    results = local if is_local(named) else _("published results")
    return [
        _(
            "Anonymised: no names, codes or dates of birth. It counts only the {people} "
            "people who agreed that their results may be used anonymously in reports.",
            people=d.people.text,
        ),
        _(
            "Numbers under {threshold} are shown as {small}. A number shown as {hidden} is "
            "hidden so that a number under {threshold} cannot be worked out from the totals. "
            "Percentages are only given where the numbers behind them are shown, and averages "
            "only where they rest on {threshold} or more people.",
            threshold=d.threshold,
            small=SMALL,
            hidden=HIDDEN,
        ),
        _(
            "The normal range is the 25th to 75th percentile of {results} for the same age "
            "and sex ({norm_set}). For the one-leg stand it is the typical time for the age or "
            "more, so there is no 'above'. For the up-and-go, lower (faster) is better.",
            results=results,
            norm_set=named[0].lower() + named[1:],
        ),
    ]


# --- charts --------------------------------------------------------------------------------------


def _string(
    x: float, y: float, text: str, size: float = 9, bold: bool = False, **kw: Any
) -> String:
    return String(x, y, text, fontName=BOLD if bold else REGULAR, fontSize=size, **kw)


def _rect(x: float, y: float, w: float, h: float, fill: Any) -> Rect:
    return Rect(x, y, w, h, fillColor=fill, strokeColor=style.BLACK, strokeWidth=0.5)


def count_bars(title: str, rows: list[tuple[str, Count]], colour: Any) -> Drawing:
    """Horizontal bars, one per labelled count; a hidden count gets its marker and no bar."""
    label_w = max([stringWidth(lab, REGULAR, 9) for lab, _count in rows] + [40]) + 8
    row_h = 16.0
    h = 22 + row_h * len(rows)
    d = Drawing(CONTENT_W, h, initialFontName=REGULAR)
    d.add(_string(0, h - 12, title, 10, bold=True))
    biggest = max([c.n for _label, c in rows if c.n is not None] + [1])
    span = CONTENT_W - label_w - 40
    for i, (lab, c) in enumerate(rows):
        y = h - 22 - row_h * (i + 1) + 4
        d.add(_string(label_w - 6, y + 2, lab, textAnchor="end"))
        if c.n is None:
            if c.text == SMALL:
                why = _("too few to show")
            else:
                why = _("hidden so a small number stays hidden")
            d.add(_string(label_w + 4, y + 2, f"{c.text} ({why})"))
            continue
        w = span * c.n / biggest
        d.add(_rect(label_w, y, max(w, 0.5), 11, colour))
        d.add(_string(label_w + w + 4, y + 2, c.text))
    d.add(Line(label_w, h - 20, label_w, 2, strokeColor=style.BLACK, strokeWidth=0.7))
    return d


def share_bars(rows: tuple[TestRow, ...]) -> Drawing:
    """One 100% bar per test: everyone counted, by below, within and above the normal range
    and the rest. Hidden counts are drawn together as one white segment marked "hidden" (their
    total is no secret: it is everyone less the counts shown)."""
    label_w = max([stringWidth(_(r.name), REGULAR, 9) for r in rows] + [60]) + 8
    row_h = 20.0
    key = (*SEGMENTS, ("hidden", N_("hidden (small numbers)"), style.WHITE, style.BLACK))
    lines, x = 1, 0.0  # the key's lines: as many as its words need
    for _key, words, _fill, _ink in key:
        w = 30 + stringWidth(_(words), REGULAR, 9)
        if x + w > CONTENT_W:
            lines, x = lines + 1, 0.0
        x += w
    h = 47 + 15 * lines + row_h * len(rows)
    d = Drawing(CONTENT_W, h, initialFontName=REGULAR)
    title = _("Where everyone counted stood, test by test (% of all people counted)")
    d.add(_string(0, h - 12, title, 10, bold=True))
    x, y = 0.0, h - 32
    for _key, said, fill, _ink in key:
        words = _(said)
        w = 30 + stringWidth(words, REGULAR, 9)
        if x + w > CONTENT_W:
            x, y = 0.0, y - 15
        d.add(_rect(x, y, 14, 10, fill))
        d.add(_string(x + 18, y + 1, words))
        x += w
    span = CONTENT_W - label_w - 4
    top = y - 8
    for i, r in enumerate(rows):
        y = top - row_h * (i + 1) + 4
        d.add(_string(label_w - 6, y + 3, _(r.name), textAnchor="end"))
        parts = [r.below_pct, r.within_pct, r.above_pct, r.other_pct]
        x = label_w
        for pct, (_key, _words, fill, ink) in zip(parts, SEGMENTS, strict=True):
            if pct is None or pct <= 0:
                continue
            w = span * pct / 100.0
            d.add(_rect(x, y, w, 14, fill))
            _segment_label(d, x, y, w, f"{pct:.0f}%", ink)
            x += w
        counts = (r.below, r.within, r.above, r.other)
        if any(c is not None and c.n is None for c in counts):
            rest = 100.0 - sum(p for p in parts if p is not None)
            w = label_w + span - x
            d.add(_rect(x, y, w, 14, style.WHITE))
            _segment_label(d, x, y, w, _("hidden {percent}%", percent=f"{rest:.0f}"), style.BLACK)
    return d


def _segment_label(d: Drawing, x: float, y: float, w: float, text: str, ink: Any) -> None:
    """The segment's label inside it, shortened or left out where it would not fit."""
    for t in (text, text.split()[-1]):
        if w >= stringWidth(t, BOLD, 9) + 5:
            d.add(_string(x + w / 2, y + 4, t, bold=True, fillColor=ink, textAnchor="middle"))
            return


# --- the PDF -------------------------------------------------------------------------------------


class _Doc(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type hints
    def __init__(self, buf: io.BytesIO, data: SummaryData, **kw: Any) -> None:
        self.data = data
        super().__init__(buf, pagesize=A4, **kw)
        frame = Frame(MARGIN, 52, CONTENT_W, PAGE_H - 44 - 52, 0, 0, 0, 0)
        self.addPageTemplates([PageTemplate("all", [frame], onPage=_page, onPageEnd=_foot)])


def _page(c: Any, doc: _Doc) -> None:
    if doc.data.training:
        c.saveState()
        c.setFillColor(style.YELLOW)
        c.setStrokeColor(style.BLACK)
        mark = _("TRAINING")
        w = stringWidth(mark, BOLD, 12) + 14
        c.rect(PAGE_W - MARGIN - w, PAGE_H - 34, w, 18, stroke=1, fill=1)
        c.setFillColor(style.BLACK)
        c.setFont(BOLD, 12)
        c.drawString(PAGE_W - MARGIN - w + 7, PAGE_H - 29, mark)
        c.restoreState()


def _foot(c: Any, doc: _Doc) -> None:
    d = doc.data
    c.saveState()
    c.setFont(REGULAR, 8)
    c.setFillColor(style.BLACK)
    norm_set = norm_set_words(d)
    local = is_local(norm_set)
    line = _("Anonymised MOT day summary: {event}.", event=d.event_name)
    if not local:
        line += " " + _("Norm set {version}.", version=d.norm_set)
    c.drawString(MARGIN, 30, f"{line} ffmot {__version__}.")
    if local:  # a line of its own, in bold: it must not run off the page or be missed
        text, size = f"{norm_set}.", 8.0
        while size > 6 and stringWidth(text, BOLD, size) > CONTENT_W:
            size -= 0.5
        if stringWidth(text, BOLD, size) > CONTENT_W:  # many files: the method note names them
            text = _(
                "{norm_set}: not the published set (see the notes on page 1).",
                norm_set=norm_set.split(":")[0],
            )
        c.setFont(BOLD, size)
        c.drawString(MARGIN, 40, text)
    c.drawRightString(PAGE_W - MARGIN, 30, _("Page {n}", n=c.getPageNumber()))
    c.restoreState()


def _p(text: str, st: Any) -> Paragraph:
    return Paragraph(_e(text), st)


def _table(
    rows: list[list[str]], widths: list[float], st: dict[str, Any], total_row: bool = False
) -> Table:
    cells = [
        [_p(v, st["head"] if r == 0 else st["cell"]) for v in row] for r, row in enumerate(rows)
    ]
    t = Table(cells, colWidths=widths, hAlign="LEFT", repeatRows=1)
    cmds: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, style.BLACK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, style.RULE),
        ("BACKGROUND", (0, 0), (-1, 0), style.SHADE),
    ]
    if total_row:
        cmds.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, style.BLACK))
    t.setStyle(TableStyle(cmds))
    return t


def _section(st: dict[str, Any], title: str, intro: str, *rest: Flowable) -> KeepTogether:
    return KeepTogether([Paragraph(_e(title), st["h2"]), Paragraph(_e(intro), st["body"]), *rest])


def summary_pdf(data: SummaryData, language: str = "") -> bytes:
    """The summary as an A4 PDF, in `language` (English by default). The CSV and XLSX keep
    English keys: other tools read them."""
    with speaking(language):
        return _summary_pdf(data)


def _summary_pdf(data: SummaryData) -> bytes:
    register_fonts()
    d = data
    st = style.summary_styles()
    buf = io.BytesIO()
    doc = _Doc(
        buf,
        d,
        title=_(
            "MOT day summary: {event}, {date}", event=d.event_name, date=long_date(d.event_date)
        ),
        author=d.organisation or "ffmot",
        subject=_("Anonymised summary of a Functional Fitness MOT day"),
        creator=f"ffmot {__version__}",
        keywords=[
            _("Functional Fitness MOT"),
            _("anonymised"),
            *([_("training")] if d.training else []),
        ],
        invariant=1,
        lang=pdf_language(),
        displayDocTitle=1,
        initialFontName=REGULAR,
    )
    flow: list[Flowable] = [_p(_("Functional Fitness MOT day summary"), st["title"])]
    where = ", ".join(x for x in (d.venue, d.organisation) if x)
    flow.append(
        _p(
            f"{d.event_name}, {long_date(d.event_date)}" + (f". {where}" if where else ""),
            st["body"],
        )
    )
    if d.training:
        not_real = _("Training MOT day: the people and results are not real.")
        flow.append(Paragraph(f"<b>{_e(not_real)}</b>", st["body"]))
    flow += [_p(note, st["note"]) for note in method_notes(d)]

    t = d.age_sex
    rows = [[_("Age band"), *(_(s) for s in t.sexes), _("All")]]
    for band, cells, total in zip(t.bands, t.cells, t.band_totals, strict=True):
        rows.append([band_words(band), *(c.text for c in cells), total.text])
    rows.append([_("All ages"), *(c.text for c in t.sex_totals), t.total.text])
    col = (CONTENT_W - 110) / (len(t.sexes) + 1)
    flow.append(
        _section(
            st,
            _("People counted: {people}", people=d.people.text),
            _("By age band and sex."),
            _table(rows, [110, *([col] * (len(t.sexes) + 1))], st, total_row=True),
            Spacer(1, 8),
            count_bars(
                _("People by age band"),
                [(band_words(b), n) for b, n in zip(t.bands, t.band_totals, strict=True)],
                style.BLUE,
            ),
        )
    )

    rows = [[_("Test"), _("Below"), _("Within"), _("Above"), _("Not compared or not done")]]
    for r in d.tests:
        above = _("no 'above'") if r.above is None else _share(r.above, r.above_pct)
        rows.append(
            [
                _(r.name),
                _share(r.below, r.below_pct),
                _share(r.within, r.within_pct),
                above,
                _share(r.other, r.other_pct),
            ]
        )
    col = (CONTENT_W - 150) / 4
    flow.append(
        _section(
            st,
            _("Results compared with the normal range"),
            _(
                "Number of people (and % of everyone counted) whose result was below, within or "
                "above the normal range for their age and sex."
            ),
            _table(rows, [150, col, col, col, col], st),
            Spacer(1, 8),
            share_bars(d.tests),
        )
    )

    rows = [[_("Worth talking about with a GP"), _("People")]]
    rows += [[_(f.label), f.people.text] for f in d.flags]
    rows.append([_("At least one of these"), d.any_flag.text])
    flow.append(
        _section(
            st,
            _("Flags raised"),
            _(
                "Validated cut-offs only, each worded on the sheet as something worth talking "
                "about with a GP or physiotherapist, never as a diagnosis."
            ),
            _table(rows, [CONTENT_W - 100, 100], st, total_row=True),
        )
    )

    rows = [[_("Signposting"), _("People")]]
    rows += [[_("To work on: {title}", title=_(w.label)), w.people.text] for w in d.work_on]
    rows.append([_("At least one thing to work on"), d.any_work_on.text])
    rows.append([_("Matched with local activities"), d.activities_matched.text])
    flow.append(
        _section(
            st,
            _("Signposting"),
            _(
                "People given each fitness component as something to work on, with next steps, "
                "and people matched with local activities from the day's directory."
            ),
            _table(rows, [CONTENT_W - 100, 100], st),
            Spacer(1, 8),
            count_bars(
                _("People given each thing to work on"),
                [(_(w.label), w.people) for w in d.work_on],
                style.BLUISH_GREEN,
            ),
        )
    )

    rows = [[_("Test"), _("People"), _("Mean change"), _("SD"), _("Unit"), _("Better is")]]
    for rr in d.retest:
        rows.append(
            [
                _(rr.name),
                rr.people.text,
                _num(rr.mean),
                _num(rr.sd),
                _(rr.unit),
                _("lower (faster)") if rr.lower_is_better else _("higher"),
            ]
        )
    flow.append(
        _section(
            st,
            _("Retests: {people} people came back", people=d.retested.text),
            _(
                "Change since their last visit (now minus then) among the people who did the "
                "test both times: mean and standard deviation (SD), given where {threshold} or "
                "more people did it.",
                threshold=d.threshold,
            ),
            _table(rows, [150, 60, 75, 55, 80, CONTENT_W - 420], st),
        )
    )
    doc.build(flow)
    return buf.getvalue()


# --- CSV and XLSX --------------------------------------------------------------------------------

COLUMNS = ("table", "row", "column", "value")


def summary_rows(d: SummaryData) -> Iterator[tuple[str, str, str, str]]:
    """The summary in long form: one published number (or note) per row."""
    yield ("about", "event", "", d.event_name)
    yield ("about", "date", "", d.event_date.isoformat())
    yield ("about", "venue", "", d.venue)
    yield ("about", "organisation", "", d.organisation)
    yield ("about", "norm set", "", d.norm_set)
    if is_local(norm_set_words(d)):
        yield ("about", "norm set status", "", norm_set_words(d))
    yield ("about", "training", "", "yes" if d.training else "no")
    for i, note in enumerate(method_notes(d), 1):
        yield ("about", f"note {i}", "", note)
    yield ("people", "counted", "people", d.people.text)
    t = d.age_sex
    for band, cells, total in zip(t.bands, t.cells, t.band_totals, strict=True):
        for sex, c in zip(t.sexes, cells, strict=True):
            yield ("age_sex", band, sex, c.text)
        yield ("age_sex", band, "All", total.text)
    for sex, st in zip(t.sexes, t.sex_totals, strict=True):
        yield ("age_sex", "All ages", sex, st.text)
    yield ("age_sex", "All ages", "All", t.total.text)
    for r in d.tests:
        for key, part, pct in (
            ("below", r.below, r.below_pct),
            ("within", r.within, r.within_pct),
            ("above", r.above, r.above_pct),
            ("not compared or not done", r.other, r.other_pct),
        ):
            if part is None:
                continue
            yield ("results", r.name, key, part.text)
            yield ("results", r.name, f"{key} (% of all)", _num(pct))
    for f in d.flags:
        yield ("flags", f.label, "people", f.people.text)
    yield ("flags", "At least one of these", "people", d.any_flag.text)
    for w in d.work_on:
        yield ("signposting", f"to work on: {w.label}", "people", w.people.text)
    yield ("signposting", "at least one thing to work on", "people", d.any_work_on.text)
    yield ("signposting", "matched with local activities", "people", d.activities_matched.text)
    yield ("retest", "people retested", "people", d.retested.text)
    for rr in d.retest:
        yield ("retest", rr.name, "people", rr.people.text)
        yield ("retest", rr.name, "mean change", _num(rr.mean, 2))
        yield ("retest", rr.name, "sd", _num(rr.sd, 2))
        yield ("retest", rr.name, "unit", rr.unit)
        yield ("retest", rr.name, "better is", "lower" if rr.lower_is_better else "higher")


def summary_csv(data: SummaryData) -> bytes:
    """The summary as CSV (UTF-8), long form: table, row, column, value."""
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for row in summary_rows(data):
        w.writerow([neutralise(x) for x in row])
    return out.getvalue().encode("utf-8")


def _xlsx_value(text: str) -> str | int | float:
    """Published numbers as numbers; everything else as neutralised text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text) if text.strip() and text.strip() == text else neutralise(text)
    except ValueError:
        return neutralise(text)


def summary_xlsx(data: SummaryData) -> bytes:
    """The summary as an XLSX workbook: one sheet per table, the same numbers as the PDF."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    d = data
    wb = Workbook()
    when = dt.datetime(d.event_date.year, d.event_date.month, d.event_date.day)
    wb.properties.creator = f"ffmot {__version__}"
    wb.properties.title = neutralise(f"MOT day summary: {d.event_name}")
    wb.properties.created = when
    wb.properties.modified = when
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[str]], first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        ws.title = title
        ws.append([neutralise(h) for h in header])
        for cell in ws[1]:
            cell.font = bold
        for r in rows:
            ws.append([_xlsx_value(x) for x in r])
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 70)

    about = [["people counted", d.people.text]]
    about += [[k, v] for table, k, _c, v in summary_rows(d) if table == "about"]
    sheet("About", ["item", "value"], about, first=True)
    t = d.age_sex
    rows = [
        [b, *(c.text for c in cells), tot.text]
        for b, cells, tot in zip(t.bands, t.cells, t.band_totals, strict=True)
    ]
    rows.append(["All ages", *(c.text for c in t.sex_totals), t.total.text])
    sheet("Age and sex", ["age band", *t.sexes, "All"], rows)
    sheet(
        "Results",
        [
            "test",
            "below",
            "below %",
            "within",
            "within %",
            "above",
            "above %",
            "not compared or not done",
            "not compared %",
        ],
        [
            [
                r.name,
                r.below.text,
                _num(r.below_pct),
                r.within.text,
                _num(r.within_pct),
                r.above.text if r.above else "n/a",
                _num(r.above_pct),
                r.other.text,
                _num(r.other_pct),
            ]
            for r in d.tests
        ],
    )
    sheet(
        "Flags",
        ["flag", "people"],
        [[f.label, f.people.text] for f in d.flags] + [["At least one of these", d.any_flag.text]],
    )
    sheet(
        "Signposting",
        ["what", "people"],
        [[f"to work on: {w.label}", w.people.text] for w in d.work_on]
        + [
            ["at least one thing to work on", d.any_work_on.text],
            ["matched with local activities", d.activities_matched.text],
        ],
    )
    sheet(
        "Retest",
        ["test", "people", "mean change", "sd", "unit", "better is"],
        [["people retested", d.retested.text, "", "", "", ""]]
        + [
            [
                r.name,
                r.people.text,
                _num(r.mean, 2),
                _num(r.sd, 2),
                r.unit,
                "lower" if r.lower_is_better else "higher",
            ]
            for r in d.retest
        ],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
