"""dispatch: an index on the incident's place (earlier calls and duplicates at intake)

Revision ID: 0036_dispatch_incident_place
Revises: 0035_dispatch_vehicle_role
Create Date: 2026-12-07 21:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0036_dispatch_incident_place"
down_revision = "0035_dispatch_vehicle_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dispatch_incidents_lat_lon", "dispatch_incidents", ["lat", "lon"])


def downgrade() -> None:
    op.drop_index("ix_dispatch_incidents_lat_lon", table_name="dispatch_incidents")
