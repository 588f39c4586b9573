"""Every sheet of an MOT day: one PDF or one file per participant, on two worker processes."""

from __future__ import annotations

import io
import stat

import pypdf
import pytest

from ffmot.core import codes
from ffmot.report.batch import file_name, join_pdfs, render_many, sheet_files, sheets_pdf
from ffmot.report.files import write_folder, write_private
from tests.report.conftest import stream_text


def test_one_pdf_in_order_with_progress_from_two_workers(overviews):
    some = overviews[:12]
    calls: list[tuple[int, int]] = []
    pdf = sheets_pdf(some, lambda done, total: calls.append((done, total)), workers=2)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = [r.pages for r in render_many(some, workers=1)]
    assert len(reader.pages) == sum(pages)
    assert calls and calls[-1] == (12, 12)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and all(t == 12 for _, t in calls)
    text = stream_text(pdf)
    places = [text.index(o.participant.name) for o in some]
    assert places == sorted(places)  # in the order given
    meta = reader.metadata
    assert some[0].event.name in meta.title and "sheets" in meta.title
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_duplex_puts_a_blank_page_after_an_odd_sheet(overviews):
    some = overviews[:6]
    pages = [r.pages for r in render_many(some, workers=1)]
    pdf = sheets_pdf(some, duplex=True, workers=1)
    n = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert n == sum(p + p % 2 for p in pages)


def test_one_file_per_participant_named_by_code(overviews, tmp_path):
    some = overviews[:5]
    files = sheet_files(some, workers=2)
    assert list(files) == [f"{codes.display(o.participant.code)}.pdf" for o in some]
    written = write_folder(tmp_path / "sheets", files)
    assert [p.name for p in written] == list(files)
    for p in written:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        assert p.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE((tmp_path / "sheets").stat().st_mode) == 0o700
    assert not [p for p in (tmp_path / "sheets").iterdir() if p.name.startswith(".")]


def test_the_same_person_twice_gets_a_second_name(overviews):
    o = overviews[0]
    files = sheet_files([o, o], workers=1)
    assert list(files) == [file_name(o), file_name(o)[:-4] + "-2.pdf"]


class Stop(Exception):
    pass


def test_a_progress_callback_that_raises_stops_the_work(overviews):
    seen: list[int] = []

    def stop(done: int, total: int) -> None:
        seen.append(done)
        raise Stop

    with pytest.raises(Stop):
        sheets_pdf(overviews[:8], stop, workers=2)
    assert len(seen) == 1


def test_private_atomic_writes(tmp_path):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    write_private(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


def test_joining_keeps_the_shell_information(overviews):
    from ffmot.report.batch import _shell
    from ffmot.report.sheet import sheet_pdf

    parts = [sheet_pdf(o) for o in overviews[:2]]
    joined = join_pdfs(parts, _shell(overviews[:2]))
    reader = pypdf.PdfReader(io.BytesIO(joined))
    expected = sum(len(pypdf.PdfReader(io.BytesIO(p)).pages) for p in parts)
    assert len(reader.pages) == expected
    assert reader.metadata.subject.startswith("Your Functional Fitness MOT")
