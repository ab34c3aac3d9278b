"""App factory for browser tests of the rights portal and DPO console until create_app()
includes their routers.

Run with ``python -m uvicorn --factory tests.browser._rights_app:make``. The test creates the
rights tables first (until the lead's migration adds them). Once :func:`create_app` includes the
routers, this adds nothing and the journey can use the ``server`` fixture (``accord serve``).
"""

from __future__ import annotations

from fastapi import FastAPI

from accord.web.app import create_app
from accord.web.routes import dpo, rights


def make() -> FastAPI:
    app = create_app()
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/rights" not in paths:
        app.include_router(rights.public_router)
    if "/dpo" not in paths:
        for router in dpo.routers:
            app.include_router(router)
    return app
