"""installed translation model packs and their measured quality

Revision ID: 0011_model_packs
Revises: 0010_interpreters
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import accord.core.db  # noqa: F401

revision = "0011_model_packs"
down_revision = "0010_interpreters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled in by the work that adds these tables


def downgrade() -> None:
    pass
