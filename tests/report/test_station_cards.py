"""Station cards: one large-print A4 page per test of the battery, each made from the battery's
own words (name, what it measures, protocol, safety, what to record), none typed per test."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pdfplumber
import pytest

from ffmot.core.battery import load_battery
from ffmot.core.errors import InputError
from ffmot.core.paths import norms_dir
from ffmot.report.station_cards import station_cards_pdf, steps

BATTERY = load_battery(norms_dir() / "battery.toml")


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, float]]:
    with pdfplumber.open(io.BytesIO(station_cards_pdf())) as pdf:
        return [(words(p.extract_text()), min(c["size"] for c in p.chars)) for p in pdf.pages]


def test_one_page_per_test_with_its_name_protocol_safety_and_what_counts(pages):
    assert len(pages) == len(BATTERY)
    for (text, _size), test in zip(pages, BATTERY.values(), strict=True):
        assert text.startswith(test.name), test.id
        assert test.component_name in text
        for step in steps(test.protocol) + steps(test.safety):
            assert words(step) in text, (test.id, step)
        assert "What to record" in text and "Not done (F9)" in text
        if test.trials > 1:
            assert f"{test.trials} trials" in text and "counts" in text
        for m in test.modifications:
            assert m.words in text
        for f in test.fields:
            assert f.label in text


def test_every_card_is_large_print(pages):
    assert min(size for _text, size in pages) >= 14


def test_a_changed_battery_changes_the_cards():
    """Nothing per test is typed in the code: a local protocol's words are what print."""
    import dataclasses

    chair = dataclasses.replace(
        BATTERY["chair_stand"], name="Sit to stand", protocol="Local protocol. Count stands."
    )
    with pdfplumber.open(io.BytesIO(station_cards_pdf({"chair_stand": chair}))) as pdf:
        assert len(pdf.pages) == 1
        text = words(pdf.pages[0].extract_text())
    assert text.startswith("Sit to stand") and "1. Local protocol. 2. Count stands." in text


def test_the_command_writes_the_cards_and_refuses_a_file_that_is_not_a_pdf(tmp_path: Path):
    from ffmot.cli.cards import add_parser, run

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    path = tmp_path / "cards.pdf"
    assert run(parser.parse_args(["station-cards", "--out", str(path)]), out) == 0
    assert path.read_bytes().startswith(b"%PDF") and "wrote" in out.getvalue()
    with pytest.raises(InputError, match=r"\.pdf"):
        run(parser.parse_args(["station-cards", "--out", str(tmp_path / "cards.txt")]), out)


def test_the_cards_in_a_longer_language_have_every_word_translated_and_nothing_cut_off():
    """In the pseudo-language (every letter accented, a third longer) the cards keep no plain
    English word and no word runs past the page's edge: the footer takes two lines."""
    from ffmot.core import i18n
    from tests.report.languages import outside_brackets, untranslated

    with i18n.speaking(i18n.PSEUDO):
        made = station_cards_pdf()
    with pdfplumber.open(io.BytesIO(made)) as pdf:
        for page in pdf.pages:
            text = page.extract_text()
            _rest, broken = outside_brackets(text)
            assert not untranslated(text, ["ffmot", "F9"]), untranslated(text, ["ffmot"])
            assert broken == 0, text
            assert max(c["x1"] for c in page.chars) <= page.width - 18 * 72 / 25.4 + 1
