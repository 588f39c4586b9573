"""Background work: a failure reaches the caller's handler, or, when there is none, the
runner's `unhandled` signal, which the window shows in plain words. Never dropped, on either
runner, and the same on both."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from ffmot.core.errors import InputError
from ffmot.gui.tasks import InlineRunner, ThreadRunner


def _boom() -> int:
    raise InputError("that card code is not on this MOT day")


@pytest.mark.parametrize("kind", ["inline", "thread"])
def test_a_failure_with_no_handler_is_reported_not_dropped(qtbot, kind: str) -> None:
    runner = InlineRunner() if kind == "inline" else ThreadRunner(QApplication.instance())
    seen: list[BaseException] = []
    runner.unhandled.connect(seen.append)
    runner.run(_boom)  # no handler given
    qtbot.waitUntil(lambda: bool(seen), timeout=30000)
    assert len(seen) == 1 and isinstance(seen[0], InputError)


@pytest.mark.parametrize("kind", ["inline", "thread"])
def test_a_handler_given_gets_the_failure_and_nothing_else_does(qtbot, kind: str) -> None:
    runner = InlineRunner() if kind == "inline" else ThreadRunner(QApplication.instance())
    stray: list[BaseException] = []
    runner.unhandled.connect(stray.append)
    handled: list[BaseException] = []
    runner.run(_boom, None, handled.append)
    qtbot.waitUntil(lambda: bool(handled), timeout=30000)
    assert isinstance(handled[0], InputError) and stray == []
    results: list[int] = []
    runner.run(lambda: 41 + 1, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=30000)
    assert results == [42]


def test_the_window_says_a_failure_no_one_waited_for(open_app, qtbot) -> None:
    s = open_app()
    s.ctx.runner.run(_boom)

    def shown() -> list[QMessageBox]:
        return [
            b
            for b in QApplication.topLevelWidgets()
            if isinstance(b, QMessageBox) and b.isVisible()
        ]

    qtbot.waitUntil(lambda: bool(shown()), timeout=30000)
    assert any("that card code is not on this MOT day" in b.text() for b in shown())
    for b in shown():
        b.close()
