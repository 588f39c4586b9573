"""Writing printouts to disk: owner-only (0600) files, each written whole or not at all.

A sheet holds personal data, so a file is created private, written under a temporary name in
the same folder and renamed into place: a reader never sees half a file, and a failure leaves
what was there before.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ffmot.core import files
from ffmot.core.errors import InputError
from ffmot.core.i18n import _


def write_private(path: Path, data: bytes) -> None:
    """Writes data to path atomically, readable and writable by the owner only."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(
            _(
                "cannot write {path}: the folder {folder} does not exist",
                path=path,
                folder=directory,
            )
        )
    if path.is_dir():
        raise InputError(_("cannot write {path}: it is a folder", path=path))
    try:
        files.write_private(path, data)
    except OSError as e:
        raise InputError(
            _("cannot write {path}: {problem}", path=path, problem=e.strerror)
        ) from None


def prepare_folder(folder: Path) -> None:
    """Makes the folder (owner-only) if it is not there; its parent must exist."""
    if folder.exists() and not folder.is_dir():
        raise InputError(
            _(
                "{folder} is a file, not a folder: give a folder, or a name ending .pdf",
                folder=folder,
            )
        )
    if not folder.exists():
        parent = folder.parent if str(folder.parent) else Path(".")
        if not parent.is_dir():
            raise InputError(
                _(
                    "cannot make {folder}: the folder {parent} does not exist",
                    folder=folder,
                    parent=parent,
                )
            )
        try:
            folder.mkdir(mode=0o700)
        except OSError as e:
            raise InputError(
                _("cannot make the folder {folder}: {problem}", folder=folder, problem=e.strerror)
            ) from None


def write_folder(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Writes each named file into the folder (made if needed), each atomically and 0600."""
    prepare_folder(folder)
    written = []
    for name, data in files.items():
        if "/" in name or "\\" in name or name.startswith("."):
            raise InputError(_("'{name}' is not a plain file name", name=name))
        path = folder / name
        write_private(path, data)
        written.append(path)
    return written
