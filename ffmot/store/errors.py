"""The store's errors, importable without loading the database layer."""

from __future__ import annotations

from ffmot.core.errors import FfmotError


class StoreError(FfmotError):
    """The database cannot be used as asked; the message says why and what to do."""


class ConflictError(StoreError):
    """Someone else saved the same record first; nothing of either save was lost."""
