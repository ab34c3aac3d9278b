"""Migration 0037: on SQLite the ledger's sequence number becomes the table's rowid, and the
entries already stored keep their bytes, hashes and order (they must still verify)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from alembic import command

from accord.core import migrate

BEFORE = "0036_dispatch_incident_place"


def _entries(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT seq, leaf_hash, body, kind, capability_id, actor, created_at "
            "FROM ledger_entries ORDER BY seq").fetchall()


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'ledger_entries'")}


def test_sqlite_ledger_seq_becomes_the_rowid_and_entries_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, BEFORE)
    rows = []
    for seq in range(50):
        body = json.dumps({"kind": "decision", "seq": seq, "x": "é" * (seq % 3)},
                          ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        rows.append((seq, hashlib.sha256(b"\x00" + body.encode()).hexdigest(), body,
                     "decision", "interpret.langid" if seq % 2 else "", f"user:{seq % 7}",
                     f"2026-12-07 10:00:{seq:02d}.000000"))
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO ledger_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                               rows[::-1])  # stored out of order: the order must come from seq
    assert "sqlite_autoindex_ledger_entries_1" in _indexes(path)  # BIGINT: a separate key index

    migrate.upgrade(url)
    assert _entries(path) == rows
    with sqlite3.connect(path) as connection:
        assert connection.execute(
            "SELECT count(*) FROM ledger_entries WHERE rowid != seq").fetchone() == (0,)
        columns = {name: kind for _, name, kind, *_ in
                   connection.execute("PRAGMA table_info(ledger_entries)")}
        # The explorer's filters keep their indexes; the key index is the table itself.
        assert _indexes(path) == {"ix_ledger_entries_kind", "ix_ledger_entries_capability_id",
                                  "ix_ledger_entries_actor", "ix_ledger_entries_created_at"}
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT max(seq) FROM ledger_entries").fetchall()
    assert columns["seq"] == "INTEGER"
    assert "INDEX" not in " ".join(str(step[-1]) for step in plan)

    command.downgrade(migrate.alembic_config(url), BEFORE)
    assert _entries(path) == rows
    assert "sqlite_autoindex_ledger_entries_1" in _indexes(path)
