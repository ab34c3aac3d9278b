"""Place-based forecasting: the capability package's declaration (``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord.core.contract import CapabilityPackage, DashboardCard
from accord.core.i18n import N_
from accord.core.registry import Capability

HERE = Path(__file__).resolve().parent


def _capabilities() -> Iterable[Capability]:
    from accord.forecast.capability import FORECAST_CAPABILITY

    return (FORECAST_CAPABILITY,)


def _routers() -> Iterable[Any]:
    from accord.forecast.routes import forecast

    return (forecast.router, forecast.gateway_router)


def _cli(app: Any) -> None:
    from accord.forecast.cli import attach

    attach(app)


PACKAGE = CapabilityPackage(
    name="forecast",
    capabilities=_capabilities,
    table_modules=("accord.forecast.models",),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    job_modules=("accord.forecast.jobs",),
    review_renderers={"forecast.hotspots": "forecast/_review.html"},
    dashboard=(DashboardCard(
        N_("Prevention"), N_("Place-based forecasts with honest backtests and fairness audits."),
        "/forecast", frozenset({"analyst", "supervisor"})),),
)
