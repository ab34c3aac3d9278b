"""ledger: on SQLite, the entry's sequence number is the table's rowid

Revision ID: 0037_ledger_seq_rowid
Revises: 0036_dispatch_incident_place
Create Date: 2026-12-07 23:30:00

``ledger_entries.seq`` was declared BIGINT, which SQLite stores in a table keyed by a hidden
rowid plus a separate unique index on ``seq``: every append wrote both. Declared INTEGER, the
primary key is the rowid itself (one B-tree fewer per append, and the next sequence number is
read from the table's last row). The table is rebuilt with the same rows, constraint and
indexes. PostgreSQL keeps BIGINT: nothing changes there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037_ledger_seq_rowid"
down_revision = "0036_dispatch_incident_place"
branch_labels = None
depends_on = None


def _seq_type(type_: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("ledger_entries", recreate="always") as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), type_=type_,
                              existing_nullable=False, autoincrement=False)


def upgrade() -> None:
    _seq_type(sa.Integer())


def downgrade() -> None:
    _seq_type(sa.BigInteger())
