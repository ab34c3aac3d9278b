"""One resolved route tree per test process, shared by every app the tests create.

Each test that drives the web UI builds its own app with the real ``create_app()`` (its own
settings, database, middleware, lifespan and ``app.state``), exactly as production does once.
What is *not* repeated is FastAPI's resolution of the routes: since FastAPI 0.16x,
``include_router`` adds a lazy ``_IncludedRouter`` whose first request resolves every route's
signature, dependencies and pydantic models (about 1.5 s of CPU for Accord's ~300 routes). In
production that happens once per process; in the test suite it happened once per test (about
400 apps per database run, a quarter of the suite's time).

:func:`install` wraps ``accord.web.app.create_app`` so that, after the real function built the
app, each included router that is the same router included the same way (same prefix, tags,
dependencies, responses, ... everything but the app that provides dependency overrides) as in an
app built earlier in this process is replaced by that earlier, already resolved object. Routes
are stateless apart from that cache (FastAPI rebuilds it when a router's routes change), so the
app answers exactly as a fresh one would. Routes a test adds to its app afterwards stay its own
(each app keeps its own route list).

The one thing that would differ is ``app.dependency_overrides``: a shared route consults the
app that first built it. No test uses overrides; setting one raises instead of being silently
ignored. ``tests/test_shared_routes.py`` checks all of this.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from fastapi import routing

#: The resolved included routers, by (position in the app's route list, router object).
_resolved: dict[tuple[int, int], Any] = {}


class OverridesNotSupported(dict):  # type: ignore[type-arg]
    """``app.dependency_overrides`` for an app whose routes may be shared: refuses writes."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "tests/shared_routes.py shares resolved routes between the test suite's apps, so a "
            "dependency override would reach the wrong app; build the app without sharing "
            "(tests.shared_routes.unshared) to override dependencies")

    __setitem__ = update = setdefault = __ior__ = _refuse  # type: ignore[assignment]


def _same_include(one: Any, other: Any) -> bool:
    """The two included routers resolve to the same routes (the overrides provider aside)."""
    if one.original_router is not other.original_router:
        return False
    strip = {"dependency_overrides_provider": None}
    return bool(dataclasses.replace(one.include_context, **strip)
                == dataclasses.replace(other.include_context, **strip))


def share_resolved_routes(app: Any) -> Any:
    """Swap ``app``'s included routers for equal, already resolved ones from earlier apps."""
    included = getattr(routing, "_IncludedRouter", None)
    if included is None:  # an older FastAPI copies routes into each app: nothing is lazy
        return app
    routes = app.router.routes
    for index, route in enumerate(routes):
        if type(route) is not included:
            continue
        key = (index, id(route.original_router))
        earlier = _resolved.get(key)
        if earlier is not None and _same_include(earlier, route):
            routes[index] = earlier
        else:
            _resolved[key] = route
    app.dependency_overrides = OverridesNotSupported()
    return app


def install() -> None:
    """Make ``accord.web.app.create_app`` (which ``accord.assembly.create_app`` calls) share."""
    from accord.web import app as web_app

    if getattr(web_app.create_app, "__wrapped__", None) is not None:
        return
    web_app.create_app = _sharing(web_app.create_app)


def _sharing(create: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(create)
    def create_app(*args: Any, **kwargs: Any) -> Any:
        return share_resolved_routes(create(*args, **kwargs))

    return create_app


def unshared() -> Callable[..., Any]:
    """The real ``accord.web.app.create_app``, for a test that needs an app of its own."""
    from accord.web import app as web_app

    return getattr(web_app.create_app, "__wrapped__", web_app.create_app)
