"""Records made part of others (two registrations of one person merged), so a station file that
still holds the old record brings its facts to the kept one instead of bringing it back.

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merged_record",
        sa.Column("old_id", sa.String(36), nullable=False),
        sa.Column("kept_id", sa.String(36), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("old_id", name="pk_merged_record"),
    )
    op.create_index("ix_merged_record_kept_id", "merged_record", ["kept_id"])


def downgrade() -> None:
    op.drop_index("ix_merged_record_kept_id", table_name="merged_record")
    op.drop_table("merged_record")
