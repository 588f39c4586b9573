"""Work off the GUI thread, with the result delivered back on it.

Every database wait, print job, import and merge goes through a Runner. Tests use InlineRunner,
which runs the work at once, so they need no waiting. Both runners treat a failure the same
way: it goes to the `on_error` the caller gave, or, when none was given, to the runner's own
`unhandled` signal (the window shows it in plain words) after it is logged. No failure is ever
dropped, and none escapes into Qt's event loop.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]

log = logging.getLogger("ffmot")


class Runner(Protocol):
    """Runs fn off the GUI thread (or at once, in tests) and reports back on the GUI thread."""

    busy_changed: Any  # Signal(int): how many jobs are running
    unhandled: Any  # Signal(object): a failure no caller was waiting for

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Failed | None = None,
    ) -> None: ...


class _Reporting(QObject):
    """What both runners share: where a failure goes."""

    busy_changed = Signal(int)  # how many jobs are running
    unhandled = Signal(object)  # a failure no caller was waiting for (the exception)

    def _fail(self, error: BaseException, on_error: Failed | None) -> None:
        if on_error is not None:
            on_error(error)
            return
        log.error(
            "background work failed with no one waiting for it:\n%s",
            "".join(traceback.format_exception(error)),
        )
        self.unhandled.emit(error)


class InlineRunner(_Reporting):
    """Runs the work at once on the calling thread (tests)."""

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Failed | None = None,
    ) -> None:
        try:
            result = fn()
        except Exception as e:
            self._fail(e, on_error)
            return
        if on_done is not None:
            on_done(result)


class _Relay(QObject):
    """One per runner, living on the GUI thread: a worker's result crosses back through it."""

    done = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], job: int, relay: _Relay) -> None:
        super().__init__()
        self.fn, self.job, self.relay = fn, job, relay

    def run(self) -> None:
        fn, self.fn = self.fn, _nothing  # nothing of the work outlives it
        try:
            result = fn()
        except BaseException as e:
            self.relay.failed.emit(self.job, e)
        else:
            self.relay.done.emit(self.job, result)


def _nothing() -> None:
    return None


class ThreadRunner(_Reporting):
    """Runs work on a thread pool; callbacks arrive on the GUI thread.

    The callbacks wait in a dictionary keyed by a job number, and one relay carries every
    result back. (A relay object per job, with the callbacks connected to its signals, would be
    kept alive by Qt's connections for as long as the program runs: a station doing thousands
    of saves a day would grow by every one of them.)"""

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._live: dict[int, tuple[Done | None, Failed | None]] = {}
        self._numbers = itertools.count(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._finished)
        self._relay.failed.connect(self._failed)

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Failed | None = None,
    ) -> None:
        job = next(self._numbers)
        self._live[job] = (on_done, on_error)
        self.busy_changed.emit(len(self._live))
        self.pool.start(_Job(fn, job, self._relay))

    @Slot(int, object)
    def _finished(self, job: int, result: Any) -> None:
        on_done, _ = self._forget(job)
        if on_done is not None:
            on_done(result)

    @Slot(int, object)
    def _failed(self, job: int, error: BaseException) -> None:
        _, on_error = self._forget(job)
        self._fail(error, on_error)

    def _forget(self, job: int) -> tuple[Done | None, Failed | None]:
        callbacks = self._live.pop(job, (None, None))
        self.busy_changed.emit(len(self._live))
        return callbacks

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)
