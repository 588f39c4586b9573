"""An organisation's own copy of ffmot: one folder, chosen in Settings (or `--config FOLDER` on
the command line), that holds what the organisation changes. Every file in it is optional; what
is not there comes from ffmot's own.

    organisation.toml   name = "Cumbria Community Health"   (put on new MOT days and the sheet)
                        logo = "logo.png"                   (PNG or JPEG, beside this file)
    advice.toml         the advice wording, in place of resources/advice.toml
    activities.csv      the local activities directory new MOT days start with
    norms/              a norm set in place of the published one (shown as local and unverified)

The folder is passed to every process ffmot starts (the workers that make a day's sheets) in
the environment variable FFMOT_ORGANISATION_DIR, which is also how it is chosen for a whole
machine. A broken file is named with its line, and nothing is half-applied: the folder is
checked whole when it is chosen.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ffmot.core.datafiles import read_toml
from ffmot.core.errors import InputError, NormDataError
from ffmot.core.i18n import _

ENV = "FFMOT_ORGANISATION_DIR"
SETTINGS_FILE = "organisation.toml"
ADVICE = "advice.toml"
ACTIVITIES = "activities.csv"
NORMS = "norms"
LOGO_TYPES = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}
LOGO_LIMIT = 2_000_000  # bytes: a logo, not a photograph
NAME_LIMIT = 200


@dataclass(frozen=True)
class Organisation:
    """What the chosen folder says; every field empty when no folder is chosen."""

    folder: Path | None = None
    name: str = ""
    logo: Path | None = None
    advice: Path | None = None
    activities: Path | None = None
    norms: Path | None = None


def folder() -> Path | None:
    chosen = os.environ.get(ENV, "").strip()
    return Path(chosen) if chosen else None


def use(chosen: str | Path | None) -> Organisation:
    """Makes `chosen` this process's (and its workers') organisation folder, after checking
    every file in it; None or "" goes back to ffmot's own. An InputError says what is wrong,
    and leaves the folder in use as it was."""
    if not chosen or not str(chosen).strip():
        os.environ.pop(ENV, None)
        return Organisation()
    found = read(Path(chosen))
    os.environ[ENV] = str(found.folder)
    return found


def current() -> Organisation:
    """The organisation folder in use, read again only when one of its files has changed (a
    day's sheets ask for it once a sheet)."""
    chosen = folder()
    if chosen is None:
        return Organisation()
    try:
        stamp = tuple(
            sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in os.scandir(chosen))
        )
    except OSError:
        return read(chosen)  # not there, or not readable: read says which, plainly
    return _read_at(str(chosen), stamp)


@lru_cache(maxsize=4)
def _read_at(where: str, _stamp: tuple[tuple[str, int, int], ...]) -> Organisation:
    return read(Path(where))


def read(where: Path) -> Organisation:
    """Everything in the folder, checked: a missing folder, a file that is not a regular
    file, a broken organisation.toml or advice.toml (named with its line), a logo that is not
    a PNG or JPEG beside it."""
    where = Path(os.path.expanduser(str(where))).absolute()
    if not where.is_dir():
        raise InputError(
            _(
                "the organisation folder {folder} does not exist or is not a folder: choose the "
                "folder that holds organisation.toml, advice.toml, activities.csv or norms/",
                folder=where,
            )
        )
    name, logo = "", None
    settings = _file(where / SETTINGS_FILE)
    if settings is not None:
        data = _toml(settings)
        unknown = sorted(set(data) - {"name", "logo"})
        if unknown:
            raise InputError(
                _(
                    "{path}: '{setting}' is not a setting here (the settings are name and logo)",
                    path=settings,
                    setting=unknown[0],
                )
            )
        given = data.get("name", "")
        if not isinstance(given, str) or len(given.strip()) > NAME_LIMIT:
            raise InputError(
                _(
                    "{path}: name must be text of at most {limit} characters",
                    path=settings,
                    limit=NAME_LIMIT,
                )
            )
        name = " ".join(given.split())
        if "logo" in data:
            logo = _logo(where, settings, data["logo"])
    advice = _file(where / ADVICE)
    if advice is not None:
        _check_advice(advice)
    activities = _file(where / ACTIVITIES)
    norms = where / NORMS
    if norms.exists() and not norms.is_dir():
        raise InputError(_("{path} must be a folder holding a norm set", path=norms))
    return Organisation(where, name, logo, advice, activities, norms if norms.is_dir() else None)


def _file(path: Path) -> Path | None:
    """`path` if it is there and a regular file; None if it is not there."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise InputError(
            _("cannot read {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            _("{path} is not a regular file: replace it with the file itself", path=path)
        )
    return path


def _toml(path: Path) -> dict[str, object]:
    try:
        return read_toml(path)
    except NormDataError as e:
        raise InputError(
            _("{problem} (in the organisation folder {folder})", problem=e, folder=path.parent)
        ) from None


def _check_advice(path: Path) -> None:
    """The advice wording whole, as the sheet reads it: every section and step there."""
    from ffmot.core.advice import load_advice
    from ffmot.core.interpret import load_rules

    _toml(path)  # a broken line, named
    try:
        load_rules(path)
        load_advice(path)
    except NormDataError as e:
        raise InputError(
            _("{path}: {problem} (compare it with ffmot's own advice.toml)", path=path, problem=e)
        ) from None


def _logo(where: Path, settings: Path, given: object) -> Path:
    if not isinstance(given, str) or not given.strip():
        raise InputError(
            _("{path}: logo must name a PNG or JPEG file in {folder}", path=settings, folder=where)
        )
    path = (where / given).resolve()
    if path.parent != where.resolve():
        raise InputError(
            _(
                "{path}: the logo must be a file in {folder} itself, not {logo}",
                path=settings,
                folder=where,
                logo=given,
            )
        )
    suffix = path.suffix.lower()
    if suffix not in LOGO_TYPES:
        raise InputError(
            _("{path}: the logo {logo} must be a .png or .jpg file", path=settings, logo=given)
        )
    found = _file(path)
    if found is None:
        raise InputError(
            _("{path}: the logo {logo} is not in {folder}", path=settings, logo=given, folder=where)
        )
    if found.stat().st_size > LOGO_LIMIT:
        raise InputError(
            _(
                "{path}: the logo {logo} is over 2 MB: use a smaller picture",
                path=settings,
                logo=given,
            )
        )
    with found.open("rb") as f:
        head = f.read(8)
    if not head.startswith(LOGO_TYPES[suffix]):
        raise InputError(
            _(
                "{path}: {logo} is not a {kind} picture",
                path=settings,
                logo=given,
                kind=suffix[1:].upper(),
            )
        )
    _decodes(found, settings, given)
    return found


def _decodes(path: Path, settings: Path, given: str) -> None:
    """The whole picture decodes (a damaged one would stop every sheet being made)."""
    from PIL import Image

    try:
        with Image.open(path) as picture:
            picture.load()
            w, h = picture.size
    except Exception as e:  # Pillow raises many kinds for a damaged or hostile picture
        raise InputError(
            _(
                "{path}: the logo {logo} cannot be read as a picture ({problem}): "
                "save it again as PNG or JPEG",
                path=settings,
                logo=given,
                problem=type(e).__name__,
            )
        ) from None
    if not (8 <= w <= 4000 and 8 <= h <= 4000):
        raise InputError(
            _(
                "{path}: the logo {logo} is {width} by {height} pixels: use 8 to 4000",
                path=settings,
                logo=given,
                width=w,
                height=h,
            )
        )
