"""Database engine and sessions (SQLAlchemy 2).

SQLite is the embedded default: it runs in WAL mode with foreign keys on, so the web process and
the embedded queue workers can read while one writes. PostgreSQL is the production database; the
same models and migrations serve both.
"""

from __future__ import annotations

import fcntl
import os
import select
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.expression import Executable
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
    engine = create_engine(url, **sizing)
    dialect = engine.dialect

    def check_alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        _check_alive(dialect, dbapi_connection, record)

    event.listen(engine, "connect", _note_checkin)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", check_alive)
    return engine


#: A pooled PostgreSQL connection idle longer than this is pinged before use (see _check_alive).
PING_AFTER_IDLE_SECONDS = 30.0
_CHECKED_IN_AT = "accord_checked_in_at"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _check_alive(dialect: Dialect, dbapi_connection: Any, record: Any) -> None:
    """Hand out a pooled PostgreSQL connection only if it is still connected.

    SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every check-out: a round trip to the
    server, three or four per request. A server that ended the connection (restart,
    failover, ``pg_terminate_backend``, an idle timeout) has sent its goodbye or closed the
    socket, so the socket of a connection that sits idle in
    the pool turns readable: that is checked without a round trip (a zero-timeout poll).
    Only then, or after :data:`PING_AFTER_IDLE_SECONDS` idle (a peer that vanished without a
    word), is the connection pinged; a connection that fails the ping is replaced by a new
    one before the caller sees it (``DisconnectionError`` makes the pool retry)."""
    if dbapi_connection.closed:
        raise DisconnectionError("connection closed")
    idle = time.monotonic() - record.info.get(_CHECKED_IN_AT, float("-inf"))
    poller = select.poll()  # (select() fails on descriptors above 1023)
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0) or idle > PING_AFTER_IDLE_SECONDS:
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: a new connection is the remedy
            raise DisconnectionError(str(error)) from error


_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


def pipelines(url: str) -> bool:
    """Whether the prebuilt-statement cursors on PostgreSQL should use pipeline mode: only
    for a server on another machine. On this machine (a Unix socket or loopback) a round trip
    costs tens of microseconds and pipelining cost more than it saved: an incident's intake
    took 0.80 ms of the app's CPU and 0.35 ms of the server's without it, 0.84-1.00 and
    0.38-0.40 with it (1,500 intakes, one thread). Across a network each round trip saved is
    worth far more than that CPU."""
    parsed = make_url(url)
    hosts = [parsed.host or ""]
    query_host = parsed.query.get("host", "")
    hosts += list(query_host) if isinstance(query_host, tuple) else [query_host]
    return any(host not in _LOCAL_HOSTS and not host.startswith("/") for host in hosts)


