"""Category weights learned on earlier windows: a category whose places recur is weighed above
one whose bursts never come back to the same place."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.backtest import backtest, make_method
from accord.forecast.data import EventSet
from tests.forecast.synthetic import GRID

WEEKS = 20


def recurring_and_bursting(seed: int = 0) -> EventSet:
    """Burglaries: one a week in each of 20 fixed cells (they recur). Graffiti: each week a
    burst of 40 in a cell never used again (it does not). Plus 40 events a week anywhere."""
    rng = np.random.default_rng(seed)
    hot = rng.choice(GRID.size, size=20 + WEEKS + 1, replace=False)
    recurring, bursts = hot[:20], hot[20:]
    t, cells, cats = [], [], []
    for week in range(WEEKS + 1):
        days = week * 7 + rng.integers(0, 7, size=100)
        t += days.tolist()
        cells += recurring.tolist() + [int(bursts[week])] * 40
        cells += rng.integers(0, GRID.size, size=40).tolist()
        cats += ["burglary"] * 20 + ["graffiti"] * 40 + ["theft"] * 40
    iy, ix = np.divmod(np.asarray(cells), GRID.nx)
    x = GRID.x0 + (ix + rng.random(len(cells))) * GRID.cell
    y = GRID.y0 + (iy + rng.random(len(cells))) * GRID.cell
    return EventSet.from_arrays(t, x, y, category=cats, day_resolution=True)


@pytest.fixture(scope="module")
def events() -> EventSet:
    return recurring_and_bursting()


def test_the_recurring_category_gets_the_weight(events: EventSet) -> None:
    until = float(WEEKS * 7)
    fitted = make_method("kde-categories").fit(events, GRID, until, 7.0)
    weights = dict.fromkeys(("burglary", "graffiti", "theft"), 0.0)
    for weight, comp in zip(fitted.weights, fitted.components, strict=False):  # type: ignore[attr-defined]
        if comp.category is not None:
            weights[comp.category] += float(weight)
    # Burglaries are a fifth of the events and the only ones whose places recur: their own
    # surface takes about that share, the bursts' none (the rest is wide smoothing for thefts).
    assert weights["burglary"] > 0.1
    assert weights["graffiti"] < 0.01
    # The recurring cells are the top of the forecast.
    top = set(np.argsort(-fitted.predict(until, until + 7.0))[:20].tolist())
    recurring = set(GRID.cell_of(events.x[events.category == "burglary"],
                                 events.y[events.category == "burglary"]).tolist())
    assert len(top & recurring) >= 18


def test_learned_category_weights_beat_the_plain_kde_in_a_backtest(events: EventSet) -> None:
    result = backtest(events, methods=("kde", "kde-categories"), freq="week", start=105.0,
                      windows=4, grid=GRID)
    pai = {name: m["summary"]["5%"]["pai"]["mean"] for name, m in result.methods.items()}
    assert pai["kde-categories"] > 2 * pai["kde"], pai
    assert pai["kde-categories"] > pai["history"], pai


def test_without_categories_it_is_the_plain_kde() -> None:
    from tests.forecast.synthetic import DAYS, planted

    plain = planted()
    a = make_method("kde").fit(plain, GRID, float(DAYS), 7.0).predict()
    b = make_method("kde-categories").fit(plain, GRID, float(DAYS), 7.0).predict()
    assert np.allclose(a, b)
