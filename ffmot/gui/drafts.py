"""What a practitioner is typing, kept on disk as they type, so a crash or a power cut loses
nothing: the entry comes back when ffmot starts again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Drafts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def station_key(station: str) -> str:
        """The draft of a station's entry: one per station name."""
        return f"station-{station}"

    def _path(self, key: str) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)
        return self.folder / f"{safe}.json"

    def save(self, key: str, data: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(key)
        tmp = path.with_suffix(".part")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)  # personal data
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def clear(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
