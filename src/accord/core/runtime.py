"""Process-wide handles built from settings: the database, shared by web, CLI and workers.

Kept in one place so models and connections are created once per process and shared.
"""

from __future__ import annotations

import threading

from accord.config import get_settings
from accord.core.db import Database, PoolSize

_lock = threading.Lock()
_database: Database | None = None


def get_database() -> Database:
    global _database
    with _lock:
        if _database is None:
            settings = get_settings()
            _database = Database(settings.resolved_database_url,
                                 PoolSize(settings.db_pool_size, settings.db_max_overflow,
                                          settings.db_pool_timeout))
        return _database


def reset_runtime() -> None:
    """Drop process-wide handles (tests switch databases between apps)."""
    global _database
    with _lock:
        if _database is not None:
            _database.dispose()
        _database = None
