"""The conversation start form's one-time key: a refreshed or doubled submit finds the
conversation it started instead of starting a second one

Revision ID: 0034_conversation_start_key
Revises: 0033_share_withheld
Create Date: 2026-12-07 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034_conversation_start_key"
down_revision = "0033_share_withheld"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interpret_conversations") as batch:
        batch.add_column(sa.Column("start_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_interpret_conversations_start_key",
                                       ["officer_id", "start_key"])


def downgrade() -> None:
    with op.batch_alter_table("interpret_conversations") as batch:
        batch.drop_constraint("uq_interpret_conversations_start_key", type_="unique")
        batch.drop_column("start_key")
