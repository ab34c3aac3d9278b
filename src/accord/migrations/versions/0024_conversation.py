"""two-screen conversations: conversations, turns, event log, join failures

Revision ID: 0024_conversation
Revises: 0019_understanding
Create Date: 2026-12-07 13:05:59.404998
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0024_conversation"
down_revision = "0019_understanding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interpret_conversation_join_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_digest", sa.String(length=64), nullable=False),
        sa.Column("at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpret_conversation_join_failures")),
    )
    with op.batch_alter_table("interpret_conversation_join_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpret_conversation_join_failures_at"), ["at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_interpret_conversation_join_failures_client_digest"),
            ["client_digest"],
            unique=False,
        )

    op.create_table(
        "interpret_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=32), nullable=False),
        sa.Column("report_ref", sa.String(length=24), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("legal_basis", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("code_expires_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tablet_digest", sa.String(length=64), nullable=True),
        sa.Column("joined_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("pin_blocked_until", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["users.id"],
            name=op.f("fk_interpret_conversations_officer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpret_conversations")),
        sa.UniqueConstraint("reference", name=op.f("uq_interpret_conversations_reference")),
        sa.UniqueConstraint("tablet_digest", name=op.f("uq_interpret_conversations_tablet_digest")),
    )
    with op.batch_alter_table("interpret_conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpret_conversations_case_ref"), ["case_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_interpret_conversations_code_digest"), ["code_digest"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_interpret_conversations_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_interpret_conversations_report_ref"), ["report_ref"], unique=False
        )

    op.create_table(
        "interpret_conversation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["interpret_conversations.id"],
            name=op.f("fk_interpret_conversation_events_conversation_id_interpret_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpret_conversation_events")),
    )
    with op.batch_alter_table("interpret_conversation_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interpret_conversation_events_conv_id", ["conversation_id", "id"], unique=False
        )

    op.create_table(
        "interpret_conversation_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_person", sa.Text(), nullable=False),
        sa.Column("entry_status", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["interpret_conversations.id"],
            name=op.f("fk_interpret_conversation_turns_conversation_id_interpret_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpret_conversation_turns")),
    )
    with op.batch_alter_table("interpret_conversation_turns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpret_conversation_turns_conversation_id"),
            ["conversation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("interpret_conversation_turns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpret_conversation_turns_conversation_id"))

    op.drop_table("interpret_conversation_turns")
    with op.batch_alter_table("interpret_conversation_events", schema=None) as batch_op:
        batch_op.drop_index("ix_interpret_conversation_events_conv_id")

    op.drop_table("interpret_conversation_events")
    with op.batch_alter_table("interpret_conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpret_conversations_report_ref"))
        batch_op.drop_index(batch_op.f("ix_interpret_conversations_officer_id"))
        batch_op.drop_index(batch_op.f("ix_interpret_conversations_code_digest"))
        batch_op.drop_index(batch_op.f("ix_interpret_conversations_case_ref"))

    op.drop_table("interpret_conversations")
    with op.batch_alter_table("interpret_conversation_join_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpret_conversation_join_failures_client_digest"))
        batch_op.drop_index(batch_op.f("ix_interpret_conversation_join_failures_at"))

    op.drop_table("interpret_conversation_join_failures")
