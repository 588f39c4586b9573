"""Alembic environment: ffmot always hands over an open connection (see ffmot.store.db)."""

from __future__ import annotations

from alembic import context

from ffmot.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # ALTER TABLE on SQLite goes through copy-and-move
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
