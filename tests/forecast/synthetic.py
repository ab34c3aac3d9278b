"""Synthetic event sets with known answers, for the forecasting tests."""

from __future__ import annotations

import numpy as np

from accord.forecast.data import EventSet
from accord.forecast.grid import Grid

GRID = Grid(0.0, 0.0, 150.0, 20, 20, "local-metres")
PLANTED_CELL = 10 * 20 + 10  # row 10, column 10: x and y in [1500, 1650)
DAYS = 120


def planted(seed: int = 0, background: int = 800, hot: int = 120, days: int = DAYS,
            with_district: bool = False) -> EventSet:
    """Uniform background over a 3 km square plus ``hot`` events in one 150 m cell, all
    spread evenly over ``days`` days (day resolution)."""
    rng = np.random.default_rng(seed)
    t = np.concatenate([rng.integers(0, days, background), rng.integers(0, days, hot)])
    x = np.concatenate([rng.uniform(0, 3000, background), rng.uniform(1500, 1650, hot)])
    y = np.concatenate([rng.uniform(0, 3000, background), rng.uniform(1500, 1650, hot)])
    district = np.where(x < 1500, "WEST", "EAST") if with_district else None
    events = EventSet.from_arrays(t.astype(float), x, y, district=district,
                                  day_resolution=True)
    return events


def hawkes(mu: np.ndarray, theta: float, omega: float, horizon: float,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Simulate the grid SEPP by its branching structure: background events at rate ``mu[c]``
    per cell, each event triggering Poisson(theta) children in its cell after Exp(omega)
    delays. Returns (times, cells), continuous time."""
    rng = np.random.default_rng(seed)
    times, cells = [], []
    generation = []
    for cell, rate in enumerate(mu):
        n = rng.poisson(rate * horizon)
        generation += [(float(s), cell) for s in rng.uniform(0, horizon, n)]
    while generation:
        times += [g[0] for g in generation]
        cells += [g[1] for g in generation]
        children = []
        for when, cell in generation:
            for delay in rng.exponential(1 / omega, rng.poisson(theta)):
                if when + delay < horizon:
                    children.append((when + delay, cell))
        generation = children
    order = np.argsort(times)
    return np.asarray(times)[order], np.asarray(cells)[order]


def stable_hotspots(seed: int = 0, background: int = 800, cells: int = 12, per_cell: int = 18,
                    days: int = DAYS) -> tuple[EventSet, np.ndarray]:
    """Uniform background plus ``cells`` randomly placed 150 m cells of :data:`GRID`, each
    with ``per_cell`` events spread over ``days`` days (about one event a week per cell).

    The hotspots never move, but a single week shows only some of them: the naive last-7-days
    map misses the quiet ones, a forecast that pools all the history finds them all. Returns
    the events and the hot cell indices."""
    rng = np.random.default_rng(seed)
    hot = np.sort(rng.choice(GRID.nx * GRID.ny, cells, replace=False))
    t, x, y = [rng.integers(0, days, background)], [rng.uniform(0, 3000, background)], \
        [rng.uniform(0, 3000, background)]
    for cell in hot:
        row, col = divmod(int(cell), GRID.nx)
        t.append(rng.integers(0, days, per_cell))
        x.append(rng.uniform(col * 150.0, (col + 1) * 150.0, per_cell))
        y.append(rng.uniform(row * 150.0, (row + 1) * 150.0, per_cell))
    events = EventSet.from_arrays(np.concatenate(t).astype(float), np.concatenate(x),
                                  np.concatenate(y), day_resolution=True)
    return events, hot
