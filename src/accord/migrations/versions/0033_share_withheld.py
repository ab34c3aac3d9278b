"""A share withheld from the person's access report by a recorded legal decision (who recorded
it, when, and the decision's reference and grounds)

Revision ID: 0033_share_withheld
Revises: 0032_dispatch3
Create Date: 2026-12-07 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.core.db import UTCDateTime

revision = "0033_share_withheld"
down_revision = "0032_dispatch3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing shares are not withheld: an empty decision.
    with op.batch_alter_table("knowledge_shares") as batch:
        batch.add_column(sa.Column("withheld_decision", sa.String(length=400), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("withheld_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("withheld_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key("fk_knowledge_shares_withheld_by_users", "users",
                                 ["withheld_by"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("knowledge_shares") as batch:
        batch.drop_constraint("fk_knowledge_shares_withheld_by_users", type_="foreignkey")
        batch.drop_column("withheld_at")
        batch.drop_column("withheld_by")
        batch.drop_column("withheld_decision")
