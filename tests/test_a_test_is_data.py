"""Adding a test to the battery is a change to data files alone.

An organisation's folder (`ffmot/core/organisation.py`) holds a copy of the norms and the advice
with one more test: the CDC STEADI 4-stage balance test, read against its one published cut-off
(unable to hold the heel-to-toe stance for 10 seconds goes with a higher chance of falls). No
Python changes. The test then runs through everything a test goes through: the station's entry
form, the screening, the store (a real SQLite file), the export and the import of that export,
the participant's sheet (read back from the PDF), and the MOT day's summary.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ffmot.core import organisation
from ffmot.core.paths import norms_dir, resources_dir

TEST_ID = "four_stage_balance"
DATA = Path(__file__).parent / "data" / "four-stage-balance"  # the data change, file by file
FLAG_WORDS = "The CDC's balance check links this with a higher chance of a fall."


def _append(path: Path, text: str) -> None:
    body = path.read_text(encoding="utf-8")
    path.write_text(body.rstrip("\n") + "\n" + text, encoding="utf-8")


def make_folder(f: Path) -> Path:
    """An organisation's folder, at f, whose norms and advice add the 4-stage balance test:
    the data change, and nothing else."""
    shutil.copytree(norms_dir(), f / "norms")
    for name in ("battery.toml", "sources.toml", "body_readings.csv", "flags.csv"):
        _append(f / "norms" / name, (DATA / name).read_text(encoding="utf-8"))
    advice = (resources_dir() / "advice.toml").read_text(encoding="utf-8")
    old = 'tests = ["single_leg_stance", "up_and_go"]'
    assert old in advice
    (f / "advice.toml").write_text(
        advice.replace(old, 'tests = ["single_leg_stance", "up_and_go", "four_stage_balance"]'),
        encoding="utf-8",
    )
    return f


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The folder above, in use as this process's organisation folder."""
    monkeypatch.delenv(organisation.ENV, raising=False)
    monkeypatch.delenv("FFMOT_NORMS_DIR", raising=False)
    f = make_folder(tmp_path / "organisation")
    organisation.use(f)
    yield f
    organisation.use(None)


