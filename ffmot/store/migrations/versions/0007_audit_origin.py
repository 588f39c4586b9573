"""Where an audit entry came from: empty for an entry made in this database; for one brought in
from a station file, the file (never a password), who brought it in and when. So a station's
history is kept as the station's record, never taken as this database's own.

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("origin", sa.String(500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("origin")
