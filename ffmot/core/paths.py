"""Where the norm data and resources are, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _find(name: str, env: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override)
    installed = _PACKAGE / "_data" / name  # inside a built wheel
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # the repository's top level


def norms_dir() -> Path:
    """The folder holding battery.toml, sources.toml and the norm tables."""
    return _find("norms", "FFMOT_NORMS_DIR")


def resources_dir() -> Path:
    """The folder holding fonts, icons, advice wording and the sample activity directory."""
    return _find("resources", "FFMOT_RESOURCES_DIR")
