"""Request-body limits, declared by the route that accepts a file.

Every request body is bounded by ``ACCORD_MAX_BODY_BYTES`` (1 MB by default). A route that
accepts a file declares its own, larger limit next to its path::

    @router.post("/{ref}/evidence", openapi_extra=uploads.accepts_files())
    @router.post("/import", openapi_extra=uploads.accepts_files(21_000_000))

:class:`accord.web.middleware.BodySizeLimitMiddleware` finds the route a request will reach (it
runs before routing, so it matches the path and method against the app's routes itself) and
applies that route's limit; every route that declares nothing keeps the small one, whatever its
path looks like.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from starlette.routing import compile_path

#: The key in a route's ``openapi_extra`` (so the limit is also in the API description).
MAX_BODY_KEY = "x-accord-max-body-bytes"
#: Declared instead of a number: the deployment's ``ACCORD_UPLOAD_MAX_BYTES``.
UPLOAD = "upload"

Declared = tuple[re.Pattern[str], frozenset[str], int | str]


def accepts_files(max_bytes: int | str = UPLOAD) -> dict[str, Any]:
    """``openapi_extra`` for a route that accepts a file: its request-body limit in bytes, or
    :data:`UPLOAD` for the configured upload limit."""
    if not (max_bytes == UPLOAD or (isinstance(max_bytes, int) and max_bytes > 0)):
        raise ValueError(f"max_bytes: a positive number of bytes or {UPLOAD!r}")
    return {MAX_BODY_KEY: max_bytes}


def declared_limit(route: Any) -> int | str | None:
    route = getattr(route, "original_route", route)
    return (getattr(route, "openapi_extra", None) or {}).get(MAX_BODY_KEY)


def _routes(app: Any) -> Iterator[Any]:
    """Every route of the app with included routers flattened (FastAPI keeps them nested)."""
    routes = list(app.router.routes if hasattr(app, "router") else getattr(app, "routes", ()))
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI copies included routes flat
        yield from routes
        return
    yield from iter_route_contexts(routes)


def declared_limits(app: Any) -> list[Declared]:
    """(path pattern, methods, limit) of each route of ``app`` that declares a limit."""
    table = []
    for route in _routes(app):
        limit = declared_limit(route)
        path = getattr(route, "path", None)
        if limit is None or not path:
            continue
        regex, _, _ = compile_path(path)
        table.append((regex, frozenset(getattr(route, "methods", None) or ()), limit))
    return table


def limit_in(table: list[Declared], scope: dict[str, Any], upload_max_bytes: int) -> int | None:
    """The limit the route reached by ``scope`` (path and method) declares, or None."""
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    method = scope.get("method", "")
    for regex, methods, limit in table:
        if (not methods or method in methods) and regex.match(path):
            return upload_max_bytes if limit == UPLOAD else int(limit)
    return None


def route_limit(app: Any, scope: dict[str, Any], upload_max_bytes: int) -> int | None:
    """The body limit declared by the route that ``scope`` reaches in ``app``, or None when that
    route declares none (or no route matches)."""
    return limit_in(declared_limits(app), scope, upload_max_bytes)
