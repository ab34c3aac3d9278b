"""interpreter roster, requests, bookings, content reviews

Revision ID: 0010_interpreters
Revises: 0009_legal_facts
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import accord.core.db  # noqa: F401

revision = "0010_interpreters"
down_revision = "0009_legal_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled in by the work that adds these tables


def downgrade() -> None:
    pass
