"""Import streams: the file is checked in one pass and written in a second, a batch of rows at
a time in one transaction, so its memory does not grow with the file, a previous visit may
come after its retest, and a problem in a late batch still leaves nothing imported. Real
SQLite and PostgreSQL, real files."""

from __future__ import annotations

import csv
import datetime as dt
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ffmot.demo import generate
from ffmot.services import transfer
from ffmot.services.demo_load import load_demo
from ffmot.services.export import export_file
from ffmot.services.transfer import ImportRefused, import_file
from ffmot.store.db import Database, connect
from ffmot.store.models import Assessment, Participant, Result

TODAY = dt.date(2026, 6, 1)


def _export(tmp_path: Path, actor, people: int, name: str) -> Path:
    db = connect(str(tmp_path / f"{name}-source.db"))
    try:
        load_demo(db, actor, generate(people, seed=7, today=TODAY))
        out = tmp_path / f"{name}.csv"
        export_file(db, actor, out, "csv")
        return out
    finally:
        db.close()


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _links(db: Database) -> dict[str, str | None]:
    with db.transaction() as s:
        return {a: b for a, b in s.execute(select(Assessment.id, Assessment.previous_id))}


def _counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as s:
        return (
            s.scalar(select(func.count(Participant.id))) or 0,
            s.scalar(select(func.count(Assessment.id))) or 0,
            s.scalar(select(func.count(Result.id))) or 0,
        )


def _thirty(tmp_path: Path, actor) -> tuple[dict[str, str | None], list[str], list[list[str]]]:
    """Thirty demo people exported: their visits' previous visits, the header and the rows."""
    source = connect(str(tmp_path / "source.db"))
    try:
        load_demo(source, actor, generate(30, seed=7, today=TODAY))
        export_file(source, actor, tmp_path / "all.csv", "csv")
        links = _links(source)
    finally:
        source.close()
    return (links, *_rows(tmp_path / "all.csv"))


def _day(tmp_path: Path, actor, people: int) -> tuple[list[str], list[list[str]], dict[str, int]]:
    """A demo database of `people` exported: the header, the rows and each column's place."""
    header, rows = _rows(_export(tmp_path, actor, people, "day"))
    return header, rows, {c: i for i, c in enumerate(header)}


