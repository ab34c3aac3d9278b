"""AI-drafted case reports with every version kept

Revision ID: 0012_case_reports
Revises: 0011_model_packs
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import accord.core.db  # noqa: F401

revision = "0012_case_reports"
down_revision = "0011_model_packs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled in by the work that adds these tables


def downgrade() -> None:
    pass
