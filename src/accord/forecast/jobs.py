"""Background job: a backtest, with progress (import this module to register the handler)."""

from __future__ import annotations

from typing import Any

from accord.core.jobs import JobContext, job_handler
from accord.forecast.service import ForecastService

KIND = "forecast.backtest"


@job_handler(KIND)
def run_backtest(context: JobContext) -> dict[str, Any]:
    """params: dataset (id or "sf-2012h2"); optional methods, freq, start, windows, cell."""
    p = context.params
    return ForecastService().backtest(
        p["dataset"], methods=p.get("methods") or ("naive", "kde", "prospective", "sepp"),
        freq=p.get("freq"), start=p.get("start"), windows=p.get("windows"),
        cell=float(p.get("cell", 150.0)), progress=context.progress)
