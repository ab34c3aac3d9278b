"""A learned cell-ranking model: Poisson regression on per-cell history features.

What wins public crime-forecast challenges (e.g. the NIJ Real-Time Crime Forecasting
Challenge) is rarely a cleverer kernel: it is a regression that *learns* how much each kind of
evidence about a cell — its counts over several look-backs, the same in the rings of cells
around it, its mix of categories, how long since its last event — says about next window's
events. This module does that with a plain Poisson generalised linear model (log link, a small
ridge penalty, fitted by iteratively reweighted least squares in numpy).

Honesty: the model is fitted only on *earlier* origins inside the training data. For a
forecast from ``until``, each training example is (features of a cell computed from the events
before ``o``, events in that cell in ``[o, o + horizon)``) for origins ``o = until - k *
horizon`` (whole calendar months on monthly data), every one of which ends by ``until``. The
window being forecast is never seen. The feature set and the penalty were fixed before the
test windows of any benchmark were scored (see docs/forecast.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accord.core.i18n import M_
from accord.forecast.base import Fitted, Method, scale_to_level
from accord.forecast.data import (
    EventSet,
    ForecastInputError,
    day_to_iso,
    lookback_start,
    month_start,
    months_before,
)
from accord.forecast.grid import Grid
from accord.forecast.smoothing import kernel_to_cell, smooth

#: Look-backs in multiples of the forecast horizon (weekly: 1, 4 and 13 weeks), plus all data.
LOOKBACK_HORIZONS: tuple[int, ...] = (1, 4, 13)
#: Neighbour rings (Chebyshev distance in cells) whose mean counts are features.
RINGS: tuple[int, ...] = (1, 2)
#: Gaussian context at these bandwidths (cells) on all data: the wider neighbourhood.
CONTEXT_SIGMAS: tuple[float, ...] = (2.0, 4.0)
#: Categories with at least this share of the training events get a feature of their own.
CATEGORY_MIN_SHARE = 0.03
CATEGORY_MAX = 8
#: At most this many earlier origins train the model (weekly: half a year).
MAX_ORIGINS = 26
#: Ridge penalty on the standardised coefficients (the intercept is not penalised).
RIDGE = 1.0
#: Features are log(rate + FEATURE_FLOOR x the mean rate per cell).
FEATURE_FLOOR = 0.1
IRLS_ITERATIONS = 50


def ring_kernel(radius: int) -> np.ndarray:
    """Mean over the cells at Chebyshev distance exactly ``radius`` (the centre excluded)."""
    size = 2 * radius + 1
    k = np.zeros((size, size))
    k[0, :] = k[-1, :] = k[:, 0] = k[:, -1] = 1.0
    return k / k.sum()


@dataclass(frozen=True)
class Feature:
    """One column of the design matrix: a (log-scaled) rate of the events in ``lookback``
    days (``None``: all data), of ``category`` (``None``: all), spread by ``spread``."""

    name: str
    lookback: float | None = None
    category: str | None = None
    spread: str = "own"  # "own", "ring1", "ring2", "gauss2", "gauss4"; "recency"


def feature_set(train: EventSet, horizon: float) -> list[Feature]:
    """The design: fixed by the data's categories and the horizon, never by the outcomes."""
    feats: list[Feature] = []
    lookbacks: list[float | None] = [k * horizon for k in LOOKBACK_HORIZONS]
    lookbacks.append(None)
    for lb in lookbacks:
        tag = "all" if lb is None else f"{lb:g}d"
        feats.append(Feature(f"own {tag}", lb))
        for r in RINGS:
            feats.append(Feature(f"ring{r} {tag}", lb, spread=f"ring{r}"))
    for s in CONTEXT_SIGMAS:
        feats.append(Feature(f"gauss{s:g} all", None, spread=f"gauss{s:g}"))
    for name in frequent_categories(train):
        feats.append(Feature(f"own all {name}", None, category=name))
    feats.append(Feature("recency", None, spread="recency"))
    return feats


