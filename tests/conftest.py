"""Shared fixtures.

Every test gets its own fresh, migrated database: on SQLite (default) a copy of a template file,
on PostgreSQL (when ``ACCORD_TEST_DATABASE_URL`` is set, as ``make test`` does) a database
created from a migrated template. The app under test reads its settings from the environment,
exactly as in production.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import accord.assembly  # noqa: F401  (installs the capability packages, as every entry point does)
from accord.config import reset_settings_cache
from accord.core import migrate
from accord.core.accounts import AccountService, User
from accord.core.db import Database
from accord.core.jobs import reset_queue
from accord.core.roles import Role
from accord.core.runtime import get_database, reset_runtime
from tests import shared_routes
from tests.helpers import PASSWORD

PG_URL = os.environ.get("ACCORD_TEST_DATABASE_URL", "")
# Every app the tests build resolves its routes once per process, not once per test (why, and
# what stays per app: tests/shared_routes.py).
shared_routes.install()
_counter = itertools.count()


def pytest_report_header() -> str:
    return f"accord test database: {'postgresql' if PG_URL else 'sqlite'}"


#: The fixtures through which a test reaches a database (directly or through another fixture).
DATABASE_FIXTURES = frozenset({"template_database", "database_url", "demo_template"})
_reads_pg_url: dict[str, bool] = {}


def _reaches_database(item: pytest.Item) -> str:
    """Why ``item`` reaches a database ("" when it cannot): a database fixture in its closure,
    or a module that reads the PostgreSQL URL itself."""
    fixtures = DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if fixtures:
        return ", ".join(sorted(fixtures))
    path = str(getattr(getattr(item, "module", None), "__file__", "") or "")
    if path not in _reads_pg_url:
        source = Path(path).read_text(encoding="utf-8") if path.endswith(".py") else ""
        _reads_pg_url[path] = "ACCORD_TEST_DATABASE_URL" in source or "PG_URL" in source
    return "reads the PostgreSQL URL" if _reads_pg_url[path] else ""


@pytest.hookimpl(tryfirst=True)  # before -m deselects by mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``no_db`` every test that cannot reach a database; refuse the mark on one that can.

    A test with no database fixture runs the very same code whichever database the run is
    given, so scripts/test.sh runs it in the SQLite pass only (``-m "not no_db"`` in the
    PostgreSQL pass) instead of twice. The mark is derived from the fixtures, not written by
    hand, so it cannot drift: a test that uses a database fixture, or whose module reads the
    PostgreSQL URL itself, always runs on both, and a hand-written ``no_db`` on such a test
    stops the run. A test that asks for a database later (``request.getfixturevalue``) fails
    in ``database_url``.
    """
    wrong = []
    for item in items:
        reason = _reaches_database(item)
        if not reason:
            item.add_marker(pytest.mark.no_db)
        elif item.get_closest_marker("no_db") is not None:
            wrong.append(f"{item.nodeid} ({reason})")
    if wrong:
        raise pytest.UsageError("marked no_db but reaches a database (remove the mark):\n  "
                                + "\n  ".join(wrong))


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database that each test copies."""
    if PG_URL:
        name = f"accord_template_{os.getpid()}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield name
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        migrate.upgrade(f"sqlite:///{path}")
        yield str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path,
                 request: pytest.FixtureRequest) -> Iterator[str]:
    if request.node.get_closest_marker("no_db") is not None:
        pytest.fail("a no_db test (it runs in the SQLite pass only) asked for a database: "
                    "request the database fixture in its signature instead")
    # A test that starts from the demo (demo_loaded) gets its copy here, instead of a copy of the
    # empty template that demo_loaded would drop again (two database copies per test).
    source = (request.getfixturevalue("demo_template")[0]
              if "demo_loaded" in request.fixturenames else template_database)
    if PG_URL:
        name = f"accord_test_{os.getpid()}_{next(_counter)}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        reset_runtime()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path / "accord.sqlite3"
        shutil.copyfile(source, path)
        yield f"sqlite:///{path}"
        reset_runtime()


@pytest.fixture
def accord_env(database_url: str, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Point Accord's settings at this test's database and state directory."""
    values = {
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_STATE_DIR": str(tmp_path / "var"),
        "ACCORD_QUEUE": "immediate",
        "ACCORD_EMBEDDED_WORKER": "false",
        "ACCORD_LOG_LEVEL": "WARNING",
        # Thousands of test accounts: the cheap Argon2 profile (the standard one is tested in
        # tests/core/test_password_hashing.py).
        "ACCORD_PASSWORD_HASH_PROFILE": "test-only-fast",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    _reset_process_state()
    yield values
    _reset_process_state()


def _reset_process_state() -> None:
    from accord.core.governance import reset_governance

    reset_settings_cache()
    reset_runtime()
    reset_queue()
    reset_governance()


@pytest.fixture(scope="session")
def demo_template(template_database: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A database and state directory on which the real `accord demo load` ran once.

    Tests about what the demo leaves behind (the ledger's tamper checks, the CLI's commands on
    the demo users) start from a copy of it instead of loading the demo again each time: the
    load itself is tested on its own (`test_demo_load_…`).
    """
    state_dir = tmp_path_factory.mktemp("demo-template") / "var"
    if PG_URL:
        name = f"accord_demo_{os.getpid()}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        name = str(state_dir.parent / "demo.sqlite3")
        shutil.copyfile(template_database, name)
        url = f"sqlite:///{name}"
    env = {**os.environ, "ACCORD_DATABASE_URL": url, "ACCORD_STATE_DIR": str(state_dir),
           "ACCORD_QUEUE": "immediate", "ACCORD_EMBEDDED_WORKER": "false",
           "ACCORD_LOG_LEVEL": "WARNING", "ACCORD_PASSWORD_HASH_PROFILE": "test-only-fast"}
    loaded = subprocess.run([str(Path(sys.executable).parent / "accord"), "demo", "load"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    yield name, state_dir
    if PG_URL:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def demo_loaded(accord_env: dict[str, str], demo_template: tuple[str, Path]) -> dict[str, str]:
    """This test's database and state directory are copies of the demo template (the database
    copy is made by ``database_url``, which sees this fixture among the test's)."""
    _, state_dir = demo_template
    reset_runtime()
    shutil.copytree(state_dir, accord_env["ACCORD_STATE_DIR"], dirs_exist_ok=True)
    _reset_process_state()
    return accord_env


@pytest.fixture
def database(accord_env: dict[str, str]) -> Database:
    return get_database()


@pytest.fixture
def make_user(database: Database):  # type: ignore[no-untyped-def]
    def create(username: str, *roles: Role, password: str = PASSWORD,
               language: str = "en") -> User:
        with database.session() as session:
            return AccountService(session).create_user(
                username, password, set(roles) or {Role.OFFICER}, language=language
            )

    return create


@pytest.fixture
def client(accord_env: dict[str, str]) -> Iterator[TestClient]:
    from accord.assembly import create_app

    with TestClient(create_app(), base_url="http://testserver") as test_client:
        # Tests read English; the Chinese default is tested explicitly.
        test_client.headers["Accept-Language"] = "en"
        yield test_client
