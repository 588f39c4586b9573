"""One window per SQLite file: a second ffmot window on the same file is refused, saying whose
window has it; a window that ends, however it ends, frees the file; commands from a terminal
still work beside a window. Real processes hold the lock; nothing is mocked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from ffmot.gui.app import Controller, _finish_work
from ffmot.gui.tasks import InlineRunner
from ffmot.store.errors import StoreError
from ffmot.store.lock import DatabaseInUse, hold, lock_path
from tests.gui.real_app import ROOT, RealApp, prepare_day
from tests.xserver import x_display

HOLDER = """
import sys
from pathlib import Path
from ffmot.store.errors import StoreError
from ffmot.store.lock import hold
hold(Path(sys.argv[1]), "Jo Holder, Station 2")
print("held", flush=True)
sys.stdin.read()  # until the test closes stdin or kills this process
"""


def _holder(db: Path) -> subprocess.Popen[str]:
    """Another process holding the window lock on `db`, as another ffmot window would."""
    p = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


@pytest.fixture
def day_db(tmp_path: Path) -> Path:
    return prepare_day(tmp_path / "day").db


def test_a_second_window_on_the_same_file_is_refused_by_name(settings, day_db, qtbot):
    before = day_db.read_bytes()
    other = _holder(day_db)
    try:
        s = Controller(settings, InlineRunner(), db_url=str(day_db)).open()
        qtbot.addWidget(s.window)
        box = s.window.findChild(QMessageBox, "openFailedBox")
        assert box is not None
        text = box.text()
        assert "already open in another ffmot window" in text, text
        assert "Jo Holder, Station 2" in text and "since" in text
        assert "Use that window" in text and "Traceback" not in text
        assert not s.ctx.is_ready
        box.close()
        s.window.close()
    finally:
        other.kill()
        other.wait()
    assert day_db.read_bytes() == before, "the refused window changed the file"


def test_a_killed_window_leaves_no_lock_behind(settings, day_db, qtbot):
    other = _holder(day_db)
    os.kill(other.pid, signal.SIGKILL)
    other.wait()
    assert lock_path(day_db).exists()  # the file stays; the lock on it went with the process
    c = Controller(settings, InlineRunner(), db_url=str(day_db))
    s = c.open()
    qtbot.addWidget(s.window)
    assert s.ctx.is_ready, s.window.where.text()
    s.window.close()
    _finish_work(c)
    assert not lock_path(day_db).exists()


def test_closing_the_window_frees_the_file_for_another(settings, day_db, qtbot):
    c = Controller(settings, InlineRunner(), db_url=str(day_db))
    s = c.open()
    qtbot.addWidget(s.window)
    assert s.ctx.is_ready
    assert oct(lock_path(day_db).stat().st_mode & 0o777) == "0o600"
    probe = [sys.executable, "-c", HOLDER, str(day_db)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    while_open = subprocess.run(probe, input="", capture_output=True, text=True, env=env)
    assert while_open.returncode != 0 and "already open in another ffmot window" in (
        while_open.stderr
    )
    assert "Sam Tester, Station 1" in while_open.stderr  # who has it, from the settings
    s.window.close()
    _finish_work(c)
    after = subprocess.run(probe, input="", capture_output=True, text=True, env=env)
    assert after.returncode == 0 and after.stdout.strip() == "held", after.stderr


def test_a_terminal_command_works_beside_a_window(settings, day_db, qtbot):
    c = Controller(settings, InlineRunner(), db_url=str(day_db))
    s = c.open()
    qtbot.addWidget(s.window)
    assert s.ctx.is_ready
    p = subprocess.run(
        [sys.executable, "-m", "ffmot", "--db", str(day_db), "participants"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert p.returncode == 0 and "Ada" in p.stdout, p.stderr
    s.window.close()
    _finish_work(c)


def test_the_same_window_rebuilt_on_its_file_keeps_it(day_db):
    first = hold(day_db, "A")
    second = hold(day_db, "A")  # a window rebuilt on new settings, same process
    first.release()
    other = subprocess.run(
        [sys.executable, "-c", HOLDER, str(day_db)],
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert other.returncode != 0, "released while still held by the rebuilt window"
    second.release()
    second.release()  # twice is harmless
    third = hold(day_db, "B")
    third.release()


def test_a_lock_file_that_cannot_be_made_is_said_plainly(tmp_path):
    db = tmp_path / "x.db"
    db.write_bytes(b"")
    lock_path(db).mkdir()  # something else already has the lock file's name
    with pytest.raises(StoreError) as e:
        hold(db)
    assert not isinstance(e.value, DatabaseInUse)
    assert "cannot make the file" in str(e.value) and "folder" in str(e.value)


def test_two_real_windows_on_one_file(tmp_path):
    """Starting ffmot twice on one file, as by a second click on its icon: the second real
    window puts up its message, the first carries on and can still save."""
    day = prepare_day(tmp_path / "day")
    with x_display(tmp_path / "x") as display, RealApp(tmp_path / "a", display, day) as first:
        first.wait_for_main_window()
        before = first.windows()
        with RealApp(tmp_path / "b", display, day) as second:

            def message() -> str | None:
                fresh = [w for w in second.windows() - before if second.is_mapped(w)]
                boxes = [w for w in fresh if second.window_name(w) == "ffmot"]
                return boxes[0] if boxes else None

            box = second.wait_for(message, "the second window's message box")
            second.screenshot(tmp_path / "second-window.png")
            assert second.alive() and first.alive()
            second.key("Return")  # closes the message; the window stays, saying why
            second.wait_for(lambda: not second.exists(box) or None, "the message to close")
        first.assert_alive("after the second window was refused")
    log = (tmp_path / "b" / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log
