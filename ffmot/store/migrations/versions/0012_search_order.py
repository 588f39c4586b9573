"""Find as you type walks participants in the order it shows them: an index on (folded family
name, folded given name, id), so the first rows that match a common first letter are found
without sorting everyone that matches (ffmot/services/records.py, search_participants).

Revision ID: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_participant_search_order", "participant", ["search_family", "search_given", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_participant_search_order", "participant")
