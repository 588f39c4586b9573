"""Where the norm data and resources are, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ffmot.core.errors import InputError

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


def check_output_file(path: Path) -> None:
    """Before any work: path can be written as a new file, or is a file to replace. Never a
    folder, a device (a file renamed over /dev/null would replace it, for everyone), a pipe (it
    would wait for a reader for ever) or a loop of links; a name too long is refused here rather
    than after the work is done."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        if not folder.is_dir():
            raise InputError(f"cannot write {path}: the folder {folder} does not exist")
        st = path.stat()
    except FileNotFoundError:  # a new file: the usual case
        return
    except OSError as e:  # a name too long, a loop of links, a folder we may not look in
        raise InputError(f"cannot write {path}: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot write {path}: it is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"cannot write {path}: it is a device or a pipe, not a file")
