import os

# Qt (later) must never look for a display; set before anything imports it. The offscreen
# screen is a 1366x768 laptop's (Qt's own default is 800x800), so a window sized for a laptop or
# a 1024x768 projector in a test really is that size.
os.environ.setdefault(
    "QT_QPA_PLATFORM",
    "offscreen:configfile=" + os.path.join(os.path.dirname(__file__), "offscreen-screen.json"),
)


# -- A real, private PostgreSQL server (tests/pgserver.py) ------------------------------------
# pg_server: one throwaway cluster for the whole session, stopped and deleted at the end.
# pg_url: the SQLAlchemy URL of a brand-new empty database, dropped after the test.
# No PostgreSQL binaries is an error, so CI cannot silently test SQLite only; a developer
# without them may set FFMOT_SKIP_POSTGRES=1 to skip these tests instead.

import itertools
import re
from collections.abc import Iterator

import pytest

from tests.pgserver import PostgresServer, find_bindir, not_found_message

_pg_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("FFMOT_SKIP_POSTGRES") == "1":
            pytest.skip(f"FFMOT_SKIP_POSTGRES=1: {not_found_message()}")
        pytest.fail(
            f"{not_found_message()} Or set FFMOT_SKIP_POSTGRES=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )
    with PostgresServer(bindir) as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")
    name = f"t{next(_pg_database_numbers)}_{slug}"[:63]
    url = pg_server.create_database(name)
    yield url
    pg_server.drop_database(name)
