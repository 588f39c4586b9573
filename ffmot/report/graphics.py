"""The "where you stand" bar, and its key, drawn straight onto the page.

A light grey track with the usual range for the person's age and sex as a sky-blue band; their
result is a black pointer labelled "You: 17", the last visit's result a white circle. Better is
always to the right (for the up-and-go the scale runs from slow to fast), and the right-hand end
says so in words. Every label is real text at 14 pt, in reading order; nothing is told by
colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from ffmot.core.i18n import _
from ffmot.report import style, words
from ffmot.report.fonts import BOLD, REGULAR
from ffmot.services.overview import Item

LABEL_SIZE = style.BODY_SIZE
BAR_HEIGHT = 10.0
MIN_BAND = 7.0  # points: a band never shrinks to a hairline
HEIGHT = 45.0
TRACK_Y = 16.0  # the track's bottom edge; the range label sits under it, "You" over it


@dataclass(frozen=True)
class BarSpec:
    """Everything the bar shows, in the value's own unit; axis_low is the left end."""

    axis_low: float
    axis_high: float
    band_low: float
    band_high: float
    value: float
    previous: float | None
    reverse: bool  # lower is better: the scale runs from high (left) to low (right)
    you: str  # "You: 17"
    then: str  # "Then: 12", or "" with no previous result
    range_label: str  # "usual range: 11 to 16"
    direction: str  # "better" or "faster"

    def fraction(self, v: float) -> float:
        """Where v sits from the left end (0) to the right end (1)."""
        span = self.axis_high - self.axis_low
        f = (v - self.axis_low) / span if span > 0 else 0.5
        f = 1.0 - f if self.reverse else f
        return min(1.0, max(0.0, f))


def bar_spec(item: Item) -> BarSpec | None:
    """The bar for a compared result, or None when there is no range to draw."""
    s = item.score
    if s is None or s.normal_range is None or s.band == "not_classified":
        return None
    if item.says is not None and not item.says.band:
        return None  # not compared: a modified test, or sex not stated
    lo, hi = s.normal_range
    value = s.value
    prev = item.change.before if item.change is not None else None
    test = item.test
    if test.cap is not None:
        # The one-leg stand: from 0 to the most we time; the band is the typical time or more.
        cap = test.cap
        axis_lo, axis_hi = 0.0, max(cap, value, prev or 0.0)
        band_lo, band_hi = lo, max(hi, lo)
    else:
        span = max(hi - lo, 1e-6)
        points = [lo, hi, value] + ([prev] if prev is not None else [])
        axis_lo = min(lo - 0.8 * span, min(points) - 0.15 * span)
        axis_hi = max(hi + 0.8 * span, max(points) + 0.15 * span)
        if test.plausible[0] >= 0 and min(points) >= 0:
            axis_lo = max(axis_lo, 0.0)
        band_lo, band_hi = lo, hi
    return BarSpec(
        axis_lo,
        axis_hi,
        band_lo,
        band_hi,
        value,
        prev,
        test.direction == "lower",
        _("You: {value}", value=words.num(value)),
        _("Then: {value}", value=words.num(prev)) if prev is not None else "",
        words.range_words(item),
        words.direction_word(item),
    )


def _reserve() -> float:
    """Room at the right-hand end for the arrowhead and its word."""
    return 20.0 + max(float(stringWidth(w, BOLD, LABEL_SIZE)) for w in (_("better"), _("faster")))


