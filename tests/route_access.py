"""Walk an application's routes and read each one's access rule from its dependencies.

Routers declare access with ``Depends(require_roles(...))`` (router-level ``dependencies=``,
route-level ``dependencies=`` or an endpoint parameter); ``require_roles`` tags its check with
``accord_roles``. A route's access is what all its checks together admit:

- ``"public"``: no check that needs a signed-in user;
- ``"signed-in"``: any authenticated user (``require_roles()`` or ``current_principal``);
- a frozenset of role names: the intersection of every non-empty ``require_roles`` set.

Checks made inside a handler body (case ownership, "only officers request interpreters") are not
visible here; the role matrix test exercises those.

The walk does not depend on how the installed FastAPI stores included routers: newer FastAPI
keeps ``_IncludedRouter`` entries in ``app.router.routes`` (expanded by
``fastapi.routing.iter_route_contexts``), older versions copy each route into a flat list. Mounts
are followed; a mounted ``StaticFiles`` app is a public GET/HEAD route ``<mount>/{path:path}``.
Anything else without a path is an error, so the walk cannot silently skip a route again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from accord.web.deps import current_principal

PUBLIC = "public"
#: Routes that stream without end, with the query that makes them answer once and close.
ENDLESS_STREAMS = {"/dispatch/board/events": "?once=1",
                   "/interpret/conversations/{reference}/events": "?once=1",
                   "/conversation/tablet/events": "?once=1"}
SIGNED_IN = "signed-in"
Access = str | frozenset[str]


@dataclass(frozen=True)
class RouteAccess:
    path: str
    methods: tuple[str, ...]
    access: Access


def _expand(routes: Iterable[Any]) -> Iterator[Any]:
    """Each route of ``routes`` with included routers flattened, whatever the FastAPI version."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI with _IncludedRouter
    except ImportError:  # pragma: no cover - older FastAPI: routes are copied flat
        yield from routes
        return
    yield from iter_route_contexts(list(routes))


def _dependency_calls(dependant: Any) -> Iterator[Any]:
    for sub in getattr(dependant, "dependencies", None) or ():
        yield sub.call
        yield from _dependency_calls(sub)


def access_of(dependant: Any) -> Access:
    """The access rule that a route's dependency tree enforces."""
    role_sets: list[frozenset[str]] = []
    authenticated = False
    for call in _dependency_calls(dependant):
        roles = getattr(call, "accord_roles", None)
        if roles is not None:
            authenticated = True
            if roles:
                role_sets.append(frozenset(str(role.value) for role in roles))
        elif call is current_principal:
            authenticated = True
    if role_sets:
        return frozenset.intersection(*role_sets)
    return SIGNED_IN if authenticated else PUBLIC


def _walk(routes: Iterable[Any], prefix: str) -> Iterator[RouteAccess]:
    for route in _expand(routes):
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            mount_path = prefix + original.path
            if original.routes:
                yield from _walk(original.routes, mount_path)
            elif isinstance(original.app, StaticFiles):
                yield RouteAccess(mount_path + "/{path:path}", ("GET", "HEAD"), PUBLIC)
            else:
                raise TypeError(f"cannot read the routes of the app mounted at {mount_path}")
            continue
        path = getattr(route, "path", None)
        if not path:
            raise TypeError(f"route without a path: {route!r}")
        methods = tuple(sorted(getattr(route, "methods", None) or ()))
        if not methods:
            raise TypeError(f"route without methods (websocket?) at {prefix + path}")
        dependant = getattr(route, "dependant", None)
        access = access_of(dependant) if dependant is not None else PUBLIC
        yield RouteAccess(prefix + path, methods, access)


def walk_routes(app: FastAPI | BaseRoute | Any) -> list[RouteAccess]:
    """Every route of ``app`` with its methods and access rule, in the app's matching order."""
    routes = app.router.routes if hasattr(app, "router") else app.routes
    return list(_walk(routes, ""))
