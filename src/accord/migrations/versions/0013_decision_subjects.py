"""decision_subjects: every person a decision concerns, as keyed digests

Revision ID: 0013_decision_subjects
Revises: 0012_case_reports
Create Date: 2026-11-24 10:00:00

Existing links (``decisions.subject_key``) are copied into the new table, so decisions linked
before this migration are still found by a rights request.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_decision_subjects"
down_revision = "0012_case_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_subjects",
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_subjects_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("decision_id", "subject_key", name=op.f("pk_decision_subjects")),
    )
    with op.batch_alter_table("decision_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_subjects_subject_key"), ["subject_key"], unique=False
        )
    op.execute(
        "INSERT INTO decision_subjects (decision_id, subject_key) "
        "SELECT id, subject_key FROM decisions WHERE subject_key <> ''"
    )


def downgrade() -> None:
    with op.batch_alter_table("decision_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_subjects_subject_key"))
    op.drop_table("decision_subjects")
