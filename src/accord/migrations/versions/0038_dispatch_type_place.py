"""dispatch: duplicates at intake are looked up by type and place in one index

Replaces the index on the incident type alone, which the new one's first column serves too.

Revision ID: 0038_dispatch_type_place
Revises: 0037_ledger_seq_rowid
Create Date: 2026-12-08 02:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0038_dispatch_type_place"
down_revision = "0037_ledger_seq_rowid"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dispatch_incidents_type_code_lat_lon", "dispatch_incidents",
                    ["type_code", "lat", "lon"])
    op.drop_index("ix_dispatch_incidents_type_code", table_name="dispatch_incidents")


def downgrade() -> None:
    op.create_index("ix_dispatch_incidents_type_code", "dispatch_incidents", ["type_code"])
    op.drop_index("ix_dispatch_incidents_type_code_lat_lon", table_name="dispatch_incidents")
