"""Where the norm data and resources are: in a source checkout, an installed wheel or the bundle."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path

from ffmot.core.errors import InputError
from ffmot.core.i18n import _

_PACKAGE = Path(__file__).resolve().parent.parent


def _find(name: str, env: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)  # the PyInstaller bundle (packaging/ffmot.spec)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "ffmot" / "_data" / name
    installed = _PACKAGE / "_data" / name  # inside a built wheel
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # the repository's top level


def norms_dir() -> Path:
    """The folder holding battery.toml, sources.toml and the norm tables: FFMOT_NORMS_DIR, else
    the organisation folder's norms/ (ffmot/core/organisation.py), else the published set."""
    if not os.environ.get("FFMOT_NORMS_DIR"):
        theirs = _organisation_file("norms")
        if theirs is not None and theirs.is_dir():
            return theirs
    return _find("norms", "FFMOT_NORMS_DIR")


def advice_file() -> Path:
    """The advice wording: the organisation folder's advice.toml, else ffmot's own."""
    theirs = _organisation_file("advice.toml")
    if theirs is not None and theirs.is_file():
        return theirs
    return resources_dir() / "advice.toml"


def _organisation_file(name: str) -> Path | None:
    chosen = os.environ.get("FFMOT_ORGANISATION_DIR", "").strip()
    return Path(chosen) / name if chosen else None


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
            raise InputError(
                _(
                    "cannot write {path}: the folder {folder} does not exist",
                    path=path,
                    folder=folder,
                )
            )
        st = path.stat()
    except FileNotFoundError:  # a new file: the usual case
        return
    except OSError as e:  # a name too long, a loop of links, a folder we may not look in
        raise InputError(
            _("cannot write {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(_("cannot write {path}: it is a folder", path=path))
    if not stat.S_ISREG(st.st_mode):
        raise InputError(_("cannot write {path}: it is a device or a pipe, not a file", path=path))


OWNER_ONLY_UMASK = 0o077


def keep_files_private() -> None:
    """From here on, every file and folder ffmot makes is its owner's only: the database and its
    -wal, settings (which may hold a shared database's address), the log, drafts, exports,
    sheets and screenshots. One rule at start-up rather than a chmod after each write, which a
    new kind of file would miss. Folders and files of ffmot's own left readable by others (by an
    older version) are made owner-only too. (On Windows the user's own folders are already
    private to them; the mask changes nothing there.)"""
    os.umask(OWNER_ONLY_UMASK)
    for folder in (data_dir(), config_dir(), log_dir()):
        tighten(Path(folder))
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            tighten(Path(folder) / name)


def tighten(path: Path) -> None:
    """An existing file or folder, owned by whoever runs ffmot, that others could read or
    write is made owner-only. Links, devices and other people's files are left alone: nothing
    chmods a path it does not own."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return
    mode = stat.S_IMODE(st.st_mode)
    if mode & OWNER_ONLY_UMASK:
        with contextlib.suppress(OSError):
            os.chmod(path, mode & ~OWNER_ONLY_UMASK)


def data_dir() -> Path:
    """ffmot's folder for the database, the log and the training sandbox."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("ffmot", appauthor=False))


def config_dir() -> Path:
    """ffmot's folder for its settings and the drafts of entries being typed."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("ffmot", appauthor=False))


def settings_file() -> Path:
    """The desktop app's settings (Qt's INI format), which the command line reads too."""
    return config_dir() / "ffmot.ini"


def log_dir() -> Path:
    """ffmot's folder for its log (the system's place for logs: ~/.local/state/ffmot/log,
    %LOCALAPPDATA%\\ffmot\\Logs, ~/Library/Logs/ffmot)."""
    from platformdirs import user_log_dir

    return Path(user_log_dir("ffmot", appauthor=False))
