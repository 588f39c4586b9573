"""Merge streams: a station file's tables are read a page at a time, so the memory a merge
takes does not grow with the station file, and paging loses or repeats no record, including in
a file whose tables were made by hand without SQLite's row ids. Real files, real merges."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ffmot.demo import generate
from ffmot.services import merge as merging
from ffmot.services.demo_load import load_demo
from ffmot.services.merge import merge
from ffmot.store.db import Database, connect
from ffmot.store.models import Assessment, Consent, Participant, Result, Screening, Trial
from tests.helpers import raw_sqlite

TODAY = dt.date(2026, 6, 1)
TABLES = (Participant, Consent, Assessment, Screening, Result, Trial)


def _station(path: Path, actor, people: int) -> Path:
    db = connect(str(path))
    try:
        load_demo(db, actor, generate(people, seed=11, today=TODAY))
    finally:
        db.close()
    return path


def _counts(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0 for m in TABLES}


def _peak(hub: Database, actor, path: Path) -> int:
    tracemalloc.start()
    try:
        merge(hub, actor, str(path))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_station_file(tmp_path, actor, monkeypatch):
    monkeypatch.setattr(merging, "PAGE", 20)  # a small station file already spans many pages
    small = _station(tmp_path / "small.db", actor, 15)
    large = _station(tmp_path / "large.db", actor, 90)
    warm, a, b = (connect(str(tmp_path / f"{n}.db")) for n in ("warm", "a", "b"))
    try:
        merge(warm, actor, str(small))  # first-use imports and caches
        small_peak = _peak(a, actor, small)
        large_peak = _peak(b, actor, large)
        assert _counts(b)["result"] > 5 * _counts(a)["result"]
    finally:
        for db in (warm, a, b):
            db.close()
    # Read whole, the tables of the large file peaked 1.7 MB above the small one's (84 KB now).
    assert large_peak - small_peak < 1_000_000, (small_peak, large_peak)


@pytest.mark.parametrize("made_by_hand", ["", "without rowid", "a column named oid"])
def test_paging_brings_every_record_once(tmp_path, actor, monkeypatch, made_by_hand):
    monkeypatch.setattr(merging, "PAGE", 7)
    path = _station(tmp_path / "station.db", actor, 12)
    source = connect(str(path))
    try:
        expected = _counts(source)
    finally:
        source.close()
    if made_by_hand:
        con = raw_sqlite(path)
        (create,) = con.execute("SELECT sql FROM sqlite_master WHERE name = 'result'").fetchone()
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("ALTER TABLE result RENAME TO result_old")
        if made_by_hand == "without rowid":
            con.execute(create + " WITHOUT ROWID")
        else:
            con.execute(create)
            con.execute("ALTER TABLE result ADD COLUMN oid TEXT")
        columns = ", ".join(r[1] for r in con.execute("PRAGMA table_info(result_old)"))
        con.execute(f"INSERT INTO result ({columns}) SELECT {columns} FROM result_old")
        if made_by_hand != "without rowid":
            con.execute("UPDATE result SET oid = 'same'")  # no use as a key to page by
        con.execute("DROP TABLE result_old")
        con.commit()
        con.close()
    hub = connect(str(tmp_path / "hub.db"))
    try:
        report = merge(hub, actor, str(path))
        assert report.bad == []
        assert _counts(hub) == expected
        assert report.added["result"] == expected["result"]
    finally:
        hub.close()
