"""The `ffmot` command under hostile conditions: a reader that goes away, a killed parent, a real
database near the README's screenshot staging, and a sweep of hostile command lines.

Real processes and real files throughout: nothing is mocked.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import ffmot


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A private home, data and settings folder; never FFMOT_DEBUG (a person's view)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FFMOT_DEBUG", "FFMOT_DATABASE_URL", "DISPLAY", "WAYLAND_DISPLAY")
    }
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
        XDG_CACHE_HOME=str(tmp_path / "home" / "cache"),
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database, made once by the command itself."""
    path = tmp_path_factory.mktemp("hostile") / "demo.db"
    p = ffmot("--db", str(path), "demo", "--participants", "30", "--seed", "3")
    assert p.returncode == 0, p.stderr
    return path


# --- 1. a reader that goes away -----------------------------------------------------------------

# Commands whose output a script might pipe into `head`: a short one, a long one, JSON, and the
# help text (written by argparse, not by a verb).
PIPED = [
    ("participants",),
    ("participants", "--limit", "1000"),
    ("events", "--json"),
    ("norms",),
    ("norms", "show", "grip"),
    ("score", "--test", "grip", "--sex", "male", "--age", "70", "--value", "30", "--json"),
    ("--help",),
]


@pytest.mark.parametrize("args", PIPED, ids=lambda a: " ".join(a))
def test_a_reader_that_has_already_gone_ends_the_command_quietly(args, demo_db, tmp_path):
    """`ffmot participants | head -1`, at its most abrupt: the reading end of the pipe is closed
    before ffmot writes a byte."""
    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run(
            [sys.executable, "-m", "ffmot", "--db", str(demo_db), *args],
            stdout=w,
            stderr=subprocess.PIPE,
            env=_env(tmp_path),
            timeout=60,
        )
    finally:
        os.close(w)
    assert p.returncode in (0, 141), (p.returncode, p.stderr)
    assert p.stderr == b"", p.stderr.decode(errors="replace")


def test_head_reading_one_line_ends_the_command_quietly(demo_db, tmp_path):
    """A reader that takes the first line and closes the pipe while ffmot is still writing."""
    src = subprocess.Popen(
        [sys.executable, "-m", "ffmot", "--db", str(demo_db), "participants", "--limit", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
    )
    assert src.stdout is not None and src.stderr is not None
    first = src.stdout.readline()
    src.stdout.close()  # what `head -1` does after its line
    err = src.stderr.read()
    code = src.wait(timeout=60)
    assert first.startswith(b"code")
    assert code in (0, 141), (code, err)
    assert err == b"", err.decode(errors="replace")


def _rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
        tables = [r[0] for r in c.execute("select name from sqlite_master where type='table'")]
        return {t: c.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


# --- 2. README screenshots never touch a real database ------------------------------------------


@pytest.fixture
def real_db(tmp_path: Path) -> Path:
    """Somebody's real database: one person in it."""
    path = tmp_path / "real" / "ffmot.db"
    path.parent.mkdir()
    p = ffmot("--db", str(path), "demo", "--participants", "1", "--seed", "5")
    assert p.returncode == 0, p.stderr
    return path


def _screenshot(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "ffmot", *args],
        capture_output=True,
        text=True,
        env=env or _env(tmp_path, QT_QPA_PLATFORM="offscreen"),
        timeout=180,
    )


def test_screenshot_staging_refuses_a_database_named_with_db(real_db, tmp_path):
    before, rows = real_db.read_bytes(), _rows(real_db)
    folder = sorted(p.name for p in real_db.parent.iterdir())
    shot = tmp_path / "board.png"
    p = _screenshot(
        tmp_path, "--db", str(real_db), "gui", "--screenshot", str(shot), "--view", "board"
    )
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("ffmot: ") and "--db" in p.stderr and "Traceback" not in p.stderr
    assert real_db.read_bytes() == before and _rows(real_db) == rows
    assert sorted(p.name for p in real_db.parent.iterdir()) == folder  # no journal, no copy
    assert not shot.exists()


def test_screenshot_staging_uses_its_own_database_and_leaves_nothing_behind(real_db, tmp_path):
    """The station's database named by FFMOT_DATABASE_URL stays as it was; the staging database
    (made up people, sheets marked printed) is made in a temporary folder and removed."""
    before, rows = real_db.read_bytes(), _rows(real_db)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = _env(
        tmp_path, QT_QPA_PLATFORM="offscreen", FFMOT_DATABASE_URL=str(real_db), TMPDIR=str(scratch)
    )
    shot = tmp_path / "board.png"
    p = _screenshot(tmp_path, "gui", "--screenshot", str(shot), "--view", "board", env=env)
    assert p.returncode == 0, p.stderr
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert real_db.read_bytes() == before and _rows(real_db) == rows
    assert list(scratch.iterdir()) == []


# --- 3. `ffmot sheets` killed: its worker processes end with it -----------------------------------


def _children(pid: int) -> list[int]:
    """The processes whose parent is pid (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _stat(int(entry))[1:2] == [str(pid)]:
            found.append(int(entry))
    return found


def _stat(pid: int) -> list[str]:
    """State, parent id, ... of a process; [] once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2 :].split()


def _running(pid: int) -> bool:
    state = _stat(pid)
    return bool(state) and state[0] not in ("Z", "X")  # a zombie has ended, unreaped


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.fixture(scope="module")
def busy_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough people that printing a day's sheets takes a while on two cores."""
    path = tmp_path_factory.mktemp("busy") / "demo.db"
    p = ffmot("--db", str(path), "demo", "--participants", "120", "--seed", "2")
    assert p.returncode == 0, p.stderr
    return path


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_killing_sheets_ends_its_worker_processes(busy_db, tmp_path):
    events = ffmot("--db", str(busy_db), "events", "--json")
    event = max(json.loads(events.stdout), key=lambda e: e["participants"])
    command = ["--db", str(busy_db), "sheets", "--event", event["id"], "--out", "sheets"]
    p = subprocess.Popen(
        [sys.executable, "-m", "ffmot", *command],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    children: list[int] = []
    try:
        assert p.stderr is not None
        line = p.stderr.readline()  # the first chunk of sheets is made: the workers are busy
        assert "made sheet" in line, line
        children = _children(p.pid)
        workers = [c for c in children if "spawn_main" in _cmdline(c)]
        assert len(workers) >= 2, [_cmdline(c) for c in children]
        p.kill()  # kill -9: no clean-up code runs in the parent
        p.wait(timeout=30)
        deadline = time.monotonic() + 60
        while any(_running(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [_cmdline(c) for c in children if _running(c)]
        assert not left, f"still running after the parent was killed: {left}"
    finally:
        p.kill()
        for c in children:
            if _running(c):
                os.kill(c, 9)
