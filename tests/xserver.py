"""A real X display for tests that drive the real app in a real window: Xvfb, plus the openbox
window manager so focus, stacking and dialogs behave as on a desktop. tools/system-deps installs
both; without them this is an error, not a skip, so CI cannot silently test offscreen only."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NEEDED = ("Xvfb", "openbox", "xdotool", "xprop")


def missing_tools() -> list[str]:
    return [tool for tool in NEEDED if shutil.which(tool) is None]


@contextmanager
def x_display(folder: Path, size: str = "1366x768") -> Iterator[str]:
    """Starts Xvfb on a free display number (Xvfb picks it) and openbox on it; yields ':N'."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(
            f"these programs are needed for the real-window tests: {', '.join(missing)}. "
            "Run 'bash tools/system-deps' (as root) to install them."
        )
    folder.mkdir(parents=True, exist_ok=True)
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=(folder / "xvfb.log").open("wb"),
    )
    os.close(write_fd)
    wm: subprocess.Popen[bytes] | None = None
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # written once the server accepts clients
        if not number:
            raise RuntimeError(f"Xvfb did not start: see {folder / 'xvfb.log'}")
        display = f":{number}"
        env = {**os.environ, "DISPLAY": display}
        wm = _start_window_manager(env, folder)
        yield display
    finally:
        for proc in (wm, xvfb):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _start_window_manager(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """openbox on the display, waited for until it manages windows. Rarely (once in several
    full runs, its log empty) it never announces itself: it is then stopped and started again,
    up to three times, each with a generous wait for a loaded machine."""
    for attempt in range(1, 4):
        wm = subprocess.Popen(
            ["openbox", "--sm-disable"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"openbox-{attempt}.log").open("wb"),
        )
        if _window_manager_announced(env, wm, ceiling_s=30.0):
            return wm
        if wm.poll() is None:
            wm.kill()
        wm.wait()
    raise RuntimeError(f"the window manager did not start on the test display: see {folder}")


def _window_manager_announced(
    env: dict[str, str], wm: subprocess.Popen[bytes], ceiling_s: float
) -> bool:
    """openbox announces itself on the root window once it manages windows; wait for that,
    or for it to have exited."""
    deadline = time.monotonic() + ceiling_s
    while time.monotonic() < deadline and wm.poll() is None:
        probe = subprocess.run(
            ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and "window id" in probe.stdout:
            return True
        time.sleep(0.05)
    return False
