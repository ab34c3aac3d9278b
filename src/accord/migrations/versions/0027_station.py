"""Cases belong to a police station (the deadline board's filter, the supervisor's map)

Revision ID: 0027_station
Revises: 0026_knowledge_needs
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_station"
down_revision = "0026_knowledge_needs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing cases have no station ("": unrecorded); nothing is guessed for them.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("station", sa.String(length=40), nullable=False,
                                      server_default=""))
        batch_op.create_index(batch_op.f("ix_cases_station"), ["station"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_station"))
        batch_op.drop_column("station")
