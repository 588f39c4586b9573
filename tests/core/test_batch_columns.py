"""`score --batch` scores a chunk whose every row parses a column at a time; the cells it
writes must be exactly those the row-by-row scoring writes (which a chunk with any row that
cannot be scored still uses, to tell each row its own first problem)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from ffmot.core import batch
from ffmot.core.norms import default_norm_set

HEADER = ["test", "sex", "age", "dob", "date", "value", "unit", "note"]
TODAY = dt.date(2026, 6, 1)

# (test as typed, units as typed, low, high, whole numbers)
TYPED = [
    ("chair_stand", [""], 0, 40, True),
    ("Arm_Curl", ["", "count"], 0, 40, True),
    ("grip", ["kg", "lb", " KG "], 4, 70, False),
    ("up_and_go", ["s", ""], 2.5, 30, False),
    ("single_leg_stance", ["s"], 0, 30, False),
    ("step_2min", [""], 10, 160, True),
    ("walk_6min", ["m", "yd"], 100, 800, False),
    ("sit_and_reach", ["cm", "in"], -15, 15, False),
    ("back_scratch", ["cm", "in"], -15, 8, False),
    ("bmi", ["kg/m2", ""], 16, 45, False),
    ("waist", ["cm"], 45, 140, False),
    ("Waist", ["in"], 18, 55, False),
    ("activity", ["min/week", "h/week"], 0, 20, True),
]


def _rows(rng: random.Random, n: int, with_dates: bool) -> list[list[str]]:
    rows = []
    for _ in range(n):
        test, units, lo, hi, whole = rng.choice(TYPED)
        value = rng.randint(int(lo), int(hi)) if whole else round(rng.uniform(lo, hi), 1)
        age = rng.randint(55, 99)  # some outside the norms' ages: not compared, said why
        sex = rng.choice(["F", "M", "female", "male", "not_stated", " f"])
        dob = date = ""
        if with_dates and rng.random() < 0.5:
            born = dt.date(2026 - age - 1, rng.randint(1, 12), rng.randint(1, 28))
            dob, date, age_text = born.isoformat(), "2026-05-01", ""
        else:
            age_text = str(age)
        rows.append([test, sex, age_text, dob, date, str(value), rng.choice(units), "x"])
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_a_clean_chunk_scored_a_column_at_a_time_matches_row_by_row(seed):
    ns = default_norm_set()
    rng = random.Random(seed)
    block = _rows(rng, 3_000, with_dates=seed % 2 == 1)
    where = {h: i for i, h in enumerate(HEADER)}
    groups = batch._clean_block([list(r) for r in block], len(HEADER), where, ns, TODAY)
    assert groups is not None  # every row parses: the column path is taken
    by_columns = batch._score_block([list(r) for r in block], len(HEADER), where, ns, TODAY)
    by_rows = batch._score_rows([list(r) for r in block], len(HEADER), where, ns, TODAY)
    assert by_columns == by_rows
    bands = {r[len(HEADER) + batch.OUTPUT_COLUMNS.index("band")] for r in by_rows}
    assert {"not_classified", "error"} & bands == {"not_classified"}  # said why, not refused
    assert any(r[len(HEADER) + batch.OUTPUT_COLUMNS.index("flags")] for r in by_rows)


@pytest.mark.parametrize(
    "bad",
    [
        ["grip", "F", "70", "", "", "", "kg", "x"],  # no value
        ["grip", "F", "70", "", "", "20", "stone", "x"],  # a unit grip is not given in
        ["grip", "F", "70", "", "", "900", "kg", "x"],  # impossible
        ["nap", "F", "70", "", "", "20", "", "x"],  # no such test
        ["grip", "Q", "70", "", "", "20", "kg", "x"],  # no such sex
        ["grip", "F", "", "", "", "20", "kg", "x"],  # no age
        ["grip", "F", "70", "", "", "20", "kg", "x", "extra"],  # wider than the header
        ["grip", "F", "70"],  # narrower: padded
    ],
)
def test_a_chunk_with_a_row_that_cannot_be_scored_is_told_row_by_row(bad):
    ns = default_norm_set()
    block = [*_rows(random.Random(1), 50, with_dates=False), bad]
    where = {h: i for i, h in enumerate(HEADER)}
    assert batch._clean_block([list(r) for r in block], len(HEADER), where, ns, TODAY) is None
    out = batch._score_block([list(r) for r in block], len(HEADER), where, ns, TODAY)
    assert out == batch._score_rows([list(r) for r in block], len(HEADER), where, ns, TODAY)
    assert all(len(r) == len(HEADER) + len(batch.OUTPUT_COLUMNS) for r in out)


def test_no_cycle_collection_runs_while_a_chunk_is_read_and_scored():
    # Each chunk makes a list per row and more besides, none in a cycle: Python's collector
    # walked them all again and again (about a tenth of a million-row batch's time). It is
    # paused while a chunk is read and scored, and left as it was found.
    import gc

    ns = default_norm_set()
    collections: list[str] = []
    scoring = [False]

    def seen(phase: str, _info: dict) -> None:
        if phase == "start" and scoring[0]:
            collections.append(phase)

    def rows():  # type: ignore[no-untyped-def]
        scoring[0] = True
        yield from _rows(rng, 30_000, False)

    rng = random.Random(3)
    gc.callbacks.append(seen)
    try:
        scored = 0
        for chunk in batch.score_table(HEADER, rows(), ns, TODAY, chunk=10_000):
            scoring[0] = False
            assert gc.isenabled()
            scored += len(chunk)
            scoring[0] = True
        assert scored == 30_000 and collections == []
        gc.disable()
        list(batch.score_table(HEADER, iter([["grip", "F", "70", "", "", "20", "kg", ""]]), ns))
        assert not gc.isenabled()  # as it was found
    finally:
        gc.enable()
        gc.callbacks.remove(seen)


def test_the_collector_comes_back_when_reading_fails():
    import gc

    def broken():  # type: ignore[no-untyped-def]
        yield ["grip", "F", "70", "", "", "20", "kg", ""]
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        list(batch.score_table(HEADER, broken(), default_norm_set(), TODAY))
    assert gc.isenabled()
