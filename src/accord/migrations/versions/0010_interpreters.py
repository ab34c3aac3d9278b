"""interpreter roster, requests, bookings, content reviews

Revision ID: 0010_interpreters
Revises: 0009_legal_facts
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0010_interpreters"
down_revision = "0009_legal_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interpreters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("register_id", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.Column("clearance", sa.String(length=24), nullable=False),
        sa.Column("availability", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("volunteer", sa.Boolean(), nullable=False),
        sa.Column("certified_translator", sa.Boolean(), nullable=False),
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_interpreters_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreters")),
        sa.UniqueConstraint("register_id", name=op.f("uq_interpreters_register_id")),
    )
    with op.batch_alter_table("interpreters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interpreters_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_interpreters_user_id"), ["user_id"], unique=False)

    op.create_table(
        "interpreter_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("dialect", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=24), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("interpreter_id", sa.Integer(), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("independence", sa.JSON(), nullable=False),
        sa.Column("scheduled_start", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scheduled_end", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("joined_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interpreter_id"], ["interpreters.id"],
            name=op.f("fk_interpreter_requests_interpreter_id_interpreters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"],
            name=op.f("fk_interpreter_requests_requested_by_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreter_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_interpreter_requests_reference")),
    )
    with op.batch_alter_table("interpreter_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpreter_requests_case_ref"), ["case_ref"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_interpreter_requests_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_interpreter_requests_interpreter_id"), ["interpreter_id"],
            unique=False)
        batch_op.create_index(
            batch_op.f("ix_interpreter_requests_language"), ["language"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_interpreter_requests_status"), ["status"], unique=False)

    op.create_table(
        "interpretation_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("machine_text", sa.Text(), nullable=False),
        sa.Column("corrected_text", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.Column("at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user"], ["users.id"],
            name=op.f("fk_interpretation_corrections_by_user_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["interpreter_requests.id"],
            name=op.f("fk_interpretation_corrections_request_id_interpreter_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpretation_corrections")),
    )
    with op.batch_alter_table("interpretation_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpretation_corrections_decision_id"), ["decision_id"],
            unique=False)
        batch_op.create_index(
            batch_op.f("ix_interpretation_corrections_request_id"), ["request_id"],
            unique=False)

    op.create_table(
        "content_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_kind", sa.String(length=16), nullable=False),
        sa.Column("content_id", sa.String(length=48), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text_digest", sa.String(length=64), nullable=False),
        sa.Column("translator_name", sa.String(length=200), nullable=False),
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("verified_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["verified_by"], ["users.id"],
            name=op.f("fk_content_verifications_verified_by_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_verifications")),
    )
    with op.batch_alter_table("content_verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_verifications_content_id"), ["content_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_content_verifications_verified_at"), ["verified_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("content_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_verifications_verified_at"))
        batch_op.drop_index(batch_op.f("ix_content_verifications_content_id"))
    op.drop_table("content_verifications")
    with op.batch_alter_table("interpretation_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpretation_corrections_request_id"))
        batch_op.drop_index(batch_op.f("ix_interpretation_corrections_decision_id"))
    op.drop_table("interpretation_corrections")
    with op.batch_alter_table("interpreter_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpreter_requests_status"))
        batch_op.drop_index(batch_op.f("ix_interpreter_requests_language"))
        batch_op.drop_index(batch_op.f("ix_interpreter_requests_interpreter_id"))
        batch_op.drop_index(batch_op.f("ix_interpreter_requests_created_at"))
        batch_op.drop_index(batch_op.f("ix_interpreter_requests_case_ref"))
    op.drop_table("interpreter_requests")
    with op.batch_alter_table("interpreters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpreters_user_id"))
        batch_op.drop_index(batch_op.f("ix_interpreters_active"))
    op.drop_table("interpreters")
