import atexit
import os
import shutil
import tempfile

# Qt (later) must never look for a display; set before anything imports it. The offscreen
# screen is a 1366x768 laptop's (Qt's own default is 800x800), so a window sized for a laptop or
# a 1024x768 projector in a test really is that size.
os.environ.setdefault(
    "QT_QPA_PLATFORM",
    "offscreen:configfile=" + os.path.join(os.path.dirname(__file__), "offscreen-screen.json"),
)

# Settings and the keys of the databases the tests make (ffmot/store/keys.py) go to a folder of
# this run's own, never the account's real settings; a test may still give its own.
if "XDG_CONFIG_HOME" not in os.environ:
    _CONFIG = tempfile.mkdtemp(prefix="ffmot-tests-config-")
    os.environ["XDG_CONFIG_HOME"] = _CONFIG
    atexit.register(shutil.rmtree, _CONFIG, True)
# The log (ffmot/core/logs.py, in the system's state folder) likewise.
if "XDG_STATE_HOME" not in os.environ:
    _STATE = tempfile.mkdtemp(prefix="ffmot-tests-state-")
    os.environ["XDG_STATE_HOME"] = _STATE
    atexit.register(shutil.rmtree, _STATE, True)


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


def _pg_database(
    pg_server: PostgresServer, request: pytest.FixtureRequest, icu_locale: str | None = None
) -> Iterator[str]:
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")
    name = f"t{next(_pg_database_numbers)}_{slug}"[:63]
    url = pg_server.create_database(name, icu_locale)
    yield url
    pg_server.drop_database(name)


@pytest.fixture
def pg_url(pg_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _pg_database(pg_server, request)


@pytest.fixture
def pg_icu_url(pg_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database whose default collation ignores spaces (ICU en-GB, alternate shifted), as a
    PostgreSQL cluster set up in en_GB.UTF-8 sorts text."""
    yield from _pg_database(pg_server, request, "en-GB-u-ka-shifted")


# -- The hostile-input report (tests/hostile/ledger.py) ----------------------------------------
# Generated attacks write to the ledger themselves; tests marked @pytest.mark.hostile("attack")
# are the named cases the issue saw, counted here as they pass or fail.

from tests.hostile import ledger as _ledger  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hostile(attack): a named hostile-input case, counted in the hostile report"
    )
    # Run in several processes (pytest-xdist, as `make test` does), each worker writes its
    # ledger to a folder of this run's own at its end, and the main process adds them up for
    # the report. Workers inherit the folder's name from this process's environment.
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
        folder = tempfile.mkdtemp(prefix="ffmot-tests-ledger-")
        os.environ["FFMOT_LEDGER_DIR"] = folder
        atexit.register(shutil.rmtree, folder, True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = getattr(session.config, "workerinput", None)
    folder = os.environ.get("FFMOT_LEDGER_DIR")
    if worker is not None and folder:
        from pathlib import Path

        _ledger.write_json(Path(folder) / f"{worker['workerid']}.json")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("hostile")
    if marker is None or report.skipped:
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        _ledger.named_case(marker.args[0], passed=report.passed)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    folder = os.environ.get("FFMOT_LEDGER_DIR")
    if folder and not hasattr(config, "workerinput"):
        from pathlib import Path

        for part in sorted(Path(folder).glob("*.json")):
            _ledger.add_json(part)
    lines = _ledger.report_lines()
    if not lines:
        return
    terminalreporter.section("hostile-input report")
    for line in lines:
        terminalreporter.write_line(line)
    if os.environ.get("FFMOT_HOSTILE_REPORT"):
        from pathlib import Path

        _ledger.write_json(Path(os.environ["FFMOT_HOSTILE_REPORT"]))