def frequent_categories(train: EventSet) -> list[str]:
    names, counts = np.unique(train.category[train.category != ""], return_counts=True)
    if names.size < 2:
        return []
    order = np.argsort(-counts, kind="stable")
    return [str(names[i]) for i in order[:CATEGORY_MAX]
            if counts[i] >= CATEGORY_MIN_SHARE * len(train)]


def _spread(counts: np.ndarray, grid: Grid, spread: str) -> np.ndarray:
    if spread == "own":
        return counts
    if spread.startswith("ring"):
        from scipy.ndimage import correlate  # heavy: imported when a surface is built

        kernel = ring_kernel(int(spread[4:]))
        return correlate(counts.reshape(grid.shape), kernel, mode="constant").ravel()
    return smooth(counts, grid, float(spread[5:]))


def _floor(events: int, grid: Grid, until: float, first: float, horizon: float) -> float:
    """log(rate + floor) makes each rate a power law; the floor (a tenth of the mean cell's
    rate per horizon) keeps empty cells finite without flattening the quiet end as log1p
    would."""
    return FEATURE_FLOOR * max(events, 1) / grid.size * horizon / max(until - first, 1.0)


def empty_cell_features(train: EventSet, grid: Grid, until: float, horizon: float,
                        feats: list[Feature]) -> np.ndarray:
    """The features of a cell with no past event near it: the reference explanations are
    measured from."""
    first = float(train.t.min()) if len(train) else until
    inside = int((grid.cell_of(train.x, train.y) >= 0).sum())
    floor = _floor(inside, grid, until, first, horizon)
    return np.array([math.log1p((until - first) / horizon) if f.spread == "recency"
                     else math.log(floor) for f in feats])


def raw_features(cells: np.ndarray, t: np.ndarray, categories: np.ndarray, grid: Grid,
                 until: float, horizon: float, resolution: str,
                 feats: list[Feature]) -> np.ndarray:
    """(cells x features) matrix from the events before ``until`` (``cells``/``t`` sorted by
    time, all before ``until``): each count turned into events per horizon, then log1p."""
    first = float(t.min()) if t.size else until
    inside = cells >= 0
    floor = _floor(int(inside.sum()), grid, until, first, horizon)
    out = np.empty((grid.size, len(feats)))
    base: dict[tuple[float | None, str | None], tuple[np.ndarray, float]] = {}
    for j, f in enumerate(feats):
        if f.spread == "recency":
            last = np.full(grid.size, first)
            np.maximum.at(last, cells[inside], t[inside])
            out[:, j] = np.log1p((until - last) / horizon)
            continue
        key = (f.lookback, f.category)
        if key not in base:
            start = first if f.lookback is None else max(
                first, lookback_start(until, f.lookback, resolution))
            keep = inside & (t >= start)
            if f.category is not None:
                keep &= categories == f.category
            counts = np.bincount(cells[keep], minlength=grid.size).astype(float)
            base[key] = (counts, max(until - start, 1.0))
        counts, length = base[key]
        out[:, j] = np.log(_spread(counts, grid, f.spread) * horizon / length + floor)
    return out


def training_origins(train: EventSet, until: float, horizon: float) -> list[tuple[float, float]]:
    """Earlier windows ``[o, o + horizon)`` that end by ``until`` and have at least four
    horizons (and 28 days) of history before them, latest :data:`MAX_ORIGINS`."""
    first = float(train.t.min())
    if train.resolution == "monthly":
        end = months_before(until)
        spans = [(month_start(end - k), month_start(end - k + 1))
                 for k in range(MAX_ORIGINS, 0, -1)]
    else:
        spans = [(until - k * horizon, until - (k - 1) * horizon)
                 for k in range(MAX_ORIGINS, 0, -1)]
    return [(a, b) for a, b in spans if a - first >= max(4 * horizon, 28.0) - 1e-9]


