"""Names found as people type them: accents, case and punctuation aside, by any word.

The search columns hold folded names ("Siân Ó Briain" -> "sian", "o briain") and a new table
holds every word of each participant's names, so "briain" finds "Ó Briain" through an index.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from ffmot.core.names import fold, words

    op.create_table(
        "name_word",
        sa.Column(
            "participant_id",
            sa.String(36),
            sa.ForeignKey(
                "participant.id", ondelete="CASCADE", name="fk_name_word_participant_id_participant"
            ),
            nullable=False,
        ),
        sa.Column("word", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", "word", name="pk_name_word"),
    )
    op.create_index("ix_name_word_word", "name_word", ["word"])
    bind = op.get_bind()
    person = sa.table(
        "participant",
        sa.column("id", sa.String),
        sa.column("given_name", sa.String),
        sa.column("family_name", sa.String),
        sa.column("search_given", sa.String),
        sa.column("search_family", sa.String),
    )
    word = sa.table(
        "name_word", sa.column("participant_id", sa.String), sa.column("word", sa.String)
    )
    rows = bind.execute(sa.select(person.c.id, person.c.given_name, person.c.family_name)).all()
    for pid, given, family in rows:
        bind.execute(
            person.update()
            .where(person.c.id == pid)
            .values(search_given=fold(given), search_family=fold(family))
        )
    batch = [
        {"participant_id": pid, "word": w}
        for pid, given, family in rows
        for w in sorted(words(given, family))
    ]
    if batch:
        bind.execute(word.insert(), batch)


def downgrade() -> None:
    op.drop_index("ix_name_word_word", "name_word")
    op.drop_table("name_word")
