"""Screening asked one way round, with no outcome until it is finished; why a test was stopped.

Two screening questions were asked "Can you ...?" (a "no" was the risk) while seven were "Do
you ...?" (a "yes" was): their stored answers are renamed and flipped so every question reads
"yes = risk". Every stored screening's outcome and ruled-out tests are worked out again by
today's rules: a screening with an unasked question was "clear to test" and is now "not
finished", and "cannot stand safely" or "cannot walk safely" rule out every test that needs it.
A result stopped by the tester gains the reason it was stopped (chest pain, dizziness, pain,
breathlessness, or something else such as a slip).

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from ffmot.core import screening

    with op.batch_alter_table("result") as b:
        b.add_column(sa.Column("stop_reason", sa.String(30)))

    bind = op.get_bind()
    table = sa.table(
        "screening",
        sa.column("id", sa.String),
        sa.column("assessment_id", sa.String),
        sa.column("answers", sa.JSON),
        sa.column("systolic", sa.Integer),
        sa.column("diastolic", sa.Integer),
        sa.column("outcome", sa.String),
        sa.column("excluded_tests", sa.JSON),
    )
    event = sa.table("event", sa.column("id", sa.String), sa.column("tests_offered", sa.JSON))
    visit = sa.table("assessment", sa.column("id", sa.String), sa.column("event_id", sa.String))
    rows = bind.execute(
        sa.select(
            table.c.id,
            table.c.answers,
            table.c.systolic,
            table.c.diastolic,
            event.c.tests_offered,
        )
        .join(visit, visit.c.id == table.c.assessment_id)
        .join(event, event.c.id == visit.c.event_id)
    ).all()
    for sid, answers, systolic, diastolic, offered in rows:
        upgraded = {
            k: v
            for k, v in screening.upgrade_answers(answers or {}).items()
            if k in screening.QUESTION_IDS
        }
        bp_ok = systolic is not None and diastolic is not None
        out = screening.assess(
            upgraded,
            systolic if bp_ok else None,
            diastolic if bp_ok else None,
            tuple(offered or ()),
        )
        bind.execute(
            table.update()
            .where(table.c.id == sid)
            .values(answers=upgraded, outcome=out.outcome, excluded_tests=list(out.excluded_tests))
        )


def downgrade() -> None:
    with op.batch_alter_table("result") as b:
        b.drop_column("stop_reason")
