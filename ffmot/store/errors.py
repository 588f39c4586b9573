"""The store's errors, importable without loading the database layer."""

from __future__ import annotations

from collections.abc import Callable

from ffmot.core.errors import FfmotError


class StoreError(FfmotError):
    """The database cannot be used as asked; the message says why and what to do."""


class FileGoneError(StoreError):
    """The SQLite file ffmot opened was deleted or replaced by another file while it was open:
    the save was refused (nothing acknowledged is lost), and nothing more can be saved."""


class ConflictError(StoreError):
    """Someone else saved the same record first; nothing of either save was lost."""


class UnreachableError(StoreError):
    """The shared database server cannot be reached (the network, or the server is down).

    The message is for the person at the station, in plain words; `detail` (the address and
    the driver's own words) is for the log only. `probe`, when given, tries the server again
    and raises if it still cannot be reached, so the app can say when it is back."""

    def __init__(
        self, message: str, detail: str = "", probe: Callable[[], None] | None = None
    ) -> None:
        super().__init__(message)
        self.detail = detail
        self.probe = probe
