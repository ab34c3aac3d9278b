"""The request's database session is closed on the event loop only when it holds nothing
(no thread hand-off), and on the thread pool when a transaction is still open."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text

from accord.core.db import Database
from accord.web import deps
from tests.helpers import run_coroutine


def _close_request_session(database: Database, monkeypatch: pytest.MonkeyPatch,
                           use: Any) -> tuple[list[str], Any]:
    hops: list[str] = []

    async def counting(func: Any, *args: Any) -> Any:
        hops.append(getattr(func, "__name__", str(func)))
        return await asyncio.to_thread(func, *args)

    monkeypatch.setattr(deps, "run_in_threadpool", counting)

    async def request() -> Any:
        # The dependency reads the database from the app's state, as in a request.
        dependency = deps.db_session(
            SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(database=database))))
        session = await dependency.__anext__()
        await asyncio.to_thread(use, session)  # the route's work, on a worker thread
        with pytest.raises(StopAsyncIteration):
            await dependency.__anext__()
        return session

    return hops, run_coroutine(request())


def test_a_session_without_a_transaction_closes_without_a_thread_hop(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def authenticate_then_commit(session: Any) -> None:
        session.execute(text("SELECT 1"))
        session.commit()  # what optional_principal does before the route runs

    hops, session = _close_request_session(database, monkeypatch, authenticate_then_commit)
    assert hops == []
    assert not session.in_transaction()
    assert database.engine.pool.checkedout() == 0


def test_a_session_still_in_a_transaction_is_closed_on_the_pool(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    hops, session = _close_request_session(
        database, monkeypatch, lambda session: session.execute(text("SELECT 1")))
    assert hops == ["close"]
    assert not session.in_transaction()
    assert database.engine.pool.checkedout() == 0
