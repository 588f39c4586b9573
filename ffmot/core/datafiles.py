"""Reading the data files a clinician or organiser may edit (norms, battery, screening rules,
advice): one way to open them, and one plain message when one cannot be read."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ffmot.core.errors import NormDataError
from ffmot.core.i18n import _


def read_toml(path: Path) -> dict[str, Any]:
    """The file's tables; a NormDataError that names the file and what is wrong otherwise."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise NormDataError(
            _("cannot read {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise NormDataError(
            _("{file} is not valid TOML: {problem}", file=path.name, problem=e)
        ) from None