def poisson_irls(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE,
                 iterations: int = IRLS_ITERATIONS) -> np.ndarray:
    """Ridge-penalised Poisson regression (log link) by Newton/IRLS; column 0 of ``x`` is the
    unpenalised intercept. Returns the coefficients."""
    p = x.shape[1]
    beta = np.zeros(p)
    beta[0] = math.log(max(float(y.mean()), 1e-6))
    penalty = np.full(p, ridge)
    penalty[0] = 0.0
    for _ in range(iterations):
        eta = np.clip(x @ beta, -30.0, 30.0)
        mu = np.exp(eta)
        grad = x.T @ (y - mu) - penalty * beta
        hess = (x * mu[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(p)
        step = np.linalg.solve(hess, grad)
        # Halve the step until the penalised likelihood does not fall (Newton can overshoot).
        old = float(y @ eta - mu.sum() - 0.5 * penalty @ beta ** 2)
        new = old
        for _ in range(20):
            new_beta = beta + step
            new_eta = np.clip(x @ new_beta, -30.0, 30.0)
            new = float(y @ new_eta - np.exp(new_eta).sum() - 0.5 * penalty @ new_beta ** 2)
            if new >= old - 1e-10 * abs(old):
                break
            step = step / 2.0
        else:
            break  # no step improves: converged to rounding
        beta = new_beta
        if new - old <= 1e-9 * abs(old):
            break
    return beta


@dataclass
class LearnedFit(Fitted):
    feats: list[Feature] = field(default_factory=list)
    beta: np.ndarray = field(default_factory=lambda: np.zeros(0))
    centre: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    surface: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def _predict(self, start: float, stop: float) -> np.ndarray:
        return scale_to_level(self.surface, self.train, self.until, start, stop)

    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        """The cell's forecast above what a cell with no events would get is shared among
        the past events behind its count features, in proportion to each feature's positive
        part of the linear predictor; the rest (intercept, recency, negative terms) is not
        from single events."""
        total = float(self._predict(start, stop)[cell])
        cells = self.grid.cell_of(self.train.x, self.train.y)
        t = self.train.t
        raw = raw_features(cells, t, self.train.category, self.grid, self.until, self.horizon,
                           self.train.resolution, self.feats)[cell]
        coef = self.beta[1:] / self.scale
        empty = empty_cell_features(self.train, self.grid, self.until, self.horizon,
                                    self.feats)
        empty_eta = float(self.beta[0] + coef @ (empty - self.centre))
        eta = float(self.beta[0] + coef @ (raw - self.centre))
        ratio = float(np.exp(empty_eta - eta))  # forecast of an empty cell / this one
        from_events = total * max(0.0, 1.0 - ratio)
        amount = np.zeros(len(t))
        first = float(t.min()) if len(t) else self.until
        iy, ix = divmod(cell, self.grid.nx)
        ey, ex = np.divmod(np.where(cells >= 0, cells, 0), self.grid.nx)
        dist = np.maximum(np.abs(ex - ix), np.abs(ey - iy))
        dist = np.where(cells >= 0, dist, -1)
        for j, f in enumerate(self.feats):
            part = coef[j] * (raw[j] - empty[j])
            if f.spread == "recency" or part <= 0:
                continue
            start_t = first if f.lookback is None else max(
                first, lookback_start(self.until, f.lookback, self.train.resolution))
            member = t >= start_t
            if f.category is not None:
                member &= self.train.category == f.category
            if f.spread == "own":
                weight = np.where(member & (dist == 0), 1.0, 0.0)
            elif f.spread.startswith("ring"):
                weight = np.where(member & (dist == int(f.spread[4:])), 1.0, 0.0)
            else:  # each event by the weight its kernel puts on this cell
                weight = np.where(member, kernel_to_cell(self.grid, cells, cell,
                                                         float(f.spread[5:])), 0.0)
            if weight.sum() > 0:
                amount += part * weight / weight.sum()
        if amount.sum() <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0), total
        amount *= from_events / amount.sum()
        index = np.flatnonzero(amount > 0)
        return index, amount[index], total - float(amount[index].sum())


class LearnedRanking(Method):
    """Poisson regression of each cell's next-window events on its history features (counts
    over 1, 4 and 13 horizons and all data, the same in the two rings of neighbouring cells,
    wider Gaussian context, frequent categories' counts, time since its last event), fitted on
    the earlier windows inside the training data (up to half a year of weekly origins)."""

    name = "learned"
    title = "Learned cell ranking (Poisson regression on history features)"

    def __init__(self, criterion: str = "hit-rate", validation_windows: int | None = None,
                 ridge: float = RIDGE, **fixed: Any) -> None:
        super().__init__(criterion, validation_windows, **fixed)
        self.ridge = ridge
        # Origins recur from one backtest window to the next: build each design once.
        self._cache: dict[tuple[Any, ...], np.ndarray] = {}

    def _design(self, train: EventSet, cells: np.ndarray, grid: Grid, until: float,
                horizon: float, feats: list[Feature]) -> np.ndarray:
        n_past = int(np.searchsorted(train.t, until, side="left"))
        key = (n_past, float(train.t[:n_past].sum()), until, horizon, grid, tuple(feats))
        if key not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = raw_features(cells[:n_past], train.t[:n_past],
                                            train.category[:n_past], grid, until, horizon,
                                            train.resolution, feats)
        return self._cache[key]

    def fit(self, events: EventSet, grid: Grid, until: float, horizon: float) -> Fitted:
        train = events.before(until)
        if len(train) == 0:
            raise ForecastInputError(M_("no events before the forecast date to learn from"))
        feats = feature_set(train, horizon)
        cells = grid.cell_of(train.x, train.y)
        spans = training_origins(train, until, horizon)
        if spans:
            xs, ys = [], []
            for a, b in spans:
                xs.append(self._design(train, cells, grid, a, b - a, feats))
                lo, hi = np.searchsorted(train.t, [a, b], side="left")
                inside = cells[lo:hi] >= 0
                ys.append(np.bincount(cells[lo:hi][inside], minlength=grid.size))
            x = np.vstack(xs)
            y = np.concatenate(ys).astype(float)
            centre = x.mean(axis=0)
            scale = x.std(axis=0)
            scale[scale <= 1e-12] = 1.0
            z = np.column_stack([np.ones(len(y)), (x - centre) / scale])
            from threadpoolctl import threadpool_limits

            # One BLAS thread: on a shared 2-core host threaded OpenBLAS is >10x slower on
            # these tall, thin products (measured: 0.8 s against 0.06 s per Hessian).
            with threadpool_limits(1, user_api="blas"):
                beta = poisson_irls(z, y, self.ridge)
            selected = (f"Poisson regression on {len(spans)} earlier windows "
                        f"({len(spans) * grid.size} cell-windows)")
        else:  # too little history: all-data own-cell counts
            centre = np.zeros(len(feats))
            scale = np.ones(len(feats))
            beta = np.zeros(len(feats) + 1)
            beta[1 + [f.name for f in feats].index("own all")] = 1.0
            selected = "default (too little data to learn from): all-data own-cell counts"
        current = self._design(train, cells, grid, until, horizon, feats)
        eta = beta[0] + ((current - centre) / scale) @ beta[1:]
        surface = np.exp(np.clip(eta - eta.max(), -700.0, 0.0))
        params = {"ridge": self.ridge, "training_windows": len(spans),
                  "coefficients": {f.name: round(float(b / s), 4)
                                   for f, b, s in zip(feats, beta[1:], scale, strict=True)},
                  "intercept": round(float(beta[0] - (beta[1:] / scale) @ centre), 4)}
        fitted = LearnedFit(self.name, grid, train, until, horizon, params, feats=feats,
                            beta=beta, centre=centre, scale=scale, surface=surface)
        fitted.validation = {"selected_by": selected,
                             "windows": [day_to_iso(a) for a, _ in spans]}
        return fitted

    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any]) -> Fitted:
        return self.fit(train, grid, until, horizon)
