"""The database file itself: ffmot never acknowledges a save that is lost, and opens only
regular files as databases.

SQLite keeps writing through its open handle to a file whose name was deleted, and to the old
file when a sync tool or a copy-then-move swaps another file in under the same name: without a
check every later save is acknowledged and lost. A FIFO, a device or a symlink loop given as the
database must be refused with a clear message, and a file ffmot did not create is never chmod-ed
unless it is a regular file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from ffmot.services import records as R
from ffmot.store.db import connect
from ffmot.store.errors import StoreError

GONE = r"was deleted or replaced while ffmot was open: nothing more was saved"


def _events(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as c:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return sorted(r[0] for r in c.execute("SELECT name FROM event"))


# --- 1. the file deleted or replaced while ffmot is open -------------------------------------


def test_saves_after_the_file_is_deleted_are_refused_not_acknowledged(tmp_path, actor):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "Before", dt.date(2026, 5, 1))
    os.unlink(path)
    refused = 0
    for n in range(8):
        with pytest.raises(StoreError, match=GONE) as caught:
            R.create_event(db, actor, f"After {n}", dt.date(2026, 5, 1))
        refused += 1
        assert str(path) in str(caught.value)
        assert "restore a backup" in str(caught.value)
    assert refused == 8
    # A fresh connection (the pool may open one at any time) does not make an empty file there.
    db.engine.dispose()
    with pytest.raises(StoreError, match=GONE):
        R.create_event(db, actor, "After dispose", dt.date(2026, 5, 1))
    assert not path.exists()
    db.close()


def test_saves_after_the_file_is_replaced_by_rename_are_refused(tmp_path, actor):
    """What a sync tool or a copy-then-move does: another file takes the name by rename."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "Before", dt.date(2026, 5, 1))
    with db.engine.connect() as c:  # the copy has everything so far in the main file
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(path, tmp_path / "synced.db")
    os.replace(tmp_path / "synced.db", path)
    for n in range(3):
        with pytest.raises(StoreError, match=GONE):
            R.create_event(db, actor, f"After {n}", dt.date(2026, 5, 1))
    db.close()
    # Nothing refused crept into the file now at that name, and it is sound.
    assert _events(path) == ["Before"]
    db = connect(str(path))  # opened again, it works as normal
    R.create_event(db, actor, "Reopened", dt.date(2026, 5, 1))
    db.close()
    assert _events(path) == ["Before", "Reopened"]


def test_the_same_file_renamed_away_and_back_still_saves(tmp_path, actor):
    """The check is which file it is, not its name's history: the same file put back in place
    is the database, and saving goes on."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "One", dt.date(2026, 5, 1))
    os.rename(path, tmp_path / "aside.db")
    os.rename(tmp_path / "aside.db", path)
    R.create_event(db, actor, "Two", dt.date(2026, 5, 1))
    db.close()
    assert _events(path) == ["One", "Two"]
