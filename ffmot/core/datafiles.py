"""Reading the data files a clinician or organiser may edit (norms, battery, screening rules,
advice): one way to open them, and one plain message when one cannot be read."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ffmot.core.errors import NormDataError


def read_toml(path: Path) -> dict[str, Any]:
    """The file's tables; a NormDataError that names the file and what is wrong otherwise."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise NormDataError(f"cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise NormDataError(f"{path.name} is not valid TOML: {e}") from None
