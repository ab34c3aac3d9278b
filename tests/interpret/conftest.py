"""Fixtures for guided interviews and notices.

The ``interpret_reports`` table has no Alembic migration yet (the maintainers add it), so the
fixtures create it in each test database; once the migration exists this is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accord.core.db import Database
from tests.interpret.support import create_report_table, interviews_app


@pytest.fixture
def report_table(database: Database) -> Database:
    create_report_table(database)
    return database


@pytest.fixture
def web(report_table: Database) -> Iterator[TestClient]:
    """A client of the app with the interview routers; reads English unless told otherwise."""
    with TestClient(interviews_app(), base_url="http://testserver") as client:
        client.headers["Accept-Language"] = "en"
        yield client
