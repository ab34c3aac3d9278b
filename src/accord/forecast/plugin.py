"""Place-based forecasting: the capability package's declaration (``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord.core.contract import CapabilityPackage, DashboardCard, EventHistory
from accord.core.i18n import M_, N_
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


def _event_dataset(history: EventHistory) -> str:
    """``CapabilityPackage.event_dataset``: another package's events (dispatch's incident
    history) imported as a dataset through the same checks and projection as a CSV import, so
    ``forecast.hotspots`` can forecast over that package's own area."""
    import csv
    import tempfile

    from accord.forecast.data import ForecastInputError
    from accord.forecast.service import ForecastService

    if not history.rows:
        raise ForecastInputError(M_("%(name)s: no events to forecast from", name=history.name))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{history.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["time", "lat", "lon", "type", "district"])
            writer.writerows(history.rows)
        summary = ForecastService().import_csv(path, time="time", lon="lon", lat="lat",
                                               type_col="type", district_col="district",
                                               dedupe_without_id=False)
    if not summary.get("dataset_id"):
        raise ForecastInputError(M_("%(name)s: no usable events", name=history.name))
    return str(summary["dataset_id"])


PACKAGE = CapabilityPackage(
    name="forecast",
    capabilities=_capabilities,
    table_modules=("accord.forecast.models",),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    job_modules=("accord.forecast.jobs",),
    event_dataset=_event_dataset,
    review_renderers={"forecast.hotspots": "forecast/_review.html"},
    dashboard=(DashboardCard(
        N_("Prevention"), N_("Place-based forecasts with honest backtests and fairness audits."),
        "/forecast", frozenset({"analyst", "supervisor"})),),
)