class Database:
    """An engine plus a session factory: the one handle services get to storage."""

    def __init__(self, url: str, pool: PoolSize | None = None,
                 pipeline: bool | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, pool)
        # PostgreSQL's pipeline mode (see write_cursor) saves round trips at the price of
        # some CPU on both ends; by default only where round trips cost: see pipelines().
        self.pipelined = (self.dialect == "postgresql"
                          and (pipelines(url) if pipeline is None else pipeline))
        # (Session.info["database"]: services given only a session reach the handle's
        # prebuilt-statement cursors through it.)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False,
                                     info={"database": self})
        self._writers = _WriterTurns(self.engine) if self.dialect == "sqlite" else None

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

    @contextmanager
    def write_cursor(self) -> Iterator[Any]:
        """A DBAPI cursor in a serialised write transaction, committed on success.

        The same transaction as :meth:`write_connection` (BEGIN IMMEDIATE on SQLite; PostgreSQL
        callers take the ledger's advisory lock), but without SQLAlchemy's Connection: on the
        two hottest paths (a gateway call's decision and ledger entry, group-committed ledger
        appends) its execution machinery cost several times what SQLite itself does, so those
        paths run :class:`Prepared` statements on the driver's cursor. Errors are raised as
        SQLAlchemy's (``OperationalError`` for a locked or unreachable database), as elsewhere.
        Returns only after the commit, so whatever the caller acknowledges is stored.

        On PostgreSQL on another machine (:func:`pipelines`) the transaction runs in psycopg's
        pipeline mode: statements whose results nobody reads yet are sent together, so BEGIN,
        the advisory lock and the sequence read cost one round trip, and the inserts with
        COMMIT one more (instead of one each). The order of execution on the server is
        unchanged, and an error in any of them fails the commit, so nothing of a failed
        transaction is acknowledged.
        """
        with self._writer_turn():
            yield from self._write_cursor()

    def _writer_turn(self) -> AbstractContextManager[Any]:
        """On SQLite, writers on the driver's cursor take turns (:class:`_WriterTurns`) before
        BEGIN IMMEDIATE."""
        return self._writers if self._writers is not None else nullcontext()

    def _write_cursor(self) -> Iterator[Any]:
        raw = self._raw_connection()
        driver = raw.driver_connection
        try:
            cursor = raw.cursor()
            try:
                with translate_errors(self.engine.dialect, driver, "COMMIT"), \
                        self._pipeline(driver):
                    if self.dialect == "sqlite":
                        cursor.execute("BEGIN IMMEDIATE")
                    yield cursor
                    raw.commit()
            except BaseException as error:
                _end_quietly(raw, error)
                raise
            finally:
                cursor.close()
        finally:
            raw.close()

    @contextmanager
    def read_cursor(self) -> Iterator[Any]:
        """A connection's DBAPI cursor for a few prebuilt reads (see :meth:`write_cursor` for
        why). Each read is its own statement-level snapshot: on PostgreSQL they run in
        autocommit (no BEGIN and ROLLBACK round trips) and, on another machine, pipeline mode
        (reads sent together);
        call :meth:`Prepared.execute` for each, then :meth:`Prepared.fetch`."""
        raw = self._raw_connection()
        driver = raw.driver_connection
        postgres = self.dialect == "postgresql"
        try:
            cursor = raw.cursor()
            try:
                if postgres:
                    driver.autocommit = True
                with translate_errors(self.engine.dialect, driver), self._pipeline(driver):
                    yield cursor
                if postgres:
                    driver.autocommit = False
            except BaseException as error:
                if postgres:
                    # It may still be in autocommit: never hand such a connection to the pool,
                    # where the next transaction (and the ledger's transaction-scoped lock)
                    # would silently commit statement by statement.
                    raw.invalidate()
                else:
                    _end_quietly(raw, error)
                raise
            finally:
                cursor.close()
        finally:
            raw.close()

    def _raw_connection(self) -> Any:
        """A pooled DBAPI connection; a database that cannot be reached raises SQLAlchemy's
        ``OperationalError`` (the web's 503), as ``engine.connect()`` does, not the driver's."""
        try:
            return self.engine.raw_connection()
        except self.engine.dialect.loaded_dbapi.Error as error:
            raise _translated(self.engine.dialect, None, "", None, error) from error

    def _pipeline(self, driver: Any) -> AbstractContextManager[Any]:
        return driver.pipeline() if self.pipelined else nullcontext()

    def ping(self) -> None:
        """Raise if the database cannot be reached (used by /readyz)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers is not None:
            self._writers.close()


class _WriterTurns:
    """Turns for SQLite writers, taken before BEGIN IMMEDIATE by :meth:`Database.write_cursor`.

    A writer that finds SQLite's write lock taken waits in SQLite's busy handler, which sleeps
    1, 2, 5, … 100 ms between tries and may lose each try to a newcomer: under load a few
    writers waited most of a second (intake p99 0.7 s with one app process). Here they queue
    instead and are woken as soon as the writer before them is done: the threads of this
    process on a lock, and the app processes on one database on an exclusive ``flock`` of a
    file beside the database (``<database>-writers``; the kernel wakes the next holder at
    once). Only an optimisation of waiting: SQLite's own lock still decides, and writers that
    do not take a turn (the ORM's sessions) meet these at it as before. An in-memory database
    has no file: threads only.
    """

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database
        self.path = f"{database}-writers" if database not in (None, "", ":memory:") else None
        self._lock = threading.RLock()
        self._depth = 0
        self._file: Any = None
        self._pid = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1 and self.path is not None:
            try:
                fcntl.flock(self._handle(), fcntl.LOCK_EX)
            except BaseException:
                self._depth -= 1
                self._lock.release()
                raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._depth == 1 and self.path is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._depth -= 1
            self._lock.release()

    def close(self) -> None:
        """Close the file the turns are taken on (opened again by the next writer)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _handle(self) -> Any:
        # One open file per process: a forked child must not share its parent's (a flock
        # belongs to the open file, which both would then hold at once).
        if self._file is None or self._pid != os.getpid():
            self._file = open(self.path, "a+b")  # noqa: SIM115 (kept open: the lock lives on it)
            self._pid = os.getpid()
        return self._file


def _end_quietly(raw: Any, error: BaseException | None) -> None:
    """Roll back; a connection the server dropped, or that cannot even roll back, is thrown
    away instead of going back to the pool."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        raw.invalidate()
        return
    try:
        raw.rollback()
    except Exception:
        raw.invalidate()


@contextmanager
def translate_errors(dialect: Dialect, driver_connection: Any, statement: str = "",
                     params: Any = None) -> Iterator[None]:
    """Raise driver errors as SQLAlchemy's, as a Connection would (the web answers an
    ``OperationalError`` with 503), marking those that mean the connection is gone."""
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        raise _translated(dialect, driver_connection, statement, params, error) from error


def _translated(dialect: Dialect, driver_connection: Any, statement: str, params: Any,
                error: Exception) -> DBAPIError:
    invalidated = dialect.is_disconnect(error, driver_connection, None)
    return DBAPIError.instance(statement, params, error, dialect.loaded_dbapi.Error,
                               hide_parameters=True, connection_invalidated=invalidated,
                               dialect=dialect)


def read_together(cursor: Any, reads: Sequence[tuple[Prepared, Mapping[str, Any] | None]]
                  ) -> list[list[tuple[Any, ...]]]:
    """The rows of several prebuilt selects, in order: each runs on its own cursor of
    ``cursor``'s connection and all are sent before any is read (one round trip in pipeline
    mode, see :meth:`Database.read_cursor`)."""
    cursors = [cursor] + [cursor.connection.cursor() for _ in reads[1:]]
    try:
        for each, (statement, values) in zip(cursors, reads, strict=True):
            statement.execute(each, values)
        return [statement.fetch(each)
                for each, (statement, _values) in zip(cursors, reads, strict=True)]
    finally:
        for extra in cursors[1:]:
            extra.close()


class Prepared:
    """A Core statement compiled once for one dialect, run directly on a DBAPI cursor.

    Why: SQLAlchemy's execute path (execution context, events, result wrapping) costs about ten
    times what SQLite spends running a small statement, and the gateway and the ledger run a few
    such statements on every call. The SQL text and each parameter's conversion come from
    SQLAlchemy itself (the dialect's compiler and the column types' bind and result
    processors), so the rows written and read are exactly what ``connection.execute`` gives —
    ``tests/core/test_prepared.py`` compares them on both databases.

    ``keys`` (for inserts): the columns every call supplies. All of them must be supplied, and
    columns with Python-side defaults must be among them (refused at construction otherwise):
    defaults are SQLAlchemy's execution context's job, which this bypasses.
    """

    def __init__(self, statement: Executable, dialect: Dialect,
                 keys: Sequence[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect,
                                     column_keys=list(keys) if keys is not None else None)
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "postfetch", None):
            missing = [c.key for c in [*compiled.insert_prefetch, *compiled.postfetch]]
            raise ValueError(f"Prepared: give values for {missing}, which have defaults")
        if compiled.escaped_bind_names:
            raise ValueError("Prepared: bind names that need escaping are not supported")
        self.dialect = dialect
        self._error = dialect.loaded_dbapi.Error
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self.names: tuple[str, ...] = (tuple(compiled.positiontup or ()) if self.positional
                                       else tuple(compiled.binds))
        # Values the statement itself holds (a literal compared with, a LIMIT): used unless
        # the caller gives them.
        self._literals = {name: compiled.binds[name].value for name in self.names
                          if not compiled.binds[name].required}
        self._binds = [(name, processor) for name in self.names
                       if (processor := compiled.binds[name].type.dialect_impl(dialect)
                           .bind_processor(dialect)) is not None]
        selected = getattr(statement, "selected_columns", None)
        self._types = [] if selected is None else [
            column.type.dialect_impl(dialect) for column in selected]
        # Made at the first fetch: some drivers' processors depend on the column's type as the
        # server reports it (psycopg's numbers: a float column needs none, a numeric one does).
        self._results: list[tuple[int, Any]] | None = None if self._types else []

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for one row: converted, in the driver's paramstyle."""
        if self._literals:
            values = {**self._literals, **values}
        if self._binds:
            values = dict(values)
            for name, processor in self._binds:
                values[name] = processor(values[name])
        if self.positional:
            return tuple([values[name] for name in self.names])
        return {name: values[name] for name in self.names}

    # (try/except rather than ``translate_errors``: these run several times on every gateway
    # call and ledger append, where a generator-based context manager is a measurable cost.)
    def execute(self, cursor: Any, values: Mapping[str, Any] | None = None) -> None:
        params = self.parameters(values or {})
        try:
            cursor.execute(self.sql, params)
        except self._error as error:
            raise _translated(self.dialect, cursor.connection, self.sql, params,
                              error) from error

    def executemany(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        params = [self.parameters(row) for row in rows]
        try:
            cursor.executemany(self.sql, params)
        except self._error as error:
            raise _translated(self.dialect, cursor.connection, self.sql, params,
                              error) from error

    def rows(self, cursor: Any, values: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a select and return its rows, each value converted as SQLAlchemy would."""
        self.execute(cursor, values)
        return self.fetch(cursor)

    def fetch(self, cursor: Any) -> list[tuple[Any, ...]]:
        """The rows of this select, executed earlier on ``cursor`` (several selects on their
        own cursors can be sent before any is read: one round trip in pipeline mode)."""
        try:
            fetched = cursor.fetchall()
        except self._error as error:
            raise _translated(self.dialect, cursor.connection, self.sql, None, error) from error
        results = self._results
        if results is None:
            description = cursor.description or ()
            results = self._results = [
                (index, processor) for index, impl in enumerate(self._types)
                if (processor := impl.result_processor(
                    self.dialect, description[index][1] if index < len(description) else None))
                is not None]
        if not results:
            return [tuple(row) for row in fetched]
        converted = []
        for row in fetched:
            items = list(row)
            for index, processor in results:
                items[index] = processor(items[index])
            converted.append(tuple(items))
        return converted
