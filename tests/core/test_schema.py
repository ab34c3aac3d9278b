"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL.

A model change without a matching migration (or a hand-written migration that drifts from its
model) would pass every other test, because the test database is built from the migrations.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accord.assembly import metadata
from accord.core.db import Database


def _meaningful(diff: object) -> bool:
    # SQLite reports server defaults and some type details loosely; compare tables, columns,
    # indexes, unique constraints and foreign keys, which is what drifts in practice.
    if isinstance(diff, list):
        return any(_meaningful(item) for item in diff)
    kind = diff[0] if isinstance(diff, tuple) else ""
    return kind in {"add_table", "remove_table", "add_column", "remove_column", "add_index",
                    "remove_index", "add_fk", "remove_fk", "add_constraint",
                    "remove_constraint", "modify_nullable"}


def _search_ddl(diff: object) -> bool:
    if not isinstance(diff, tuple) or diff[0] not in {"remove_table", "remove_index"}:
        return False
    table = diff[1] if diff[0] == "remove_table" else diff[1].table
    return str(table.name).startswith(("case_search", "knowledge_search"))


def test_migrations_match_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diffs = [d for d in compare_metadata(context, metadata()) if _meaningful(d)]
    # The full-text search tables and their indexes are created by DDL in
    # accord.cases.search (FTS5 / tsvector), not by models; they are allowed.
    diffs = [d for d in diffs if not _search_ddl(d)]
    assert diffs == [], f"models and migrations differ: {diffs}"
