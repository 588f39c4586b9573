"""The first schema: participants, consent, MOT days, visits, screening, results, trials, audit.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "participant",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("sex", sa.String(12), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(200)),
        sa.Column("postcode_district", sa.String(8)),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("sex IN ('female', 'male', 'not_stated')", name="ck_participant_sex"),
        sa.UniqueConstraint("code", name="uq_participant_code"),
    )
    op.create_index("ix_participant_date_of_birth", "participant", ["date_of_birth"])
    op.create_table(
        "consent",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "participant_id",
            sa.String(36),
            sa.ForeignKey(
                "participant.id", ondelete="CASCADE", name="fk_consent_participant_id_participant"
            ),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_consent_participant_id", "consent", ["participant_id"])
    op.create_table(
        "event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("venue", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("tests_offered", sa.JSON, nullable=False),
        sa.Column("norm_set_version", sa.String(40), nullable=False),
        sa.Column("activities_directory", sa.String(500), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_event_date", "event", ["date"])
    op.create_table(
        "assessment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "participant_id",
            sa.String(36),
            sa.ForeignKey(
                "participant.id",
                ondelete="CASCADE",
                name="fk_assessment_participant_id_participant",
            ),
            nullable=False,
        ),
        sa.Column(
            "event_id",
            sa.String(36),
            sa.ForeignKey("event.id", ondelete="RESTRICT", name="fk_assessment_event_id_event"),
            nullable=False,
        ),
        sa.Column(
            "previous_id",
            sa.String(36),
            sa.ForeignKey(
                "assessment.id", ondelete="SET NULL", name="fk_assessment_previous_id_assessment"
            ),
        ),
        sa.Column("practitioner", sa.String(100), nullable=False),
        sa.Column("station", sa.String(100), nullable=False),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("height_cm", sa.Float),
        sa.Column("weight_kg", sa.Float),
        sa.Column("waist_cm", sa.Float),
        sa.Column("moderate_minutes", sa.Float),
        sa.Column("strength_days", sa.Integer),
        sa.Column("balance_days", sa.Integer),
        sa.Column("sitting_hours", sa.Float),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("goals", sa.Text, nullable=False),
        sa.Column("printed_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("participant_id", "event_id", name="uq_assessment_visit"),
    )
    op.create_index("ix_assessment_participant_id", "assessment", ["participant_id"])
    op.create_index("ix_assessment_event_id", "assessment", ["event_id"])
    op.create_table(
        "screening",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "assessment_id",
            sa.String(36),
            sa.ForeignKey(
                "assessment.id", ondelete="CASCADE", name="fk_screening_assessment_id_assessment"
            ),
            nullable=False,
        ),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("systolic", sa.Integer),
        sa.Column("diastolic", sa.Integer),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("excluded_tests", sa.JSON, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_screening_assessment_id", "screening", ["assessment_id"])
    op.create_table(
        "result",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "assessment_id",
            sa.String(36),
            sa.ForeignKey(
                "assessment.id", ondelete="CASCADE", name="fk_result_assessment_id_assessment"
            ),
            nullable=False,
        ),
        sa.Column("test_id", sa.String(40), nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(30)),
        sa.Column("value", sa.Float),
        sa.Column("unit", sa.String(12), nullable=False),
        sa.Column("modifications", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("station", sa.String(100), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("assessment_id", "test_id", name="uq_result_test"),
        sa.CheckConstraint(
            "(done AND value IS NOT NULL) OR (NOT done AND reason IS NOT NULL)",
            name="ck_result_done_or_reason",
        ),
    )
    op.create_index("ix_result_assessment_id", "result", ["assessment_id"])
    op.create_table(
        "trial",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "result_id",
            sa.String(36),
            sa.ForeignKey("result.id", ondelete="CASCADE", name="fk_trial_result_id_result"),
            nullable=False,
        ),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(12), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
    )
    op.create_index("ix_trial_result_id", "trial", ["result_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("station", sa.String(100), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
