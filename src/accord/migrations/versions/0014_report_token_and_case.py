"""Interview reports: a one-time submit token (no double filing) and the case they became

Revision ID: 0014_report_token_and_case
Revises: 0013_decision_subjects
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_report_token_and_case"
down_revision = "0013_decision_subjects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interpret_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submit_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("case_reference", sa.String(length=24), nullable=False,
                                      server_default=""))
        batch_op.create_unique_constraint(
            batch_op.f("uq_interpret_reports_submit_token"), ["submit_token"])
        batch_op.create_index(batch_op.f("ix_interpret_reports_case_reference"),
                              ["case_reference"], unique=False)
    # Reports that already became cases learn which case (cases keep the report's reference).
    op.execute(
        "UPDATE interpret_reports SET case_reference = COALESCE((SELECT cases.reference "
        "FROM cases WHERE cases.source_report = interpret_reports.reference), '') "
        "WHERE status = 'case-opened'"
    )


def downgrade() -> None:
    with op.batch_alter_table("interpret_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpret_reports_case_reference"))
        batch_op.drop_constraint(batch_op.f("uq_interpret_reports_submit_token"), type_="unique")
        batch_op.drop_column("case_reference")
        batch_op.drop_column("submit_token")
