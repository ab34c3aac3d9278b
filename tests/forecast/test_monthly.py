"""Monthly, snapped, id-less data: the importer reads them for what they are, the backtest
respects their resolution and stays honest about what it can tell apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.forecast.data import import_events
from tests.forecast.monthly import MONTHS, write_monthly


@pytest.fixture(scope="module")
def monthly_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_monthly(tmp_path_factory.mktemp("monthly") / "street.csv")


def load(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return import_events(path, time="Month", lon="Longitude", lat="Latitude",
                         type_col="Crime type", **kwargs)  # type: ignore[arg-type]


def test_year_month_dates_import_and_are_reported_as_monthly(monthly_csv: Path) -> None:
    result = load(monthly_csv)
    assert result.bad_rows == {}
    assert result.rows_kept == result.rows_read > MONTHS * 120
    summary = result.summary()
    assert summary["time_resolution"] == "monthly"
    assert summary["time_resolution_detail"]["share_on_first_of_month"] == 1.0
    assert summary["first"] == "2016-01-01" and summary["last"] == "2017-12-01"
    loc = summary["location_resolution"]
    assert loc["snapped"] and loc["distinct_points"] <= 40 * 40
    assert loc["share_on_repeated_points"] > 0.8


def test_identical_rows_without_an_id_are_kept_unless_asked(monthly_csv: Path) -> None:
    """Hot street points get several same-kind events a month: identical rows, separate
    incidents. Dropping them would erase most of each hotspot."""
    kept = load(monthly_csv)
    assert kept.duplicates_dropped == 0
    assert kept.duplicates_without_id_kept > 0.1 * kept.rows_read
    assert kept.rows_kept == kept.rows_read
    dropped = load(monthly_csv, dedupe_without_id=True)
    assert dropped.duplicates_dropped == kept.duplicates_without_id_kept
    assert dropped.rows_kept == kept.rows_read - kept.duplicates_without_id_kept


def test_duplicates_with_an_id_are_still_dropped(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("ref,Month,Longitude,Latitude\n"
                    "a1,2016-01,-1.5,53.8\na1,2016-01,-1.5,53.8\n"
                    ",2016-01,-1.5,53.8\n,2016-01,-1.5,53.8\n", encoding="utf-8")
    result = import_events(path, time="Month", lon="Longitude", lat="Latitude", id_col="ref")
    assert (result.duplicates_dropped, result.duplicates_without_id_kept, result.rows_kept) \
        == (1, 1, 3)


@pytest.mark.parametrize(("text", "resolution"), [
    ("2016-01", "monthly"), ("2016-01-17", "daily"), ("20160117", "daily"),
    ("2016-01-17T22:30:00+01:00", "sub-daily"), ("2016-01-17T22:30Z", "sub-daily"),
])
def test_any_iso_8601_precision(tmp_path: Path, text: str, resolution: str) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"when,lon,lat\n{text},-1.5,53.8\n", encoding="utf-8")
    result = import_events(path, time="when", lon="lon", lat="lat")
    assert result.rows_kept == 1, result.bad_rows
    assert result.events.resolution == resolution


def test_a_zero_event_import_names_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "slashes.csv"
    path.write_text("Month,Longitude,Latitude\n01/2016,-1.5,53.8\n02/2016,-1.5,53.8\n",
                    encoding="utf-8")
    result = load_plain(path)
    reason = result.no_events_reason()
    assert reason is not None
    assert "unparsable time: 2" in reason and "'01/2016'" in reason and "--time-format" in reason
    assert result.summary()["no_events_reason"] == reason
    fixed = load_plain(path, time_format="%m/%Y")
    assert fixed.rows_kept == 2 and fixed.no_events_reason() is None
    assert fixed.events.resolution == "monthly"


def load_plain(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return import_events(path, time="Month", lon="Longitude", lat="Latitude",
                         **kwargs)  # type: ignore[arg-type]


# -- the backtest on monthly data ---------------------------------------------------------


@pytest.fixture(scope="module")
def monthly_events(monthly_csv: Path):  # type: ignore[no-untyped-def]
    return load(monthly_csv).events


def test_a_weekly_window_on_monthly_data_is_refused_with_the_reason(monthly_events) -> None:  # type: ignore[no-untyped-def]
    from accord.forecast.backtest import backtest
    from accord.forecast.data import ForecastInputError

    for freq in ("week", "day"):
        with pytest.raises(ForecastInputError, match=f"a {freq} window is finer than the data: "
                           "they are monthly.*--freq month"):
            backtest(monthly_events, methods=("kde",), freq=freq, windows=2)


@pytest.fixture(scope="module")
def monthly_backtest(monthly_events):  # type: ignore[no-untyped-def]
    from accord.forecast.backtest import backtest

    return backtest(monthly_events, methods=("kde", "prospective"), cell=150.0,
                    start="2017-01-01", bootstrap_reps=300)


def test_monthly_backtest_scores_every_month_including_the_last(monthly_backtest) -> None:  # type: ignore[no-untyped-def]
    protocol = monthly_backtest.protocol
    assert protocol["freq"] == "month" and "default for monthly data" in protocol["freq_reason"]
    assert protocol["window_count"] == 12
    assert protocol["windows"][-1] == ["2017-12-01", "2017-12-31"]
    assert protocol["unscored_days_at_end"] == 0
    # Every method forecasts something in every month (look-backs are whole months).
    for name, m in monthly_backtest.methods.items():
        assert m["summary"]["windows_flagging_nothing"] == 0, name
        assert all(w["events"] > 0 for w in m["windows"])


def test_monthly_backtest_recovers_the_hotspots(monthly_backtest, monthly_events) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from accord.forecast.backtest import make_method
    from accord.forecast.data import iso_to_day
    from accord.forecast.grid import Grid
    from accord.forecast.metrics import flagged_cells
    from tests.forecast.monthly import HOT_POINTS

    grid = Grid.covering(monthly_events, 150.0)
    # Cells of the hot street points, found from the events themselves (the busiest points).
    pairs, counts = np.unique(np.column_stack([monthly_events.x, monthly_events.y]), axis=0,
                              return_counts=True)
    hot = pairs[np.argsort(-counts)[:len(HOT_POINTS)]]
    hot_cells = set(grid.cell_of(hot[:, 0], hot[:, 1]).tolist())
    until = iso_to_day("2017-12-01")
    for name in ("kde", "prospective", "history", "blend"):
        fitted = make_method(name).fit(monthly_events, grid, until, 31.0)
        top = set(flagged_cells(fitted.predict(until, until + 31.0), 2.0).tolist())
        assert hot_cells <= top, name
    for name in ("kde", "prospective"):
        assert monthly_backtest.methods[name]["summary"]["5%"]["vs_naive"]["mean"] > 0


def test_a_method_that_forecasts_nothing_is_never_better_than_the_baseline(
        monthly_events, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Flagging the "top 5%" of an all-zero forecast would share the places among tied cells
    and score PAI 1.0 in expectation; here it is a failure (PAI 0), counted, and left out of
    the paired comparison, so it can never be called significantly better."""
    import numpy as np

    from accord.forecast import backtest as bt
    from accord.forecast.methods import NaiveFit

    class BlankFit(NaiveFit):
        def _predict(self, start: float, stop: float) -> np.ndarray:
            return np.zeros(self.grid.size)

    class Blank(bt.Naive):
        name = "blank"

        def build(self, train, grid, until, horizon, params):  # type: ignore[no-untyped-def]
            return BlankFit(self.name, grid, train, until, horizon, {"lookback_days": None})

    monkeypatch.setitem(bt.METHODS, "blank", Blank)
    result = bt.backtest(monthly_events, methods=("blank",), start="2017-07-01",
                         bootstrap_reps=200)
    blank = result.methods["blank"]["summary"]
    assert blank["windows_flagging_nothing"] == 6
    for cov in ("1%", "5%", "10%"):
        assert blank[cov]["pai"]["mean"] == 0.0
        assert blank[cov]["vs_baseline"]["windows_compared"] == 0
        assert not blank[cov]["vs_baseline"]["significant"]
    assert result.best() != "blank"
    assert "forecast nothing in 6 of 6 windows (scored as PAI 0)" in result.table()


