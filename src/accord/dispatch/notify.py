"""PostgreSQL LISTEN/NOTIFY for the live board: boards wake when an event is written.

Every change writes its ``dispatch_events`` row and, on PostgreSQL, ``pg_notify`` on
:data:`CHANNEL` in the same transaction; PostgreSQL delivers the notification at commit, to
every listening connection in every app process. A process's board hub keeps one listening
connection and reads the table when woken, so the event log stays the one source of truth
(a missed notification costs at most one timeout, after which the hub reads the table anyway).
SQLite has no such channel: there the hub keeps polling, and a commit made in the same process
wakes its hub at once (:func:`on_local_commit`) — only a hint to read the table now, never the
events themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

CHANNEL = "accord_dispatch"
_WROTE = "accord_dispatch_event"  # session.info flag: this transaction wrote a board event
_wakers: set[Callable[[], None]] = set()


def notify(session: Session) -> None:
    """Announce a new event at commit: on PostgreSQL to every process (NOTIFY), and in this
    process to its board hubs (after the commit, so that their read sees the row)."""
    session.info[_WROTE] = True
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def notify_cursor(cursor: Any, dialect: str) -> None:
    """:func:`notify` for a transaction on the driver's cursor (``Database.write_cursor``):
    the NOTIFY goes out at its commit; call :func:`committed` once it has committed."""
    if dialect == "postgresql":
        cursor.execute("SELECT pg_notify(%s, '')", (CHANNEL,))


def committed() -> None:
    """Wake this process's board hubs after a commit made outside a Session."""
    for waker in list(_wakers):
        waker()


def on_local_commit(waker: Callable[[], None]) -> Callable[[], None]:
    """Call ``waker`` (from the committing thread) after each commit in this process that
    wrote a board event; returns the function that stops it."""
    _wakers.add(waker)
    return lambda: _wakers.discard(waker)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        committed()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)


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
