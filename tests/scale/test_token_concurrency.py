"""API-token requests under concurrency: no "database is locked", last use kept to the minute.

Recording a token's last use on every request made each API call a read-then-write
transaction; on SQLite half the calls of 8 concurrent clients failed with 503. The stamp is now
written at most once a minute per token, in its own BEGIN IMMEDIATE transaction.
"""

from __future__ import annotations

import concurrent.futures
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from accord.core.accounts import AccountService
from accord.core.accounts.models import ApiToken
from accord.core.db import Database, utcnow

CLIENTS = 32


def _tokens(database: Database, make_user, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    user = make_user("client")  # one account, one token per client (password hashing is slow)
    with database.session() as session:
        accounts = AccountService(session)
        owner = accounts.get_user(user.id)
        return [accounts.issue_token(owner, f"client {n}").token for n in range(count)]


def _last_used(database: Database) -> dict[int, object]:
    with database.session() as session:
        return dict(session.execute(select(ApiToken.id, ApiToken.last_used_at)).all())


def test_32_concurrent_token_clients_get_no_server_error(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    tokens = _tokens(database, make_user, CLIENTS)

    def call(token: str) -> list[int]:
        headers = {"Authorization": f"Bearer {token}"}
        return [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)]

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        codes = [code for codes in pool.map(call, tokens) for code in codes]
    assert [c for c in codes if c >= 500] == []
    assert codes.count(200) == 3 * CLIENTS
    # Every token's first use was recorded.
    assert all(stamp is not None for stamp in _last_used(database).values())


def test_last_use_is_written_at_most_once_a_minute(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    [token] = _tokens(database, make_user, 1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    [first] = _last_used(database).values()
    assert first is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert list(_last_used(database).values()) == [first]  # within the minute: no write

    earlier = utcnow() - timedelta(seconds=61)
    with database.session() as session:
        session.execute(update(ApiToken).values(last_used_at=earlier))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    [again] = _last_used(database).values()
    assert again is not None and again > earlier + timedelta(seconds=60)
