"""The retest recall's marks: a visit's person was invited to a retest, or booked one
(services/recall.py). Erased with the person or the visit.

Revision ID: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recall_mark",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "participant_id",
            sa.String(36),
            sa.ForeignKey(
                "participant.id",
                ondelete="CASCADE",
                name="fk_recall_mark_participant_id_participant",
            ),
            nullable=False,
        ),
        sa.Column(
            "assessment_id",
            sa.String(36),
            sa.ForeignKey(
                "assessment.id", ondelete="CASCADE", name="fk_recall_mark_assessment_id_assessment"
            ),
            nullable=False,
        ),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.UniqueConstraint("assessment_id", "state", name="uq_recall_mark_state"),
        sa.CheckConstraint("state IN ('invited', 'booked')", name="ck_recall_mark_recall_state"),
    )
    op.create_index("ix_recall_mark_participant_id", "recall_mark", ["participant_id"])
    op.create_index("ix_recall_mark_assessment_id", "recall_mark", ["assessment_id"])


def downgrade() -> None:
    op.drop_table("recall_mark")
