"""Each method finds a planted hotspot, and explain() names the events behind it."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.backtest import METHODS, make_method
from accord.forecast.data import ForecastInputError
from tests.forecast.synthetic import DAYS, GRID, PLANTED_CELL, planted


@pytest.fixture(scope="module")
def events():  # type: ignore[no-untyped-def]
    return planted()


@pytest.mark.parametrize("name", list(METHODS))
def test_planted_hotspot_is_ranked_top(events, name: str) -> None:  # type: ignore[no-untyped-def]
    fitted = make_method(name).fit(events, GRID, float(DAYS), 7.0)
    expected = fitted.predict()
    assert expected.shape == (GRID.size,)
    assert int(np.argmax(expected)) == PLANTED_CELL
    assert np.all(expected >= 0)
    # Expected counts, not just ranks: about a week of events in total.
    total_per_week = len(events) / DAYS * 7
    assert expected.sum() == pytest.approx(total_per_week, rel=0.5)


@pytest.mark.parametrize("name", list(METHODS))
def test_explain_returns_the_contributing_events(events, name: str) -> None:  # type: ignore[no-untyped-def]
    fitted = make_method(name).fit(events, GRID, float(DAYS), 7.0)
    why = fitted.explain(PLANTED_CELL, top=5)
    assert len(why) == 5
    train = fitted.train
    for item in why:
        # Each contributor is a real past event, in the planted cell, before the forecast.
        assert train.t[item.event] == pytest.approx(np.floor(train.t[item.event]))
        assert GRID.cell_of(np.array([item.x]), np.array([item.y]))[0] == PLANTED_CELL
        assert train.x[item.event] == item.x and item.day <= "1970-04-30"
        assert 0 < item.weight <= 1
    weights = [c.weight for c in why]
    assert weights == sorted(weights, reverse=True)
    # The contributions add up to the forecast for the cell.
    summary = fitted.summary_of_why(PLANTED_CELL)
    assert summary["expected"] == pytest.approx(fitted.predict()[PLANTED_CELL], rel=1e-5)
    assert summary["share_from_this_cell"] > 0.5


def test_naive_explains_with_exactly_last_weeks_events(events) -> None:  # type: ignore[no-untyped-def]
    fitted = make_method("naive").fit(events, GRID, float(DAYS), 7.0)
    why = fitted.explain(PLANTED_CELL, top=100)
    train = fitted.train
    in_cell = GRID.cell_of(train.x, train.y) == PLANTED_CELL
    last_week = np.flatnonzero(in_cell & (train.t >= DAYS - 7))
    assert sorted(c.event for c in why) == last_week.tolist()
    assert fitted.predict()[PLANTED_CELL] == len(last_week)


def test_fitting_never_looks_at_the_forecast_window(events) -> None:  # type: ignore[no-untyped-def]
    # Adding events after the cut-off must not change the fit.
    from accord.forecast.data import EventSet

    late = EventSet.from_arrays(np.full(50, DAYS + 1.0), np.full(50, 100.0),
                                np.full(50, 100.0), day_resolution=True)
    both = EventSet.from_arrays(np.concatenate([events.t, late.t]),
                                np.concatenate([events.x, late.x]),
                                np.concatenate([events.y, late.y]), day_resolution=True)
    for name in METHODS:
        a = make_method(name).fit(events, GRID, float(DAYS), 7.0).predict()
        b = make_method(name).fit(both, GRID, float(DAYS), 7.0).predict()
        assert np.allclose(a, b), name


def test_kde_fits_its_bandwidth_mixture_on_training_windows(events) -> None:  # type: ignore[no-untyped-def]
    fitted = make_method("kde").fit(events, GRID, float(DAYS), 7.0)
    assert fitted.validation["windows"]  # weights came from held-out windows
    assert all(day < "1970-05-01" for day in fitted.validation["windows"])
    weights = fitted.weights  # type: ignore[attr-defined]
    assert weights.sum() == pytest.approx(1.0)
    # A single sharp hotspot on a flat background: the own-cell component matters.
    assert fitted.params["mixture"].get("own cell, all data", 0) > 0.1


def test_prospective_selects_bandwidths_by_validation(events) -> None:  # type: ignore[no-untyped-def]
    fitted = make_method("prospective").fit(events, GRID, float(DAYS), 7.0)
    assert fitted.validation["selected_by"].startswith("internal validation")
    assert fitted.params["space_bandwidth_cells"] in (0, 1, 2, 3)
    assert fitted.params["time_bandwidth_weeks"] in (2, 4, 8, 16, 52)


def test_forecast_before_training_end_and_unknown_method_are_refused(events) -> None:  # type: ignore[no-untyped-def]
    fitted = make_method("kde").fit(events, GRID, float(DAYS), 7.0)
    with pytest.raises(ForecastInputError):
        fitted.predict(DAYS - 10.0, DAYS - 3.0)
    with pytest.raises(ForecastInputError):
        make_method("oracle")
    with pytest.raises(ForecastInputError):
        fitted.explain(GRID.size + 1)
