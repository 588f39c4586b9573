"""`ffmot sheet`, `ffmot sheets` and `ffmot summary` as a person runs them: real processes, a
real SQLite file, real files."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pypdf
import pytest

from ffmot.core import codes
from ffmot.services.records import get_assessment
from ffmot.services.summary import event_overviews
from ffmot.services.visits import participant_visits
from tests.cli.test_cli import assert_refused, ffmot
from tests.helpers import raw_sqlite
from tests.report.conftest import Demo, make_demo


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    """A small demo: two MOT days of about 7 and 9 visits, two of them retests."""
    d = make_demo(tmp_path_factory.mktemp("cli") / "ffmot.db", people=14)
    yield d
    d.db.close()


def run(d: Demo, *args: str):
    p = ffmot("--db", str(d.path), *args)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def _retested(d: Demo):
    o = next(o for o in event_overviews(d.db, d.retest_event.id) if o.previous_date)
    return o.participant


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sheet_for_the_latest_visit_is_recorded_as_printed(small, tmp_path):
    person = _retested(small)
    out = tmp_path / "sheet.pdf"
    p = run(small, "sheet", codes.display(person.code), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert str(out) in p.stdout and codes.display(person.code) in p.stdout
    assert person.family_name not in p.stdout  # no names in what a terminal may log
    assert _private(out)
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    assert person.name in text and "than on" in text  # the retest's changes
    latest = participant_visits(small.db, person.id)[0][0]
    assert get_assessment(small.db, latest).printed_at is not None
    with raw_sqlite(small.path) as con:
        actions = con.execute(
            "select action, actor from audit where entity_id = ?", (latest,)
        ).fetchall()
    assert "print" in {a for a, _ in actions}


def test_a_sheet_in_the_pseudo_language_for_checking_a_translations_layout(small, tmp_path):
    person = _retested(small)
    out = tmp_path / "pseudo.pdf"
    p = run(small, "sheet", codes.display(person.code), "--language", "qps", "--out", str(out))
    assert p.returncode == 0, p.stderr
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(str(out)).pages)
    assert "Ýöûŕ Fûñçţîöñåĺ Fîţñéšš MÖŢ" in text and person.name in text
    assert_refused(
        run(small, "sheet", person.code, "--language", "fr", "--out", str(tmp_path / "x.pdf")),
        "a sheet cannot be made in 'fr'",
    )
    assert not (tmp_path / "x.pdf").exists()


def test_the_summary_in_the_pseudo_language(small, tmp_path):
    out = tmp_path / "summary.pdf"
    p = run(
        small,
        "summary",
        "--event",
        small.retest_event.id[:8],
        "--out",
        str(out),
        "--language",
        "qps",
    )
    assert p.returncode == 0, p.stderr
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(str(out)).pages)
    assert "Fûñçţîöñåĺ Fîţñéšš MÖŢ đåý šûmmåŕý" in text


def test_station_cards_need_no_database_and_name_every_test(tmp_path):
    out = tmp_path / "cards.pdf"
    p = ffmot("station-cards", "--out", str(out))
    assert p.returncode == 0, p.stderr
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(str(out)).pages)
    assert "30-second chair stand" in text and "Grip strength" in text
    assert_refused(ffmot("station-cards", "--out", str(tmp_path / "cards.txt")), ".pdf")


def test_sheet_for_an_earlier_visit_by_id_prefix(small, tmp_path):
    person = _retested(small)
    earlier, on = participant_visits(small.db, person.id)[1]
    out = tmp_path / "earlier.pdf"
    p = run(small, "sheet", person.code.lower(), "--assessment", earlier[:8], "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert on.isoformat() in p.stdout
    text = " ".join(pg.extract_text() for pg in pypdf.PdfReader(str(out)).pages)
    assert "than on" not in text  # the first visit has nothing to compare with


def test_sheets_for_an_event_in_one_pdf_and_in_a_folder(small, tmp_path):
    from ffmot.services.consent import may_use_results

    event = small.retest_event
    everyone = event_overviews(small.db, event.id)
    visits = sum(1 for o in everyone if may_use_results(o.participant))
    assert 0 < visits < len(everyone)  # the demo has someone who did not agree: left out
    one = tmp_path / "all.pdf"
    p = run(small, "sheets", "--event", event.id[:8], "--out", str(one))
    assert p.returncode == 0, p.stderr
    assert f"wrote {visits} sheets" in p.stdout and _private(one)
    assert f"made sheet {visits} of {visits}" in p.stderr  # progress on stderr
    reader = pypdf.PdfReader(str(one))
    assert visits <= len(reader.pages) <= 2 * visits
    folder = tmp_path / "sheets"
    p = run(small, "sheets", "--event", event.id[:8], "--out", str(folder))
    assert p.returncode == 0, p.stderr
    files = sorted(folder.iterdir())
    assert len(files) == visits and all(_private(f) for f in files)
    names = {
        f"{codes.display(o.participant.code)}.pdf"
        for o in everyone
        if may_use_results(o.participant)
    }
    assert {f.name for f in files} == names


def test_summary_pdf_csv_and_xlsx(small, tmp_path):
    out, c, x = tmp_path / "s.pdf", tmp_path / "s.csv", tmp_path / "s.xlsx"
    p = run(
        small,
        "summary",
        "--event",
        small.retest_event.id[:8],
        "--out",
        str(out),
        "--csv",
        str(c),
        "--xlsx",
        str(x),
    )
    assert p.returncode == 0, p.stderr
    for f in (out, c, x):
        assert f.exists() and _private(f)
    text = c.read_text()
    for o in event_overviews(small.db, small.retest_event.id):
        assert o.participant.family_name not in text and o.participant.code not in text
    assert "<5" in text  # a small day: most counts hidden


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("sheet", "K7PM-4QX", "--out", "x.pdf"), ("typing mistake",)),
        (("sheet", "{code}", "--out", "x.txt"), ("--out", ".pdf")),
        (("sheet", "{code}", "--out", "nowhere/x.pdf"), ("does not exist",)),
        (("sheet", "{code}", "--assessment", "ffffffff", "--out", "x.pdf"), ("no visit",)),
        (("sheet", "{code}"), ("--out",)),
        (("sheets", "--event", "0000", "--out", "x.pdf"), ("no MOT day",)),
        (("summary", "--event", "{event}", "--out", "s.pdf", "--csv", "s.xlsx"), ("--csv",)),
    ],
)
def test_bad_arguments_are_refused_in_one_line(small, tmp_path, args, words):
    person = _retested(small)
    filled = [a.format(code=person.code, event=small.retest_event.id[:8]) for a in args]
    p = ffmot("--db", str(small.path), *filled, cwd=tmp_path)
    assert_refused(p, *words)
    assert not [f for f in tmp_path.iterdir() if f.suffix in (".pdf", ".csv", ".xlsx")]
