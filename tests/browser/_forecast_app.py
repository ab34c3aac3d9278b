"""App factory for tests of the forecasting pages until create_app() includes their routers.

Run with ``python -m uvicorn --factory tests.browser._forecast_app:make``. Once
:func:`accord.web.app.create_app` includes ``forecast.router`` and ``forecast.gateway_router``,
this adds nothing.
"""

from __future__ import annotations

from fastapi import FastAPI

from accord.web.app import create_app
from accord.web.routes import forecast


def include_forecast(app: FastAPI) -> FastAPI:
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/forecast" not in paths:
        app.include_router(forecast.router)
    if "/forecast/map/run" not in paths:
        app.include_router(forecast.gateway_router)
    return app


def make() -> FastAPI:
    return include_forecast(create_app())
