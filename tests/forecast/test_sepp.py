"""EM for the grid SEPP recovers the parameters of simulated self-exciting data."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.sepp import fit_em, same_cell_pairs
from tests.forecast.synthetic import hawkes


def test_em_recovers_theta_omega_and_background() -> None:
    mu = np.array([0.02, 0.05, 0.05, 0.1, 0.1, 0.1, 0.2, 0.2] * 3)  # 24 cells, events per day
    theta, omega, horizon = 0.5, 0.5, 1500.0  # half of events triggered, mean delay 2 days
    t, cells = hawkes(mu, theta, omega, horizon, seed=3)
    assert len(t) > 5000
    fit = fit_em(t, cells, len(mu), 0.0, horizon, max_lag=60.0)
    assert fit.converged
    assert fit.theta == pytest.approx(theta, abs=0.06)
    assert fit.omega == pytest.approx(omega, rel=0.15)
    assert fit.mu.sum() == pytest.approx(mu.sum(), rel=0.1)
    # Busier cells get the larger background rates.
    assert np.corrcoef(fit.mu, mu)[0, 1] > 0.9
    # Background probabilities: about half the events are background.
    assert fit.p_background.mean() == pytest.approx(1 - theta, abs=0.06)


def test_em_finds_no_triggering_in_a_plain_poisson_process() -> None:
    rng = np.random.default_rng(1)
    mu = np.full(20, 0.1)
    n = rng.poisson(mu * 1000)
    t = np.concatenate([rng.uniform(0, 1000, k) for k in n])
    cells = np.concatenate([np.full(k, c) for c, k in enumerate(n)])
    order = np.argsort(t)
    fit = fit_em(t[order], cells[order], 20, 0.0, 1000.0, max_lag=60.0)
    assert fit.theta < 0.05
    assert fit.mu.sum() == pytest.approx(2.0, rel=0.1)


def test_same_day_events_are_never_paired() -> None:
    t = np.array([0.0, 0.0, 1.0, 3.0])
    cells = np.array([0, 0, 0, 1])
    first, second = same_cell_pairs(t, cells)
    pairs = sorted(zip(first.tolist(), second.tolist(), strict=True))
    assert pairs == [(0, 2), (1, 2)]  # not (0, 1): same day; not 3: other cell
