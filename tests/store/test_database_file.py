"""Where the data lives and how the file is protected: permissions, migrations, bad files."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from ffmot.services import records as R
from ffmot.store.db import connect, current_revision, known_revisions, upgrade_to
from ffmot.store.errors import StoreError
from ffmot.store.models import Base
from tests.helpers import raw_sqlite


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_new_sqlite_file_is_owner_only_with_wal_and_foreign_keys(tmp_path, actor):
    path = tmp_path / "station" / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "MOT day", dt.date(2026, 5, 1))
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        for f in path.parent.iterdir():  # the file, and its -wal and -shm while open
            assert mode(f) == 0o600, f
    assert mode(path.parent) == 0o700
    db.close()


def test_an_existing_file_with_loose_permissions_is_tightened(tmp_path):
    path = tmp_path / "ffmot.db"
    connect(str(path)).close()
    path.chmod(0o644)
    connect(str(path)).close()
    assert mode(path) == 0o600


def test_default_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FFMOT_DATABASE_URL", str(tmp_path / "from-env.db"))
    db = connect(None)
    assert db.path == tmp_path / "from-env.db"
    db.close()
    monkeypatch.delenv("FFMOT_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    db = connect(None)
    assert db.path == tmp_path / "xdg" / "ffmot" / "ffmot.db"
    db.close()


def test_migrations_build_exactly_the_models(db):
    with db.engine.connect() as c:
        diffs = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diffs == []
    assert current_revision(db) == known_revisions()[1]


def test_upgrade_from_the_first_schema_keeps_the_data(db_url):
    db = connect(db_url, upgrade=False)
    upgrade_to(db, "0001")
    now = "2026-05-01 10:00:00+00:00"
    with db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO participant (id, code, given_name, family_name, date_of_birth, sex, "
                "notes, created_at, updated_at, version) VALUES ('11111111-1111-4111-8111-"
                "111111111111', 'K7PM4QX', 'Ada', 'Sampleton', '1950-03-14', 'female', '', :t, :t, "
                "1)"
            ),
            {"t": now},
        )
        c.execute(
            text(
                "INSERT INTO event (id, name, date, venue, organisation, tests_offered, "
                "norm_set_version, activities_directory, created_at, updated_at, version) VALUES "
                "('22222222-2222-4222-8222-222222222222', 'Old day', '2026-05-01', '', '', "
                "'[\"grip\"]', '2026.11-1', '', :t, :t, 1)"
            ),
            {"t": now},
        )
    assert current_revision(db) == "0001"
    db.close()
    db = connect(db_url)  # upgrades on first use
    assert current_revision(db) == known_revisions()[1]
    rows = R.search_participants(db, "samp")
    assert [r.name for r in rows] == ["Ada Sampleton"]
    assert [e.name for e in R.list_events(db)] == ["Old day"]
    assert R.list_events(db)[0].training is False
    db.close()


def test_a_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "ffmot.db"
    connect(str(path)).close()
    set_schema(path, "0999")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"newer version of ffmot.*left untouched"):
        connect(str(path))
    assert path.read_bytes() == before


def test_newer_postgres_database_is_refused(pg_url):
    connect(pg_url).close()
    e = create_engine(pg_url)
    with e.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    e.dispose()
    with pytest.raises(StoreError, match="newer version"):
        connect(pg_url)


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"Dear diary, today I did 12 chair stands.\n" * 20)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not an ffmot database"):
        connect(str(path))
    assert path.read_bytes() == before


def test_a_damaged_database_is_refused_untouched(tmp_path, actor):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    R.create_event(db, actor, "MOT day", dt.date(2026, 5, 1))
    db.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # keep the magic header, wreck the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"damaged|not an ffmot database"):
        connect(str(path))
    assert path.read_bytes() == bytes(data)


def test_someone_elses_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    c = raw_sqlite(path)
    c.execute("CREATE TABLE recipes (name TEXT)")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="not ffmot's"):
        connect(str(path))


def test_unreachable_postgres_is_a_clear_message():
    with pytest.raises(StoreError, match="cannot reach the shared database"):
        connect("postgresql+psycopg://nobody@127.0.0.1:1/none")


def set_schema(path: Path, revision: str) -> None:
    """Marks a SQLite file as written at another schema revision, fully flushed to the file."""
    c = raw_sqlite(path)
    c.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
