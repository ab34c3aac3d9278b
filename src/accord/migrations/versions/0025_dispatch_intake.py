"""dispatch: linked persons and vehicles, officer-safety timers

Revision ID: 0025_dispatch_intake
Revises: 0024_conversation
Create Date: 2026-12-07 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.core.db

revision = "0025_dispatch_intake"
down_revision = "0024_conversation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=40), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"],
                                name=op.f("fk_dispatch_persons_added_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["incident_id"], ["dispatch_incidents.id"],
                                name=op.f("fk_dispatch_persons_incident_id_dispatch_incidents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_persons")),
    )
    with op.batch_alter_table("dispatch_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_persons_incident_id"), ["incident_id"],
                              unique=False)
    op.create_table(
        "dispatch_vehicles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("make", sa.String(length=40), nullable=False),
        sa.Column("colour", sa.String(length=24), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"],
                                name=op.f("fk_dispatch_vehicles_added_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["incident_id"], ["dispatch_incidents.id"],
                                name=op.f("fk_dispatch_vehicles_incident_id_dispatch_incidents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_vehicles")),
    )
    with op.batch_alter_table("dispatch_vehicles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_vehicles_incident_id"), ["incident_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_dispatch_vehicles_plate"), ["plate"], unique=False)
    with op.batch_alter_table("dispatch_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("safety_checked_at",
                                      accord.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("safety_flagged_at",
                                      accord.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_units", schema=None) as batch_op:
        batch_op.drop_column("safety_flagged_at")
        batch_op.drop_column("safety_checked_at")
    with op.batch_alter_table("dispatch_vehicles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_vehicles_plate"))
        batch_op.drop_index(batch_op.f("ix_dispatch_vehicles_incident_id"))
    op.drop_table("dispatch_vehicles")
    with op.batch_alter_table("dispatch_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_persons_incident_id"))
    op.drop_table("dispatch_persons")
