"""legal facts confirmations, notices given, consular letters

Revision ID: 0009_legal_facts
Revises: 0008_cases
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0009_legal_facts"
down_revision = "0008_cases"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "legal_fact_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_id", sa.String(length=80), nullable=False),
        sa.Column("fact_digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.Column("at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        _fk("legal_fact_confirmations", "by_user", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_fact_confirmations")),
    )
    with op.batch_alter_table("legal_fact_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legal_fact_confirmations_fact_id"), ["fact_id"], unique=False
        )

    op.create_table(
        "case_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.String(length=48), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("given_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("given_by", sa.Integer(), nullable=True),
        sa.Column("interpreter_name", sa.String(length=200), nullable=False),
        sa.Column("interpreter_register_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        _fk("case_notices", "case_id", "cases.id", "CASCADE"),
        _fk("case_notices", "person_id", "case_persons.id", "SET NULL"),
        _fk("case_notices", "given_by", "users.id", "SET NULL"),
        _fk("case_notices", "event_id", "case_events.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notices")),
    )
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notices_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_notices_given_at"), ["given_at"], unique=False)

    op.create_table(
        "consular_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("nationality", sa.String(length=3), nullable=False),
        sa.Column("consulate", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("generated_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.Integer(), nullable=True),
        sa.Column("sent_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("sent_via", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        _fk("consular_letters", "case_id", "cases.id", "CASCADE"),
        _fk("consular_letters", "person_id", "case_persons.id", "SET NULL"),
        _fk("consular_letters", "generated_by", "users.id", "SET NULL"),
        _fk("consular_letters", "sent_by", "users.id", "SET NULL"),
        _fk("consular_letters", "event_id", "case_events.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consular_letters")),
    )
    with op.batch_alter_table("consular_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consular_letters_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consular_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consular_letters_case_id"))
    op.drop_table("consular_letters")
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notices_given_at"))
        batch_op.drop_index(batch_op.f("ix_case_notices_case_id"))
    op.drop_table("case_notices")
    with op.batch_alter_table("legal_fact_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_fact_confirmations_fact_id"))
    op.drop_table("legal_fact_confirmations")
