"""Every foreign key is the first column of an index (or of the primary key), in the schema the
migrations build: deleting a row makes the database find the rows that point at it (to cascade
or clear the link), and without an index that reads the whole table. Erasing one person read
every visit in the database that way (0.3 s at 230,000 visits) until the previous-visit link
was indexed."""

from __future__ import annotations

from sqlalchemy import inspect

from ffmot.store.db import connect


def test_every_foreign_key_leads_an_index(db_url):
    db = connect(db_url)
    try:
        look = inspect(db.engine)
        unindexed = []
        for table in look.get_table_names():
            leading = {
                tuple(ix["column_names"][: len(fk["constrained_columns"])])
                for ix in look.get_indexes(table)
                for fk in look.get_foreign_keys(table)
            }
            leading |= {tuple(ix["column_names"]) for ix in look.get_unique_constraints(table)}
            pk = tuple(look.get_pk_constraint(table)["constrained_columns"])
            for fk in look.get_foreign_keys(table):
                cols = tuple(fk["constrained_columns"])
                if cols not in leading and pk[: len(cols)] != cols:
                    unindexed.append(f"{table}.{','.join(cols)}")
    finally:
        db.close()
    assert unindexed == []
