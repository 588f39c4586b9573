"""An organisation's folder on the command line: `--config`, else the one chosen in the desktop
app's Settings. Its wording, logo and norms reach the sheet; a broken file is named with its
line and nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pdfplumber
import pytest

from ffmot.core.paths import config_dir, norms_dir, resources_dir
from tests.cli.test_cli import assert_refused, ffmot
from tests.core.test_organisation import PNG
from tests.report.conftest import make_demo

OURS = "Our own words about the usual range, from the organisation's folder."


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = make_demo(tmp_path_factory.mktemp("org") / "ffmot.db", people=6)
    yield d
    d.db.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "cumbria"
    f.mkdir()
    (f / "organisation.toml").write_text('name = "Cumbria Health"\nlogo = "logo.png"\n', "utf-8")
    (f / "logo.png").write_bytes(PNG)
    advice = (resources_dir() / "advice.toml").read_text(encoding="utf-8")
    start = advice.index('usual_range = "') + len('usual_range = "')
    end = advice.index('"', start)
    (f / "advice.toml").write_text(advice[:start] + OURS + advice[end:], encoding="utf-8")
    return f


def _code(demo) -> str:  # type: ignore[no-untyped-def]
    p = ffmot("--db", str(demo.path), "participants")
    return p.stdout.splitlines()[1].split()[0]


def _sheet(demo, out: Path, *before: str):  # type: ignore[no-untyped-def]
    return ffmot("--db", str(demo.path), *before, "sheet", _code(demo), "--out", str(out))


def test_config_puts_the_organisations_words_logo_and_norms_on_the_sheet(demo, folder, tmp_path):
    plain = tmp_path / "plain.pdf"
    assert _sheet(demo, plain).returncode == 0
    ours = tmp_path / "ours.pdf"
    p = _sheet(demo, ours, "--config", str(folder))
    assert p.returncode == 0, p.stderr
    with pdfplumber.open(plain) as a, pdfplumber.open(ours) as b:
        text_a = " ".join((pg.extract_text() or "") for pg in a.pages)
        text_b = " ".join((pg.extract_text() or "") for pg in b.pages)
        assert not a.pages[0].images and len(b.pages[0].images) == 1  # the logo, on page 1
        logo = b.pages[0].images[0]
        assert logo["x1"] <= b.pages[0].width - 39 and logo["top"] < 100  # top right
    assert " ".join(OURS.split()) in " ".join(text_b.split())
    assert " ".join(OURS.split()) not in " ".join(text_a.split())

    shutil.copytree(norms_dir(), folder / "norms")  # a local norm set, though byte-identical
    (folder / "norms" / "README.md").write_text("changed\n", encoding="utf-8")
    p = _sheet(demo, tmp_path / "norms.pdf", "--config", str(folder))
    assert p.returncode == 0, p.stderr


def test_a_broken_file_in_the_folder_is_named_with_its_line_and_nothing_is_written(
    demo, folder, tmp_path
):
    (folder / "organisation.toml").write_text('name = "Cumbria Health"\nlogo = logo.png\n', "utf-8")
    out = tmp_path / "sheet.pdf"
    p = _sheet(demo, out, "--config", str(folder))
    assert_refused(p, "organisation.toml", "line 2")
    assert not out.exists()
    assert_refused(_sheet(demo, out, "--config", str(tmp_path / "nowhere")), "does not exist")


def test_the_folder_chosen_in_settings_is_the_command_lines_too(demo, folder, tmp_path):
    """The desktop app's settings file (Qt's INI) names the folder; the command line reads it
    without Qt. (The tests' settings folder is a temporary one: tests/conftest.py.)"""
    ini = config_dir() / "ffmot.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    before = ini.read_bytes() if ini.exists() else None
    ini.write_text(f"[organisation]\nfolder={folder}\n", encoding="utf-8")
    try:
        out = tmp_path / "sheet.pdf"
        assert _sheet(demo, out).returncode == 0
        with pdfplumber.open(out) as doc:
            assert len(doc.pages[0].images) == 1
    finally:
        if before is None:
            ini.unlink()
        else:
            ini.write_bytes(before)


def test_a_logo_damaged_after_it_was_chosen_leaves_it_off_and_the_sheet_is_made(demo, tmp_path):
    import dataclasses

    from ffmot.report.sheet import render_sheet
    from ffmot.services.overview import load_for_sheet
    from ffmot.services.summary import event_overviews

    visit = event_overviews(demo.db, demo.retest_event.id)[0].assessment.id
    broken = tmp_path / "logo.png"
    broken.write_bytes(PNG[:40])
    o = dataclasses.replace(load_for_sheet(demo.db, visit), logo=str(broken))
    with pdfplumber.open(__import__("io").BytesIO(render_sheet(o).pdf)) as doc:
        assert (
            not doc.pages[0].images and "Your Functional Fitness MOT" in doc.pages[0].extract_text()
        )
