"""A request holds at most one pooled database connection at a time.

A request that keeps its session's connection while a service opens a second one deadlocks
once as many requests run as the pool has connections: each holds one and waits for another
(seen at ~15 concurrent dashboard loads). With a pool of ONE connection and no overflow, any
such nesting cannot get its second connection and fails; so every page below answering shows
that no request path nests.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accord.core.roles import Role
from tests.helpers import login
from tests.route_access import ENDLESS_STREAMS, walk_routes


@pytest.fixture
def tight_client(request: pytest.FixtureRequest, accord_env: dict[str, str],
                 monkeypatch: pytest.MonkeyPatch,
                 make_user) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    # (connections, seconds to wait for one): one connection and a short wait when requests
    # come one at a time (any wait is then a nested connection); for concurrent requests two
    # connections and a wait long enough for a fair queue, short enough to end a deadlock.
    size, timeout = getattr(request, "param", (1, 1))
    monkeypatch.setenv("ACCORD_DB_POOL_SIZE", str(size))
    monkeypatch.setenv("ACCORD_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("ACCORD_DB_POOL_TIMEOUT", str(timeout))
    from accord.assembly import create_app
    from accord.config import reset_settings_cache
    from accord.core.runtime import reset_runtime

    reset_settings_cache()
    reset_runtime()
    make_user("everyone", *Role)
    with TestClient(create_app(), base_url="http://testserver",
                    raise_server_exceptions=False) as test_client:
        test_client.headers["Accept-Language"] = "en"
        login(test_client, "everyone")
        yield test_client


def _plain_get_pages(client: TestClient) -> list[str]:
    routes = walk_routes(client.app)
    # An endless event stream is asked for its catch-up only (it would never end otherwise).
    return [r.path + ENDLESS_STREAMS.get(r.path, "") for r in routes
            if "GET" in r.methods and "{" not in r.path and not r.path.startswith("/static")]


def test_every_page_answers_with_a_one_connection_pool(tight_client: TestClient) -> None:
    failures = {}
    for path in _plain_get_pages(tight_client):
        response = tight_client.get(path)
        if response.status_code >= 500:
            failures[path] = response.status_code
    assert failures == {}


@pytest.mark.parametrize("tight_client", [(2, 15)], indirect=True)
def test_32_concurrent_dashboards_with_a_two_connection_pool(tight_client: TestClient) -> None:
    def load(_: int) -> int:
        return tight_client.get("/").status_code

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(load, range(32)))
    assert [c for c in codes if c >= 500] == []
    assert codes.count(200) == 32
