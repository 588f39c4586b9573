"""Work off the GUI thread, with the result delivered back on it.

Every database wait, print job, import and merge goes through a Runner. Tests use InlineRunner,
which runs the work at once, so they need no waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Runner(Protocol):
    """Runs fn off the GUI thread (or at once, in tests) and reports back on the GUI thread."""

    def run(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None: ...


class InlineRunner(QObject):
    """Runs the work at once on the calling thread (tests)."""

    busy_changed = Signal(int)

    def run(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None:
        try:
            result = fn()
        except Exception as e:
            if on_error is None:
                raise
            on_error(e)
            return
        if on_done is not None:
            on_done(result)


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as e:
            self.relay.failed.emit(e)
        else:
            self.relay.done.emit(result)


class ThreadRunner(QObject):
    """Runs work on a thread pool; callbacks arrive on the GUI thread."""

    busy_changed = Signal(int)  # how many jobs are running

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._live: set[_Relay] = set()

    def run(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None:
        relay = _Relay()  # lives on the GUI thread, so its signals are delivered there
        self._live.add(relay)
        self.busy_changed.emit(len(self._live))

        @Slot(object)
        def finished(result: Any) -> None:
            self._forget(relay)
            if on_done is not None:
                on_done(result)

        @Slot(object)
        def failed(error: BaseException) -> None:
            self._forget(relay)
            if on_error is not None:
                on_error(error)

        relay.done.connect(finished)
        relay.failed.connect(failed)
        self.pool.start(_Job(fn, relay))

    def _forget(self, relay: _Relay) -> None:
        self._live.discard(relay)
        self.busy_changed.emit(len(self._live))

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)
