"""The take-home sheet, read back as a person, a printer and a screen reader would."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from pathlib import Path

import pdfplumber
import pypdf
import pytest

from ffmot.report import words
from ffmot.report.sheet import LAYOUTS, MAX_PAGES, plain_source, render, render_sheet, sheet_pdf
from ffmot.services.overview import Overview, build_overview
from tests.report.conftest import flat, page_texts, reading_ease, stream_text, upright

A4 = (595.28, 841.89)
SMALLEST = 12.0  # nothing on a participant's page is smaller (the footer line is 12 pt)


def _items(o: Overview):
    return [i for c in o.components for i in c.items]


def _pick(overviews: list[Overview], test) -> Overview:
    return next(o for o in overviews if test(o))


@pytest.fixture(scope="module")
def retest(overviews: list[Overview]) -> Overview:
    """A retest with a result that went up and one that went down."""
    return _pick(
        overviews,
        lambda o: (
            any(i.change and i.change.better for i in _items(o))
            and any(i.change and i.change.better is False for i in _items(o))
        ),
    )


@pytest.fixture(scope="module")
def rendered(overviews: list[Overview]) -> dict[str, bytes]:
    """Every sheet of the MOT day, rendered once for the module."""
    return {o.assessment.id: render_sheet(o).pdf for o in overviews}


@pytest.fixture(scope="module")
def sample(overviews: list[Overview], rendered: dict[str, bytes]) -> list[bytes]:
    """Six sheets with the most on them (retests, flags, things to work on, not done), for
    the slower checks that read every character back."""

    def weight(o: Overview) -> int:
        items = _items(o)
        return (
            3 * sum(i.change is not None for i in items)
            + 2 * len(o.flags)
            + 2 * len(o.work_on)
            + sum(not i.result.done for i in items)
            + len(o.activities)
        )

    ranked = sorted(overviews, key=weight, reverse=True)
    return [rendered[o.assessment.id] for o in ranked[:6]]


def test_every_sheet_is_a4_one_or_two_pages_with_every_font_embedded(rendered):
    for pdf in rendered.values():
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        assert 1 <= len(reader.pages) <= MAX_PAGES
        for page in reader.pages:
            box = page.mediabox
            assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.1)
            fonts = page["/Resources"]["/Font"]
            for ref in fonts.values():
                font = ref.get_object()
                descendant = (
                    font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                )
                descriptor = descendant["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor, font["/BaseFont"]
                assert "FFMOTHyperlegible" in str(font["/BaseFont"])


def test_pdffonts_agrees_that_every_font_is_embedded(retest, tmp_path):
    path = tmp_path / "sheet.pdf"
    path.write_bytes(sheet_pdf(retest))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = out.stdout.splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows), out.stdout
    assert "Helvetica" not in out.stdout and "Times" not in out.stdout


def test_nothing_is_under_12_points_and_the_body_is_14(sample, retest):
    for pdf in [*sample, render(retest, 0).pdf, render(retest, len(LAYOUTS) - 1).pdf]:
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for page in doc.pages:
                chars = upright(page).chars
                assert chars
                assert min(c["size"] for c in chars) >= SMALLEST - 1e-6
                small = [c for c in chars if c["size"] < 14 - 1e-6]
                # only the one-line footer is under 14 pt
                assert all(c["top"] > page.height - 40 for c in small)


def test_the_sheet_shows_who_each_result_and_the_sources(retest):
    pdf = sheet_pdf(retest)
    text = flat(stream_text(pdf))
    assert retest.participant.name in text
    assert words.long_date(retest.assessment.assessed_on) in text
    assert retest.event.venue in text
    assert flat(retest.says.headline[0]) in text  # the summary box
    for item in _items(retest):
        assert flat(words.display_name(item)) in text or item.test.short_name in text
        if item.result.done and item.result.value is not None:
            assert flat(words.value_words(item)) in text
    for source in retest.sources:
        assert flat(plain_source(source)).split(",")[0] in text
        assert "(confirmed)" not in text and "single-source" not in text
    assert f"Norm set {retest.norm_set}" in text
    meta = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert retest.participant.name in meta.title
    assert meta.author and meta.subject and "ffmot" in meta.creator


def test_bars_say_where_you_stand_in_words_better_to_the_right(overviews):
    o = _pick(
        overviews,
        lambda o: any(
            i.test.id == "up_and_go" and i.score and i.score.normal_range for i in _items(o)
        ),
    )
    text = flat(stream_text(render(o, 0).pdf))
    assert "faster" in text and "better" in text and "usual range:" in text and "You: " in text
    assert "usual range" in text and "you today" in text and "right is better" in text


def test_the_retest_sheet_shows_then_now_and_the_change_in_words(retest):
    text = flat(stream_text(render(retest, 0).pdf))
    changed = [i for i in _items(retest) if i.change is not None]
    assert changed
    for item in changed:
        assert flat(words.change_words(item)) in text
        if item.says.band:
            assert f"Then: {flat(words.num(item.change.before))}" in text
    assert "last time" in text
    kinds = {i.says.change_kind for i in changed}
    if "worse" in kinds:
        assert "more than a day-to-day difference" in text
    if "small" in kinds:
        assert "a normal day-to-day difference" in text
    assert "Results vary" not in text
    assert f"than on {words.short_date(retest.previous_date)}" in text


def test_training_mark_on_every_page_only_for_training(retest):
    pdf = sheet_pdf(retest)
    pages = page_texts(pdf)
    assert retest.training and all("TRAINING" in p for p in pages)
    real = dataclasses.replace(
        retest, training=False, event=dataclasses.replace(retest.event, training=False)
    )
    real_pdf = sheet_pdf(real)
    assert all("TRAINING" not in p for p in page_texts(real_pdf))
    with pdfplumber.open(io.BytesIO(pdf)) as doc:  # the diagonal mark is there too
        for page in doc.pages:
            assert any(abs(c["matrix"][1]) > 0.5 for c in page.chars)


def test_plain_english_reading_ease_is_at_least_70(sample):
    body = [reading_ease(" ".join(page_texts(pdf, min_size=14))) for pdf in sample]
    assert min(body) >= 70, body
    whole = [reading_ease(" ".join(page_texts(pdf))) for pdf in sample[:2]]
    assert min(whole) >= 70, whole  # the small print included


def test_reading_order_follows_the_sheet(retest):
    text = flat(stream_text(render(retest, 0).pdf))
    marks = [
        "Your Functional Fitness MOT",
        retest.participant.name,
        f"{retest.components[0].title}:",
        f"{retest.components[-1].title}:",
        "Your activity and the UK guidelines",
        "Figures from:",
    ]
    places = [text.index(m) for m in marks[:-1]] + [text.rindex(marks[-1])]
    assert places == sorted(places), list(zip(marks, places, strict=True))
    # each result's name comes before its bar's labels
    first = retest.components[0].items[0]
    assert text.index(words.display_name(first)) < text.index("You: ")


def test_no_two_words_overlap_and_nothing_runs_off_the_page(sample):
    for pdf in sample:
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for page in doc.pages:
                ws = upright(page).extract_words()
                for w in ws:
                    assert w["x0"] >= 20 and w["x1"] <= page.width - 20, w
                    assert w["top"] >= 10 and w["bottom"] <= page.height - 5, w
                for i, a in enumerate(ws):
                    for b in ws[i + 1 :]:
                        dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                        dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                        assert dx <= 0.5 or dy <= 0.5, (a["text"], b["text"], page.page_number)


def test_strengths_first_then_things_to_work_on_with_next_steps(overviews):
    o = _pick(
        overviews,
        lambda o: o.work_on and any(c.status == "strength" for c in o.components),
    )
    text = flat(stream_text(sheet_pdf(o)))
    strong = next(c for c in o.components if c.status == "strength")
    work = next(c for c in o.components if c.id == o.work_on[0])
    assert text.index(f"{strong.title}: one of your strengths") < text.index(
        f"{work.title}: something to work on"
    )
    assert f"{work.work[0].title}: next steps you could try" in text
    assert flat(work.work[0].steps[1] if work.work[0].already else work.work[0].steps[0]) in text


def test_activity_guidelines_and_matched_local_activities(overviews):
    o = _pick(overviews, lambda o: o.activities and o.activity)
    text = flat(stream_text(sheet_pdf(o)))
    assert "150 minutes a week of moderate activity" in text
    assert "Strength activities on 2 days a week" in text
    assert "Balance activities on 2 days a week" in text
    assert "Break up long spells of sitting" in text
    a = o.activities[0]
    for part in (a.name, a.day, a.time, a.venue, a.contact):
        assert flat(part) in text
    assert words.intensity_words(a.intensity) in text


def test_flags_are_calm_and_not_done_tests_are_kind(overviews):
    o = _pick(
        overviews,
        lambda o: o.flags and any(not i.result.done for i in _items(o) + list(o.body)),
    )
    text = flat(stream_text(sheet_pdf(o)))
    assert "Worth talking about with your GP" in text
    for f in o.flags:
        assert flat(f.text) in text
    assert "diagnosis" in text
    for i in _items(o):
        if not i.result.done:
            assert flat(i.not_done_words) in text
    assert "fail" not in text.lower() and "risk of" not in text.lower()


def test_not_compared_results_say_why_kindly(overviews, directory):
    o = overviews[0]
    young = dataclasses.replace(o.assessment, age=55)
    pdf = sheet_pdf(build_overview(o.participant, young, o.event, directory=directory))
    text = flat(stream_text(pdf))
    assert "No comparison for your age: the published figures start at age 60" in text
    unknown = dataclasses.replace(o.participant, sex="not_stated")
    text = flat(stream_text(sheet_pdf(build_overview(unknown, o.assessment, o.event))))
    assert "You did not tell us whether to compare you with women or men" in text


def test_notes_and_goals_are_printed(overviews, directory):
    o = overviews[1]
    a = dataclasses.replace(
        o.assessment,
        notes="Good effort on the step test.",
        goals="Walk to the shop twice a week.\nTry the Tai Chi class.",
    )
    pdf = sheet_pdf(build_overview(o.participant, a, o.event, directory=directory))
    text = flat(stream_text(pdf))
    assert re.search(r"Notes from today:? Good effort on the step test\.", text)
    assert re.search(r"Your goals:? Walk to the shop twice a week\. Try the Tai Chi class\.", text)


def test_same_overview_same_bytes(retest):
    assert sheet_pdf(retest) == sheet_pdf(retest)


def test_sheet_writes_nothing_to_disk(retest, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sheet_pdf(retest)
    assert list(Path(tmp_path).iterdir()) == []


def test_a_visit_with_nothing_done_still_gets_a_kind_sheet(overviews):
    o = overviews[0]
    nothing = dataclasses.replace(
        o.assessment,
        results=tuple(
            dataclasses.replace(r, done=False, reason="not_offered", value=None)
            for r in o.assessment.results
        ),
    )
    r = render_sheet(build_overview(o.participant, nothing, o.event))
    text = flat(stream_text(r.pdf))
    assert r.pages <= MAX_PAGES
    assert "We did not do the fitness tests today, and that is fine" in text
    assert "it was not offered today" in text and "you today" not in text
    assert "150 minutes a week of moderate activity" in text  # the guidelines, still
