"""PAI, PEI, hit rate and the log-likelihood on small grids where the answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accord.forecast.metrics import (
    bootstrap_mean,
    cells_for_coverage,
    paired_bootstrap,
    poisson_loglik,
    score,
    selection,
)


def test_hit_rate_pai_pei_on_a_ten_cell_grid() -> None:
    # Forecast ranks cells 0 > 1 > 2 > ...; 20% coverage flags cells 0 and 1.
    forecast = np.array([9.0, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    actual = np.array([2.0, 0, 5, 1, 0, 0, 0, 0, 0, 2])  # 10 events
    result = score(forecast, actual, coverages=(20.0, 50.0))
    at20 = result["coverage"]["20%"]
    assert at20["cells"] == 2
    assert at20["hits"] == 2  # only cell 0's two events
    assert at20["hit_rate"] == pytest.approx(0.2)
    assert at20["pai"] == pytest.approx(0.2 / 0.2)  # (n/N) / (a/A)
    assert at20["pei"] == pytest.approx(2 / 7)  # best two cells hold 5 + 2 events
    at50 = result["coverage"]["50%"]  # cells 0-4 hold 2 + 5 + 1 = 8 events
    assert at50["hit_rate"] == pytest.approx(0.8)
    assert at50["pai"] == pytest.approx(0.8 / 0.5)
    assert at50["pei"] == pytest.approx(8 / 10)  # the best five cells hold all ten
    assert result["events"] == 10


def test_a_perfect_forecast_has_pei_one_and_maximal_pai() -> None:
    actual = np.array([0.0, 3, 0, 1, 0, 0, 0, 0, 0, 0])
    result = score(actual, actual, coverages=(10.0,))["coverage"]["10%"]
    assert result["pei"] == 1.0
    assert result["pai"] == pytest.approx(0.75 / 0.1)


def test_ties_at_the_edge_are_shared_by_expectation() -> None:
    # One place left, three cells tied: each counts for one third.
    forecast = np.array([5.0, 1, 1, 1, 0])
    chosen = selection(forecast, 2)
    assert chosen.tolist() == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3, 0])
    actual = np.array([0.0, 3, 0, 0, 0])
    assert score(forecast, actual, coverages=(40.0,))["coverage"]["40%"]["hits"] == \
        pytest.approx(1.0)
    # "first" keeps row-major order instead.
    assert selection(forecast, 2, tie="first").tolist() == [1, 1, 0, 0, 0]


def test_coverage_rounds_down_to_whole_cells() -> None:
    assert cells_for_coverage(6804, 5.0) == 340
    assert cells_for_coverage(6804, 1.0) == 68
    assert cells_for_coverage(10, 5.0) == 0
    assert cells_for_coverage(100, 10.0) == 10


def test_poisson_loglik_matches_the_formula_and_floors_zero_forecasts() -> None:
    expected = np.array([1.0, 2.0])
    actual = np.array([0.0, 3.0])
    by_hand = (0 * math.log(1) - 1 - 0) + (3 * math.log(2) - 2 - math.log(6))
    assert poisson_loglik(expected, actual) == pytest.approx(by_hand)
    # A zero forecast where an event happened is finite but much worse.
    worse = poisson_loglik(np.array([0.0, 3.0]), np.array([1.0, 2.0]))
    assert math.isfinite(worse)
    assert worse < poisson_loglik(np.array([1.0, 2.0]), np.array([1.0, 2.0])) - 5


def test_bootstrap_interval_brackets_the_mean_and_collapses_for_constants() -> None:
    mean, low, high = bootstrap_mean([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == 3.0 and low < mean < high and low >= 1.0 and high <= 5.0
    assert bootstrap_mean([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    diff, dlow, dhigh = paired_bootstrap([3.0, 4.0, 5.0], [1.0, 2.0, 3.0])
    assert (diff, dlow, dhigh) == (2.0, 2.0, 2.0)
