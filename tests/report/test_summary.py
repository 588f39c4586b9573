"""The anonymised MOT-day summary: no personal data, consenting people only, no count under 5
shown or derivable, and the same numbers in the PDF, the CSV and the XLSX."""

from __future__ import annotations

import csv
import dataclasses
import io
import random
import re

import openpyxl
import pypdf
import pytest

from ffmot.core.published import HIDDEN, SMALL, THRESHOLD, Count, SummaryData, protect
from ffmot.report.summary import summary_csv, summary_pdf, summary_rows, summary_xlsx
from ffmot.services.records import get_participant, record_consent
from ffmot.services.summary import event_overviews, summarise, summary_data
from ffmot.services.types import Actor
from tests.report.conftest import flat, page_texts


@pytest.fixture(scope="module")
def data(demo) -> SummaryData:
    return summary_data(demo.db, demo.retest_event.id[:8])


@pytest.fixture(scope="module")
def outputs(data):
    return summary_pdf(data), summary_csv(data), summary_xlsx(data)


def _all_counts(d: SummaryData) -> list[Count]:
    t = d.age_sex
    out = [d.people, t.total, *t.band_totals, *t.sex_totals, *(c for row in t.cells for c in row)]
    for r in d.tests:
        out += [r.below, r.within, r.other] + ([r.above] if r.above else [])
    out += [f.people for f in d.flags] + [d.any_flag]
    out += [w.people for w in d.work_on] + [d.any_work_on, d.activities_matched, d.retested]
    out += [r.people for r in d.retest]
    return out


def test_only_people_who_agreed_are_counted(demo, data):
    everyone = event_overviews(demo.db, demo.retest_event.id)
    agreed = [o for o in everyone if o.participant.consented("anonymous_reports")]
    assert 0 < len(agreed) < len(everyone)  # the demo has people who said no
    assert data.people.n == len(agreed)


def test_a_withdrawal_takes_a_person_out(demo, data):
    someone = next(
        o.participant
        for o in event_overviews(demo.db, demo.retest_event.id)
        if o.participant.consented("anonymous_reports")
    )
    actor = Actor("Test Runner", "tests")
    record_consent(demo.db, actor, someone.id, "anonymous_reports", False)
    try:
        assert summary_data(demo.db, demo.retest_event.id).people.n == data.people.n - 1
    finally:
        record_consent(demo.db, actor, someone.id, "anonymous_reports", True)
    assert get_participant(demo.db, someone.id).consented("anonymous_reports")


def test_no_names_codes_or_dates_of_birth_anywhere(demo, outputs):
    pdf, csv_bytes, xlsx = outputs
    everyone = event_overviews(demo.db, demo.retest_event.id)
    pdf_text = " ".join(page_texts(pdf))
    csv_text = csv_bytes.decode("utf-8")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    xlsx_text = " ".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    for text in (pdf_text, csv_text, xlsx_text):
        for o in everyone:
            p = o.participant
            assert p.family_name not in text
            assert p.code not in text and f"{p.code[:4]}-{p.code[4:]}" not in text
            for form in (p.date_of_birth.isoformat(), p.date_of_birth.strftime("%d/%m/%Y")):
                assert form not in text
            assert o.assessment.practitioner not in text


def test_no_count_under_5_is_shown(data, outputs):
    counts = _all_counts(data)
    assert any(c.text == SMALL for c in counts) and any(c.shown for c in counts)
    for c in counts:
        assert c.text in (SMALL, HIDDEN) or (c.n is not None and c.n >= THRESHOLD), c
    _pdf, csv_bytes, _xlsx = outputs
    for row in csv.DictReader(io.StringIO(csv_bytes.decode())):
        if (
            row["table"] in ("about",)
            or "%" in row["column"]
            or row["column"] in ("mean change", "sd", "unit", "better is")
        ):
            continue
        v = row["value"]
        assert v in (SMALL, HIDDEN) or int(v) >= THRESHOLD, row


def test_no_hidden_count_can_be_worked_out_from_a_total(data):
    t = data.age_sex
    lines = [(tot, list(row)) for tot, row in zip(t.band_totals, t.cells, strict=True)]
    lines += [(tot, [row[k] for row in t.cells]) for k, tot in enumerate(t.sex_totals)]
    lines += [(t.total, list(t.band_totals)), (t.total, list(t.sex_totals))]
    for r in data.tests:
        lines.append((data.people, [r.below, r.within, r.other] + ([r.above] if r.above else [])))
    for total, parts in lines:
        hidden = [p for p in parts if not p.shown]
        if total.shown and hidden:
            assert len(hidden) >= 2  # one hidden part alone would be total minus the rest
            rest = total.n - sum(p.n for p in parts if p.shown)
            assert rest >= THRESHOLD  # nor may the hidden parts together be a small number
        if not total.shown and parts:
            assert hidden  # a hidden total is not the sum of what is shown


