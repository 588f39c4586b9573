"""Each participant's sheet language: the take-home sheet is made in it (ffmot/core/i18n.py).
Everyone here before has English, as their sheets were.

Revision ID: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("language", sa.String(12), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("language")
