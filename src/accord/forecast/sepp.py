"""Grid self-exciting point process (Mohler et al. 2011; Mohler et al. 2015), fitted by EM.

In each cell ``c`` the event rate at time ``t`` is

    lambda_c(t) = mu_c + sum over earlier events i in c of  theta * omega * exp(-omega (t - t_i))

``mu_c`` is the background (long-term) rate, ``theta`` the expected number of events each event
triggers in its cell and ``1/omega`` the mean delay. Expectation-maximisation (stochastic
declustering) estimates the probability that each event is background or was triggered by a
given earlier event, then re-estimates ``mu``, ``theta`` and ``omega`` from those probabilities
(Veen & Schoenberg 2008). As in Mohler et al. (2011) the background is then spread in space with
a Gaussian kernel, weighting each event by its background probability; the kernel's bandwidth
is chosen by internal validation on the training data.

Day-resolution data: two events on the same day are never paired (neither can be shown to
have come first), so triggering is learned from lags of a day or more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accord.core.i18n import M_
from accord.forecast.base import Fitted, Method
from accord.forecast.data import EventSet, ForecastInputError, day_to_iso
from accord.forecast.grid import Grid
from accord.forecast.methods import kde_components
from accord.forecast.smoothing import (
    Component,
    component_surfaces,
    fit_stack,
    kernel_to_cell,
    normaliser,
)

MAX_PAIRS = 20_000_000
NO_EXCITATION = 1e-5  # theta below this is reported as 0 (no triggering)


@dataclass
class EMResult:
    mu: np.ndarray  # background events per day, per cell (unsmoothed)
    theta: float
    omega: float
    p_background: np.ndarray  # per event
    loglik: float
    iterations: int
    converged: bool
    pairs: int


def same_cell_pairs(t: np.ndarray, cells: np.ndarray,
                    max_lag: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) with events i and j in the same cell and t_i < t_j (strictly)."""
    order = np.lexsort((t, cells))
    sorted_cells = cells[order]
    bounds = np.flatnonzero(np.diff(sorted_cells)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(order)]))
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    total = 0
    triu: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for s, e in zip(starts, ends, strict=True):
        m = int(e - s)
        if m < 2 or sorted_cells[s] < 0:
            continue
        if m not in triu:
            triu[m] = np.triu_indices(m, 1)
        a, b = triu[m]
        i, j = order[s + a], order[s + b]
        lag = t[j] - t[i]
        keep = lag > 0 if max_lag is None else (lag > 0) & (lag <= max_lag)
        firsts.append(i[keep])
        seconds.append(j[keep])
        total += int(keep.sum())
        if total > MAX_PAIRS:
            raise ValueError("too many event pairs for the SEPP; shorten max_lag_days")
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def fit_em(t: np.ndarray, cells: np.ndarray, n_cells: int, t_start: float, t_end: float, *,
           init: tuple[float, float] | None = None, max_iter: int = 500, tol: float = 1e-6,
           max_lag: float | None = None, max_omega: float = 100.0) -> EMResult:
    """EM for the grid SEPP. ``t``: event times (days); ``cells``: cell per event (>= 0);
    observation window ``[t_start, t_end)``.

    ``omega`` is kept within [1/span, max_omega]: a mean delay longer than the data cannot be
    told apart from the background (if the likelihood pushes ``omega`` to that bound, the data
    show no self-excitation and ``theta`` shrinks towards 0)."""
    t = np.asarray(t, dtype=float)
    cells = np.asarray(cells, dtype=np.int64)
    n = t.shape[0]
    span = float(t_end - t_start)
    if n == 0 or span <= 0:
        return EMResult(np.zeros(n_cells), 0.0, 1.0, np.ones(n), 0.0, 0, True, 0)
    first, second = same_cell_pairs(t, cells, max_lag)
    lag = t[second] - t[first]
    remaining = t_end - t  # time each event had to trigger others
    counts = np.bincount(cells, minlength=n_cells).astype(float)
    theta, omega = init if init is not None else (0.5, 1.0 / max(float(np.mean(lag)), 1e-3)
                                                  if lag.size else 0.1)
    omega_min = 1.0 / span
    omega = min(max(omega, omega_min), max_omega)
    theta = min(max(theta, 1e-4), 0.95)
    mu = counts * (1 - theta) / span
    p_bg = np.ones(n)
    converged = False
    iteration = 0
    loglik = -math.inf
    for iteration in range(1, max_iter + 1):  # noqa: B007
        trig = theta * omega * np.exp(-omega * lag)
        rate = mu[cells] + np.bincount(second, weights=trig, minlength=n)
        p_pair = trig / rate[second]
        p_bg = mu[cells] / rate
        triggered = float(p_pair.sum())
        mu_new = np.bincount(cells, weights=p_bg, minlength=n_cells) / span
        if lag.size and triggered > 0:
            decay = np.exp(-omega * remaining)
            # Generalised M-step for omega with the edge term (events near t_end have had
            # little time to trigger); then theta given omega.
            omega_new = triggered / (float(p_pair @ lag) + theta * float(remaining @ decay))
            omega_new = min(max(omega_new, omega_min), max_omega)
            theta_new = triggered / float(np.sum(1 - np.exp(-omega_new * remaining)))
        else:
            omega_new, theta_new = omega, 0.0
        change = max(abs(theta_new - theta), abs(omega_new - omega) / max(omega, 1e-12),
                     float(np.max(np.abs(mu_new - mu))) * span / max(n, 1))
        mu, theta, omega = mu_new, float(theta_new), float(omega_new)
        if change < tol:
            converged = True
            break
        if theta < NO_EXCITATION:  # the data show no self-excitation: stop at theta = 0
            theta, converged = 0.0, True
            mu = np.bincount(cells, minlength=n_cells) / span
            p_bg = np.ones(n)
            break
    trig = theta * omega * np.exp(-omega * lag)
    rate = mu[cells] + np.bincount(second, weights=trig, minlength=n)
    compensator = float(mu.sum()) * span + theta * float(np.sum(1 - np.exp(-omega * remaining)))
    loglik = float(np.sum(np.log(np.maximum(rate, 1e-300)))) - compensator
    return EMResult(mu, theta, omega, p_bg, loglik, iteration, converged, int(lag.size))


