"""``accord forecast …``: import point events and backtest the forecasters from the shell.

Mounted by the main CLI as ``app.add_typer(forecast_app, name="forecast")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.core.commandline import UserOption, caller_for, fail
from accord.core.i18n import M_
from accord.forecast.backtest import FREQS, METHODS
from accord.forecast.data import ForecastInputError, import_events

forecast_app = typer.Typer(help="Place-based hotspot forecasts: import, backtest, audit.",
                           no_args_is_help=True)

CsvArg = Annotated[Path, typer.Argument(help="CSV file of point events, one row per event.",
                                        show_default=False)]
TimeOpt = Annotated[str, typer.Option("--time", help="Column with the date or timestamp "
                                      "(ISO 8601 unless --time-format is given).")]
LonOpt = Annotated[str | None, typer.Option("--lon", help="Longitude column (WGS84).")]
LatOpt = Annotated[str | None, typer.Option("--lat", help="Latitude column (WGS84).")]
XOpt = Annotated[str | None, typer.Option("--x", help="Projected x column (needs --crs).")]
YOpt = Annotated[str | None, typer.Option("--y", help="Projected y column (needs --crs).")]
CrsOpt = Annotated[str | None, typer.Option("--crs", help="CRS of --x/--y, e.g. EPSG:2227.")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="Offence category column.")]
DistrictOpt = Annotated[str | None, typer.Option("--district",
                                                 help="District column (for the audit).")]
FormatOpt = Annotated[str | None, typer.Option("--time-format",
                                               help="strptime format, e.g. %m/%d/%Y.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
IdOpt = Annotated[str | None, typer.Option(
    "--id", help="Record id column: only identical rows WITH an id are dropped as duplicates.")]
DedupeOpt = Annotated[bool, typer.Option(
    "--dedupe-without-id", help="Also drop identical rows that have no id (off by default: "
    "in anonymised data they are usually separate incidents).")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _service() -> Any:
    from accord.forecast.service import ForecastService

    return ForecastService()


def _read(csv: Path, time: str, lon: str | None, lat: str | None, x: str | None,
          y: str | None, crs: str | None, type_col: str | None, district: str | None,
          time_format: str | None, store: bool, id_col: str | None = None,
          dedupe_without_id: bool = False) -> dict[str, Any]:
    return _service().import_csv(csv, time=time, lon=lon, lat=lat, x=x, y=y, crs=crs,
                                 type_col=type_col, district_col=district,
                                 time_format=time_format, store=store, id_col=id_col,
                                 dedupe_without_id=dedupe_without_id)


@forecast_app.command("import")
def import_cmd(csv: CsvArg, time: TimeOpt, lon: LonOpt = None, lat: LatOpt = None,
               x: XOpt = None, y: YOpt = None, crs: CrsOpt = None, type_col: TypeOpt = None,
               district: DistrictOpt = None, time_format: FormatOpt = None,
               id_col: IdOpt = None, dedupe_without_id: DedupeOpt = False,
               as_json: JsonOpt = False) -> None:
    """Import a CSV: rows kept, duplicates dropped, bad rows by reason, and the time and
    location resolution of the data."""
    try:
        summary = _read(csv, time, lon, lat, x, y, crs, type_col, district, time_format,
                        store=True, id_col=id_col, dedupe_without_id=dedupe_without_id)
    except ForecastInputError as error:
        raise _fail(str(error.detail)) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        _print_import(summary)
    if summary["dataset_id"] is None:
        raise _fail(f"no usable rows, nothing was stored: {summary['no_events_reason']}")


def _print_import(summary: dict[str, Any]) -> None:
    name = f"dataset {summary['dataset_id']}" if summary["dataset_id"] else "nothing stored"
    typer.echo(f"{name}: {summary['rows_kept']} events kept of "
               f"{summary['rows_read']} rows ({summary['first']} to {summary['last']}, "
               f"{summary['time_resolution']} resolution, projected to {summary['crs']})")
    tr, loc = summary["time_resolution_detail"], summary["location_resolution"]
    typer.echo(f"  time resolution: {summary['time_resolution']} "
               f"({tr['share_at_midnight']:.0%} of events at midnight, "
               f"{tr['share_on_first_of_month']:.0%} on the 1st of a month)")
    typer.echo(f"  locations: {loc['distinct_points']} distinct points, "
               f"{loc['share_on_repeated_points']:.0%} of events on a point shared with another "
               f"event" + (" — snapped to a fixed set of points" if loc["snapped"] else ""))
    typer.echo(f"  exact duplicates dropped: {summary['duplicates_dropped']} "
               f"({summary['duplicate_rule']})")
    if summary["duplicates_without_id_kept"]:
        typer.echo(f"  identical rows without an id kept: {summary['duplicates_without_id_kept']}"
                   " (--dedupe-without-id drops them)")
    typer.echo(f"  bad rows: {summary['bad_total']}")
    for reason, count in summary["bad_rows"].items():
        lines = ", ".join(str(n) for n in summary["bad_examples_line_numbers"].get(reason, []))
        typer.echo(f"    {reason}: {count} (e.g. lines {lines})")


@forecast_app.command("backtest")
def backtest_cmd(
    csv: CsvArg, time: TimeOpt, lon: LonOpt = None, lat: LatOpt = None, x: XOpt = None,
    y: YOpt = None, crs: CrsOpt = None, type_col: TypeOpt = None,
    district: DistrictOpt = None, time_format: FormatOpt = None,
    freq: Annotated[str | None, typer.Option(
        "--freq", help="Forecast window: day, week or month (default: week, or month on "
        "monthly data; never finer than the data).")] = None,
    id_col: IdOpt = None, dedupe_without_id: DedupeOpt = False,
    cell: Annotated[float, typer.Option("--cell", help="Grid cell size in metres.")] = 150.0,
    start: Annotated[str | None, typer.Option("--start", help="First window, YYYY-MM-DD "
                                              "(default: after 40% of the data).")] = None,
    windows: Annotated[int | None, typer.Option("--windows", help="Number of windows "
                                                "(default: all that fit).")] = None,
    method: Annotated[list[str] | None, typer.Option(
        "--method", help="Method to run (repeat; default all). naive always runs.")] = None,
    select_on_earlier: Annotated[bool, typer.Option(
        "--select-on-earlier", help="The nested selection also chooses on every earlier "
        "window that fits before the first scored one (forecast and scored the same way, not "
        "shown in the table), so the nested figure covers every scored window.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Rolling-origin backtest of every method: hit rate, PAI and PEI at 1/2/5/10% of area."""
    if freq is not None and freq not in FREQS:
        raise _fail(f"--freq must be one of {', '.join(FREQS)}, not {freq!r}")
    unknown = [m for m in method or [] if m not in METHODS]
    if unknown:
        raise _fail(f"unknown method {unknown[0]!r}; choose from {', '.join(METHODS)}")
    if windows is not None and windows < 1:
        raise _fail("--windows must be at least 1")
    try:
        imported = import_events(csv, time=time, lon=lon, lat=lat, x=x, y=y, crs=crs,
                                 type_col=type_col, district_col=district,
                                 time_format=time_format, id_col=id_col,
                                 dedupe_without_id=dedupe_without_id)
        summary = imported.summary()
        if summary["no_events_reason"]:
            raise ForecastInputError(M_("nothing to backtest: %(no_events_reason)s",
                                        no_events_reason=summary['no_events_reason']))
        result = _service().backtest(imported.events, methods=method or tuple(METHODS),
                                     freq=freq, start=start, windows=windows, cell=cell,
                                     selection_windows=None if select_on_earlier else 0)
    except ForecastInputError as error:
        raise _fail(str(error.detail)) from None
    if as_json:
        compact = {
            "import": {k: summary[k] for k in ("rows_read", "rows_kept", "duplicates_dropped",
                                               "duplicates_without_id_kept", "bad_rows",
                                               "time_resolution", "location_resolution")},
            "protocol": result["protocol"],
            "backtest_seconds": result["backtest_seconds"],
            "best_method": result["best_method"], "best_pai_5pct": result["best_pai_5pct"],
            "naive_pai_5pct": result["naive_pai_5pct"],
            "history_pai_5pct": result["history_pai_5pct"],
            "strongest_baseline_5pct": result["strongest_baseline_5pct"],
            "nested_pai_5pct": result["nested_pai_5pct"], "nested": result["nested"],
            "methods": {name: {"seconds": m["seconds"], "summary": m["summary"]}
                        for name, m in result["methods"].items()},
        }
        typer.echo(json.dumps(compact, indent=2))
        return
    protocol = result["protocol"]
    typer.echo(f"{summary['rows_kept']} events ({summary['duplicates_dropped']} duplicates "
               f"dropped, {summary['bad_total']} bad rows; {summary['time_resolution']} data); "
               f"{protocol['window_count']} {protocol['freq']} windows from "
               f"{protocol['first_window']} to {protocol['last_window_ends']} "
               f"(window: {protocol['freq_reason']})")
    typer.echo(result["table"])


