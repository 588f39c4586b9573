"""The audit becomes a hash chain (ffmot/core/chain.py): each entry made here gets a number and
a link; a one-row `audit_head` holds the last number and link, and every new entry takes the
next under that row's lock, so two stations writing at once cannot fork the chain. Entries
brought in from station files (`origin` set) stay outside the chain: the station's record, not
ours. Entries already here are chained now, oldest first; the chain cannot say whether they
were changed before today.

Revision ID: 0009
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

START = "0" * 64


def _entity_key(entity_id: str) -> str:
    if not entity_id:
        return ""
    return hashlib.sha256(f"ffmot-audit:{entity_id}".encode()).hexdigest()


def _when(at: dt.datetime | str) -> str:
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def _link(previous: str, row: list[object]) -> str:
    # Frozen here as it was written: a migration never changes with the code after it.
    body = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("entity_key", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("link", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_audit_seq", ["seq"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    conn = op.get_bind()
    audit = sa.table(
        "audit",
        sa.column("id", sa.String),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String),
        sa.column("station", sa.String),
        sa.column("action", sa.String),
        sa.column("entity", sa.String),
        sa.column("entity_id", sa.String),
        sa.column("detail", sa.Text),
        sa.column("origin", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("entity_key", sa.String),
        sa.column("link", sa.String),
    )
    rows = conn.execute(
        sa.select(
            audit.c.id, audit.c.at, audit.c.actor, audit.c.station, audit.c.action,
            audit.c.entity, audit.c.entity_id, audit.c.detail,
        )
        .where(audit.c.origin == "")
        .order_by(audit.c.at, audit.c.id)
    ).all()  # fmt: skip
    previous, seq = START, 0
    for r in rows:
        seq += 1
        key = _entity_key(r.entity_id or "")
        previous = _link(
            previous,
            [seq, r.id, _when(r.at), r.actor, r.station or "", r.action, r.entity, key,
             r.detail or ""],
        )  # fmt: skip
        conn.execute(
            sa.update(audit)
            .where(audit.c.id == r.id)
            .values(seq=seq, entity_key=key, link=previous)
        )
    conn.execute(
        sa.table(
            "audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
            sa.column("link", sa.String),
        ).insert().values(id=1, seq=seq, link=previous)
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit") as batch:
        batch.drop_constraint("uq_audit_seq", type_="unique")
        batch.drop_column("link")
        batch.drop_column("entity_key")
        batch.drop_column("seq")
