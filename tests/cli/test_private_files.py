"""Every file and folder ffmot makes is its owner's only (the database, settings that may hold
a shared database's address, the log, screenshots with real names, exports), and what an
older version left readable by others is made owner-only. Real processes, real files, a
permissive umask in the parent as a desktop session would have."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.real_app import ROOT, RealApp, prepare_day
from tests.xserver import x_display


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FFMOT_", "XDG_")) and k not in ("DISPLAY",)
    }
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHONPATH=str(ROOT),
        QT_QPA_PLATFORM="offscreen",
    )
    return subprocess.run(
        [sys.executable, "-m", "ffmot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        preexec_fn=lambda: os.umask(0o022),  # a desktop session's usual mask
    )


def _open_to_others(folder: Path) -> list[str]:
    found = []
    for path in [folder, *folder.rglob("*")]:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            continue
        if stat.S_IMODE(st.st_mode) & 0o077:
            found.append(f"{oct(stat.S_IMODE(st.st_mode))} {path.relative_to(folder.parent)}")
    return found


def test_the_default_database_and_its_folder_are_owner_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    p = _run(home, "demo", "--participants", "5", "--seed", "2")
    assert p.returncode == 0, p.stderr
    assert (home / "data" / "ffmot" / "ffmot.db").exists()
    assert _open_to_others(home / "data" / "ffmot") == []


def test_exports_and_screenshots_are_owner_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    assert _run(home, "demo", "--participants", "5", "--seed", "2").returncode == 0
    out = home / "out"
    out.mkdir(mode=0o755)
    p = _run(home, "export", "--format", "csv", "--out", str(out / "all.csv"))
    assert p.returncode == 0, p.stderr
    p = _run(home, "gui", "--screenshot", str(out / "board.png"), "--view", "board")
    assert p.returncode == 0, p.stderr
    for name in ("all.csv", "board.png"):
        mode = stat.S_IMODE((out / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"


def test_what_an_older_version_left_open_is_closed_and_nothing_else_is_touched(tmp_path):
    home = tmp_path / "home"
    config = home / "config" / "ffmot"
    config.mkdir(parents=True)
    config.chmod(0o755)
    ini = config / "ffmot.ini"
    ini.write_text("[database]\nurl=postgresql://sam:secret@hall/ffmot\n")
    ini.chmod(0o644)
    outside = tmp_path / "shared-notes.txt"  # someone else's, reached through a link
    outside.write_text("not ffmot's")
    outside.chmod(0o644)
    (config / "notes-link").symlink_to(outside)
    p = _run(home, "norms")
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644, "a file behind a link was changed"


@pytest.mark.slow
def test_the_windows_settings_and_log_are_owner_only(tmp_path):
    day = prepare_day(tmp_path / "day")
    with x_display(tmp_path / "x") as display:
        old = os.umask(0o022)
        try:
            app = RealApp(tmp_path / "app", display, day)
        finally:
            os.umask(old)
        with app:
            app.wait_for_main_window()
    config = tmp_path / "app" / "config"
    data = tmp_path / "app" / "data"
    assert (config / "ffmot" / "ffmot.ini").exists()
    log = tmp_path / "app" / "state" / "ffmot" / "log"
    assert (log / "ffmot.log").exists()
    assert _open_to_others(config / "ffmot") == []
    assert not (data / "ffmot").exists() or _open_to_others(data / "ffmot") == []
    assert _open_to_others(log) == []
