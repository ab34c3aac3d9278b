"""Pooled PostgreSQL connections are checked without a round trip per check-out.

A connection the server ended (restart, failover, ``pg_terminate_backend``) must never reach
a caller; a live one must not cost a ``SELECT 1`` each time it leaves the pool (see
``accord.core.db._check_alive``). SQLite has no server connection to lose: its engine has
no such check.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from accord.core import db as db_module
from accord.core.db import Database, make_engine, pipelines


def _backend_pid(database: Database) -> int:
    with database.read_cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchall()[0][0])


def _count_pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = database.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_the_server_ended_is_replaced_before_use(database: Database) -> None:
    if database.dialect != "postgresql":
        # Nothing to poll for on a file: no check-out listener at all.
        assert len(database.engine.pool.dispatch.checkout) == 0
        return
    first = _backend_pid(database)
    # Another session ends this backend, as a restart or an administrator would.
    other = make_engine(database.url)
    try:
        with other.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
    finally:
        other.dispose()
    time.sleep(0.2)  # the server's goodbye reaches the idle socket
    # The pool hands out a working connection: no error reaches the caller.
    second = _backend_pid(database)
    assert second != first
    assert _backend_pid(database) == second  # and keeps using the new one


def test_a_connection_in_steady_use_is_not_pinged(database: Database,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if database.dialect != "postgresql":
        return  # (no check on SQLite: see the test above)
    _backend_pid(database)  # a connection in the pool, just checked in
    pings = _count_pings(database, monkeypatch)
    for _ in range(5):
        _backend_pid(database)
    assert pings == []
    # Idle past the limit (a peer that vanished says nothing): pinged before use.
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", -1.0)
    _backend_pid(database)
    assert pings == [1]



@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql+psycopg://accord@/accord?host=/tmp/accord-pg.x&port=54001", False),
    ("postgresql+psycopg://accord@localhost/accord", False),
    ("postgresql+psycopg://accord@127.0.0.1:5432/accord", False),
    ("postgresql+psycopg://accord@[::1]:5432/accord", False),
    ("postgresql+psycopg://accord@/accord", False),  # libpq's default socket
    ("postgresql+psycopg://accord@db.example.org/accord", True),
    ("postgresql+psycopg://accord@10.0.0.5:5000/accord", True),  # e.g. HAProxy to Patroni
    ("postgresql+psycopg://accord@/accord?host=db1.example.org&host=db2.example.org", True),
])
def test_pipeline_mode_only_for_a_server_on_another_machine(url: str, expected: bool) -> None:
    assert pipelines(url) is expected
