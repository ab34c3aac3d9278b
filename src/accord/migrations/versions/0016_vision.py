"""Vision: media items with their custody chain, and consents for 1:1 verification

Revision ID: 0016_vision
Revises: 0015_dispatch
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.core.db import UTCDateTime

revision = "0016_vision"
down_revision = "0015_dispatch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vision_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("parent_sha256", sa.String(length=64), nullable=False),
        sa.Column("detector_version", sa.String(length=120), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("boxes", sa.JSON(), nullable=True),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_vision_items_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["parent_id"], ["vision_items.id"],
                                name=op.f("fk_vision_items_parent_id_vision_items"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"],
                                name=op.f("fk_vision_items_reviewed_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vision_items")),
    )
    for column in ("sha256", "status", "parent_id", "decision_id", "created_by"):
        op.create_index(op.f(f"ix_vision_items_{column}"), "vision_items", [column])
    op.create_table(
        "vision_custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("hash_verified", sa.Boolean(), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_user"], ["users.id"],
                                name=op.f("fk_vision_custody_events_by_user_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["vision_items.id"],
                                name=op.f("fk_vision_custody_events_item_id_vision_items"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vision_custody_events")),
    )
    op.create_index(op.f("ix_vision_custody_events_item_id"), "vision_custody_events",
                    ["item_id"])
    op.create_table(
        "vision_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("person_label", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("used_decision_id", sa.String(length=32), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"],
                                name=op.f("fk_vision_consents_approved_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"],
                                name=op.f("fk_vision_consents_recorded_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vision_consents")),
        sa.UniqueConstraint("reference", name=op.f("uq_vision_consents_reference")),
    )


def downgrade() -> None:
    op.drop_table("vision_consents")
    op.drop_index(op.f("ix_vision_custody_events_item_id"), table_name="vision_custody_events")
    op.drop_table("vision_custody_events")
    for column in ("sha256", "status", "parent_id", "decision_id", "created_by"):
        op.drop_index(op.f(f"ix_vision_items_{column}"), table_name="vision_items")
    op.drop_table("vision_items")
