"""knowledge: a second passage vector (multilingual-e5-small) and the token string PostgreSQL
needs for BM25; cases: the needs a person states

Revision ID: 0026_knowledge_needs
Revises: 0025_dispatch_intake
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.knowledge.index import body_of, ensure_bm25_body

revision = "0026_knowledge_needs"
down_revision = "0025_dispatch_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("knowledge_passages") as batch:
        batch.add_column(sa.Column("vector_e5", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("case_persons") as batch:
        batch.add_column(sa.Column("stated_needs", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
    connection = op.get_bind()
    ensure_bm25_body(connection)
    if connection.dialect.name != "sqlite":
        # Passages indexed before this revision: their token string, as index_passage builds it
        # (the e5 vectors are filled by the next sync, which needs the model).
        rows = connection.execute(sa.text(
            "SELECT p.id, p.text, p.citation, p.document, p.section FROM knowledge_passages p "
            "JOIN knowledge_search s ON s.passage_id = p.id")).all()
        for pid, text_, citation, document, section in rows:
            connection.execute(sa.text("UPDATE knowledge_search SET body = :body "
                                       "WHERE passage_id = :id"),
                               {"body": body_of(text_, citation, document, section), "id": pid})


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        connection.execute(sa.text("ALTER TABLE knowledge_search DROP COLUMN IF EXISTS body"))
    with op.batch_alter_table("knowledge_passages") as batch:
        batch.drop_column("vector_e5")
    with op.batch_alter_table("case_persons") as batch:
        batch.drop_column("stated_needs")
