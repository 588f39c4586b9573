"""PostgreSQL support is the `postgres` extra: without its driver, a shared database's address
gets a message that says what to install, not an unexpected error."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = "shared PostgreSQL databases need ffmot's postgres extra: pip install 'ffmot[postgres]'"

# A Python with psycopg uninstallable: a finder ahead of all others answers for psycopg (and its
# binary and C builds) exactly as the import system does for a module that is not there.
NO_PSYCOPG = textwrap.dedent(
    """
    import sys

    class NoPsycopg:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("psycopg", "psycopg_binary", "psycopg_c", "psycopg2"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoPsycopg())
    """
)


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FFMOT_")}
    env["HOME"] = str(tmp_path)
    for name in ("DATA", "CONFIG", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    return subprocess.run(
        [sys.executable, "-c", NO_PSYCOPG + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_connect_without_the_driver_names_the_extra(tmp_path):
    p = _run(
        """
        from ffmot.store.db import connect
        from ffmot.store.errors import StoreError
        try:
            connect("postgresql+psycopg://ffmot@127.0.0.1:9/ffmot")
        except StoreError as e:
            print("StoreError:", e)
        """,
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("StoreError: "), p.stdout
    assert EXPECTED in p.stdout


def test_the_command_line_says_it_in_one_line(tmp_path):
    p = _run(
        """
        from ffmot.app import main
        raise SystemExit(main(["--db", "postgresql://ffmot@127.0.0.1:9/ffmot", "events"]))
        """,
        tmp_path,
    )
    assert p.returncode not in (0, 1), (p.returncode, p.stderr)  # refused, not a fault
    assert EXPECTED in p.stderr
    assert "Traceback" not in p.stderr and "unexpected problem" not in p.stderr


def test_the_driver_is_really_blocked(tmp_path):
    p = _run("import psycopg", tmp_path)
    assert p.returncode == 1 and "No module named 'psycopg'" in p.stderr
