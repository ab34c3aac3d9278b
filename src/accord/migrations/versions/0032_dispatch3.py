"""dispatch: caller recordings with draft transcripts; anonymised incidents

Revision ID: 0032_dispatch3
Revises: 0031_knowledge3
Create Date: 2026-12-07 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0032_dispatch3"
down_revision = "0031_knowledge3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=True),
        sa.Column("audio_sha256", sa.String(length=64), nullable=False),
        sa.Column("audio_bytes", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("transcript_language", sa.String(length=35), nullable=False),
        sa.Column("language_source", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("engine", sa.String(length=120), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("confirmed_text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_dispatch_recordings_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_recordings_incident_id_dispatch_incidents"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_recordings")),
    )
    with op.batch_alter_table("dispatch_recordings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_recordings_incident_id"), ["incident_id"],
                              unique=False)
    with op.batch_alter_table("dispatch_incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", accord.core.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_incidents", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
    with op.batch_alter_table("dispatch_recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_recordings_incident_id"))
    op.drop_table("dispatch_recordings")
