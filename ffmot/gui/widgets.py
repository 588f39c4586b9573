"""Small widgets used across views: the band badge, the 'where you stand' chart, the training
banner. Bands are shown by words and a shape as well as colour (Okabe-Ito colours, safe for
colour-blind readers)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QSizePolicy, QWidget

from ffmot.core.errors import sentence as sentence  # the views take it from here
from ffmot.core.i18n import N_, _

BAND_WORDS = {  # the sheet's words (resources/advice.toml [bands]), shown after the shape
    "below_average": N_("Below the usual range"),
    "normal": N_("In the usual range"),
    "above_average": N_("Above the usual range"),
    "not_classified": N_("Not compared"),
}
BAND_SHAPE = {"below_average": "▼ ", "normal": "● ", "above_average": "▲ ", "not_classified": "– "}
BAND_COLOUR = {  # Okabe-Ito: vermillion-ish orange, sky blue, bluish green; grey for none
    "below_average": QColor("#E69F00"),
    "normal": QColor("#56B4E9"),
    "above_average": QColor("#009E73"),
    "not_classified": QColor("#999999"),
}


class BandBadge(QLabel):
    """The band in words with a shape; the colour only adds to them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bandBadge")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self.set_band("")
        f = self.font()
        f.setBold(True)
        self.setFont(f)

    def set_band(self, band: str, words: str = "") -> None:
        """The band with its shape; `words` (as the sheet says them, "Slower than the usual
        range") replace the plain band words."""
        self.band = band
        if words:
            text = BAND_SHAPE.get(band, "") + words
        elif band in BAND_WORDS:
            text = BAND_SHAPE[band] + _(BAND_WORDS[band])
        else:
            text = band
        self.setText(text)
        self.setAccessibleName(text.lstrip("▼●▲– ") or _("no band"))
        colour = BAND_COLOUR.get(band)
        if colour is None:
            self.setStyleSheet("")
        else:
            self.setStyleSheet(
                f"QLabel {{ border: 2px solid {colour.name()}; border-radius: 6px; "
                f"padding: 2px 8px; }}"
            )


