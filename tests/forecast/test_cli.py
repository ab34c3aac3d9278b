"""``accord forecast import|backtest`` (the Typer app the lead mounts as ``accord forecast``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from accord.forecast.cli import forecast_app
from accord.forecast.data import day_to_iso
from tests.forecast.synthetic import planted

runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from accord.config import reset_settings_cache

    monkeypatch.setenv("ACCORD_STATE_DIR", str(tmp_path / "var"))
    reset_settings_cache()
    yield tmp_path
    reset_settings_cache()


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """The planted-hotspot events as a lon/lat CSV, plus one duplicate and two bad rows."""
    from pyproj import Transformer

    events = planted(background=300, hot=60, days=100)
    to_geo = Transformer.from_crs("EPSG:32610", "EPSG:4326", always_xy=True)
    lon, lat = to_geo.transform(events.x + 550000.0, events.y + 4180000.0)
    lines = ["day,lon,lat,kind"]
    for t, a, b in zip(events.t, lon, lat, strict=True):
        lines.append(f"{day_to_iso(t)},{a:.6f},{b:.6f},THEFT")
    lines += [lines[1], "not-a-date,-122.4,37.7,THEFT", "1970-01-05,,37.7,THEFT"]
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_prints_counts_and_bad_rows_by_reason(state: Path, csv_file: Path) -> None:
    result = runner.invoke(forecast_app, ["import", str(csv_file), "--time", "day", "--lon",
                                          "lon", "--lat", "lat", "--type", "kind"])
    assert result.exit_code == 0, result.output
    # No id column: the repeated row may be a second incident, so it is kept and counted.
    assert "361 events kept of 363 rows" in result.stdout
    assert "exact duplicates dropped: 0" in result.stdout
    assert "identical rows without an id kept: 1" in result.stdout
    assert "time resolution: daily" in result.stdout
    assert "unparsable time: 1 (e.g. lines 363)" in result.stdout
    assert "missing coordinate: 1" in result.stdout
    as_json = runner.invoke(forecast_app, ["import", str(csv_file), "--time", "day", "--lon",
                                           "lon", "--lat", "lat", "--json",
                                           "--dedupe-without-id"])
    data = json.loads(as_json.stdout)
    assert data["rows_kept"] == 360 and data["duplicates_dropped"] == 1
    assert data["bad_rows"] == {"missing coordinate": 1, "unparsable time": 1}
    assert (state / "var" / "forecast" / f"{data['dataset_id']}.npz").is_file()


def test_backtest_json_has_every_method_and_coverage(state: Path, csv_file: Path) -> None:
    result = runner.invoke(forecast_app, [
        "backtest", str(csv_file), "--time", "day", "--lon", "lon", "--lat", "lat",
        "--freq", "week", "--cell", "150", "--windows", "2", "--method", "kde", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["methods"]) == {"naive", "history", "kde"}
    for method in data["methods"].values():
        for coverage in ("1%", "2%", "5%", "10%"):
            assert {"hit_rate", "pai", "pei"} <= set(method["summary"][coverage])
    assert data["protocol"]["window_count"] == 2
    assert data["backtest_seconds"] >= 0
    assert np.isfinite(data["best_pai_5pct"])


def test_backtest_can_choose_on_earlier_windows(state: Path, csv_file: Path) -> None:
    args = ["backtest", str(csv_file), "--time", "day", "--lon", "lon", "--lat", "lat",
            "--freq", "week", "--windows", "2", "--method", "kde", "--json"]
    plain = json.loads(runner.invoke(forecast_app, args).stdout)
    result = runner.invoke(forecast_app, [*args, "--select-on-earlier"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # Too few windows to choose on alone; with the weeks before the first, both are scored.
    assert plain["nested"]["windows_scored"] == 0
    assert data["nested"]["windows_scored"] == 2
    assert data["nested"]["selection_only_windows"] == data["protocol"]["selection_window_count"]
    assert data["protocol"]["selection_window_count"] >= 3
    assert data["methods"]["kde"]["summary"] == plain["methods"]["kde"]["summary"]


@pytest.mark.parametrize(("args", "message"), [
    (["import", "missing.csv", "--time", "day", "--lon", "lon", "--lat", "lat"],
     "error: no such file"),
    (["import", "{csv}", "--time", "when", "--lon", "lon", "--lat", "lat"],
     "error: unknown column 'when' for time"),
    (["import", "{csv}", "--time", "day", "--x", "lon", "--y", "lat"],
     "error: --x/--y need --crs"),
    (["backtest", "{csv}", "--time", "day", "--lon", "lon", "--lat", "lat", "--freq", "year"],
     "error: --freq must be one of day, week, month"),
    (["backtest", "{csv}", "--time", "day", "--lon", "lon", "--lat", "lat", "--method", "x"],
     "error: unknown method 'x'"),
    (["backtest", "{csv}", "--time", "day", "--lon", "lon", "--lat", "lat", "--start",
      "2030-01-01"], "error: no whole forecast window"),
    (["backtest", "{csv}", "--time", "day", "--lon", "lon", "--lat", "lat", "--cell", "0"],
     "error: cell size must be"),
])
def test_bad_input_gives_a_clear_error_and_non_zero_exit(state: Path, csv_file: Path,
                                                         args: list[str], message: str) -> None:
    args = [a.replace("{csv}", str(csv_file)) for a in args]
    result = runner.invoke(forecast_app, args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_file_with_no_usable_row_reports_why_and_fails(state: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("day,lon,lat\n,-122.4,37.7\n2012-13-45,-122.4,37.7\n", encoding="utf-8")
    result = runner.invoke(forecast_app, ["import", str(path), "--time", "day", "--lon", "lon",
                                          "--lat", "lat"])
    assert result.exit_code == 1
    assert "nothing stored: 0 events kept of 2 rows" in result.stdout
    assert "missing time: 1" in result.stdout and "unparsable time: 1" in result.stdout
    assert "error: no usable rows" in result.stderr
