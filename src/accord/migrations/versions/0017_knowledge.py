"""Knowledge lookup: passages (with their vectors), the legal officers' question queue, the
passage full-text index and the international-cooperation share log

Revision ID: 0017_knowledge
Revises: 0016_vision
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.core.db import UTCDateTime
from accord.knowledge.index import drop_schema, ensure_schema

revision = "0017_knowledge"
down_revision = "0016_vision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_passages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("document", sa.String(length=300), nullable=False),
        sa.Column("section", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("citation", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.Column("source_link", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("vector_model", sa.String(length=64), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_knowledge_passages_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["verified_by"], ["users.id"],
                                name=op.f("fk_knowledge_passages_verified_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_passages")),
        sa.UniqueConstraint("key", "language", name="uq_knowledge_passages_key"),
    )
    op.create_index(op.f("ix_knowledge_passages_key"), "knowledge_passages", ["key"])
    op.create_table(
        "knowledge_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("passage_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["asked_by"], ["users.id"],
                                name=op.f("fk_knowledge_questions_asked_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"],
                                name=op.f("fk_knowledge_questions_answered_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["passage_id"], ["knowledge_passages.id"],
                                name=op.f("fk_knowledge_questions_passage_id_knowledge_passages"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_questions")),
    )
    op.create_index(op.f("ix_knowledge_questions_asked_by"), "knowledge_questions", ["asked_by"])
    op.create_index(op.f("ix_knowledge_questions_status"), "knowledge_questions", ["status"])
    op.create_table(
        "knowledge_sync",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_knowledge_sync")),
    )
    op.create_table(
        "knowledge_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=40), nullable=False),
        sa.Column("case_reference", sa.String(length=24), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.String(length=400), nullable=False),
        sa.Column("sensitivity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subject_keys", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"],
                                name=op.f("fk_knowledge_shares_requested_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"],
                                name=op.f("fk_knowledge_shares_approved_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_shares")),
    )
    op.create_index(op.f("ix_knowledge_shares_case_reference"), "knowledge_shares",
                    ["case_reference"])
    op.create_index(op.f("ix_knowledge_shares_requested_by"), "knowledge_shares",
                    ["requested_by"])
    op.create_index(op.f("ix_knowledge_shares_status"), "knowledge_shares", ["status"])
    ensure_schema(op.get_bind())  # full-text index (FTS5 / tsvector), accord.knowledge.index


def downgrade() -> None:
    drop_schema(op.get_bind())
    op.drop_index(op.f("ix_knowledge_shares_status"), table_name="knowledge_shares")
    op.drop_index(op.f("ix_knowledge_shares_requested_by"), table_name="knowledge_shares")
    op.drop_index(op.f("ix_knowledge_shares_case_reference"), table_name="knowledge_shares")
    op.drop_table("knowledge_shares")
    op.drop_table("knowledge_sync")
    op.drop_index(op.f("ix_knowledge_questions_status"), table_name="knowledge_questions")
    op.drop_index(op.f("ix_knowledge_questions_asked_by"), table_name="knowledge_questions")
    op.drop_table("knowledge_questions")
    op.drop_index(op.f("ix_knowledge_passages_key"), table_name="knowledge_passages")
    op.drop_table("knowledge_passages")
