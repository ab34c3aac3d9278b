"""case files: cases, persons, documents, events, statements, evidence, tasks

Revision ID: 0008_cases
Revises: 0007_forecast_patrols
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import accord.core.db  # noqa: F401

revision = "0008_cases"
down_revision = "0007_forecast_patrols"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled in by the work that adds these tables


def downgrade() -> None:
    pass