class WhereYouStand(QWidget):
    """A horizontal scale: the usual range for age and sex as a band, the result marked on it.

    Better is always to the right (for the up-and-go, faster). Labels name the range and the
    result, so the picture reads in black and white too.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.low: float | None = None
        self.high: float | None = None
        self.value: float | None = None
        self.lower_is_better = False
        self.unit = ""
        self.band = ""

    def sizeHint(self) -> QSize:
        h = self.fontMetrics().height()
        return QSize(360, h * 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self.fontMetrics().height() * 4)

    def set_data(
        self,
        low: float | None,
        high: float | None,
        value: float | None,
        lower_is_better: bool,
        unit: str,
        band: str,
    ) -> None:
        self.low, self.high, self.value = low, high, value
        self.lower_is_better, self.unit, self.band = lower_is_better, unit, band
        text = _("no comparison")
        if low is not None and high is not None and value is not None:
            text = _(
                "Your result {value} {unit}; usual range {low} to {high} {unit}",
                value=f"{value:g}",
                unit=unit,
                low=f"{low:g}",
                high=f"{high:g}",
            )
        self.setAccessibleName(text)
        self.setToolTip(text)
        self.update()

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fg = pal.color(QPalette.ColorRole.WindowText)
        fm = self.fontMetrics()
        h = fm.height()
        w = self.width()
        if self.low is None or self.high is None or self.value is None:
            p.setPen(fg)
            p.drawText(
                QRectF(0, 0, w, self.height()),
                Qt.AlignmentFlag.AlignVCenter,
                _("No comparison for this result"),
            )
            return
        span = max(self.high - self.low, 1e-9)
        lo_v = min(self.low - span * 0.6, self.value - span * 0.15)
        hi_v = max(self.high + span * 0.6, self.value + span * 0.15)
        margin = 8.0

        def x(v: float) -> float:
            frac = (v - lo_v) / (hi_v - lo_v)
            if self.lower_is_better:
                frac = 1 - frac
            return margin + frac * (w - 2 * margin)

        axis_y = h * 2.0
        # the axis
        p.setPen(QPen(fg, 1.5))
        p.drawLine(QPointF(margin, axis_y), QPointF(w - margin, axis_y))
        # the normal range: a hatched band, labelled
        x1, x2 = sorted((x(self.low), x(self.high)))
        band = QRectF(x1, axis_y - h * 0.45, x2 - x1, h * 0.9)
        fill = QColor(BAND_COLOUR["normal"])
        fill.setAlpha(110)
        p.fillRect(band, fill)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(fg, 1.0, Qt.PenStyle.DashLine))
        p.drawRect(band)
        p.setPen(fg)
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() * 0.85, 7))
        p.setFont(small)
        label = _("usual range {low}–{high}", low=f"{self.low:g}", high=f"{self.high:g}")
        p.drawText(
            QRectF(x1 - 100, axis_y + h * 0.5, x2 - x1 + 200, h * 1.2),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            label,
        )
        left, right = (_("slower"), _("faster")) if self.lower_is_better else (_("less"), _("more"))
        p.drawText(
            QRectF(margin, axis_y + h * 0.5, 120, h * 1.2), Qt.AlignmentFlag.AlignLeft, f"◀ {left}"
        )
        p.drawText(
            QRectF(w - margin - 120, axis_y + h * 0.5, 120, h * 1.2),
            Qt.AlignmentFlag.AlignRight,
            f"{right} ▶",
        )
        # the result: a solid triangle pointing at the axis, with its value above
        vx = x(self.value)
        tri = QPainterPath()
        tri.moveTo(vx, axis_y)
        tri.lineTo(vx - h * 0.45, axis_y - h * 0.8)
        tri.lineTo(vx + h * 0.45, axis_y - h * 0.8)
        tri.closeSubpath()
        p.setPen(QPen(fg, 1.5))
        p.setBrush(BAND_COLOUR.get(self.band, QColor("#999999")))
        p.drawPath(tri)
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        p.setPen(fg)
        txt = _("you: {value}", value=f"{self.value:g}")
        tw = fm.horizontalAdvance(txt) + 12
        tx = min(max(vx - tw / 2, 0), w - tw)
        p.drawText(QRectF(tx, 0, tw, h), Qt.AlignmentFlag.AlignCenter, txt)
        p.end()


class TrainingBanner(QLabel):
    """Shown on every screen in training mode, so demo data is never taken for real."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _("TRAINING — practice data only; nothing here is about a real person"), parent
        )
        self.setObjectName("trainingBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(
            "QLabel { background: #CC79A7; color: black; font-weight: bold; "
            "padding: 6px; border: 3px dashed black; }"
        )
        self.setAccessibleName(_("Training mode"))


def heading(text: str, scale: float = 1.3) -> QLabel:
    lab = QLabel(text)
    f = lab.font()
    f.setPointSizeF(f.pointSizeF() * scale)
    f.setBold(True)
    lab.setFont(f)
    lab.setAccessibleName(text)
    return lab


class DateEdit(QDateEdit):
    """A date box that Tab leaves (a plain QDateEdit spends Tab on moving from day to month to
    year) and that Enter submits (`submitted`), like every other box of a form. The arrow keys
    and typing still move within the date."""

    submitted = Signal()

    def focusNextPrevChild(self, forward: bool) -> bool:
        return QWidget.focusNextPrevChild(self, forward)

    def keyPressEvent(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        assert isinstance(event, QKeyEvent)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


def notice(name: str) -> QLabel:
    """A bold, wrapping line for a warning or a problem (words and weight, never colour)."""
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("QLabel { font-weight: bold; }")
    return label


def language_box(current: str = "en") -> QComboBox:
    """The languages a take-home sheet can be made in (English, and each complete catalogue),
    `current` chosen."""
    from ffmot.core.i18n import available

    box = QComboBox()
    for code, name in available().items():
        box.addItem(name, code)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box
