"""The private PostgreSQL server the store tests run against (tests/pgserver.py, conftest.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.pgserver import PostgresServer

_seen_urls: set[str] = set()


def test_pg_url_is_a_real_postgresql_database_we_can_write_and_read(pg_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg://app@127.0.0.1:")
    metadata = sa.MetaData()
    people = sa.Table(
        "people",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    engine = sa.create_engine(pg_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(people.insert(), [{"name": "Agnes"}, {"name": "Bruce"}])
        with engine.connect() as conn:
            names = conn.execute(sa.select(people.c.name).order_by(people.c.id)).scalars().all()
            version = conn.execute(sa.text("SHOW server_version")).scalar_one()
            superuser = conn.execute(sa.text("SHOW is_superuser")).scalar_one()
        assert names == ["Agnes", "Bruce"]
        assert engine.dialect.name == "postgresql"
        assert int(version.split(".")[0]) >= 13
        assert superuser == "on"
    finally:
        engine.dispose()


@pytest.mark.parametrize("run", [1, 2])
def test_each_pg_url_is_a_new_empty_database(pg_url: str, run: int) -> None:
    # Whichever run comes second would find the first one's table if databases were shared.
    assert pg_url not in _seen_urls
    _seen_urls.add(pg_url)
    engine = sa.create_engine(pg_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE marker (run integer)"))
            conn.execute(sa.text("INSERT INTO marker VALUES (:run)"), {"run": run})
    finally:
        engine.dispose()


def test_two_databases_do_not_see_each_other(pg_server: PostgresServer) -> None:
    first, second = (pg_server.create_database(n) for n in ("sep_first", "sep_second"))
    assert first != second
    engines = [sa.create_engine(first), sa.create_engine(second)]
    try:
        with engines[0].begin() as conn:
            conn.execute(sa.text("CREATE TABLE only_here (x integer)"))
        assert sa.inspect(engines[0]).get_table_names() == ["only_here"]
        assert sa.inspect(engines[1]).get_table_names() == []
    finally:
        for engine in engines:
            engine.dispose()
        pg_server.drop_database("sep_first")
        pg_server.drop_database("sep_second")


def test_a_stopped_server_leaves_nothing_behind(pg_server: PostgresServer) -> None:
    # A second, short-lived server (pg_server only so that missing binaries fail or skip alike).
    with PostgresServer(pg_server.bindir) as server:
        port, folder = server.port, server.folder
        assert port is not None and folder is not None
        assert (folder / "data" / "postmaster.pid").exists()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    assert server.port is None
    assert not Path(folder).exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
