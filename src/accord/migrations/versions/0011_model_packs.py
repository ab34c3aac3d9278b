"""installed translation model packs and their measured quality

Revision ID: 0011_model_packs
Revises: 0010_interpreters
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0011_model_packs"
down_revision = "0010_interpreters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translation_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("source_language", sa.String(length=8), nullable=False),
        sa.Column("target_language", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("licence", sa.String(length=128), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("directory", sa.String(length=200), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("chrf", sa.Float(), nullable=False),
        sa.Column("bleu", sa.Float(), nullable=False),
        sa.Column("sentences", sa.Integer(), nullable=False),
        sa.Column("measured_command", sa.String(length=200), nullable=False),
        sa.Column("measured_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("installed_by", sa.String(length=64), nullable=False),
        sa.Column("installed_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_packs")),
        sa.UniqueConstraint("name", "version", name="uq_translation_packs_name_version"),
    )
    with op.batch_alter_table("translation_packs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_translation_packs_source_language"), ["source_language"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_translation_packs_target_language"), ["target_language"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_translation_packs_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("translation_packs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_packs_status"))
        batch_op.drop_index(batch_op.f("ix_translation_packs_target_language"))
        batch_op.drop_index(batch_op.f("ix_translation_packs_source_language"))
    op.drop_table("translation_packs")
