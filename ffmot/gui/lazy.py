"""What the desktop app needs only once it is at work (the database layer, numpy), loaded on a
worker thread as the database opens (`warm_up`), so the window shows before they load and no
keystroke waits for an import. The views reach all of it through `AppContext.desk`
(ffmot/services/desk.py), whose methods import the services when first called."""

from __future__ import annotations

import importlib

WORKING_MODULES = (
    "ffmot.core.interpret",
    "ffmot.store.db",
    "ffmot.services.records",
    "ffmot.services.board",
    "ffmot.services.overview",
    "ffmot.core.scoring",
    "ffmot.report.words",
)


def warm_up() -> None:
    """Imports what the views use as they work (on a worker thread, while the database opens)."""
    for name in WORKING_MODULES:
        importlib.import_module(name)
