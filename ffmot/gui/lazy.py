"""Modules the desktop app needs only once it is at work (the database layer, numpy), imported
on first use, so the window can show before they load. The app loads them on a worker thread
as it opens the database (`warm_up`), so no keystroke waits for an import."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any


class _Lazy:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)


def lazy(name: str) -> Any:
    """A stand-in for the module `name`, imported at its first use."""
    return _Lazy(name)


# The views' stand-ins, one of each: `from ffmot.gui.lazy import R`.
__all__ = ["WORKING_MODULES", "B", "R", "interpret", "lazy", "ov", "scoring", "warm_up"]

if TYPE_CHECKING:
    from ffmot.core import interpret as interpret
    from ffmot.core import scoring as scoring
    from ffmot.services import board as B
    from ffmot.services import overview as ov
    from ffmot.services import records as R
else:
    B = lazy("ffmot.services.board")
    R = lazy("ffmot.services.records")
    ov = lazy("ffmot.services.overview")
    scoring = lazy("ffmot.core.scoring")
    interpret = lazy("ffmot.core.interpret")

WORKING_MODULES = (
    "ffmot.core.interpret",
    "ffmot.store.db",
    "ffmot.services.records",
    "ffmot.services.board",
    "ffmot.services.overview",
    "ffmot.core.scoring",
)


def warm_up() -> None:
    """Imports what the views use as they work (on a worker thread, while the database opens)."""
    for name in WORKING_MODULES:
        importlib.import_module(name)
