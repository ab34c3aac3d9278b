"""PostgreSQL LISTEN/NOTIFY for the live board: boards wake when an event is written.

Every change writes its ``dispatch_events`` row and, on PostgreSQL, ``pg_notify`` on
:data:`CHANNEL` in the same transaction; PostgreSQL delivers the notification at commit, to
every listening connection in every app process. A process's board hub keeps one listening
connection and reads the table when woken, so the event log stays the one source of truth
(a missed notification costs at most one timeout, after which the hub reads the table anyway).
SQLite has no such channel: there the hub keeps polling.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

CHANNEL = "accord_dispatch"


def notify(session: Session) -> None:
    """Announce a new event at commit (PostgreSQL only; a no-op on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def libpq_dsn(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (``postgresql+psycopg://`` → ``…``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """One LISTEN connection (psycopg, asyncio). :meth:`wait` returns True when at least one
    notification arrived within ``timeout`` seconds (and drains the others), else False."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection: Any = None

    async def start(self) -> None:
        import psycopg

        self.connection = await psycopg.AsyncConnection.connect(libpq_dsn(self.url),
                                                                autocommit=True)
        await self.connection.execute(f"LISTEN {CHANNEL}")

    async def wait(self, timeout: float) -> bool:
        woken = False
        async for _ in self.connection.notifies(timeout=timeout, stop_after=1):
            woken = True
        if woken:  # several commits close together: one read of the table serves them all
            async for _ in self.connection.notifies(timeout=0.001):
                pass
        return woken

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None