@dataclass
class SeppFit(Fitted):
    em: EMResult | None = field(default=None, repr=False)
    components: list[Component] = field(default_factory=list)
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    background: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # per day
    span: float = 1.0

    def _trigger(self, start: float, stop: float) -> np.ndarray:
        return trigger_counts(self.grid, self.train, float(self.params["theta"]),
                              float(self.params["omega"]), start, stop)

    def _predict(self, start: float, stop: float) -> np.ndarray:
        return self.background * (stop - start) + self._trigger(start, stop)

    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        assert self.em is not None
        theta, omega = float(self.params["theta"]), float(self.params["omega"])
        cells = self.grid.cell_of(self.train.x, self.train.y)
        amount = np.where(cells == cell, theta * (np.exp(-omega * (start - self.train.t))
                                                  - np.exp(-omega * (stop - self.train.t))), 0.0)
        level = float(self.em.p_background.sum()) / self.span * (stop - start)
        for weight, comp in zip(self.weights[:-1], self.components, strict=True):
            if weight <= 0:
                continue
            total = normaliser(self.grid, cells, self.train.t, self.until, comp,
                               self.em.p_background)
            if total <= 0:
                continue
            k = kernel_to_cell(self.grid, cells, cell, comp.sigma_cells) * self.em.p_background
            if comp.lookback_days is not None:
                k = np.where(self.train.t >= self.until - comp.lookback_days, k, 0.0)
            amount += weight * level * k / total
        index = np.flatnonzero(amount > 0)
        return index, amount[index], float(self.weights[-1]) * level / self.grid.size


def trigger_counts(grid: Grid, train: EventSet, theta: float, omega: float, start: float,
                   stop: float) -> np.ndarray:
    """Expected triggered events per cell in ``[start, stop)`` from the events in ``train``."""
    amount = theta * (np.exp(-omega * (start - train.t)) - np.exp(-omega * (stop - train.t)))
    cells = grid.cell_of(train.x, train.y)
    inside = cells >= 0
    return np.bincount(cells[inside], weights=amount[inside], minlength=grid.size)


