"""What a practitioner is typing, kept on disk as they type, so a crash or a power cut loses
nothing: the entry comes back when ffmot starts again.

On an encrypted database (ffmot/store/keys.py) a draft is sealed with a key derived from the
database's (AES-256-GCM), so a lost laptop's drafts are as unreadable as its database, and a
draft comes back only once the database is unlocked. A draft that cannot be opened with the
key in hand (another database's, or damaged) is left alone, never shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ffmot.core.files import write_private


class Drafts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seal_key: bytes | None = None

    def use_key(self, database_key: bytes | None) -> None:
        """Seal drafts from now on with the open database's key (None: a plain file or a
        shared server, whose drafts stay as typed). See store/keys.seal_draft."""
        self._seal_key = database_key

    def exists(self, key: str) -> bool:
        """A draft is kept for this key (whether or not it can be opened yet)."""
        return self._path(key).is_file()

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
        text = json.dumps(data)
        if self._seal_key is not None:
            from ffmot.store.keys import seal_draft

            text = json.dumps({"sealed": seal_draft(self._seal_key, text)})
        write_private(path, text.encode("utf-8"))  # personal data: owner-only, whole

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and "sealed" in data:
            data = self._open(data["sealed"])
        elif self._seal_key is not None:
            data = None  # a plain draft beside an encrypted database: not this database's
        return data if isinstance(data, dict) else None

    def _open(self, sealed: object) -> object:
        from ffmot.store.keys import open_draft

        text = open_draft(self._seal_key, sealed) if self._seal_key is not None else None
        try:
            return json.loads(text) if text is not None else None
        except ValueError:
            return None

    def clear(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
