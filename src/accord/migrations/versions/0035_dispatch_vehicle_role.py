"""dispatch: a linked vehicle's role in the incident (involved, suspect, victim, witness)

Revision ID: 0035_dispatch_vehicle_role
Revises: 0034_conversation_start_key
Create Date: 2026-12-07 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035_dispatch_vehicle_role"
down_revision = "0034_conversation_start_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Vehicles linked before roles existed were linked as "involved" (the neutral role).
    with op.batch_alter_table("dispatch_vehicles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), nullable=False,
                                      server_default="involved"))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_vehicles", schema=None) as batch_op:
        batch_op.drop_column("role")
