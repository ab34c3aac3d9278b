"""The test suite's apps share resolved routes and nothing else (tests/shared_routes.py)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, routing
from fastapi.testclient import TestClient

from tests import shared_routes


def _included(app: FastAPI) -> list[object]:
    return [r for r in app.router.routes if type(r) is getattr(routing, "_IncludedRouter", None)]


def test_apps_share_included_routers_but_not_their_own_state(accord_env) -> None:
    from accord.assembly import create_app

    first, second = create_app(), create_app()
    assert _included(first), "this FastAPI includes routers lazily (else nothing is shared)"
    assert [id(r) for r in _included(first)] == [id(r) for r in _included(second)]
    assert first.router.routes is not second.router.routes
    assert first.state is not second.state and first.router is not second.router
    # A route one test adds to its app stays in that app.
    extra = APIRouter()
    extra.add_api_route("/only-here", lambda: {"here": True})
    first.include_router(extra)
    with TestClient(first) as one, TestClient(second) as two:
        assert one.get("/only-here").json() == {"here": True}
        assert two.get("/only-here").status_code == 404
        # Both answer as the real app does.
        for client in (one, two):
            response = client.get("/reviews", follow_redirects=False)
            assert response.status_code == 303
            assert response.headers["location"] == "/login?next=/reviews"


def test_dependency_overrides_are_refused_not_ignored(accord_env) -> None:
    from accord.assembly import create_app

    app = create_app()
    with pytest.raises(RuntimeError, match="shared_routes"):
        app.dependency_overrides[len] = len
    with pytest.raises(RuntimeError, match="shared_routes"):
        app.dependency_overrides.update({len: len})
    assert not app.dependency_overrides


def test_a_router_included_differently_is_not_shared() -> None:
    router = APIRouter()
    router.add_api_route("/item", lambda: {"ok": True})

    def app_with(prefix: str) -> FastAPI:
        app = FastAPI()
        app.include_router(router, prefix=prefix)
        return shared_routes.share_resolved_routes(app)

    first, same, other = app_with("/a"), app_with("/a"), app_with("/b")
    assert _included(first)[0] is _included(same)[0]
    assert _included(other)[0] is not _included(first)[0]
    with TestClient(other) as client:
        assert client.get("/b/item").json() == {"ok": True}
        assert client.get("/a/item").status_code == 404


def test_the_real_create_app_is_reachable_unshared(accord_env) -> None:
    from accord.web import app as web_app

    real = shared_routes.unshared()
    assert real is not web_app.create_app and web_app.create_app.__wrapped__ is real
    app = real()
    assert isinstance(app.dependency_overrides, dict)
    assert not isinstance(app.dependency_overrides, shared_routes.OverridesNotSupported)