class RangeBar(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """One result's bar, `width` wide."""

    def __init__(self, spec: BarSpec, width: float) -> None:
        super().__init__()
        self.spec = spec
        self.width = width
        self.height = HEIGHT

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: ARG002
        return self.width, self.height

    def _place(self, labels: list[tuple[str, float, str]]) -> list[tuple[str, float, str]]:
        """Left edges for labels centred on their marks, kept on the bar and apart."""

        def left(text: str, centre: float, font: str) -> tuple[float, float]:
            w = stringWidth(text, font, LABEL_SIZE)
            x = min(max(centre - w / 2, 0.0), self.width - w)
            return x, x + w

        spans = [(t, *left(t, x, f), f) for t, x, f in labels]
        if len(spans) == 2:
            (t1, _a1, b1, _f1), (t2, a2, _b2, _f2) = sorted(spans, key=lambda s: s[1])
            if a2 < b1 + 10:
                text = f"{t1}   {t2}"
                centre = (labels[0][1] + labels[1][1]) / 2
                x, _right = left(text, centre, BOLD)
                return [(text, x, BOLD)]
        return [(t, a, f) for t, a, _b, f in spans]

    def draw(self) -> None:
        c = self.canv
        sp = self.spec
        reserve = _reserve()
        track_w = self.width - reserve
        y0 = TRACK_Y
        mid = y0 + BAR_HEIGHT / 2

        def x_of(v: float) -> float:
            return sp.fraction(v) * track_w

        # The labels over the track first, so the page reads "You: 17 (Then: 12), usual
        # range: 11 to 16, better". Labels that would overlap become one.
        vx = x_of(sp.value)
        labels = [(sp.you, vx, BOLD)]
        if sp.previous is not None and sp.then:
            labels.append((sp.then, x_of(sp.previous), REGULAR))
        placed = self._place(labels)
        c.setFillColor(style.BLACK)
        for text, x, font in placed:
            c.setFont(font, LABEL_SIZE)
            c.drawString(x, y0 + BAR_HEIGHT + 8.5, text)

        # The track and the band.
        c.setLineWidth(0.8)
        c.setStrokeColor(style.BLACK)
        c.setFillColor(style.TRACK)
        c.rect(0, y0, track_w, BAR_HEIGHT, stroke=1, fill=1)
        a, b = sorted((x_of(sp.band_low), x_of(sp.band_high)))
        if b - a < MIN_BAND:
            centre = min(max((a + b) / 2, MIN_BAND / 2), track_w - MIN_BAND / 2)
            a, b = centre - MIN_BAND / 2, centre + MIN_BAND / 2
        c.setFillColor(style.SKY_BLUE)
        c.rect(a, y0, b - a, BAR_HEIGHT, stroke=1, fill=1)

        # The range label under the band, kept on the page.
        c.setFillColor(style.BLACK)
        c.setFont(REGULAR, LABEL_SIZE)
        rw = stringWidth(sp.range_label, REGULAR, LABEL_SIZE)
        rx = min(max((a + b) / 2 - rw / 2, 0.0), max(track_w, rw) - rw)  # under the track
        c.drawString(rx, y0 - 13, sp.range_label)

        # Better is to the right: an arrowhead and the word.
        c.setFillColor(style.BLACK)
        tip = track_w + 15
        p = c.beginPath()
        p.moveTo(track_w + 4, mid - 7)
        p.lineTo(tip, mid)
        p.lineTo(track_w + 4, mid + 7)
        p.close()
        c.drawPath(p, stroke=0, fill=1)
        c.setFont(BOLD, LABEL_SIZE)
        c.drawString(tip + 3, mid - 5, sp.direction)

        # Last time: a white circle on the track.
        if sp.previous is not None:
            px = x_of(sp.previous)
            c.setFillColor(style.WHITE)
            c.setStrokeColor(style.BLACK)
            c.setLineWidth(1.6)
            c.circle(px, mid, 5.2, stroke=1, fill=1)

        # You: a black line through the track under a pointer.
        c.setFillColor(style.BLACK)
        c.setStrokeColor(style.WHITE)
        c.setLineWidth(0.8)
        c.rect(vx - 1.6, y0 - 1.5, 3.2, BAR_HEIGHT + 3, stroke=1, fill=1)
        p = c.beginPath()
        p.moveTo(vx - 5.5, y0 + BAR_HEIGHT + 7.5)
        p.lineTo(vx + 5.5, y0 + BAR_HEIGHT + 7.5)
        p.lineTo(vx, y0 + BAR_HEIGHT + 0.5)
        p.close()
        c.drawPath(p, stroke=1, fill=1)


class Key(Flowable):  # type: ignore[misc]
    """What the bars' shapes mean, in a line of shapes and words."""

    def __init__(self, width: float, who: str, retest: bool, short: bool = False) -> None:
        super().__init__()
        self.width = width
        self.entries: list[tuple[str, str]] = [
            (
                "band",
                _("usual range") if short else _("usual range for {who} of your age", who=who),
            ),
            ("you", _("you today")),
        ]
        if retest:
            self.entries.append(("then", _("last time")))
        self.entries.append(
            ("arrow", _("right is better") if short else _("further right is better"))
        )
        self._rows = self._layout()
        self.height = 22.0 * len(self._rows)

    def _layout(self) -> list[list[tuple[str, str, float]]]:
        rows: list[list[tuple[str, str, float]]] = [[]]
        x = 0.0
        for shape, text in self.entries:
            w = 30 + stringWidth(text, REGULAR, LABEL_SIZE)
            if x and x + w > self.width:
                rows.append([])
                x = 0.0
            rows[-1].append((shape, text, x))
            x += w + 20
        return rows

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: ARG002
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        for i, row in enumerate(self._rows):
            y = self.height - 22.0 * (i + 1) + 6
            for shape, text, x in row:
                c.setLineWidth(0.8)
                c.setStrokeColor(style.BLACK)
                if shape == "band":
                    c.setFillColor(style.SKY_BLUE)
                    c.rect(x, y, 24, 11, stroke=1, fill=1)
                elif shape == "you":
                    c.setFillColor(style.BLACK)
                    p = c.beginPath()
                    p.moveTo(x + 5, y + 12)
                    p.lineTo(x + 19, y + 12)
                    p.lineTo(x + 12, y + 2)
                    p.close()
                    c.drawPath(p, stroke=0, fill=1)
                elif shape == "arrow":
                    c.setFillColor(style.BLACK)
                    p = c.beginPath()
                    p.moveTo(x + 6, y - 1)
                    p.lineTo(x + 20, y + 6)
                    p.lineTo(x + 6, y + 13)
                    p.close()
                    c.drawPath(p, stroke=0, fill=1)
                else:
                    c.setFillColor(style.WHITE)
                    c.setLineWidth(1.6)
                    c.circle(x + 12, y + 6, 5.2, stroke=1, fill=1)
                c.setFillColor(style.BLACK)
                c.setFont(REGULAR, LABEL_SIZE)
                c.drawString(x + 30, y + 1, text)
