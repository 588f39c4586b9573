"""Which copy of a fact came after which (ffmot.core.lineage): a version vector beside each
person's details, each visit fact and each result, so a station file's old copy of a value
corrected since is recognised as old instead of raising a disagreement.

Revision ID: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("participant", "assessment", "result")


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("lineage", sa.JSON(), nullable=True))


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("lineage")
