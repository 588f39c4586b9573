"""The station timer, driven by keys as at a station: F5 starts and stops it from wherever the
keyboard is, the result is typed while it runs, a countdown ends with a beep and "Time: stop"
in words, and a stopwatch stops by itself at the most the test counts. Time is moved by the
test (a clock of its own), and every wait is for an event, never for a length of time."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ffmot.core import codes
from ffmot.core.errors import NormDataError
from ffmot.core.norms import default_norm_set
from ffmot.core.timers import COUNTDOWN, STOPWATCH, TimerSpec, load_timers, timers_file
from ffmot.gui.timer import DONE, IDLE, RUNNING, STOPPED, StationTimer, shown
from tests.gui.test_station import scan, station


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _timed(day, qtbot):  # type: ignore[no-untyped-def]
    """The station at the chair stand, its timer on a clock the test moves, its beeps
    counted. (Called in the test itself: the window's shortcuts act once the test runs.)"""
    st = station(day, qtbot, "chair_stand")
    clock, beeps = Clock(), []
    st.timer.clock = clock
    st.timer.beep = lambda: beeps.append(clock.now)
    return st, clock, beeps


def test_f5_times_the_test_while_the_result_is_typed(day, qtbot):
    st, clock, beeps = _timed(day, qtbot)
    ada, visit = day.people["Ada"]
    scan(qtbot, st, codes.display(ada.code))
    assert st.fields[0].hasFocus() and st.timer.isVisible()
    assert st.timer.digits.text() == "0:30" and "F5: start" in st.timer.said.text()
    qtbot.keyClick(st.fields[0], Qt.Key.Key_F5)
    assert st.timer.state == RUNNING and st.fields[0].hasFocus()
    clock.now += 12.4
    qtbot.waitUntil(lambda: st.timer.digits.text() == "0:18", timeout=10_000)
    qtbot.keyClicks(st.fields[0], "11")  # typing goes on while it runs
    assert st.fields[0].text() == "11" and st.timer.state == RUNNING
    with qtbot.waitSignal(st.timer.finished, timeout=10_000):
        clock.now += 30
    assert st.timer.state == DONE and beeps == [clock.now]
    assert st.timer.digits.text() == "0:00" and st.timer.said.text() == "Time: stop"
    assert st.fields[0].hasFocus() and st.fields[0].text() == "11"
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
    assert "Saved 11 stands for Ada Sampleton" in st.status.text()
    assert day.ctx.db and visit.id
    qtbot.keyClick(st.code, Qt.Key.Key_F5)  # the next person: a fresh 30 seconds
    assert st.timer.state == RUNNING and st.timer.digits.text() == "0:30"


def test_f5_stops_it_where_it_is(day, qtbot):
    st, clock, beeps = _timed(day, qtbot)
    qtbot.keyClick(st.code, Qt.Key.Key_F5)
    clock.now += 7.2
    qtbot.keyClick(st.code, Qt.Key.Key_F5)
    assert st.timer.state == STOPPED and st.timer.digits.text() == "0:23"
    clock.now += 60  # stopped: time passing changes nothing, and there is no beep
    st.timer.tick()
    assert st.timer.digits.text() == "0:23" and beeps == []
    assert "Stopped" in st.timer.said.text()


def test_a_stopwatch_stops_itself_at_the_tests_cap(day, qtbot):
    st, clock, beeps = _timed(day, qtbot)
    st.test_combo.setCurrentIndex(st.test_combo.findData("single_leg_stance"))
    assert st.timer.digits.text() == "0.0 s"
    qtbot.keyClick(st.code, Qt.Key.Key_F5)
    clock.now += 17.36
    qtbot.waitUntil(lambda: st.timer.digits.text() == "17.3 s", timeout=10_000)
    with qtbot.waitSignal(st.timer.finished, timeout=10_000):
        clock.now += 40
    assert st.timer.digits.text() == "30.0 s" and len(beeps) == 1  # the most it counts
    st.test_combo.setCurrentIndex(st.test_combo.findData("up_and_go"))
    assert st.timer.state == IDLE and st.timer.isVisible()
    qtbot.keyClick(st.code, Qt.Key.Key_F5)
    clock.now += 6.45
    qtbot.keyClick(st.code, Qt.Key.Key_F5)
    assert st.timer.digits.text() == "6.4 s"


def test_untimed_tests_show_no_timer_and_f5_does_nothing(day, qtbot):
    st, _clock, _beeps = _timed(day, qtbot)
    st.test_combo.setCurrentIndex(st.test_combo.findData("grip"))
    assert not st.timer.isVisible()
    qtbot.keyClick(st.code, Qt.Key.Key_F5)
    assert st.timer.state == IDLE


def test_the_words_flash_but_always_say_it(qtbot):
    clock = Clock()
    t = StationTimer(clock=clock, beep=lambda: None)
    qtbot.addWidget(t)
    t.set_test(TimerSpec("chair_stand", COUNTDOWN, 30.0))
    t.toggle()
    clock.now += 31
    t.tick()
    seen = set()
    for _ in range(12):
        t._flash()
        seen.add(("background: black" in t.said.styleSheet(), t.said.text()))
    assert seen == {(True, "Time: stop"), (False, "Time: stop")}


@pytest.mark.parametrize(
    ("spec", "elapsed", "said"),
    [
        (TimerSpec("step_2min", COUNTDOWN, 120.0), 0.0, "2:00"),
        (TimerSpec("step_2min", COUNTDOWN, 120.0), 0.2, "2:00"),
        (TimerSpec("step_2min", COUNTDOWN, 120.0), 61.0, "0:59"),
        (TimerSpec("step_2min", COUNTDOWN, 120.0), 119.9, "0:01"),
        (TimerSpec("walk_6min", COUNTDOWN, 360.0), 500.0, "0:00"),
        (TimerSpec("up_and_go", STOPWATCH, None), 9.99, "9.9 s"),
    ],
)
def test_the_digits(spec, elapsed, said):
    assert shown(spec, elapsed) == said


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (("[chair_stand]", "[chair_stnd]"), "no test has this id"),
        (('[arm_curl]\nkind = "countdown"', '[arm_curl]\nkind = "egg"'), "kind must be"),
        (("stop_at = 30", "stop_at = 45"), "past the test's cap of 30"),
        (("seconds = 120", 'seconds = "two minutes"'), "number of seconds"),
    ],
)  # fmt: skip
def test_the_timers_file_is_checked(tmp_path: Path, change, said):
    text = timers_file().read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "timers.toml"
    path.write_text(text.replace(*change, 1), encoding="utf-8")
    with pytest.raises(NormDataError, match=r"timers\.toml") as e:
        load_timers(default_norm_set().battery, path)
    assert said in str(e.value)
