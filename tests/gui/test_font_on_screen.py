"""On screen, names are shown in the same font as on paper (resources/fonts, loaded by the
app at start), and it has every letter of a Welsh name: no letter is drawn from a fallback
font or as a box."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontInfo, QFontMetrics, QRawFont
from PySide6.QtWidgets import QLabel

from ffmot.gui.app import _load_font
from ffmot.report.fonts import FAMILY

NAMES = ("Gwenllïan Ŵyn ap Dafydd", "Siôn Ŷr", "Ẁ ẁ Ẃ ẃ Ẅ ẅ Ỳ ỳ ŵ ŷ", "Ruaidhrí Ó Súilleabháin")


def test_a_welsh_name_on_screen_is_in_the_apps_font_with_every_letter(qapp, qtbot):  # type: ignore[no-untyped-def]
    before = QFont(qapp.font())
    try:
        _load_font(qapp)
        assert QFontInfo(qapp.font()).family() == FAMILY
        for name in NAMES:
            label = QLabel(name)
            qtbot.addWidget(label)
            label.show()
            qtbot.waitExposed(label)
            font = label.font()
            assert QFontInfo(font).family() == FAMILY
            metrics, raw = QFontMetrics(font), QRawFont.fromFont(font)
            assert raw.familyName() == FAMILY
            # QFontMetrics.inFont counts Qt's fallback fonts too (DejaVu here); QRawFont is the
            # one face itself. The ucs4 forms: PySide passes a one-letter str to QChar wrongly.
            missing = [c for c in name if not metrics.inFontUcs4(ord(c))]
            missing += [c for c in name if not raw.supportsCharacter(ord(c))]
            assert not missing, f"{name}: not in {FAMILY}: {missing}"
            assert label.grab().width() > 0
    finally:
        qapp.setFont(before)
