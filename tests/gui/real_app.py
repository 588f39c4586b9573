"""The real ffmot program in a real X window, driven by real key events, for tests that must
see what a practitioner sees: a dialog freed while it is on screen shows here as the process
gone (exit -11, SIGSEGV), not as a passing offscreen test.

    with x_display(tmp_path / "x") as display:
        day = prepare_day(tmp_path / "day")
        with RealApp(tmp_path / "app", display, day) as app:
            main = app.wait_for_main_window()
            app.key("ctrl+4")

Every wait is on an event (a window appears, is mapped, goes away, shows the sheet) with a
generous ceiling for a loaded two-core machine; none is a fixed sleep.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
CEILING_S = 120.0  # nothing here takes more than a second or two on an idle machine
CURSOR_PIXELS = 400  # fewer pixels than this changing is a blinking cursor, not new content
PATIENCE_S = 2.0  # a key press that shows nothing in this long is pressed again (then 4, 8 s...)
EVENT_NAME = "Real window MOT day"

T = TypeVar("T")


class NotYet(AssertionError):
    """A wait reached its ceiling with ffmot still running."""


@dataclass(frozen=True)
class Day:
    db: Path
    event_id: str
    code: str  # the card code as stored (what a scanner types)
    name: str


def prepare_day(folder: Path) -> Day:
    """An MOT day today, on its own SQLite file, with one person checked in, screened clear
    (every answer 'no') and two results saved, made through the services as a station would."""
    from ffmot.services import records as R
    from ffmot.services.types import Actor
    from ffmot.store.db import connect
    from tests.helpers import screened_visit

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "day.db"
    db = connect(str(path))
    try:
        actor = Actor("real-window test", station="Station 1")
        event = R.create_event(db, actor, EVENT_NAME, dt.date.today(), "Fellside Hall")
        person, visit = screened_visit(
            db, actor, event.id, "Ada", "Sampleton", dt.date(1949, 3, 14), "female"
        )
        R.save_result(db, actor, visit.id, "chair_stand", [(12, "")])
        R.save_result(db, actor, visit.id, "grip", [(22, "left 1")])
    finally:
        db.close()
    return Day(path, event.id, person.code, person.name)


def private_settings(
    config_home: Path, day: Day, training: bool = False, large_print: bool = False
) -> None:
    """The settings the app reads at start-up (its INI file under XDG_CONFIG_HOME), set so it
    reopens the prepared MOT day, as after yesterday's session; `training`: left in training
    mode last time."""
    from ffmot.gui.settings import Settings

    settings = Settings(config_home / "ffmot" / "ffmot.ini")
    settings.station = "Station 1"
    settings.practitioner = "Real Window Tester"
    settings.last_event = day.event_id
    settings.training = training
    settings.large_print = large_print


class RealApp:
    """`python -m ffmot --db DAY gui` on the given X display, with a private HOME,
    XDG_DATA_HOME and XDG_CONFIG_HOME under `folder`; `training`: as left in training mode
    (its sandbox is then `training_db`)."""

    def __init__(
        self,
        folder: Path,
        display: str,
        day: Day,
        training: bool = False,
        large_print: bool = False,
    ) -> None:
        self.folder = folder
        self.day = day
        home = folder / "home"
        config = folder / "config"
        data = folder / "data"
        for d in (home, config, data):
            d.mkdir(parents=True, exist_ok=True)
        private_settings(config, day, training, large_print)
        self.training_db = data / "ffmot" / "training.db"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("QT_", "FFMOT_", "XDG_"))
            and k not in ("DISPLAY", "WAYLAND_DISPLAY")
        }
        env.update(
            {
                "DISPLAY": display,
                "QT_QPA_PLATFORM": "xcb",  # a real X window, not offscreen
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(config),
                "XDG_DATA_HOME": str(data),
                "XDG_STATE_HOME": str(folder / "state"),  # the log
                "XDG_RUNTIME_DIR": str(folder),
                "PYTHONPATH": str(ROOT),
                "PYTHONFAULTHANDLER": "1",  # a crash leaves its Python stack in stderr.txt
            }
        )
        self.env = env
        self.started = time.monotonic()
        self.steps: list[str] = []  # what was done and seen, for the failure message
        self.xenv = {**os.environ, "DISPLAY": display}
        self.stdout = (folder / "stdout.txt").open("wb")
        self.stderr = (folder / "stderr.txt").open("wb")
        os.chmod(folder, 0o700)  # XDG_RUNTIME_DIR must be private, or Qt complains
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ffmot", "--db", str(day.db), "gui"],
            env=env,
            cwd=folder,
            stdout=self.stdout,
            stderr=self.stderr,
        )

    # --- lifetime ------------------------------------------------------------------------
    def __enter__(self) -> RealApp:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stdout.close()
        self.stderr.close()
        (self.folder / "steps.txt").write_text("\n".join(self.steps) + "\n")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def assert_alive(self, step: str) -> None:
        assert self.alive(), f"ffmot died {step}: {self.why_gone()}"

    def why_gone(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "still running"
        words = f"exit {code}"
        if code < 0:
            words += f" ({signal.Signals(-code).name})"
        self.stderr.flush()
        err = (self.folder / "stderr.txt").read_text(errors="replace")[-3000:]
        log = self.folder / "state" / "ffmot" / "log" / "ffmot.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        return (
            f"{words}\n--- steps ---\n{self.recent_steps()}\n--- stderr ---\n{err}\n"
            f"--- ffmot.log ---\n{tail}"
        )

    def step(self, text: str) -> None:
        self.steps.append(f"{time.monotonic() - self.started:7.2f} s  {text}")

    def recent_steps(self) -> str:
        return "\n".join(self.steps[-20:])

    # --- waiting on events -----------------------------------------------------------------
    def wait_for(self, probe: Callable[[], T | None], what: str, ceiling_s: float = CEILING_S) -> T:
        """Polls until probe() gives something truthy; fails at once if ffmot dies."""
        deadline = time.monotonic() + ceiling_s
        while True:
            got = probe()
            if got:
                self.step(f"saw {what}")
                return got
            self.assert_alive(f"while waiting for {what}")
            if time.monotonic() > deadline:
                raise NotYet(
                    f"no {what} within {ceiling_s:.0f} s; ffmot's windows now: "
                    f"{self.describe_windows()}\n--- steps ---\n{self.recent_steps()}"
                )
            time.sleep(0.05)

    # --- X -----------------------------------------------------------------------------
    def xdo(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["xdotool", *args],
            env=self.xenv,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def windows(self) -> set[str]:
        """ffmot's mapped, named top-level windows."""
        out = self.xdo("search", "--pid", str(self.proc.pid), "--onlyvisible", "--name", ".")
        return set(out.stdout.split()) if out.returncode == 0 else set()

    def describe_windows(self) -> str:
        active = self.active()
        return ", ".join(
            f"{w} {self.window_name(w)!r}{' (active)' if w == active else ''}"
            for w in sorted(self.windows())
        )

    def window_name(self, window: str) -> str:
        return self.xdo("getwindowname", window).stdout.strip()

    def _xwininfo(self, window: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["xwininfo", "-id", window],
            env=self.xenv,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def width(self, window: str) -> int:
        """The window's width on the screen, in pixels (xwininfo)."""
        for line in self._xwininfo(window).stdout.splitlines():
            if line.strip().startswith("Width:"):
                return int(line.split(":")[1])
        raise AssertionError(f"xwininfo gave no width for {window}")

    def is_mapped(self, window: str) -> bool:
        return "IsViewable" in self._xwininfo(window).stdout

    def exists(self, window: str) -> bool:
        """False once the X window is destroyed (Qt has deleted the widget)."""
        return self._xwininfo(window).returncode == 0

    def wait_for_window(self, named: Callable[[str], bool], what: str) -> str:
        """One of ffmot's windows whose title `named` accepts."""

        def found() -> str | None:
            return next((w for w in sorted(self.windows()) if named(self.window_name(w))), None)

        return self.wait_for(found, what)

    def wait_for_main_window(self) -> str:
        """The main window, once the database is open and the MOT day reopened (its name
        shows in the title), focused for the keys that follow."""

        def main() -> str | None:
            for w in self.windows():
                if EVENT_NAME in self.window_name(w):
                    return w
            return None

        window = self.wait_for(main, f"main window titled with '{EVENT_NAME}'")
        self.xdo("windowactivate", "--sync", window)
        self.wait_for(lambda: self.active() == window, "main window to take the focus")
        return window

    def active(self) -> str:
        return self.xdo("getactivewindow").stdout.strip()

    def key(self, *keys: str) -> None:
        self.step(f"key {' '.join(keys)}")
        out = self.xdo("key", "--clearmodifiers", "--delay", "30", *keys)
        assert out.returncode == 0, out.stderr

    def type(self, text: str) -> None:
        """Typed as a card scanner does: one key after another."""
        self.step(f"type {text!r}")
        out = self.xdo("type", "--clearmodifiers", "--delay", "30", text)
        assert out.returncode == 0, out.stderr

    def press_for_new_window(self, before: set[str], *keys: str) -> set[str]:
        """Presses keys until a new window of ffmot's shows, and returns the new windows. The
        keys may come before the app has finished showing what they act on (a person looked
        up on a worker) and then do nothing, so they are pressed again if nothing shows, after
        a patience that doubles each time (a repeat that opens a second window is harmless:
        the caller closes every new window)."""
        deadline = time.monotonic() + CEILING_S
        patience = PATIENCE_S
        while True:
            self.key(*keys)
            left = deadline - time.monotonic()
            try:
                return self.wait_for(
                    lambda: self.windows() - before,
                    f"a new window after {' '.join(keys)}",
                    ceiling_s=max(0.0, min(patience, left)),
                )
            except NotYet:
                if patience >= left:
                    raise
            patience *= 2

    def wait_for_exit(self, ceiling_s: float = CEILING_S) -> int:
        try:
            return self.proc.wait(ceiling_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"ffmot still running {ceiling_s:.0f} s later") from None

    def screenshot(self, path: Path, window: str = "root") -> Path:
        subprocess.run(
            ["import", "-window", window, str(path)],
            env=self.xenv,
            capture_output=True,
            timeout=120,
            check=True,
        )
        return path

    def pixels(self, window: str = "root") -> bytes:
        """The window as on screen now, as grey pixels."""
        from PIL import Image

        path = self.folder / "now.png"
        self.screenshot(path, window)
        with Image.open(path) as img:
            return img.convert("L").tobytes()

    @staticmethod
    def differ(a: bytes, b: bytes) -> int:
        """How many pixels differ (a blinking text cursor is a few dozen)."""
        import numpy as np

        if len(a) != len(b):
            return max(len(a), len(b))
        x = np.frombuffer(a, dtype=np.uint8).astype(np.int16)
        y = np.frombuffer(b, dtype=np.uint8).astype(np.int16)
        return int(np.count_nonzero(np.abs(x - y) > 16))

    def settled(self, window: str = "root", changed_from: bytes | None = None) -> bytes:
        """Waits until the window shows something new (unlike `changed_from`) and stays so:
        what a practitioner waits for after a scan before typing, the name on screen."""
        last: list[bytes] = [b""]

        def calm() -> bytes | None:
            now = self.pixels(window)
            still = self.differ(now, last[0]) < CURSOR_PIXELS
            new = changed_from is None or self.differ(now, changed_from) >= CURSOR_PIXELS
            last[0] = now
            return now if still and new else None

        return self.wait_for(calm, "the screen to show the change and settle")

    def scan(self, code: str, main: str) -> bytes:
        """A card scanned (the code and Enter) into the focused box, then a wait until the
        screen shows what the scan brought up, as a practitioner waits to see the name.
        Returns that screen, to wait for the next change from."""
        before = self.settled(main)
        self.type(code)
        self.key("Return")
        return self.settled(main, changed_from=before)

    def preview_of(self, code: str, shot: Path) -> None:
        """Results (Ctrl+4), the card (Alt+C, scan), print preview (Ctrl+P): waits until the
        preview shows the sheet, saves a screenshot, closes it with Escape."""
        self.key("ctrl+4")
        self.key("alt+c")
        self.type(code)
        self.key("Return")
        windows = self.windows()
        self.press_for_new_window(windows, "ctrl+p")
        preview = self.wait_for(
            lambda: sorted(w for w in self.windows() - windows if self.is_mapped(w)) or None,
            "the print preview",
        )[0]
        self.wait_for(
            lambda: self.shows_a_page(preview, shot.with_name(shot.stem + "-page.png")),
            "the sheet in the preview",
        )
        self.screenshot(shot)
        self.xdo("windowactivate", "--sync", preview)
        self.key("Escape")
        self.wait_for(lambda: not self.exists(preview) or None, "the preview to close")

    def shows_a_page(self, window: str, path: Path) -> bool:
        """Whether the window, as on screen now, shows Qt's print preview with a page on it:
        a quarter or more of it the preview's mid-grey backdrop, a tenth or more paper white,
        and some ink. (Until the dialog paints, its window shows what was under it: the main
        window is about a quarter white but hardly grey.)"""
        from PIL import Image

        try:
            self.screenshot(path, window)
        except subprocess.CalledProcessError:
            return False  # the window went while it was being read
        with Image.open(path) as img:
            counts = img.convert("L").histogram()
        total = sum(counts)
        backdrop = sum(counts[130:190]) / total
        white = sum(counts[250:]) / total
        ink = sum(counts[:80]) / total
        return backdrop > 0.25 and white > 0.10 and ink > 0.001