def test_the_cli_refuses_a_weekly_window_and_defaults_to_months(
        monthly_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from accord.config import reset_settings_cache
    from accord.forecast.cli import forecast_app

    monkeypatch.setenv("ACCORD_STATE_DIR", str(tmp_path / "var"))
    reset_settings_cache()
    args = ["backtest", str(monthly_csv), "--time", "Month", "--lon", "Longitude", "--lat",
            "Latitude", "--method", "naive", "--start", "2017-10-01"]
    refused = CliRunner().invoke(forecast_app, [*args, "--freq", "week"])
    assert refused.exit_code == 1
    assert "a week window is finer than the data" in refused.stderr
    ok = CliRunner().invoke(forecast_app, args)
    assert ok.exit_code == 0, ok.output
    assert "3 month windows from 2017-10-01 to 2017-12-31" in ok.stdout
    assert "monthly data" in ok.stdout
    reset_settings_cache()


def test_default_geocode_cells_are_flagged_and_can_be_excluded() -> None:
    """A station forecourt: 60 events on one exact point among uniform background. Its cell
    is the top forecast cell, flagged, listed in the output and the model card, and left out
    of the flagged cells when the analyst asks."""
    import numpy as np

    from accord.forecast.data import EventSet
    from accord.forecast.service import ForecastService

    rng = np.random.default_rng(3)
    n = 900
    t = np.concatenate([rng.integers(0, 120, n), rng.integers(0, 120, 60)]).astype(float)
    x = np.concatenate([rng.uniform(0, 3000, n), np.full(60, 1520.0)])
    y = np.concatenate([rng.uniform(0, 3000, n), np.full(60, 1530.0)])
    events = EventSet.from_arrays(t, x, y, day_resolution=True)
    service = ForecastService()
    out = service.forecast(events, method="history", cell=150.0, top=5)
    top = out["top_cells"][0]
    assert top["default_geocode"] and [c["cell"] for c in out["default_geocode_cells"]] \
        == [top["cell"]]
    assert not any(c["default_geocode"] for c in out["top_cells"][1:])
    assert out["model_card"]["data_quality"]["default_geocode_cells"][0]["point_events"] == 60
    excluded = service.forecast(events, method="history", cell=150.0, top=5,
                                exclude_default_geocode=True)
    assert excluded["default_geocode_excluded"]
    assert top["cell"] not in excluded["flagged_cell_ids"]
    assert len(excluded["flagged_cell_ids"]) == len(out["flagged_cell_ids"])
    assert excluded["top_cells"][0]["cell"] != top["cell"]


def test_a_forecast_without_a_window_uses_the_datas_own_resolution(
        monthly_csv: Path, accord_env) -> None:  # type: ignore[no-untyped-def]
    """The map's capability passes no window unless the analyst picks one: on monthly data that
    is next month's forecast, not a refused week."""
    from accord.forecast.capability import run_forecast
    from accord.forecast.data import ForecastInputError
    from accord.forecast.service import ForecastService

    service = ForecastService()
    dataset = service.import_csv(monthly_csv, time="Month", lon="Longitude",
                                 lat="Latitude")["dataset_id"]
    output = run_forecast({"dataset": dataset, "method": "history", "top": 3}).output
    assert output["window"] == {"start": "2018-01-01", "end": "2018-01-31", "freq": "month"}
    with pytest.raises(ForecastInputError, match="a week window is finer than the data"):
        run_forecast({"dataset": dataset, "method": "history", "window": "week"})
