"""Data-driven prevention: place-based hotspot forecasts with honest backtests, fairness and
feedback-loop audits, and foreign-related demand and staffing forecasts.

Entry points for the rest of Accord: :class:`accord.forecast.service.ForecastService`,
:data:`accord.forecast.capability.FORECAST_CAPABILITY`, the Typer app
:data:`accord.forecast.cli.forecast_app` and the job handler in :mod:`accord.forecast.jobs`.
Places only: person-level prediction is a prohibited use in the registry.
"""
