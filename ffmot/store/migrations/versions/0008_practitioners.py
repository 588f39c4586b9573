"""Named practitioners: who may sign in, with which role, and their PIN as an Argon2id hash.
A database with any practitioner is protected (services/practitioners.py).

Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practitioner",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("fold", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('station', 'coordinator', 'data_lead')", name="ck_practitioner_role"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_practitioner"),
        sa.UniqueConstraint("fold", name="uq_practitioner_fold"),
    )


def downgrade() -> None:
    op.drop_table("practitioner")
