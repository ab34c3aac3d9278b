"""The stack fitted for the hit rate: where held-out likelihood mixes in a surface that covers
the quiet cells and so pushes cold cells into the top of the map, the hit-rate fit keeps the
surface that orders the top; on real-looking data it turns to the recent surfaces when
hotspots move and stays with the long-term ones when they do not."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.backtest import METHODS, backtest, make_method
from accord.forecast.data import ForecastInputError
from accord.forecast.metrics import flagged_cells, hit_rate_at
from accord.forecast.smoothing import fit_hit_rate, fit_stack
from tests.forecast.synthetic import GRID
from tests.forecast.test_blend import WEEKS, moving_hotspots, stable_behind_bursts
from tests.forecast.test_categories import recurring_and_bursting

CELLS = 100
K = 5  # 5 % of 100 cells
HOT = np.arange(5)  # cells 0-4: about 2 events a week each
DECOY = np.arange(50, 55)  # cells 50-54: no busier than any other quiet cell


def _surfaces() -> np.ndarray:
    """A: most mass on the hot cells, little elsewhere. B: half its mass on the decoy cells,
    the other half spread over all the others — the only surface that covers the quiet
    cells' scattered events, and it peaks where nothing special happens."""
    a = np.full(CELLS, 0.1 / (CELLS - HOT.size))
    a[HOT] = 0.9 / HOT.size
    b = np.full(CELLS, 0.5 / (CELLS - DECOY.size))
    b[DECOY] = 0.5 / DECOY.size
    return np.vstack([a, b])


def _window(rng: np.random.Generator) -> np.ndarray:
    counts = rng.poisson(0.3, CELLS).astype(float)  # ~29 scattered events
    counts[HOT] = rng.poisson(2.0, HOT.size)
    return counts


def test_hit_rate_fit_keeps_the_surface_that_orders_the_top() -> None:
    rng = np.random.default_rng(0)
    surfaces = _surfaces()
    train = [_window(rng) for _ in range(8)]
    held_out = [_window(rng) for _ in range(40)]
    by_likelihood = fit_stack([surfaces] * 8, train)
    by_hit_rate = fit_hit_rate([surfaces] * 8, train, K)
    # Likelihood gives B most of the weight (it alone explains the quiet cells' events), and
    # the mixture's top 5 cells are then the decoys.
    assert by_likelihood[1] > 0.5
    assert set(flagged_cells(by_likelihood @ surfaces, 5.0).tolist()) == set(DECOY.tolist())
    # The hit-rate fit keeps A: its top 5 are the hot cells.
    assert by_hit_rate.sum() == pytest.approx(1.0)
    assert set(flagged_cells(by_hit_rate @ surfaces, 5.0).tolist()) == set(HOT.tolist())

    def mean_hit_rate(w: np.ndarray) -> float:
        return float(np.mean([hit_rate_at(w @ surfaces, y, K) for y in held_out]))

    assert mean_hit_rate(by_hit_rate) > mean_hit_rate(by_likelihood) + 0.2


def test_hit_rate_fit_starts_from_the_first_of_equal_surfaces() -> None:
    """Nothing to tell the surfaces apart (no events): the first (own-cell history in the
    stack) is kept whole; a mix is only taken when it does strictly better."""
    surfaces = _surfaces()
    assert fit_hit_rate([surfaces], [np.zeros(CELLS)], K).tolist() == [1.0, 0.0]
    same = np.vstack([surfaces[0], surfaces[0]])
    assert fit_hit_rate([same] * 3, [_window(np.random.default_rng(1))] * 3,
                        K).tolist() == [1.0, 0.0]


def test_stack_turns_to_the_recent_surfaces_when_hotspots_move() -> None:
    events, active = moving_hotspots()
    until = float(7 * WEEKS)
    fitted = make_method("hit-stack").fit(events, GRID, until, 7.0)
    recent = sum(float(w) for w, c in zip(fitted.weights, fitted.components, strict=False)  # type: ignore[attr-defined]
                 if c.lookback_days is not None)
    assert recent >= 0.5
    top = set(flagged_cells(fitted.predict(), 5.0).tolist())
    history_top = set(flagged_cells(GRID.counts(events), 5.0).tolist())
    assert len(top & set(active.tolist())) >= len(history_top & set(active.tolist())) + 5
    # The weights were fitted on the 8 weeks before the forecast, nothing after it.
    assert len(fitted.validation["windows"]) == 8
    assert max(fitted.validation["windows"]) < "1970-05-21"
    # The explanation adds up to the forecast.
    cell = int(active[-1])
    assert fitted.summary_of_why(cell)["expected"] == pytest.approx(fitted.predict()[cell],
                                                                   rel=1e-6)


def test_stack_keeps_long_term_hotspots_that_recent_bursts_hide() -> None:
    events, steady = stable_behind_bursts()
    until = float(7 * WEEKS)
    fitted = make_method("hit-stack").fit(events, GRID, until, 7.0)
    top = set(flagged_cells(fitted.predict(), 5.0).tolist())
    assert set(steady.tolist()) <= top
    assert fitted.validation["selected_by"].startswith("hit rate at 5% of the area")


def test_stack_is_a_method_the_nested_selection_can_choose() -> None:
    """One category recurs in fixed cells, another bursts in a fresh cell each week: the
    stack weighs the recurring category's own surface, leads on the weeks before each scored
    window, and the nested rule chooses it every time."""
    assert "hit-stack" in METHODS
    result = backtest(recurring_and_bursting(), methods=("blend", "hit-stack"), freq="week",
                      start=105.0, windows=5, grid=GRID, bootstrap_reps=200,
                      selection_windows=None)
    nested = result.nested
    assert nested["windows_scored"] == 5
    assert nested["chosen_counts"] == {"hit-stack": 5}
    stack = result.methods["hit-stack"]["summary"]["5%"]["pai"]["mean"]
    assert stack > result.methods["blend"]["summary"]["5%"]["pai"]["mean"] + 1.0
    with pytest.raises(ForecastInputError, match="coverage"):
        make_method("hit-stack", coverage=100.0)
