"""Route lookup by first path segment (accord.web.route_index) chooses what the full scan does.

For a path made from every route of the app (parameters filled in, with and without a trailing
slash, with the final newline a route's ``$`` also accepts, with a changed first segment), and
for each method, the routes the index tries must give the same first full match, or the same
first method-only match (the 405 with ``Allow``), as trying every route of the app in order.
Then the answers themselves through the real app: 404, 405 with ``Allow``, the trailing-slash
redirect, and a route added to the app after it was built.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from accord.web import route_index
from tests.route_access import walk_routes

METHODS = ("GET", "POST", "PUT", "DELETE")


def _first(routes: list[object], path: str, method: str) -> tuple[str, int | None]:
    """What Starlette's router picks: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        scope = {"type": "http", "path": path, "root_path": "", "method": method,
                 "headers": [], "query_string": b""}
        match, _ = route.matches(scope)  # type: ignore[attr-defined]
        if match is Match.FULL:
            return "full", id(route)
        if match is Match.PARTIAL and partial is None:
            partial = id(route)
    return ("partial", partial) if partial is not None else ("none", None)


def _sample_paths(app: FastAPI) -> set[str]:
    paths: set[str] = {"/", "", "/nothing-here", "/nothing-here/", "//", "/api", "/api/"}
    for route in walk_routes(app):
        concrete = re.sub(r"\{[^}]+\}", "17", route.path)
        for path in (concrete, concrete.rstrip("/") + "/", concrete.rstrip("/") or "/",
                     concrete + "\n", concrete + "\n/", "/x" + concrete, concrete + "/extra"):
            paths.add(path)
    return paths


def test_the_index_chooses_what_the_full_scan_chooses(client: TestClient) -> None:
    app = client.app
    index = app.router.middleware_stack
    assert isinstance(index, route_index.RouteIndex)
    routes = list(app.router.routes)
    paths = _sample_paths(app)
    assert len(paths) > 1000
    narrowed = 0
    for path in sorted(paths):
        tried = index.candidates(path)
        narrowed += len(tried) < len(routes)
        for method in METHODS:
            assert _first(tried, path, method) == _first(routes, path, method), (path, method)
    # And it does narrow: most paths try a few routers, not all 51.
    assert narrowed > len(paths) * 0.9
    assert len(index.candidates("/api/v1/dispatch/incidents")) < len(routes) / 4


def test_answers_are_unchanged(client: TestClient) -> None:
    missing = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Page not found."}
    wrong = client.delete("/dispatch/incidents", headers={"Accept": "application/json"})
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    slash = client.get("/healthz/", follow_redirects=False)
    assert slash.status_code == 307
    assert slash.headers["location"].endswith("/healthz")
    assert client.get("/healthz").status_code == 200


def test_a_route_added_after_the_first_request_is_found(accord_env) -> None:  # type: ignore[no-untyped-def]
    from accord.assembly import create_app

    app = create_app()
    with TestClient(app) as client:
        assert client.get("/later-route").status_code == 404
        app.add_api_route("/later-route", lambda: {"later": True})
        assert client.get("/later-route").json() == {"later": True}


def test_groups_put_non_literal_first_segments_everywhere() -> None:
    class Route:
        def __init__(self, path: str | None) -> None:
            self.path = path

    routes = [Route("/a/b"), Route("/{anything}"), Route("/a/{x}"), Route(None), Route("/b.txt")]
    table, anywhere = route_index.groups(routes)
    assert anywhere == [1, 3]
    assert table == {"a": [0, 1, 2, 3], "b.txt": [1, 3, 4]}
    assert route_index.candidate_positions(table, anywhere, "/c/d") == [1, 3]
    assert route_index.candidate_positions(table, anywhere, "/a\n") == [0, 1, 2, 3]
    assert route_index.candidate_positions(table, anywhere, "") == [1, 3]
