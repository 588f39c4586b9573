"""Started as its own process by the startup and memory benchmarks; not imported by them.

    python bench/gui_probe.py bare
    python bench/gui_probe.py ffmot DATABASE_URL [--open-visit]

`bare`: a PySide6 QMainWindow, shown. `ffmot`: the desktop app exactly as `ffmot --db URL gui`
starts it (settings and data folders come from XDG_CONFIG_HOME / XDG_DATA_HOME). Either way,
once the event loop runs after the window is shown, a QTimer.singleShot(0) prints one line
of JSON on stdout and quits: {"ready": seconds since this process started,
"maxrss_mb": peak resident memory so far (VmHWM)}. For ffmot, "shown" is when the event loop
first runs with the main window visible (the moment the bare window reports), and "ready"
waits on until the database is open, its last MOT day loaded and no work is left running
(the app's runner is idle); "event" names the MOT day it reopened. With --open-visit
the app also opens the busiest visit of the MOT day in the Results view first (memory with a
record open).

Nothing here imports PySide6 before ffmot does: the order of imports is part of what is
measured.
"""

from __future__ import annotations

import json
import resource
import sys
import time

T0 = time.perf_counter()


def _peak_rss_kb() -> int:
    """This process's peak resident memory. VmHWM, not getrusage's ru_maxrss: that one also
    counts the parent's memory at fork time, which would charge the benchmark's own size."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report(extra: dict[str, object] | None = None) -> None:
    rss_kb = _peak_rss_kb()
    line = {"ready": round(time.perf_counter() - T0, 4), "maxrss_mb": round(rss_kb / 1024, 1)}
    line.update(extra or {})
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def bare() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    w = QMainWindow()
    w.resize(1280, 800)
    w.show()

    def ready() -> None:
        _report()
        app.quit()

    QTimer.singleShot(0, ready)
    return app.exec()


class _PatchExec:
    """A meta-path finder that, once ffmot has imported QtWidgets, wraps QApplication.exec so
    the probe's timer is set just as the app's event loop starts; then it steps aside."""

    def __init__(self, open_visit: bool) -> None:
        self.open_visit = open_visit

    def find_spec(self, name: str, path: object, target: object = None) -> None:  # noqa: ARG002
        qw = sys.modules.get("PySide6.QtWidgets")
        if qw is not None and hasattr(qw, "QApplication"):
            sys.meta_path.remove(self)
            _wrap_exec(qw.QApplication, self.open_visit)
        return None


def _wrap_exec(qapp: type, open_visit: bool) -> None:
    from PySide6.QtCore import QTimer

    original = qapp.exec
    opened: list[bool] = []

    def window() -> object | None:
        app = qapp.instance()  # type: ignore[attr-defined]
        for w in app.topLevelWidgets():
            if w.objectName() == "mainWindow" and w.isVisible():
                return w
        return None

    shown: list[float] = []

    def check() -> None:
        w = window()
        if w is None:
            QTimer.singleShot(1, check)
            return
        if not shown:  # the first time the event loop is free with the window up
            shown.append(time.perf_counter() - T0)
        ctx = getattr(w, "ctx", None)
        runner = getattr(ctx, "runner", None)
        if not getattr(ctx, "is_ready", False) or getattr(runner, "_live", ()):
            QTimer.singleShot(1, check)
            return
        if open_visit and not opened:
            opened.append(_open_busiest_visit(w))
            QTimer.singleShot(0, check)
            return
        event = getattr(ctx, "current_event", None)
        _report(
            {
                "shown": round(shown[0], 4),
                "event": getattr(event, "name", None),
                "opened_visit": bool(opened and opened[0]),
            }
        )
        qapp.instance().quit()  # type: ignore[attr-defined]

    def exec_(*_args: object) -> int:
        QTimer.singleShot(0, check)
        return int(original())

    qapp.exec = staticmethod(exec_)  # type: ignore[method-assign]


def _open_busiest_visit(w: object) -> bool:
    from ffmot.services.board import board

    ctx = w.ctx  # type: ignore[attr-defined]
    if ctx.current_event is None:
        return False
    rows = board(ctx.db, ctx.current_event.id)
    if not rows:
        return False
    w.show_view("overview")  # type: ignore[attr-defined]
    w.overview.show_visit(max(rows, key=lambda r: r.done).assessment_id)  # type: ignore[attr-defined]
    return True


def ffmot(url: str, open_visit: bool) -> int:
    sys.meta_path.insert(0, _PatchExec(open_visit))  # type: ignore[arg-type]
    from ffmot.app import main

    return main(["--db", url, "gui"])


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        sys.exit(bare())
    sys.exit(ffmot(sys.argv[2], "--open-visit" in sys.argv[3:]))
