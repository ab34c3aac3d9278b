"""Rolling-origin backtests: windows, progress, baseline comparison, the SF protocol."""

from __future__ import annotations

import pytest

from accord.forecast.backtest import backtest, windows_for
from accord.forecast.data import ForecastInputError, iso_to_day
from tests.forecast.synthetic import GRID, planted


def test_windows_are_whole_and_consecutive() -> None:
    start = iso_to_day("2012-10-29")
    weeks = windows_for("week", start, iso_to_day("2013-01-01"))
    assert len(weeks) == 9  # the ninth ends on 30 December; 31 December is left over
    assert all(b - a == 7 for a, b in weeks)
    assert all(weeks[i][1] == weeks[i + 1][0] for i in range(8))
    months = windows_for("month", iso_to_day("2012-10-01"), iso_to_day("2013-01-01"))
    assert [b - a for a, b in months] == [31, 30, 31]
    assert len(windows_for("day", start, start + 3.5)) == 3
    with pytest.raises(ForecastInputError, match="--freq"):
        windows_for("fortnight", start, start + 30)


def test_backtest_scores_every_method_against_the_naive_baseline() -> None:
    events = planted(with_district=True)
    seen: list[tuple[int, str]] = []
    result = backtest(events, methods=("kde", "prospective"), freq="week", start=63.0,
                      windows=4, grid=GRID, progress=lambda p, m: seen.append((p, m)),
                      bootstrap_reps=200)
    assert list(result.methods) == ["naive", "kde", "prospective"]
    assert [p for p, _ in seen] == sorted(p for p, _ in seen) and seen[-1][0] == 100
    assert len(seen) == 3 * 4
    for name in ("kde", "prospective"):
        summary = result.methods[name]["summary"]["5%"]
        # The planted cell holds ~13% of events in 0.25% of the area: far above naive's luck.
        assert summary["pai"]["low"] <= summary["pai"]["mean"] <= summary["pai"]["high"]
        assert summary["naive_pai"] == result.methods["naive"]["summary"]["5%"]["pai"]
        assert "vs_naive" in summary
        assert len(result.methods[name]["windows"]) == 4
    out = result.as_dict()
    assert out["protocol"]["window_count"] == 4
    # A model card per fitted model: data window, parameters, metrics, fairness.
    card = result.methods["kde"]["model_card"]
    assert card["data"]["trained_until"] == "1970-03-25"  # day 83, before the last window
    assert card["metrics"]["summary"]["5%"]["pai"] == result.methods["kde"]["summary"]["5%"]["pai"]
    assert {r["district"] for r in card["fairness"]["exposure_audit"]["districts"]} == \
        {"EAST", "WEST"}
    assert card["limitations"]
    assert out["best_pai_5pct"] >= out["naive_pai_5pct"]
    assert "PAI minus naive PAI" in result.table()


def test_backtest_input_errors() -> None:
    events = planted()
    with pytest.raises(ForecastInputError, match="unknown method"):
        backtest(events, methods=("crystal-ball",), grid=GRID)
    with pytest.raises(ForecastInputError, match="no whole forecast window"):
        backtest(events, start=1000.0, grid=GRID)
    with pytest.raises(ForecastInputError, match="before any training data"):
        backtest(events, start=-30.0, windows=1, grid=GRID)


def test_naive_baseline_reproduces_the_open_cp_protocol_figure() -> None:
    """open_cp's naive last-7-days mean PAI at 5% for this protocol is 5.49."""
    from accord.forecast.data import SF_DATA, load_sf

    assert SF_DATA.is_file(), f"shared SF data missing at {SF_DATA} (set ACCORD_SHARED_DIR)"
    result = backtest(load_sf().events, methods=("naive",), freq="week", start="2012-10-29",
                      windows=9, cell=150.0, bootstrap_reps=100)
    assert result.protocol["grid"]["cells"] == 84 * 81
    assert result.mean_pai("naive") == pytest.approx(5.49, abs=0.1)
