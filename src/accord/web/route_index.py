"""Route lookup by the path's first segment, with Starlette's answers unchanged.

FastAPI's router tries every route of the app in order, and each included router tries each of
its routes (a regular expression, plus FastAPI's scope bookkeeping per candidate): a request for
a router near the end of Accord's list (dispatch's API is the 49th of 51 routers, ~270 routes)
spent more CPU choosing its route than running ``/healthz`` does in total (issue #19).

:class:`RouteIndex` takes the app router's place as its ASGI entry point and runs the router's
own matching (``APIRouter.app``: first full match, else the first method-only match for the 405
with ``Allow``, else the trailing-slash redirect, else the 404) over a shorter list: the app's
routes, in their order, that can match a path whose first segment is the request's. A route can
only match a path that starts with its literal first segment, so the routes left out are routes
that could not have matched, and every answer (match, 405, redirect, 404) is the one the whole
list gives. A route whose first segment is not literal (``/{name}``, a host route) is in every
group. The groups are computed again whenever the app's list of routes changes (a test adding a
route to its app, routers swapped for equal ones).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from starlette._utils import get_route_path
from starlette.types import Receive, Scope, Send

#: The key of routes whose first segment is not literal: they are in every group.
ANY = None


def first_segment(path: str) -> str:
    """The first segment of a URL path (``""`` for ``/`` and for an empty path)."""
    return path[1:].split("/", 1)[0] if path.startswith("/") else path.split("/", 1)[0]


def route_paths(route: Any) -> Iterable[str | None]:
    """The full path of each route that ``route`` stands for: itself, or every route of an
    included router (FastAPI keeps them nested); None for a route matched otherwise (a host)."""
    if type(route).__name__ == "_IncludedRouter":
        from fastapi.routing import iter_route_contexts

        for context in iter_route_contexts([route]):
            yield context.path
    else:
        yield getattr(route, "path", None)


def route_segment(path: str | None) -> str | None:
    """A route path's literal first segment, or :data:`ANY`."""
    if path is None or not path.startswith("/"):
        return ANY
    segment = first_segment(path)
    return ANY if "{" in segment else segment


def groups(routes: list[Any]) -> tuple[dict[str, list[int]], list[int]]:
    """For each literal first segment, the positions of the routes that may match a path
    starting with it (in order); and the positions of the routes that may match any path."""
    segments = [{route_segment(path) for path in route_paths(route)} for route in routes]
    anywhere = [i for i, found in enumerate(segments) if ANY in found]
    table: dict[str, list[int]] = {}
    for i, found in enumerate(segments):
        for segment in found - {ANY}:
            table.setdefault(segment, []).append(i)
    return ({segment: sorted({*positions, *anywhere}) for segment, positions in table.items()},
            anywhere)


def candidate_positions(table: dict[str, list[int]], anywhere: list[int],
                        path: str) -> list[int]:
    """The positions of the routes that may match ``path`` (a route path's regular expression
    ends in ``$``, which also matches before a final newline: ``/healthz\\n`` is /healthz)."""
    segment = first_segment(path)
    found = table.get(segment, anywhere)
    if segment.endswith("\n") and segment[:-1] in table:
        found = sorted({*found, *table[segment[:-1]]})
    return found


class RouteIndex:
    """The app router's ASGI entry point: its own matching over the routes of one group."""

    def __init__(self, router: Any) -> None:
        self.router = router
        self._fingerprint: tuple[int, ...] | None = None
        self._routers: dict[tuple[int, ...], Any] = {}
        self._table: dict[str, list[int]] = {}
        self._anywhere: list[int] = []
        self._indexable = False

    def _version(self) -> tuple[int, ...]:
        """Changes when the app's list of routes changes. Routes added to a router after the app
        started serving are not seen (as :class:`accord.web.middleware.BodySizeLimitMiddleware`
        assumes too: Accord's routers are complete before they are included)."""
        return tuple(map(id, self.router.routes))

    def _build(self, fingerprint: tuple[int, ...]) -> None:
        low_priority = getattr(self.router, "_iter_low_priority_routes", None)
        # Low-priority (frontend) routes are tried after every other route fails, across all
        # groups; an app with any is matched as it always was.
        self._indexable = low_priority is None or next(iter(low_priority()), None) is None
        self._table, self._anywhere = groups(list(self.router.routes))
        self._routers = {}
        self._fingerprint = fingerprint

    def _router_for(self, positions: list[int]) -> Any:
        key = tuple(positions)
        router = self._routers.get(key)
        if router is None:
            # The same router (redirects, default 404, form limits) with fewer routes.
            router = copy.copy(self.router)
            router.routes = [self.router.routes[i] for i in positions]
            self._routers[key] = router
        return router

    def candidates(self, path: str) -> list[Any]:
        """The routes tried for ``path``, in the app's order (for tests)."""
        self._refresh()
        if not self._indexable:
            return list(self.router.routes)
        return self._router_for(candidate_positions(self._table, self._anywhere, path)).routes

    def _refresh(self) -> None:
        fingerprint = self._version()
        if fingerprint != self._fingerprint:
            self._build(fingerprint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.router.app(scope, receive, send)
            return
        self._refresh()
        if not self._indexable:
            await self.router.app(scope, receive, send)
            return
        positions = candidate_positions(self._table, self._anywhere, get_route_path(scope))
        # url_for and the like read the router from the scope: the app's, with every route.
        scope.setdefault("router", self.router)
        await self._router_for(positions).app(scope, receive, send)


def install(app: Any) -> RouteIndex | None:
    """Route ``app``'s requests through a :class:`RouteIndex` (None if its router has
    middleware of its own, which this would bypass)."""
    router = app.router
    if router.middleware_stack != router.app:
        return None
    index = RouteIndex(router)
    router.middleware_stack = index
    return index
