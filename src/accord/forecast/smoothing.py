"""Kernel smoothing on the grid, and fitting a mixture of smoothed surfaces by likelihood.

Events are counted per cell and spread with a discrete Gaussian kernel of standard deviation
``s`` cells (``s = 0``: each event stays in its cell). A *stack* mixes several such surfaces
(different bandwidths and look-backs, plus a uniform floor) with weights fitted by maximum
likelihood on held-out windows (Smyth & Wolpert 1999): for each validation window inside the
training data, the surfaces are built from the events before it and the weights maximise the
multinomial log-likelihood of where the window's events fell (EM). The fit never sees the
window being forecast.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from accord.forecast.grid import Grid
from accord.forecast.metrics import hit_rate_at


def kernel1d(sigma_cells: float) -> np.ndarray:
    """Normalised discrete Gaussian weights for offsets -r..r (r = ceil(4 sigma))."""
    if sigma_cells <= 0:
        return np.ones(1)
    radius = math.ceil(4.0 * sigma_cells)
    d = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (d / sigma_cells) ** 2)
    return k / k.sum()


def smooth(counts: np.ndarray, grid: Grid, sigma_cells: float) -> np.ndarray:
    """Spread per-cell counts (flat) with the discrete Gaussian; mass leaving the grid is
    lost (the area outside the data's bounding box is not forecast)."""
    if sigma_cells <= 0:
        return np.asarray(counts, dtype=float).copy()
    from scipy.ndimage import correlate1d  # heavy: imported when a surface is smoothed

    k = kernel1d(sigma_cells)
    surface = correlate1d(np.asarray(counts, dtype=float).reshape(grid.shape), k, axis=0,
                          mode="constant")
    return correlate1d(surface, k, axis=1, mode="constant").ravel()


def kernel_to_cell(grid: Grid, event_cells: np.ndarray, cell: int,
                   sigma_cells: float) -> np.ndarray:
    """The weight each event's kernel puts on ``cell`` (same numbers :func:`smooth` uses)."""
    k = kernel1d(sigma_cells)
    r = (k.shape[0] - 1) // 2
    ey, ex = np.divmod(np.asarray(event_cells, dtype=np.int64), grid.nx)
    cy, cx = divmod(int(cell), grid.nx)
    dx, dy = cx - ex, cy - ey
    near = (np.abs(dx) <= r) & (np.abs(dy) <= r) & (np.asarray(event_cells) >= 0)
    out = np.zeros(len(ex))
    out[near] = k[dx[near] + r] * k[dy[near] + r]
    return out


@dataclass(frozen=True)
class Component:
    sigma_cells: float  # kernel sd in cells; 0 = the cell itself
    lookback_days: float | None  # None: all training data
    # Only the events of this category (None: every event). A category's own surface lets
    # the mixture weigh, say, burglaries' places differently from drug arrests' when
    # forecasting all incidents; the weight is learned like the bandwidth's.
    category: str | None = None
    # Each event weighs exp(-age / decay_days) (None: every event alike).
    decay_days: float | None = None

    def label(self, cell_m: float) -> str:
        bw = "own cell" if self.sigma_cells <= 0 else f"{self.sigma_cells * cell_m:.0f} m"
        lb = "all data" if self.lookback_days is None else f"last {self.lookback_days:g} days"
        of = "" if self.category is None else f", {self.category} only"
        decay = "" if self.decay_days is None else f", decaying over {self.decay_days:g} days"
        return f"{bw}, {lb}{of}{decay}"

    def event_weights(self, t: np.ndarray, until: float, base: np.ndarray,
                      categories: np.ndarray | None) -> np.ndarray:
        """Each past event's weight in this component: ``base``, zero outside the look-back
        and, for a category component, zero for other categories."""
        w = base if self.lookback_days is None else np.where(t >= until - self.lookback_days,
                                                             base, 0.0)
        if self.decay_days is not None:
            w = w * np.exp(-(until - np.asarray(t, dtype=float)) / self.decay_days)
        if self.category is not None:
            if categories is None:
                raise ValueError("a category component needs the events' categories")
            w = np.where(categories == self.category, w, 0.0)
        return w


UNIFORM = "uniform"


def component_surfaces(grid: Grid, cells: np.ndarray, t: np.ndarray, until: float,
                       components: Sequence[Component],
                       weights: np.ndarray | None = None,
                       categories: np.ndarray | None = None) -> np.ndarray:
    """(K+1) x cells matrix: each component's surface normalised to sum 1 (a probability
    distribution over cells), and the uniform distribution last. ``cells``/``t`` are the events
    before ``until``; ``weights`` optionally weight them (e.g. background probabilities);
    ``categories`` (one per event) is needed by category components."""
    base = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    inside = cells >= 0
    out = np.empty((len(components) + 1, grid.size))
    cache: dict[tuple[float | None, str | None, float | None], np.ndarray] = {}
    for i, comp in enumerate(components):
        key = (comp.lookback_days, comp.category, comp.decay_days)
        if key not in cache:
            w = comp.event_weights(t, until, base, categories)
            cache[key] = np.bincount(cells[inside], weights=w[inside], minlength=grid.size)
        surface = smooth(cache[key], grid, comp.sigma_cells)
        total = surface.sum()
        out[i] = surface / total if total > 0 else 1.0 / grid.size
    out[-1] = 1.0 / grid.size
    return out


def normaliser(grid: Grid, cells: np.ndarray, t: np.ndarray, until: float, comp: Component,
               weights: np.ndarray | None = None,
               categories: np.ndarray | None = None) -> float:
    """The total mass of a component's unnormalised surface (for explanations)."""
    base = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    w = comp.event_weights(t, until, base, categories)
    counts = np.bincount(cells[cells >= 0], weights=w[cells >= 0], minlength=grid.size)
    return float(smooth(counts, grid, comp.sigma_cells).sum())


def fit_stack(surfaces: Sequence[np.ndarray], actual: Sequence[np.ndarray], *,
              extra: Sequence[tuple[float, np.ndarray]] | None = None, iters: int = 1000,
              tol: float = 1e-7) -> np.ndarray:
    """Mixture weights maximising the log-likelihood of the held-out counts (EM).

    ``surfaces[v]``: (K x cells) component distributions for validation window ``v``;
    ``actual[v]``: the events per cell in that window. With ``extra[v] = (level, fixed)`` the
    window's forecast is ``level * mixture + fixed`` (a SEPP's background plus its triggered
    part) and only the background's share of each event updates the weights."""
    k = surfaces[0].shape[0]
    w = np.full(k, 1.0 / k)
    columns, counts, fixed_parts = [], [], []
    for v, (f, y) in enumerate(zip(surfaces, actual, strict=True)):
        idx = np.flatnonzero(y)
        if idx.size:
            level, fixed = (1.0, None) if extra is None else extra[v]
            columns.append(f[:, idx] * level)
            counts.append(y[idx])
            fixed_parts.append(np.zeros(idx.size) if fixed is None
                               else np.asarray(fixed, dtype=float)[idx])
    if not columns:
        return w
    # All windows' occupied cells side by side: one (K x cells) product per EM step instead
    # of a Python loop over windows (the same sums, a fraction of the interpreter overhead).
    f_all = np.ascontiguousarray(np.hstack(columns))
    y_all = np.concatenate(counts).astype(float)
    fixed_all = np.concatenate(fixed_parts)
    for _ in range(iters):
        total = w @ f_all + fixed_all
        resp = w * (f_all @ (y_all / np.maximum(total, 1e-300)))
        if resp.sum() <= 0:
            return w
        new = resp / resp.sum()
        if np.max(np.abs(new - w)) < tol:
            return new
        w = new
    return w


#: Weight moves the hit-rate fit tries, coarse to fine (shares of the mixture).
HIT_RATE_STEPS: tuple[float, ...] = (0.2, 0.1, 0.05)


def fit_hit_rate(surfaces: Sequence[np.ndarray], actual: Sequence[np.ndarray],
                 k: int | Sequence[int], steps: Sequence[float] = HIT_RATE_STEPS) -> np.ndarray:
    """Convex weights for K surfaces maximising the mean hit rate of the ``k`` highest cells
    over the validation windows (ties shared by expectation, as in the scoring).

    ``surfaces[v]``: (K x cells) for window ``v``; ``actual[v]``: its events per cell. The
    hit rate is a step function of the weights (no gradient), so the search starts at the
    best single surface (the first of equals) and moves a share ``step`` of the weight from
    one surface to another whenever that raises the mean strictly, for each step coarse to
    fine, until no move does. Windows without events say nothing and are left out. Several
    ``k``: the hit rate averaged over them."""
    n = surfaces[0].shape[0]
    windows = [(np.asarray(f, dtype=float), np.asarray(y, dtype=float))
               for f, y in zip(surfaces, actual, strict=True) if float(np.sum(y)) > 0]
    if not windows:
        return np.eye(n)[0]

    ks = [k] if isinstance(k, int | np.integer) else list(k)

    def score(w: np.ndarray) -> float:
        return float(np.mean([hit_rate_at(w @ f, y, kk) for f, y in windows for kk in ks]))

    singles = [score(np.eye(n)[j]) for j in range(n)]
    first = int(np.argmax(singles))
    best, w = singles[first], np.eye(n)[first]
    for step in steps:
        improved = True
        while improved:
            improved = False
            for to in range(n):
                for source in range(n):
                    if to == source or w[source] < step - 1e-9:
                        continue
                    trial = w.copy()
                    trial[to] += step
                    trial[source] = max(0.0, trial[source] - step)
                    value = score(trial)
                    if value > best + 1e-12:
                        best, w, improved = value, trial, True
    return w / w.sum()
