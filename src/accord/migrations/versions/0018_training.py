"""Training: passes (lessons, courses, drills) and automation-bias drill runs and answers

Revision ID: 0018_training
Revises: 0017_knowledge
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0018_training"
down_revision = "0017_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("course_version", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_training_passes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_passes")),
    )
    op.create_index(op.f("ix_training_passes_user_id"), "training_passes", ["user_id"])
    op.create_index(op.f("ix_training_passes_course_id"), "training_passes", ["course_id"])
    op.create_index(op.f("ix_training_passes_created_at"), "training_passes", ["created_at"])
    op.create_table(
        "training_drill_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.String(length=64), nullable=False),
        sa.Column("drill_version", sa.Integer(), nullable=False),
        sa.Column("cohort", sa.String(length=40), nullable=False),
        sa.Column("started_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_training_drill_runs_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_drill_runs")),
    )
    op.create_index(op.f("ix_training_drill_runs_user_id"), "training_drill_runs", ["user_id"])
    op.create_index(op.f("ix_training_drill_runs_drill_id"), "training_drill_runs", ["drill_id"])
    op.create_index(op.f("ix_training_drill_runs_cohort"), "training_drill_runs", ["cohort"])
    op.create_table(
        "training_drill_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("seeded_error", sa.Boolean(), nullable=False),
        sa.Column("before_choice", sa.Integer(), nullable=False),
        sa.Column("after_choice", sa.Integer(), nullable=True),
        sa.Column("answered_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["training_drill_runs.id"],
                                name=op.f("fk_training_drill_answers_run_id_training_drill_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_drill_answers")),
        sa.UniqueConstraint("run_id", "item_id",
                            name=op.f("uq_training_drill_answers_run_id")),
    )
    op.create_index(op.f("ix_training_drill_answers_run_id"), "training_drill_answers",
                    ["run_id"])


def downgrade() -> None:
    op.drop_table("training_drill_answers")
    op.drop_table("training_drill_runs")
    op.drop_table("training_passes")
