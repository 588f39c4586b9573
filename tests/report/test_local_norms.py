"""A sheet or summary made from a norm set that is not the published one says so on every
page, and names no published source for a number from an edited file. Read back from the PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ffmot.core import norms as norms_module
from ffmot.core.norms import NormSet, load_norm_set
from ffmot.core.paths import norms_dir
from ffmot.report.sheet import sheet_pdf
from ffmot.report.summary import summary_csv, summary_pdf
from ffmot.services.overview import Overview, load_overview
from ffmot.services.summary import summary_data
from tests.core.test_norm_manifest import EDITED_ROW, PUBLISHED_ROW
from tests.report.conftest import flat, page_texts

LOCAL = "LOCAL, UNVERIFIED"


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped norms with the chair stand for women 75-79 made 3-6."""
    folder = tmp_path_factory.mktemp("edited") / "norms"
    shutil.copytree(norms_dir(), folder)
    path = folder / "sft_normal_ranges.csv"
    path.write_text(path.read_text().replace(PUBLISHED_ROW, EDITED_ROW), encoding="utf-8")
    return folder


def _woman_75_79(overviews: list[Overview]) -> Overview:
    for o in overviews:
        if o.participant.sex == "female" and 75 <= o.age <= 79:
            chair = [i for c in o.components for i in c.items if i.test.id == "chair_stand"]
            if chair and chair[0].result.done and chair[0].score is not None:
                return o
    raise AssertionError("the demo day has no woman of 75-79 with a chair stand")


@pytest.fixture(scope="module")
def pair(demo, overviews, edited) -> tuple[Overview, Overview, NormSet]:
    """One visit's overview from the published set and from the edited copy."""
    o = _woman_75_79(overviews)
    ns = load_norm_set(edited)
    return o, load_overview(demo.db, o.assessment.id, norms=ns), ns


def test_a_sheet_from_the_edited_set_says_so_on_every_page(pair, tmp_path):
    published, o, ns = pair
    assert not ns.verified
    # The same visit from the published set: no mark, and the SFT authors named.
    plain = [flat(p) for p in page_texts(sheet_pdf(published))]
    assert all(LOCAL not in p for p in plain) and "Rikli and Jones 1999" in " ".join(plain)
    chair = next(i for c in o.components for i in c.items if i.test.id == "chair_stand")
    assert chair.score is not None and chair.score.normal_range == (3, 6)  # the edited numbers
    pdf = sheet_pdf(o)
    (tmp_path / "local-sheet.pdf").write_bytes(pdf)
    pages = [flat(p) for p in page_texts(pdf)]
    why = "changed from the published set (sft_normal_ranges.csv)"
    for page in pages:  # the footer of every page
        assert f"Norm set 2026.12-1 \u2014 {LOCAL}: {why}" in page, page[-300:]
    text = " ".join(pages)
    assert "local edit, not the published source (sft_normal_ranges.csv)" in text
    # No published source is claimed for the edited test (or any from the edited file), and no
    # status: the Senior Fitness Test authors are not named at all.
    assert "Rikli" not in text and "(confirmed)" not in text and "confirmed" not in text
    assert "Dodds" in text  # grip's file is still the published one
    # Nothing in the footer is under 12 pt (it is the small print, not the smallest print).
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            assert min(c["size"] for c in page.chars if abs(c["matrix"][1]) < 1e-6) >= 12 - 1e-6


def test_a_summary_from_the_edited_set_says_so_on_every_page(demo, edited, monkeypatch):
    """The summary's bands come from the norm set in force (FFMOT_NORMS_DIR), whatever version
    the day was stored with: that set's status is on every page."""
    monkeypatch.setenv("FFMOT_NORMS_DIR", str(edited))
    norms_module._cached.cache_clear()
    try:
        data = summary_data(demo.db, demo.retest_event.id[:8])
        pages = [flat(p) for p in page_texts(summary_pdf(data))]
        csv_text = summary_csv(data).decode("utf-8")
    finally:
        monkeypatch.delenv("FFMOT_NORMS_DIR")
        norms_module._cached.cache_clear()
    why = "changed from the published set (norms/sft_normal_ranges.csv)"
    for page in pages:
        assert f"Norm set 2026.12-1 \u2014 {LOCAL}: {why}" in page
    assert "norm set status" in csv_text and why in csv_text
    verified = [
        flat(p) for p in page_texts(summary_pdf(summary_data(demo.db, demo.retest_event.id[:8])))
    ]
    assert all(LOCAL not in p for p in verified)