@forecast_app.command("patrol")
def forecast_patrol(
    decision_id: str,
    start: Annotated[str, typer.Option("--from", help="First day patrolled (YYYY-MM-DD).")],
    stop: Annotated[str, typer.Option("--to", help="Day after the last day patrolled.")],
    cells: Annotated[str, typer.Option(help="Comma-separated cell ids, e.g. r012c034.")],
    user: UserOption = "",
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record that patrols followed forecast DECISION_ID in these cells and days."""
    from datetime import date

    from accord.core.errors import AccordError
    from accord.core.runtime import get_database
    from accord.forecast.patrols import PatrolService

    _, caller = caller_for(user)
    if not ({"analyst", "supervisor"} & caller.roles):
        raise fail("only an analyst or a supervisor may record forecast-driven patrols")
    try:
        first, after = date.fromisoformat(start), date.fromisoformat(stop)
    except ValueError as error:
        raise fail(f"dates must be YYYY-MM-DD: {error}") from None
    try:
        record = PatrolService(get_database()).record(
            decision_id, first, after, cells.split(","), user_id=caller.user_id, note=note)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"recorded patrol {record.id}: {len(record.cells)} cells, "
               f"{record.start} to {record.stop} (exclusive), following {decision_id}")


@forecast_app.command("patrols")
def forecast_patrols(dataset: Annotated[str | None, typer.Option()] = None,
                     as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List recorded forecast-driven patrols."""
    from accord.core.runtime import get_database
    from accord.forecast.patrols import PatrolService

    rows = [{"id": r.id, "decision_id": r.decision_id, "dataset": r.dataset,
             "start": r.start.isoformat(), "stop": r.stop.isoformat(), "cells": r.cells,
             "method": r.method} for r in PatrolService(get_database()).list(dataset)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:>4} {row['start']}..{row['stop']} {row['dataset']} "
                   f"{len(row['cells'])} cells (forecast {row['decision_id']})")


def attach(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast", help="Place-based forecasting and backtests.")