def _peak(db: Database, actor, path: Path) -> int:
    tracemalloc.start()
    try:
        import_file(db, actor, path, take_consents=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file(tmp_path, actor, monkeypatch):
    monkeypatch.setattr(transfer, "ROWS", 40)  # a small file already spans several batches
    small = _export(tmp_path, actor, 15, "small")
    large = _export(tmp_path, actor, 90, "large")
    warm = connect(str(tmp_path / "warm.db"))
    a = connect(str(tmp_path / "a.db"))
    b = connect(str(tmp_path / "b.db"))
    try:
        import_file(warm, actor, small, take_consents=True)  # first-use imports and caches
        small_peak = _peak(a, actor, small)
        large_peak = _peak(b, actor, large)
        assert _counts(b)[2] > 5 * _counts(a)[2]  # six times the people, the rows to match
    finally:
        for db in (warm, a, b):
            db.close()
    # Held whole, the rows of the large file peaked 6.6 MB above the small one's (about 7 KB a
    # row); what is left grows by a few small entries a visit and a result, not by the rows.
    assert large_peak - small_peak < 1_500_000, (small_peak, large_peak)


def test_a_previous_visit_after_its_retest_in_a_later_batch_is_linked(
    db_url, tmp_path, actor, monkeypatch
):
    monkeypatch.setattr(transfer, "ROWS", 7)
    expected, header, rows = _thirty(tmp_path, actor)
    assert sum(v is not None for v in expected.values()) >= 3  # retests, to be linked
    backwards = _write(tmp_path / "backwards.csv", header, rows[::-1])  # retests come first
    db = connect(db_url)
    try:
        import_file(db, actor, backwards, take_consents=True)
        assert _links(db) == expected
    finally:
        db.close()


def test_a_previous_visit_in_a_later_batch_that_is_someone_elses_is_refused(
    db_url, tmp_path, actor, monkeypatch
):
    monkeypatch.setattr(transfer, "ROWS", 7)
    _links_there, header, rows = _thirty(tmp_path, actor)
    rows = rows[::-1]
    col = {c: i for i, c in enumerate(header)}
    retest = next(r for r in rows if r[col["previous_assessment_id"]])
    # Someone else's visit, near the end of the (reversed) file: in a later batch than this row.
    other = next(
        r[col["assessment_id"]]
        for r in reversed(rows)
        if r[col["participant_id"]] != retest[col["participant_id"]]
    )
    for r in rows:
        if r[col["assessment_id"]] == retest[col["assessment_id"]]:
            r[col["previous_assessment_id"]] = other
    path = _write(tmp_path / "wrong.csv", header, rows)
    db = connect(db_url)
    try:
        with pytest.raises(ImportRefused) as e:
            import_file(db, actor, path, take_consents=True)
        assert "(previous_assessment_id) is" in str(e.value.problems)
        assert _counts(db) == (0, 0, 0)  # the batches written before it are rolled back
    finally:
        db.close()


def test_a_problem_in_the_last_batch_leaves_nothing_imported(db_url, tmp_path, actor, monkeypatch):
    monkeypatch.setattr(transfer, "ROWS", 10)
    header, rows, col = _day(tmp_path, actor, 20)
    db = connect(db_url)
    try:
        # The last visit's person is here already with another date of birth.
        last = rows[-1]
        import_file(
            db,
            actor,
            _write(
                tmp_path / "one.csv",
                header,
                [r for r in rows if r[col["participant_id"]] == last[col["participant_id"]]][:1],
            ),
            take_consents=True,
        )
        before = _counts(db)
        for r in rows:
            if r[col["participant_id"]] == last[col["participant_id"]]:
                r[col["date_of_birth"]] = "1931-01-01"
        with pytest.raises(ImportRefused) as e:
            import_file(db, actor, _write(tmp_path / "all.csv", header, rows), take_consents=True)
        assert "is already here with other details" in str(e.value.problems)
        assert _counts(db) == before
    finally:
        db.close()


def test_a_repeated_result_row_that_differs_is_refused_by_line(db, tmp_path, actor):
    header, rows, col = _day(tmp_path, actor, 6)
    row = next(r for r in rows if r[col["value"]])
    again = list(row)
    again[col["value"]] = str(float(row[col["value"]]) + 1)
    with pytest.raises(ImportRefused) as e:
        import_file(
            db, actor, _write(tmp_path / "twice.csv", header, [*rows, again]), take_consents=True
        )
    assert any(
        f"line {len(rows) + 2}:" in p and "differs from line" in p for p in e.value.problems
    ), e.value.problems
    assert _counts(db) == (0, 0, 0)


def test_a_file_changed_between_the_passes_is_refused_whole(tmp_path, actor, monkeypatch):
    path = _export(tmp_path, actor, 8, "day")
    header, rows = _rows(path)
    checking = transfer._check_file

    def then_changed(p: Path, ns):  # another program rewrites the file after it was checked
        checked = checking(p, ns)
        _write(p, header, rows[: len(rows) // 2])
        return checked

    monkeypatch.setattr(transfer, "_check_file", then_changed)
    db = connect(str(tmp_path / "here.db"))
    try:
        with pytest.raises(transfer.InputError, match="changed while it was being imported"):
            import_file(db, actor, path, take_consents=True)
        assert _counts(db) == (0, 0, 0)
    finally:
        db.close()


def test_two_people_given_one_code_in_the_file_are_refused_by_line(db, tmp_path, actor):
    header, rows, col = _day(tmp_path, actor, 6)
    first, second = sorted({r[col["participant_id"]] for r in rows})[:2]
    code = next(r[col["participant_code"]] for r in rows if r[col["participant_id"]] == first)
    for r in rows:
        if r[col["participant_id"]] == second:
            r[col["participant_code"]] = code
    with pytest.raises(ImportRefused) as e:
        import_file(db, actor, _write(tmp_path / "one-code.csv", header, rows), take_consents=True)
    assert any(f"code {code} is another participant's (line" in p for p in e.value.problems)
    assert _counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("column", "bad", "says"),
    [
        ("result_station", "Station\x1b[31m", "result_station holds"),
        ("value", "lots", "value 'lots'"),
        ("done", "maybe", "done must be yes or no"),
    ],
)
def test_a_visits_later_row_has_its_result_checked_as_fully_as_the_first(
    tmp_path, actor, column, bad, says
):
    # A visit's later rows share its parsed person, day and visit: their own result cells are
    # still checked, and a problem is named by its own line.
    header, rows, col = _day(tmp_path, actor, 4)
    at = next(
        i
        for i in range(1, len(rows))
        if rows[i][col["assessment_id"]] == rows[i - 1][col["assessment_id"]]
        and rows[i][col["done"]] == "yes"
    )
    rows[at][col[column]] = bad
    db = connect(str(tmp_path / "here.db"))
    try:
        with pytest.raises(ImportRefused) as e:
            import_file(db, actor, _write(tmp_path / "bad.csv", header, rows), take_consents=True)
        assert [p for p in e.value.problems if says in p] == [
            p for p in e.value.problems if p.startswith(f"line {at + 2}:")
        ], e.value.problems
        assert any(says in p for p in e.value.problems), e.value.problems
        assert _counts(db) == (0, 0, 0)
    finally:
        db.close()
