"""confirmed phrasebook matches

Revision ID: 0019_understanding
Revises: 0018_training
Create Date: 2026-12-07 04:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0019_understanding"
down_revision = "0018_training"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interpret_phrase_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.Column("phrasebook_version", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("person_text", sa.Text(), nullable=False),
        sa.Column("interpretation_zh", sa.Text(), nullable=False),
        sa.Column("entry_status", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("case_ref", sa.String(length=32), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpret_phrase_confirmations")),
        sa.UniqueConstraint("decision_id",
                            name=op.f("uq_interpret_phrase_confirmations_decision_id")),
    )
    with op.batch_alter_table("interpret_phrase_confirmations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interpret_phrase_confirmations_case_ref"),
                              ["case_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("interpret_phrase_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpret_phrase_confirmations_case_ref"))
    op.drop_table("interpret_phrase_confirmations")
