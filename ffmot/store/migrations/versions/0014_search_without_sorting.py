"""Find as you type without sorting thousands of matches (ffmot/services/records.py,
search_participants): name words are marked `later` unless they are the first word of the given
or family name, with an index on (later, word), so the few later words (a second given name,
the second part of a double-barrelled name) are found without reading the many first words
that start the same; and an index on (search_given, search_family, id) holds each given name's
people in the order the search shows them.

Revision ID: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _first_word(column: str, sqlite: bool) -> str:
    if sqlite:
        return (
            f"CASE WHEN instr(p.{column}, ' ') > 0 "
            f"THEN substr(p.{column}, 1, instr(p.{column}, ' ') - 1) ELSE p.{column} END"
        )
    return f"split_part(p.{column}, ' ', 1)"


def upgrade() -> None:
    with op.batch_alter_table("name_word") as batch:
        batch.add_column(
            sa.Column("later", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(
        "UPDATE name_word SET later = "
        + ("1" if sqlite else "true")
        + " WHERE NOT EXISTS (SELECT 1 FROM participant p WHERE p.id = name_word.participant_id"
        + f" AND name_word.word IN ({_first_word('search_given', sqlite)},"
        + f" {_first_word('search_family', sqlite)}))"
    )
    op.create_index("ix_name_word_later", "name_word", ["later", "word"])
    op.create_index(
        "ix_participant_given_order", "participant", ["search_given", "search_family", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_participant_given_order", "participant")
    op.drop_index("ix_name_word_later", "name_word")
    with op.batch_alter_table("name_word") as batch:
        batch.drop_column("later")
