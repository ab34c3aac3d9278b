"""A route whose access rule is checked inside its work (accord.web.deps.Grant) must do its
work through ``Grant.call``: its dependency reads no credential, so a route that took a Grant
and did not call it would run unchecked. Every such route of the app is listed and read."""

from __future__ import annotations

import inspect

from fastapi.testclient import TestClient

from tests.route_access import _dependency_calls, _expand


def _routes(routes):  # type: ignore[no-untyped-def]
    for route in _expand(routes):
        original = getattr(route, "original_route", route)
        if getattr(original, "dependant", None) is not None:
            yield original


def test_every_route_taking_a_grant_calls_it(client: TestClient) -> None:
    checked_in_call = []
    for route in _routes(client.app.router.routes):  # type: ignore[attr-defined]
        if any(getattr(call, "accord_checked_in_call", False)
               for call in _dependency_calls(route.dependant)):
            endpoint = route.dependant.call
            assert inspect.iscoroutinefunction(endpoint), route.path
            source = inspect.getsource(endpoint)
            assert "return await grant.call(" in source, route.path
            checked_in_call.append((route.path, tuple(sorted(route.methods))))
    assert ("/api/v1/dispatch/incidents", ("POST",)) in checked_in_call
