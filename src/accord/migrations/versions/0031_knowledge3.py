"""Exports held for a supervisor's approval (a refusal's reason, where the requester fetches the
bytes once approved); stated needs on a dispatch incident's linked persons

Revision ID: 0031_knowledge3
Revises: 0027_station
Create Date: 2026-12-07 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_knowledge3"
down_revision = "0027_station"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing shares keep an empty note and no download (they were letters or went out).
    with op.batch_alter_table("knowledge_shares") as batch:
        batch.add_column(sa.Column("decision_note", sa.Text(), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("download", sa.String(length=300), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("dispatch_persons") as batch:
        batch.add_column(sa.Column("stated_needs", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_persons") as batch:
        batch.drop_column("stated_needs")
    with op.batch_alter_table("knowledge_shares") as batch:
        batch.drop_column("download")
        batch.drop_column("decision_note")