def test_the_new_test_goes_everywhere_a_test_goes(folder: Path, tmp_path: Path) -> None:
    from ffmot.core import entry, screening
    from ffmot.core.errors import InputError
    from ffmot.core.norms import default_norm_set
    from ffmot.report.sheet import sheet_pdf
    from ffmot.report.summary import summary_csv, summary_pdf
    from ffmot.services import records as R
    from ffmot.services.export import export_file
    from ffmot.services.overview import load_overview
    from ffmot.services.summary import summary_data
    from ffmot.services.transfer import import_file
    from ffmot.services.types import Actor
    from ffmot.store.db import connect
    from tests.report.conftest import flat, page_texts

    ns = default_norm_set()
    test = ns.test(TEST_ID)
    assert not ns.verified  # a local set, and it says so
    # Entry: the station's form, its live reading and the typed value's checks.
    form = entry.Form(test)
    assert [f.label for f in form.fields] == ["Result"]
    typed = form.parse(["2"])
    assert typed.trials == [(2.0, "result")] and not typed.problem
    assert "0 to 4" in form.parse(["5"]).problem
    live = form.live(typed, "", (), "female", 78, ns)
    assert live.counted == "2 stages"
    assert "heel-to-toe" in live.range_text
    # Screening: an answer that rules out standing tests rules it out too.
    standing = [q for q in screening.QUESTIONS if TEST_ID in q.excludes]
    assert standing, "no screening answer rules the new test out"

    db = connect(str(tmp_path / "ffmot.db"))
    actor = Actor("Sam Tester", "Station 1")
    day = R.create_event(
        db, actor, "Balance day", dt.date(2026, 6, 1), tests_offered=[TEST_ID, "chair_stand"]
    )
    p = R.register_participant(
        db,
        actor,
        "Ada",
        "Lovelace",
        dt.date(1948, 3, 2),
        "female",
        consents={"keep_results": True, "anonymous_reports": True},
    )
    visit = R.check_in(db, actor, p.id, day.id)
    R.record_screening(db, actor, visit.id, {q.id: False for q in screening.QUESTIONS})
    saved = R.save_result(db, actor, visit.id, TEST_ID, [(2, "result")])
    assert saved.value == 2 and saved.test_id == TEST_ID
    # Someone who needs help to stand is not given it: the screening rules it out, and the
    # store refuses a result for it.
    q = screening.QUESTION_BY_ID["cannot_stand_safely"]
    other_person = R.register_participant(
        db, actor, "Bea", "Smith", dt.date(1940, 5, 6), "female", consents={"keep_results": True}
    )
    careful = R.check_in(db, actor, other_person.id, day.id)
    answers = {x.id: x is q for x in screening.QUESTIONS}
    careful = R.record_screening(db, actor, careful.id, answers)
    assert careful.screening is not None and TEST_ID in careful.screening.excluded_tests
    refused = "4-stage balance cannot be entered: the safety screening rules this test out"
    with pytest.raises(InputError, match=refused):
        R.save_result(db, actor, careful.id, TEST_ID, [(4, "result")])

    # Export, and the export read back into an empty database.
    out = tmp_path / "day.csv"
    export_file(db, actor, out, "csv", event_id=day.id)
    text = out.read_text(encoding="utf-8")
    assert TEST_ID in text
    other = connect(str(tmp_path / "other.db"))
    import_file(other, actor, out, take_consents=True)
    again = R.get_assessment(other, visit.id)
    assert [(r.test_id, r.value) for r in again.results if r.done] == [(TEST_ID, 2.0)]

    # The sheet: the result, its reading, the flag's words, its source and the balance steps.
    o = load_overview(db, visit.id)
    pdf = sheet_pdf(o)
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    sheet = " ".join(flat(p) for p in page_texts(pdf))
    assert "4-stage balance" in sheet
    assert "heel-to-toe stance for 10 seconds" in sheet
    assert FLAG_WORDS in sheet
    assert "CDC STEADI 4-Stage Balance Test" not in sheet or "local" in sheet.lower()
    assert "Balance" in sheet and "worktop" in sheet  # the balance steps, from advice.toml

    # The MOT day's summary counts it.
    data = summary_data(db, day.id)
    flagged = [f for f in data.flags if f.id == "steadi_tandem_under_10s"]
    assert len(flagged) == 1 and flagged[0].label.startswith("4-stage balance")
    rows = summary_csv(data).decode("utf-8")
    assert "4-stage balance" in rows
    summary = " ".join(flat(p) for p in page_texts(summary_pdf(data)))
    assert "4-stage balance" in summary
    db.close()
    other.close()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('needs = ["flying"]', "needs 'flying', which is not one of the screening's abilities"),
        ('needs = "standing"', "'needs' must be a list of abilities"),
        ("offered = 1", "'offered' must be true or false"),
        ('change_words = { better = "more" }', "'change_words' must give better, worse"),
        (
            'change_words = { better = "{amount} {cm} more", worse = "less" }',
            "'change_words.better' must be words, with no fields but {amount} and {unit}",
        ),
        ('norms = "guesswork"', "norms must be one of sft, grip, single_leg_stance, readings"),
    ],
)
def test_a_mistake_in_a_new_test_is_named(tmp_path: Path, line: str, problem: str) -> None:
    from ffmot.core.errors import NormDataError
    from ffmot.core.norms import load_norm_set

    folder = tmp_path / "norms"
    shutil.copytree(norms_dir(), folder)
    added = (DATA / "battery.toml").read_text(encoding="utf-8")
    key = line.split(" = ")[0]
    kept = [x for x in added.splitlines() if not x.startswith(f"{key} = ")]
    _append(folder / "battery.toml", "\n".join([*kept, line]) + "\n")
    with pytest.raises(NormDataError) as e:
        load_norm_set(folder)
    assert problem in str(e.value) and "four_stage_balance" in str(e.value)