@pytest.mark.parametrize("seed", range(40))
def test_protect_on_random_tables(seed):
    rng = random.Random(seed)
    rows, cols = rng.randint(1, 5), rng.randint(1, 4)
    cell = {
        (i, j): rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 15, 30])
        for i in range(rows)
        for j in range(cols)
    }
    values = dict(cell)
    lines = []
    for i in range(rows):
        values[("r", i)] = sum(cell[(i, j)] for j in range(cols))
        lines.append((("r", i), [(i, j) for j in range(cols)]))
    for j in range(cols):
        values[("c", j)] = sum(cell[(i, j)] for i in range(rows))
        lines.append((("c", j), [(i, j) for i in range(rows)]))
    values["N"] = sum(cell.values())
    lines += [("N", [("r", i) for i in range(rows)]), ("N", [("c", j) for j in range(cols)])]
    state = protect(values, lines)
    for k, v in values.items():
        assert (state[k] == "small") == (v < THRESHOLD)
    for total, parts in lines:
        hidden = [p for p in parts if state[p] != "shown"]
        if state[total] == "shown" and hidden:
            assert len(hidden) >= 2
            assert values[total] - sum(values[p] for p in parts if state[p] == "shown") >= 5
            # no hidden part is pinned: brute force over what a reader knows
            _not_pinned(values, state, total, parts)


def _not_pinned(values, state, total, parts):
    hidden = [p for p in parts if state[p] != "shown"]
    rest = values[total] - sum(values[p] for p in parts if state[p] == "shown")

    def options(p):
        return range(0, THRESHOLD) if state[p] == "small" else range(THRESHOLD, rest + 1)

    possible: dict[object, set[int]] = {p: set() for p in hidden}

    def walk(i, left, chosen):
        if i == len(hidden):
            if left == 0:
                for p, v in zip(hidden, chosen, strict=True):
                    possible[p].add(v)
            return
        for v in options(hidden[i]):
            if v <= left:
                walk(i + 1, left - v, [*chosen, v])

    walk(0, rest, [])
    for p in hidden:
        assert len(possible[p]) >= 2, (p, possible[p])


def test_the_same_numbers_in_pdf_csv_and_xlsx(data, outputs):
    pdf, csv_bytes, xlsx = outputs
    rows = list(csv.reader(io.StringIO(csv_bytes.decode())))
    assert rows[0] == ["table", "row", "column", "value"]
    assert [tuple(r) for r in rows[1:]] == list(summary_rows(data))
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["About", "Age and sex", "Results", "Flags", "Signposting", "Retest"]
    ws = wb["Age and sex"]
    t = data.age_sex
    for i, band in enumerate(t.bands, start=2):
        row = [ws.cell(i, k).value for k in range(1, 6)]
        expected = [
            band,
            *(c.n if c.shown else c.text for c in t.cells[i - 2]),
            t.band_totals[i - 2].n if t.band_totals[i - 2].shown else t.band_totals[i - 2].text,
        ]
        assert row == expected
    text = flat(" ".join(page_texts(pdf)))
    assert f"People counted: {data.people.text}" in text
    for r in data.tests:
        assert r.name in text


def test_pdf_is_a4_with_labelled_charts_and_embedded_fonts(data, outputs):
    pdf = outputs[0]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            (595.28, 841.89), abs=0.1
        )
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            assert "/FontFile2" in desc["/FontDescriptor"].get_object()
    text = flat(" ".join(page_texts(pdf)))
    for label in (
        "People by age band",
        "below the range",
        "within the range",
        "above the range",
        "People given each thing to work on",
        "TRAINING",
        "Mean change",
        "Flags raised",
        "Signposting",
    ):
        assert label in text
    assert re.search(r"\d+%", text)
    assert reader.metadata.title.startswith("MOT day summary")


def test_retest_change_is_mean_and_sd_where_five_or_more(data):
    shown = [r for r in data.retest if r.mean is not None]
    assert shown and data.retested.shown
    for r in shown:
        assert r.sd is not None and r.sd >= 0


def test_formulas_are_neutralised_in_csv_and_xlsx(demo):
    event = dataclasses.replace(demo.retest_event, name='=HYPERLINK("http://x")')
    ovs = [
        dataclasses.replace(o, event=event) for o in event_overviews(demo.db, demo.retest_event.id)
    ]
    d = summarise(event, ovs)
    text = summary_csv(d).decode()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    wb = openpyxl.load_workbook(io.BytesIO(summary_xlsx(d)))
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert any(str(v).startswith("'=HYPERLINK") for v in values)
    assert not any(str(v).startswith("=") for v in values if v is not None)


def test_a_tiny_day_hides_everything(demo):
    ovs = event_overviews(demo.db, demo.retest_event.id, consent="anonymous_reports")[:3]
    d = summarise(demo.retest_event, ovs)
    assert d.people.text == SMALL
    assert all(not c.shown for c in _all_counts(d))
    assert all(r.mean is None for r in d.retest)
    summary_pdf(d)  # still prints


def test_the_summary_from_a_complete_catalogue_has_every_word_translated_and_whole(
    data, tmp_path, monkeypatch
):
    """Every word of the PDF through the catalogue (the CSV and XLSX keep English keys for the
    tools that read them): from a complete catalogue of pseudo-language forms, no plain word is
    left but the day's own names, and no message is cut off by its box."""
    from ffmot.core import i18n
    from tests.report.conftest import page_texts
    from tests.report.languages import complete_catalogue, outside_brackets, untranslated

    monkeypatch.setenv("FFMOT_RESOURCES_DIR", str(complete_catalogue(tmp_path)))
    i18n._load.cache_clear()
    try:
        pdf = summary_pdf(data, language="xx")
    finally:
        i18n._load.cache_clear()
    text = "\n".join(page_texts(pdf))
    own = [data.event_name, data.venue, data.organisation, data.norm_set, "ffmot"]
    assert untranslated(text, [x for x in own if x]) == [], text
    assert outside_brackets(" ".join(text.split()))[1] == 0, text
    assert "\x00" not in text  # every accented letter is in the font
