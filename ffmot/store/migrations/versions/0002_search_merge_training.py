"""Search as you type, merge conflicts kept for review, training MOT days, erasure tombstones.

Adds lower-cased name columns (filled from the names already stored) so the participant
search stays instant at 50,000 people; a table that keeps both versions of a record that
differs between merged databases; and a flag marking sandbox MOT days.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as b:
        b.add_column(sa.Column("search_given", sa.String(100)))
        b.add_column(sa.Column("search_family", sa.String(100)))
    participant = sa.table(
        "participant",
        sa.column("given_name", sa.String),
        sa.column("family_name", sa.String),
        sa.column("search_given", sa.String),
        sa.column("search_family", sa.String),
    )
    op.execute(
        participant.update().values(
            search_given=sa.func.lower(participant.c.given_name),
            search_family=sa.func.lower(participant.c.family_name),
        )
    )
    with op.batch_alter_table("participant") as b:
        b.alter_column("search_given", existing_type=sa.String(100), nullable=False)
        b.alter_column("search_family", existing_type=sa.String(100), nullable=False)
        b.create_index("ix_participant_search_given", ["search_given"])
        b.create_index("ix_participant_search_family", ["search_family"])

    with op.batch_alter_table("event") as b:
        b.add_column(sa.Column("training", sa.Boolean, nullable=False, server_default=sa.false()))

    op.create_table(
        "merge_conflict",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("local", sa.JSON, nullable=False),
        sa.Column("incoming", sa.JSON, nullable=False),
        sa.Column("incoming_hash", sa.String(64), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("entity_id", "incoming_hash", name="uq_conflict_seen"),
    )
    op.create_index("ix_merge_conflict_entity_id", "merge_conflict", ["entity_id"])

    op.create_table(
        "tombstone",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )
