"""legal facts confirmations, notices given, consular letters

Revision ID: 0009_legal_facts
Revises: 0008_cases
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import accord.core.db  # noqa: F401

revision = "0009_legal_facts"
down_revision = "0008_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled in by the work that adds these tables


def downgrade() -> None:
    pass
