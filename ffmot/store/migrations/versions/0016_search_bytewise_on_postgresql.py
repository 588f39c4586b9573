"""On PostgreSQL the columns find-as-you-type compares (the search columns, the name words
and their copies, the card code) are compared byte by byte, as SQLite compares them: the "C"
collation, whatever the server's locale. Under a language's collation (en_GB.UTF-8, the usual
server default) `LIKE 'mar%'` cannot use an index, and a range ('mar' to 'mas') is not a
prefix (spaces and hyphens are passed over: "ma rx" falls inside it). SQLite: nothing to do.
Changing a column's collation rebuilds its indexes and drops its statistics, which the
planner needs to tell a common first letter from a rare one: the tables are analysed again.

Revision ID: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = {
    "participant": {"code": 12, "search_given": 100, "search_family": 100},
    "name_word": {"word": 100, "search_family": 100, "search_given": 100, "search_words": 250},
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "{collation}"'
            for column, length in columns.items()
        )
        op.execute(f"ALTER TABLE {table} {changes}")
        op.execute(f"ANALYZE {table}")


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