class SEPP(Method):
    """Grid self-exciting point process (Mohler et al. 2015) fitted by EM, with the background
    spread in space as in Mohler et al. (2011): a mixture of kernel bandwidths whose weights are
    fitted by held-out likelihood on validation windows inside the training data."""

    name = "sepp"
    title = "Self-exciting point process (grid SEPP, EM)"

    def __init__(self, criterion: str = "hit-rate", validation_windows: int | None = None,
                 max_lag_days: float | None = 365.0, **fixed: Any) -> None:
        super().__init__(criterion, validation_windows, **fixed)
        self.max_lag_days = max_lag_days
        self._warm: tuple[float, float] | None = None
        # Validation windows recur from one backtest origin to the next: fit each EM once.
        self._cache: dict[tuple[int, float, float, float, Grid], EMResult] = {}

    def em(self, train: EventSet, grid: Grid, until: float) -> EMResult:
        key = (len(train), float(train.t.sum()), float(train.x.sum()), until, grid)
        if key in self._cache:
            return self._cache[key]
        cells = grid.cell_of(train.x, train.y)
        inside = cells >= 0
        result = fit_em(train.t[inside], cells[inside], grid.size, float(train.t.min()), until,
                        init=self._warm, max_lag=self.max_lag_days)
        self._warm = (max(result.theta, 1e-4), result.omega)
        if not inside.all():  # events outside the grid count as background, spread nowhere
            p_bg = np.ones(len(train))
            p_bg[inside] = result.p_background
            result.p_background = p_bg
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = result
        return result

    def fit(self, events: EventSet, grid: Grid, until: float, horizon: float) -> Fitted:
        train = events.before(until)
        if len(train) == 0:
            raise ForecastInputError(M_("no events before the forecast date to learn from"))
        components = kde_components(grid, horizon)
        spans = self.validation_spans(train, until, horizon)
        starts = [a for a, _ in spans]
        cells = grid.cell_of(train.x, train.y)
        surfaces, actual, extra = [], [], []
        for start, stop in spans:
            n_past = int(np.searchsorted(train.t, start, side="left"))
            past = train.subset(np.arange(len(train)) < n_past)
            em = self.em(past, grid, start)
            span = start - float(past.t.min())
            surfaces.append(component_surfaces(grid, cells[:n_past], past.t, start, components,
                                               em.p_background))
            actual.append(grid.counts(train.between(start, stop)))
            extra.append((float(em.p_background.sum()) / span * (stop - start),
                          trigger_counts(grid, past, em.theta, em.omega, start, stop)))
        if starts:
            weights = fit_stack(surfaces, actual, extra=extra)
        else:
            weights = np.zeros(len(components) + 1)
            weights[0] = 1.0
        fitted = self.build(train, grid, until, horizon, {}, components=components,
                            weights=weights)
        fitted.validation = {
            "selected_by": "EM (theta, omega, background); background mixture by held-out "
                           "likelihood" if starts else
                           "EM; default background smoothing (too little data to validate)",
            "windows": [day_to_iso(s) for s in starts]}
        return fitted

    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any], components: list[Component] | None = None,
              weights: np.ndarray | None = None) -> Fitted:
        components = components or kde_components(grid, horizon)
        if weights is None:
            weights = np.zeros(len(components) + 1)
            weights[0] = 1.0
        em = self.em(train, grid, until)
        span = until - float(train.t.min())
        cells = grid.cell_of(train.x, train.y)
        shape = weights @ component_surfaces(grid, cells, train.t, until, components,
                                             em.p_background)
        rate = float(em.p_background.sum()) / span
        p = {"theta": em.theta, "omega": em.omega,
             "mean_delay_days": 1.0 / em.omega if em.omega > 0 else None,
             "background_events_per_day": rate,
             "triggered_share": 1.0 - float(em.p_background.sum()) / max(len(train), 1),
             "em_iterations": em.iterations, "em_converged": em.converged,
             "loglik": em.loglik, "loglik_gain_over_no_triggering":
                 em.loglik - poisson_cell_loglik(cells, grid.size, span),
             "pairs": em.pairs,
             "background_mixture": {c.label(grid.cell): round(float(w), 4)
                                    for c, w in zip(components, weights, strict=False)
                                    if w >= 5e-4},
             "uniform_weight": round(float(weights[-1]), 4)}
        return SeppFit(self.name, grid, train, until, horizon, {**p, **params}, em=em,
                       components=components, weights=weights, background=shape * rate,
                       span=span)


def poisson_cell_loglik(cells: np.ndarray, n_cells: int, span: float) -> float:
    """Log-likelihood of the best constant-rate-per-cell model (no triggering), for the
    likelihood-ratio check of self-excitation."""
    counts = np.bincount(cells[cells >= 0], minlength=n_cells).astype(float)
    nz = counts[counts > 0]
    return float(np.sum(nz * np.log(nz / span)) - nz.sum())
