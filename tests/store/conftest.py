from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ffmot.services.types import Actor
from ffmot.store.db import Database, connect


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a real SQLite file and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "ffmot.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    d = connect(db_url)
    yield d
    d.close()


@pytest.fixture
def actor() -> Actor:
    return Actor("Sam Tester", "Station 1")
