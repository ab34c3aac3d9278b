"""SQLite writers on the driver's cursor take turns before BEGIN IMMEDIATE: threads of one
process on a lock, processes on an exclusive flock of ``<database>-writers``, instead of
sleeping in SQLite's busy handler. The flock is probed without blocking from another open file,
as another app process would hold it."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from accord.core.db import Database


def _taken(path: Path) -> bool:
    """Whether another open file (another process) would have to wait for the turn."""
    with path.open("a+b") as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(other, fcntl.LOCK_UN)
        return False


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield db
    db.dispose()


def test_a_write_holds_the_turn_until_it_commits(database: Database, tmp_path: Path) -> None:
    turn = tmp_path / "turns.sqlite3-writers"
    assert not _taken(turn)
    with database.write_cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
        assert _taken(turn)
    assert not _taken(turn)
    # A failed write gives the turn back too.
    with pytest.raises(RuntimeError), database.write_cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("refused")
    assert not _taken(turn)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t")).scalars().all() == [1]


def test_a_nested_turn_keeps_the_lock_until_the_outer_one_ends(database: Database,
                                                                tmp_path: Path) -> None:
    turn = tmp_path / "turns.sqlite3-writers"
    writers = database._writers
    assert writers is not None
    with writers:
        with writers:  # the same thread again: no deadlock
            assert _taken(turn)
        assert _taken(turn)  # the inner turn did not give away the outer one's
    assert not _taken(turn)


def test_threads_of_one_process_queue_for_the_turn(database: Database) -> None:
    writers = database._writers
    assert writers is not None
    inside = threading.Event()

    def other_writer() -> None:
        with writers:
            inside.set()

    with writers:
        thread = threading.Thread(target=other_writer)
        thread.start()
        assert not inside.wait(0.2)  # it waits for this turn to end
    thread.join(5)
    assert inside.is_set()


def test_an_in_memory_database_takes_turns_without_a_file() -> None:
    database = Database("sqlite:///:memory:")
    assert database._writers is not None and database._writers.path is None
    with database.write_cursor() as cursor:
        cursor.execute("SELECT 1")


def test_dispose_closes_the_turn_file_and_a_later_write_opens_it_again(
        database: Database, tmp_path: Path) -> None:
    writers = database._writers
    assert writers is not None
    with database.write_cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (3)")
    assert writers._file is not None
    database.dispose()
    assert writers._file is None
    with database.write_cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (4)")
        assert _taken(tmp_path / "turns.sqlite3-writers")
