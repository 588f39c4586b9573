"""A real SQLite database with synthetic MOT days in it, built once for the run, and helpers
to read PDFs back the way a person (or a screen reader) would."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ffmot.core.advice import Directory, load_directory
from ffmot.core.paths import resources_dir
from ffmot.demo import generate
from ffmot.services.demo_load import DemoSummary, load_demo
from ffmot.services.overview import Overview
from ffmot.services.records import list_events
from ffmot.services.summary import event_overviews
from ffmot.services.types import Actor, EventInfo
from ffmot.store.db import Database, connect

TODAY = dt.date(2026, 6, 1)
SEED = 7
PEOPLE = 120  # two MOT days: about 60 and 80 visits, the second with about 18 retests


@dataclass
class Demo:
    path: Path
    db: Database
    loaded: DemoSummary
    events: list[EventInfo]  # latest first

    @property
    def retest_event(self) -> EventInfo:
        return self.events[0]


def make_demo(path: Path, people: int = PEOPLE) -> Demo:
    db = connect(str(path))
    loaded = load_demo(
        db, Actor("Test Runner", "tests"), generate(people, SEED, today=TODAY), seed=SEED
    )
    return Demo(path, db, loaded, list_events(db))


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    d = make_demo(tmp_path_factory.mktemp("report") / "ffmot.db")
    yield d
    d.db.close()


@pytest.fixture(scope="session")
def directory() -> Directory:
    return load_directory(resources_dir() / "activities" / "sample-directory.csv")


@pytest.fixture(scope="session")
def overviews(demo: Demo, directory: Directory) -> list[Overview]:
    """Every visit to the later MOT day (some of them retests), with the sample directory."""
    return event_overviews(demo.db, demo.retest_event.id, directory=directory)


# --- reading PDFs back ---------------------------------------------------------------------------


def upright(page):
    """The page without the diagonal TRAINING watermark (rotated text)."""
    return page.filter(lambda o: o.get("object_type") != "char" or abs(o["matrix"][1]) < 1e-6)


def page_texts(pdf: bytes, min_size: float = 0.0) -> list[str]:
    """Each page's text as pdfplumber lays it out, without the watermark; with min_size, only
    characters at least that large (so the small-print footer can be left out)."""
    import pdfplumber

    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            p = upright(page)
            if min_size:
                p = p.filter(lambda o: o.get("object_type") != "char" or o["size"] >= min_size)
            out.append(p.extract_text() or "")
    return out


def stream_text(pdf: bytes) -> str:
    """The text in content-stream order: the order a screen reader meets it."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    """Whitespace collapsed and the typographic minus made plain, for searching."""
    return " ".join(text.replace("\u2212", "-").split())


def reading_ease(text: str) -> float:
    """textstat's Flesch reading ease. textstat counts English syllables with the CMU
    dictionary, which NLTK downloads on first use; where it is not installed (no network here
    or in CI) textstat's own fallback, the pyphen hyphenation dictionary, counts them."""
    import textstat
    import textstat.backend.counts._count_syllables as syllables

    try:
        import nltk

        nltk.data.find("corpora/cmudict")
        return float(textstat.flesch_reading_ease(text))
    except LookupError:
        pass
    original = syllables.get_cmudict
    syllables.get_cmudict = lambda lang: None
    try:
        return float(textstat.flesch_reading_ease(text))
    finally:
        syllables.get_cmudict = original
