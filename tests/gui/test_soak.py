"""The Qt binding must not leak, and a station must last a whole day.

PySide6 6.12.0 on Python 3.11 dropped a reference to None on every Qt call that returns
nothing; a station aborted with "none_dealloc" after about 250 saves. The probe catches that
class of fault in a clean process; the soak drives the real station window through a day's
saves and checks the process lives and its memory stays flat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from tests.xserver import x_display

ROOT = Path(__file__).resolve().parents[2]
PROBE = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QObject, QTimer, Signal
    from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

    class Thing(QObject):
        changed = Signal(str)

    app = QApplication([])
    label, edit, button, timer, thing = QLabel(), QLineEdit(), QPushButton(), QTimer(), Thing()
    thing.changed.connect(label.setText)
    calls = [
        lambda: label.setText("x"),
        lambda: edit.setText("12"),
        lambda: edit.clear(),
        lambda: button.setEnabled(True),
        lambda: timer.start(1000),
        lambda: timer.stop(),
        lambda: thing.changed.emit("y"),
        lambda: label.setWordWrap(True),
    ]
    for call in calls:
        call()  # warm up caches first
    before = [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]
    for _ in range(1000):
        for call in calls:
            call()
    after = [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]
    print(after[0] - before[0], after[1] - before[1], after[2] - before[2])
    """
)


def test_qt_calls_keep_reference_counts():
    """8,000 Qt calls that return nothing or a bool: the reference counts of None, True and
    False must not move (on Python 3.12 and later they are immortal and this holds trivially).
    A binding that drops them aborts the process, which fails this too."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "0", "0"], "the Qt binding loses references"


def test_the_qt_binding_is_one_version_throughout():
    """Essentials and shiboken from one release (a mix can crash at import or at exit)."""
    essentials = metadata.version("PySide6-Essentials")
    assert metadata.version("shiboken6") == essentials
    pinned = {
        name.lower(): version
        for name, _, version in (
            line.partition("==")
            for line in (ROOT / "constraints.txt").read_text().splitlines()
            if "==" in line
        )
    }
    assert pinned["pyside6-essentials"] == essentials


@pytest.mark.slow
def test_a_station_survives_a_days_saves_in_a_real_window(tmp_path: Path):
    saves, every = 600, 300  # two days of saves: the fault showed at ~250
    out = tmp_path / "soak.json"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    with x_display(tmp_path / "x") as display:
        env["DISPLAY"] = display
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.gui.soak_station",
                "--db",
                str(tmp_path / "day.db"),
                "--saves",
                str(saves),
                "--every",
                str(every),
                "--out",
                str(out),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,  # a ceiling for a very loaded machine; it takes about 40 s
            check=False,
        )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
    result = json.loads(out.read_text())
    assert result["failure"] == ""
    assert result["platform"] == "xcb"  # a real window, not offscreen
    assert result["saves"] == saves

    # Memory flat: from the 300th save (caches warm) to the last.
    samples = {s["saves"]: s for s in result["samples"]}
    warm, last = samples[300], samples[saves]
    assert last["objects"] - warm["objects"] < 300, "Python objects grow with every save"
    assert last["rss_kb"] - warm["rss_kb"] < 6 * 1024, "memory grows with every save"
    assert last["none_refs"] >= warm["none_refs"], "references to None are being lost"


def test_the_app_refuses_a_binding_that_loses_references(qtbot):
    """The start-up check passes the installed binding and names the fault in one that drops a
    reference on each call (imitated here with the C API, then given back)."""
    import ctypes

    from ffmot.gui.binding import fault

    assert fault() == ""
    decref, incref = ctypes.pythonapi.Py_DecRef, ctypes.pythonapi.Py_IncRef
    decref.argtypes = incref.argtypes = [ctypes.py_object]
    calls = 0

    def losing() -> None:
        nonlocal calls
        calls += 1
        decref(None)

    try:
        why = fault(losing)
    finally:
        for _ in range(calls):
            incref(None)
    if sys.version_info >= (3, 12):
        assert why == ""  # None is immortal there: nothing can be lost
    else:
        assert "known fault" in why and "reinstall" in why
