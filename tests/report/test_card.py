"""The check-in card: the code in large print and as a QR code."""

from __future__ import annotations

import io
import random

import pdfplumber
import pypdf
import pytest

from ffmot.core import codes
from ffmot.core.errors import InputError
from ffmot.report.card import card_pdf


@pytest.fixture(scope="module")
def code() -> str:
    return codes.new_code(random.Random(11))


def test_card_shows_the_code_large_and_as_a_qr(code):
    pdf = card_pdf(code, "Margaret Placeholder-Jones", "Tarnside MOT day", training=False)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.width) == pytest.approx(595.28, abs=0.1)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        text = page.extract_text()
        shown = codes.display(code)
        assert shown in text and "Margaret Placeholder-Jones" in text
        assert "Tarnside MOT day" in text and "TRAINING" not in text
        big = [c for c in page.chars if c["size"] >= 24]
        assert shown.replace("-", "") in "".join(c["text"] for c in big).replace("-", "")
        # the QR code: runs of dark modules filling a square on the card
        modules = [r for r in page.rects if r["height"] < 6 and r["fill"]]
        assert len(modules) > 40
        width = max(r["x1"] for r in modules) - min(r["x0"] for r in modules)
        height = max(r["bottom"] for r in modules) - min(r["top"] for r in modules)
        assert width == pytest.approx(height, rel=0.05) and 70 < width < 100
    assert "Times" not in str(reader.pages[0]["/Resources"]["/Font"])
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        desc = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert "/FontFile2" in desc["/FontDescriptor"].get_object()


def test_training_card_says_so(code):
    text = pypdf.PdfReader(io.BytesIO(card_pdf(code, "A B", "", training=True))).pages[0]
    assert "TRAINING" in text.extract_text()


def test_a_long_name_still_fits_and_a_bad_code_is_refused(code):
    card_pdf(
        code,
        "Bartholomew Alexander Fitzwilliam-Pseudonym-Smith",
        "A very long MOT day name that goes on and on",
        training=False,
    )
    with pytest.raises(InputError):
        card_pdf("K7PM-4QX", "A B", "", training=False)
