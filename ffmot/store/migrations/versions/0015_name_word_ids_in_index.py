"""Find as you type reads the people a name word starts from the index alone. Name words carry
their participant's search columns (the order shown) and all the words of their names, and
one index on (later, word, search columns, id, words) gives a range of words its people, in
that order, with what else their names hold, without looking up each row:
at 200,000 people "mary" starts 4,000 names, each look-up a page read from anywhere in the
file. The last visit the search shows for each person comes from an index of (participant,
date) rather than from each visit's row. The search columns' own indexes go: the indexes in
the order shown start with them and hold what the search tests, where these sent SQLite to
each row.

Revision ID: 0015
"""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


PAGE = 10_000  # name words read at a time


def upgrade() -> None:
    with op.batch_alter_table("name_word") as batch:
        for column in ("search_family", "search_given"):
            batch.add_column(sa.Column(column, sa.String(100), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("search_words", sa.String(250), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE name_word SET search_family = p.search_family, search_given = p.search_given"
        " FROM participant p WHERE p.id = name_word.participant_id"
    )
    _write_search_words()
    op.create_index(
        "ix_name_word_order",
        "name_word",
        ["later", "word", "search_family", "search_given", "participant_id", "search_words"],
    )
    op.drop_index("ix_name_word_word", "name_word")
    op.drop_index("ix_name_word_later", "name_word")
    op.create_index(
        "ix_assessment_participant_day", "assessment", ["participant_id", "assessed_on"]
    )
    op.drop_index("ix_assessment_participant_id", "assessment")
    # The search columns' own indexes: those in the order shown start with them and hold
    # what the search tests, where these sent SQLite to each row.
    op.drop_index("ix_participant_search_given", "participant")
    op.drop_index("ix_participant_search_family", "participant")


def _write_search_words() -> None:
    """Each person's words, sorted, between spaces (models.name_word_rows), from the words
    already stored: a page of rows at a time, by key."""
    bind = op.get_bind()
    read = sa.text(
        "SELECT participant_id, word FROM name_word WHERE participant_id > :after"
        " ORDER BY participant_id, word LIMIT :n"
    )
    update = sa.text("UPDATE name_word SET search_words = :w WHERE participant_id = :p")
    after = ""
    while True:
        rows = bind.execute(read, {"after": after, "n": PAGE}).all()
        people = [(pid, [r[1] for r in group]) for pid, group in groupby(rows, lambda r: r[0])]
        if len(rows) == PAGE and len(people) > 1:
            people.pop()  # (its words may go on past the page: read again with the next)
        if people:
            bind.execute(update, [{"p": pid, "w": " ".join(ws)} for pid, ws in people])
        if len(rows) < PAGE:
            return
        after = people[-1][0]


def downgrade() -> None:
    op.create_index("ix_participant_search_family", "participant", ["search_family"])
    op.create_index("ix_participant_search_given", "participant", ["search_given"])
    op.create_index("ix_assessment_participant_id", "assessment", ["participant_id"])
    op.drop_index("ix_assessment_participant_day", "assessment")
    op.create_index("ix_name_word_later", "name_word", ["later", "word"])
    op.create_index("ix_name_word_word", "name_word", ["word"])
    op.drop_index("ix_name_word_order", "name_word")
    with op.batch_alter_table("name_word") as batch:
        batch.drop_column("search_words")
        batch.drop_column("search_given")
        batch.drop_column("search_family")
