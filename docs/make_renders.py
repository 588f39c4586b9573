"""Renders the PNGs in this folder from a synthetic (training) MOT day.

Run from the repository's top level:  .venv/bin/python docs/make_renders.py
Needs poppler's pdftoppm. Everyone in the pictures is made up (ffmot.demo).

`.venv/bin/python docs/make_renders.py help` remakes only the guide's pictures: the app's own
screens, staged by `ffmot gui --screenshot` on demo data, into resources/help/images/.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ffmot.core.advice import load_directory  # noqa: E402
from ffmot.core.paths import resources_dir  # noqa: E402
from ffmot.demo import generate  # noqa: E402
from ffmot.report.card import card_pdf  # noqa: E402
from ffmot.report.sheet import render_sheet, sheet_pdf  # noqa: E402
from ffmot.report.summary import summary_pdf  # noqa: E402
from ffmot.services.demo_load import load_demo  # noqa: E402
from ffmot.services.overview import Overview, build_overview  # noqa: E402
from ffmot.services.records import list_events  # noqa: E402
from ffmot.services.summary import event_overviews, summary_data  # noqa: E402
from ffmot.services.types import Actor  # noqa: E402
from ffmot.store.db import connect  # noqa: E402


def _items(o: Overview):  # type: ignore[no-untyped-def]
    return [i for c in o.components for i in c.items]


def png(pdf: bytes, name: str, work: Path) -> None:
    src = work / f"{name}.pdf"
    src.write_bytes(pdf)
    for old in HERE.glob(f"{name}*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(src), str(HERE / name)], check=True)


HELP_IMAGES = ("events", "check-in", "station", "overview", "board")
HELP_SIZE = (1024, 700)  # the projector's width: what a course sees


def help_images() -> None:
    """The pictures in the practitioner's guide (resources/help/guide.md), made by the app
    itself offscreen and stored as small palette PNGs (each well under 150 KB)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image, ImageOps

    from ffmot.gui.app import application, screenshot

    application(False)
    folder = resources_dir() / "help" / "images"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for view in HELP_IMAGES:
            raw = screenshot(Path(tmp) / f"{view}.png", view, size=HELP_SIZE)
            with Image.open(raw) as image:
                framed = ImageOps.expand(image.convert("RGB"), border=2, fill=(96, 96, 96))
                small = framed.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
                small.save(folder / f"{view}.png", optimize=True)
            print((folder / f"{view}.png").relative_to(HERE.parent))


def main() -> None:
    if sys.argv[1:] == ["help"]:
        help_images()
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = connect(str(work / "demo.db"))
        load_demo(db, Actor("docs"), generate(120, 7, today=dt.date(2026, 6, 1)), seed=7)
        event = list_events(db)[0]
        directory = load_directory(resources_dir() / "activities" / "sample-directory.csv")
        ovs = event_overviews(db, event.id, directory=directory)

        # A first visit with a strength, things to work on and a flag, whose sheet keeps its
        # fuller layout (the tighter ones drop the greeting and some next steps).
        sample = None
        for o in sorted(ovs, key=lambda o: len(o.work_on)):
            if o.previous_date is not None or not o.work_on or not o.flags:
                continue
            if not any(c.status == "strength" for c in o.components):
                continue
            a = dataclasses.replace(
                o.assessment,
                notes="Good effort on every test.",
                goals="Walk to the shop and back twice a week.",
            )
            candidate = build_overview(o.participant, a, o.event, directory=directory)
            if render_sheet(candidate).level <= 2:
                sample = candidate
                break
        assert sample is not None
        png(sheet_pdf(sample), "sample-sheet", work)

        retest = next(
            o
            for o in ovs
            if any(i.change and i.change.better for i in _items(o))
            and any(i.change and i.change.better is False for i in _items(o))
        )
        png(sheet_pdf(retest), "retest-sheet", work)
        png(summary_pdf(summary_data(db, event.id)), "summary", work)
        p = sample.participant
        png(card_pdf(p.code, p.name, event.name, event.training), "card", work)
        db.close()
    for f in sorted(HERE.glob("*.png")):
        print(f.relative_to(HERE.parent))
    help_images()


if __name__ == "__main__":
    main()
