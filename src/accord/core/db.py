"""Database engine and sessions (SQLAlchemy 2).

SQLite is the embedded default: it runs in WAL mode with foreign keys on, so the web process and
the embedded queue workers can read while one writes. PostgreSQL is the production database; the
same models and migrations serve both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases.

    SQLite has no time zones; without this, values read back are naive and compare wrongly
    with aware ones.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin) instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint the WAL into the database every ~40 MB instead of every ~4 MB: each checkpoint
    # fsyncs, and at the default (1000 pages) that cost ~40% of every small write transaction.
    # Durability is unchanged (it is set by synchronous=NORMAL in WAL mode).
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Start SQLite transactions; writers that must serialise ask for BEGIN IMMEDIATE.

    In WAL mode a deferred transaction that read first and writes later can fail with
    SQLITE_BUSY_SNAPSHOT when another writer committed in between; BEGIN IMMEDIATE takes the
    write lock up front (waiting up to busy_timeout) so such writers queue instead.
    """
    if connection.get_execution_options().get("sqlite_immediate"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


@dataclass(frozen=True)
class PoolSize:
    """How many connections one process may hold, and how long a request waits for one.

    A request holds at most one pooled connection at a time (see ``accord.web.deps``), so the
    pool bounds concurrency without deadlocking; size it to the database's connection budget
    divided by the number of processes.
    """

    size: int = 10
    overflow: int = 10
    timeout: float = 30.0


def make_engine(url: str, pool: PoolSize | None = None) -> Engine:
    """Create an engine with the right settings for the database behind ``url``."""
    pool = pool or PoolSize()
    parsed = make_url(url)
    sizing: dict[str, Any] = {"pool_size": pool.size, "max_overflow": pool.overflow,
                              "pool_timeout": pool.timeout}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            sizing = {}  # in-memory SQLite uses a single-connection pool of its own
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                               **sizing)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **sizing)


class Database:
    """An engine plus a session factory: the one handle services get to storage."""

    def __init__(self, url: str, pool: PoolSize | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, pool)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session for writers that must be serialised (ledger appends).

        On SQLite the transaction starts with BEGIN IMMEDIATE; on PostgreSQL callers take an
        advisory lock (see :mod:`accord.core.ledger.store`).
        """
        session = self.sessions()
        try:
            if self.dialect == "sqlite":
                session.connection(execution_options={"sqlite_immediate": True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a serialised write transaction, committed on success.

        The same serialisation as :meth:`write_session` without the ORM's unit of work, for hot
        paths that only run prebuilt statements (ledger appends, the gateway's decision row).
        """
        with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                connection.execution_options(sqlite_immediate=True)
            with connection.begin():
                yield connection

    def ping(self) -> None:
        """Raise if the database cannot be reached (used by /readyz)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
