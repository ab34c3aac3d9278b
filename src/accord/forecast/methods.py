"""Naive, retrospective KDE and prospective (Bowers–Johnson–Pease) hotspot forecasts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from accord.core.i18n import M_
from accord.forecast.base import Fitted, Method, scale_to_level
from accord.forecast.data import (
    EventSet,
    ForecastInputError,
    day_to_iso,
    lookback_start,
    months_before,
)
from accord.forecast.grid import Grid
from accord.forecast.metrics import cells_for_coverage, hit_rate_at
from accord.forecast.smoothing import (
    Component,
    component_surfaces,
    fit_hit_rate,
    fit_stack,
    kernel_to_cell,
    normaliser,
    smooth,
)

# --------------------------------------------------------------------------------------------
# Naive: the last period's counts.


@dataclass
class NaiveFit(Fitted):
    def _lookback(self, start: float, stop: float) -> tuple[float, float]:
        """(first instant of the look-back, its length): the last period as long as the
        window, in whole months on monthly data."""
        length = float(self.params["lookback_days"] or (stop - start))
        first = lookback_start(self.until, length, self.train.resolution)
        return first, self.until - first

    def _recent(self, first: float) -> np.ndarray:
        return np.flatnonzero(self.train.t >= first)

    def _predict(self, start: float, stop: float) -> np.ndarray:
        first, length = self._lookback(start, stop)
        recent = self.train.subset(self.train.t >= first)
        return self.grid.counts(recent) * ((stop - start) / length)

    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        first, length = self._lookback(start, stop)
        index = self._recent(first)
        inside = self.grid.cell_of(self.train.x[index], self.train.y[index]) == cell
        return index[inside], np.full(int(inside.sum()), (stop - start) / length), 0.0


@dataclass
class HistoryFit(Fitted):
    def _predict(self, start: float, stop: float) -> np.ndarray:
        return scale_to_level(self.grid.counts(self.train), self.train, self.until, start, stop)

    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        index = np.flatnonzero(self.grid.cell_of(self.train.x, self.train.y) == cell)
        scale = float(scale_to_level(np.array([1.0]), self.train, self.until, start, stop)[0])
        return index, np.full(index.size, scale / max(len(self.train), 1)), 0.0


class History(Method):
    """Each cell is forecast in proportion to all its past events (at the recent overall
    rate). The second baseline: on stable hotspots it is hard to beat, and a method that does
    not beat it has learned nothing beyond "where it has always happened"."""

    name = "history"
    title = "All-history counts (baseline)"

    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any]) -> Fitted:
        return HistoryFit(self.name, grid, train, until, horizon, dict(params))


class Naive(Method):
    """Each cell is forecast to have as many events as it had in the last period of the same
    length as the forecast window. The baseline every other method is compared with."""

    name = "naive"
    title = "Naive (last period's counts)"

    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any]) -> Fitted:
        p = {"lookback_days": None, **params}
        return NaiveFit(self.name, grid, train, until, horizon, p)


# --------------------------------------------------------------------------------------------
# Retrospective kernel density estimate (multi-scale, weights fitted by held-out likelihood).

BANDWIDTHS_M: tuple[float, ...] = (0.0, 75.0, 150.0, 300.0, 600.0, 1200.0)


def kde_components(grid: Grid, horizon: float) -> list[Component]:
    recent = max(56.0, 4.0 * horizon)
    return [Component(b / grid.cell, lb) for lb in (None, recent) for b in BANDWIDTHS_M]


def stack_validation(method: Method, train: EventSet, grid: Grid, until: float, horizon: float,
                     components: list[Component]) -> tuple[np.ndarray, list[float]]:
    """Fit mixture weights on the validation windows inside the training data."""
    spans = method.validation_spans(train, until, horizon)
    starts = [a for a, _ in spans]
    cells = grid.cell_of(train.x, train.y)
    surfaces, actual = [], []
    for start, stop in spans:
        n_past = int(np.searchsorted(train.t, start, side="left"))
        surfaces.append(component_surfaces(grid, cells[:n_past], train.t[:n_past], start,
                                           components, categories=train.category[:n_past]))
        actual.append(grid.counts(train.between(start, stop)))
    if not starts:
        weights = np.zeros(len(components) + 1)
        weights[0] = 1.0
        return weights, []
    return fit_stack(surfaces, actual), starts


@dataclass
class KdeFit(Fitted):
    components: list[Component] = field(default_factory=list)
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    distribution: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def _predict(self, start: float, stop: float) -> np.ndarray:
        return scale_to_level(self.distribution, self.train, self.until, start, stop)

    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        scale = float(scale_to_level(np.array([1.0]), self.train, self.until, start, stop)[0])
        cells = self.grid.cell_of(self.train.x, self.train.y)
        amount = np.zeros(len(self.train))
        for weight, comp in zip(self.weights[:-1], self.components, strict=True):
            if weight <= 0:
                continue
            total = normaliser(self.grid, cells, self.train.t, self.until, comp,
                               categories=self.train.category)
            if total <= 0:
                continue
            k = kernel_to_cell(self.grid, cells, cell, comp.sigma_cells)
            k = comp.event_weights(self.train.t, self.until, k, self.train.category)
            amount += weight * k / total
        index = np.flatnonzero(amount > 0)
        rest = float(self.weights[-1]) / self.grid.size
        return index, amount[index] * scale, rest * scale


class RetrospectiveKDE(Method):
    """Kernel density of past events on the grid at several bandwidths (own cell to 1.2 km) and
    two look-backs (all data, recent weeks), mixed with a uniform floor. The mixture weights —
    in effect the bandwidth and look-back — are fitted by maximum likelihood on validation
    windows inside the training data (likelihood stacking)."""

    name = "kde"
    title = "Retrospective KDE (multi-scale, likelihood-fitted)"

    def fit(self, events: EventSet, grid: Grid, until: float, horizon: float) -> Fitted:
        train = events.before(until)
        if len(train) == 0:
            raise ForecastInputError(M_("no events before the forecast date to learn from"))
        components = self.components(train, grid, horizon)
        weights, starts = stack_validation(self, train, grid, until, horizon, components)
        fitted = self.build(train, grid, until, horizon, {}, components=components,
                            weights=weights)
        fitted.validation = {
            "selected_by": "held-out likelihood (EM over mixture weights)" if starts
            else "default (too little data to validate): own-cell counts, all data",
            "windows": [day_to_iso(s) for s in starts]}
        return fitted

    def components(self, train: EventSet, grid: Grid, horizon: float) -> list[Component]:
        """The mixture's candidate surfaces (the first is the fallback when too little data
        can be held out to fit the weights)."""
        return kde_components(grid, horizon)

    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any], components: list[Component] | None = None,
              weights: np.ndarray | None = None) -> Fitted:
        components = components or self.components(train, grid, horizon)
        if weights is None:
            weights = np.zeros(len(components) + 1)
            weights[0] = 1.0
        cells = grid.cell_of(train.x, train.y)
        distribution = weights @ component_surfaces(grid, cells, train.t, until, components,
                                                    categories=train.category)
        p = {"mixture": {c.label(grid.cell): round(float(w), 4)
                         for c, w in zip(components, weights, strict=False) if w >= 5e-4},
             "uniform_weight": round(float(weights[-1]), 4),
             "effective_bandwidth_m": round(float(
                 sum(w * c.sigma_cells * grid.cell for c, w in zip(components, weights,
                                                                     strict=False))), 1)}
        return KdeFit(self.name, grid, train, until, horizon, {**p, **params},
                      components=components, weights=weights, distribution=distribution)


#: A category gets surfaces of its own when it holds at least this share of the training
#: events (rarer ones stay in the all-event surfaces only), and at most this many categories.
CATEGORY_MIN_SHARE = 0.03
CATEGORY_MAX = 8
CATEGORY_BANDWIDTHS_M: tuple[float, ...] = (0.0, 150.0, 300.0)


def frequent_categories(train: EventSet) -> list[str]:
    """The categories that get surfaces of their own, most frequent first (none when the data
    have fewer than two categories)."""
    names, counts = np.unique(train.category[train.category != ""], return_counts=True)
    if len(train) == 0 or names.size < 2:
        return []
    order = np.argsort(-counts, kind="stable")
    return [str(names[i]) for i in order[:CATEGORY_MAX]
            if counts[i] >= CATEGORY_MIN_SHARE * len(train)]


def category_components(train: EventSet, grid: Grid) -> list[Component]:
    """All-data surfaces of each frequent category, at three bandwidths: the weights the
    stacking gives them are the category weights, learned on windows before the forecast."""
    return [Component(b / grid.cell, None, name) for name in frequent_categories(train)
            for b in CATEGORY_BANDWIDTHS_M]


class CategoryKDE(RetrospectiveKDE):
    """The multi-scale KDE plus one surface per frequent category: where drug arrests cluster
    may say less about next week's incidents than where burglaries do. All weights — scale,
    look-back and category — are fitted together by held-out likelihood on windows before the
    forecast; with no categories in the data it is the plain KDE."""

    name = "kde-categories"
    title = "KDE with learned category weights"

    def components(self, train: EventSet, grid: Grid, horizon: float) -> list[Component]:
        return kde_components(grid, horizon) + category_components(train, grid)


# --------------------------------------------------------------------------------------------
# Prospective hotspotting (Bowers, Johnson & Pease 2004).


def bjp_kernel(bandwidth_cells: int) -> np.ndarray:
    """1 / (1 + d) for cells within ``bandwidth_cells`` (d: distance between centres in cell
    widths), 0 beyond."""
    r = int(bandwidth_cells)
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    d = np.hypot(dx, dy)
    return np.where(d <= r + 1e-9, 1.0 / (1.0 + d), 0.0)


@dataclass
class ProspectiveFit(Fitted):
    def _event_weights(self) -> np.ndarray:
        if "time_bandwidth_months" in self.params:
            # Monthly data: age in whole months (last month's events are 0 months old).
            end = months_before(self.until)
            months = np.floor(self.train.t).astype("int64").astype("datetime64[D]")
            index = months.astype("datetime64[M]").astype("int64") + 1970 * 12
            ages = (end - 1 - index).astype(float)
            limit = float(self.params["time_bandwidth_months"])
        else:
            ages = np.floor((self.until - self.train.t) / 7.0)
            limit = float(self.params["time_bandwidth_weeks"])
        return np.where(ages < limit, 1.0 / (1.0 + ages), 0.0)

    def _surface(self) -> np.ndarray:
        counts = self.grid.counts(self.train, self._event_weights()).reshape(self.grid.shape)
        from scipy.ndimage import correlate  # heavy: imported when a surface is built

        kernel = bjp_kernel(int(self.params["space_bandwidth_cells"]))
        return correlate(counts, kernel, mode="constant").ravel()

    def _predict(self, start: float, stop: float) -> np.ndarray:
        return scale_to_level(self._surface(), self.train, self.until, start, stop)

    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        iy, ix = divmod(cell, self.grid.nx)
        ex, ey = self.grid.cell_xy(self.train.x, self.train.y)
        d = np.hypot(ex - ix, ey - iy)
        r = int(self.params["space_bandwidth_cells"])
        spatial = np.where(d <= r + 1e-9, 1.0 / (1.0 + d), 0.0)
        amount = spatial * self._event_weights()
        index = np.flatnonzero(amount > 0)
        scale = float(scale_to_level(np.array([1.0]), self.train, self.until, start, stop)[0])
        total = float(self._surface().sum())
        return index, amount[index] * scale / max(total, 1e-300), 0.0


class Prospective(Method):
    """Each past event adds 1/(1 + weeks since it) x 1/(1 + cells away) to nearby cells, up to
    a space and a time bandwidth, both chosen by internal validation."""

    name = "prospective"
    title = "Prospective hotspotting (Bowers–Johnson–Pease)"
    SPACE_CELLS: ClassVar[tuple[int, ...]] = (0, 1, 2, 3)
    TIME_WEEKS: ClassVar[tuple[int, ...]] = (2, 4, 8, 16, 52)
    # On monthly data the time bandwidth is counted in months (2 weeks would hold nothing).
    TIME_MONTHS: ClassVar[tuple[int, ...]] = (1, 2, 4, 12)
    _monthly = False

    def fit(self, events: EventSet, grid: Grid, until: float, horizon: float) -> Fitted:
        self._monthly = events.resolution == "monthly"
        return super().fit(events, grid, until, horizon)

    def candidates(self, horizon: float) -> list[dict[str, Any]]:
        # The published setting (about 400 m and two months) first: it is the fallback when
        # there is too little data to validate.
        if self._monthly:
            grid = [{"space_bandwidth_cells": s, "time_bandwidth_months": m}
                    for s in self.SPACE_CELLS for m in self.TIME_MONTHS]
            default = {"space_bandwidth_cells": 2, "time_bandwidth_months": 2}
        else:
            grid = [{"space_bandwidth_cells": s, "time_bandwidth_weeks": w}
                    for s in self.SPACE_CELLS for w in self.TIME_WEEKS]
            default = {"space_bandwidth_cells": 2, "time_bandwidth_weeks": 8}
        return [default] + [c for c in grid if c != default]

    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any]) -> Fitted:
        if "time_bandwidth_months" in params or (train.resolution == "monthly"
                                                 and "time_bandwidth_weeks" not in params):
            p = {"space_bandwidth_cells": 2, "time_bandwidth_months": 2, **params}
        else:
            p = {"space_bandwidth_cells": 2, "time_bandwidth_weeks": 8, **params}
        return ProspectiveFit(self.name, grid, train, until, horizon, p)


# --------------------------------------------------------------------------------------------
# Multi-scale blend: long-term all-history counts and a recent surface, settings chosen on the
# windows before the forecast by the hit rate at the analyst's coverage.

#: Long-term surface: bandwidths in cells (0: own cell; 0.5 cells is about 75 m at 150 m).
#: Sub-cell bandwidths matter: they break ties between cells with equal counts by their
#: neighbours and let an event on a cell's edge count a little next door.
BLEND_LONG_SIGMAS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Long-term surface: exponential time decay, its time constant in forecast horizons (16
#: weeks on weekly windows, 16 months on monthly ones); None: every past event counts alike.
BLEND_LONG_DECAYS: tuple[int | None, ...] = (None, 16)
#: The recent surface's share of the blend (0: long-term only, i.e. smoothed history).
BLEND_RECENT_SHARES: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.5)
#: Recent surface: look-back in horizons (4 and 8 weeks, or months) and bandwidth in cells.
BLEND_RECENT_LOOKBACKS: tuple[int, ...] = (4, 8)
BLEND_RECENT_SIGMAS: tuple[float, ...] = (1.0, 2.0)
#: The settings are chosen on this many windows before the forecast.
BLEND_SELECTION_WINDOWS = 8


def _blend_candidates() -> list[dict[str, Any]]:
    """Every setting of the blend; the first (own-cell all-history counts: the history
    baseline) is the fallback with too little data, and wins ties, so the blend departs from
    the baseline only when a setting did better on earlier windows."""
    out: list[dict[str, Any]] = []
    for sigma in BLEND_LONG_SIGMAS:
        for decay in BLEND_LONG_DECAYS:
            base = {"long_sigma_cells": sigma, "long_decay_horizons": decay,
                    "recent_share": 0.0, "recent_lookback_horizons": None,
                    "recent_sigma_cells": None}
            out.append(base)
            for share in BLEND_RECENT_SHARES[1:]:
                for lookback in BLEND_RECENT_LOOKBACKS:
                    for recent_sigma in BLEND_RECENT_SIGMAS:
                        out.append({**base, "recent_share": share,
                                    "recent_lookback_horizons": lookback,
                                    "recent_sigma_cells": recent_sigma})
    return out


def _long_weights(t: np.ndarray, until: float, horizon: float,
                  decay: int | None) -> np.ndarray:
    if decay is None:
        return np.ones(t.shape[0])
    return np.exp(-(until - t) / (decay * horizon))


def _recent_weights(t: np.ndarray, until: float, horizon: float, lookback: int,
                    resolution: str) -> np.ndarray:
    first = lookback_start(until, lookback * horizon, resolution)
    return (t >= first).astype(float)


def _unit_surface(grid: Grid, cells: np.ndarray, weights: np.ndarray,
                  sigma: float) -> tuple[np.ndarray, float]:
    """A smoothed surface normalised to sum 1 (zeros when nothing is left) and its mass."""
    inside = cells >= 0
    counts = np.bincount(cells[inside], weights=weights[inside], minlength=grid.size)
    surface = smooth(counts, grid, sigma)
    total = float(surface.sum())
    return (surface / total if total > 0 else np.zeros(grid.size)), total


def blend_surface(grid: Grid, cells: np.ndarray, t: np.ndarray, until: float, horizon: float,
                  resolution: str, params: dict[str, Any],
                  cache: dict[tuple[Any, ...], np.ndarray] | None = None) -> np.ndarray:
    """The blend of the events before ``until`` (``cells``/``t``): ``(1 - share)`` x the
    long-term surface + ``share`` x the recent one, each a distribution over cells."""
    cache = {} if cache is None else cache
    key = ("long", params["long_sigma_cells"], params["long_decay_horizons"])
    if key not in cache:
        w = _long_weights(t, until, horizon, params["long_decay_horizons"])
        cache[key] = _unit_surface(grid, cells, w, params["long_sigma_cells"])[0]
    share = float(params["recent_share"])
    if share <= 0:
        return cache[key]
    rkey = ("recent", params["recent_lookback_horizons"], params["recent_sigma_cells"])
    if rkey not in cache:
        w = _recent_weights(t, until, horizon, params["recent_lookback_horizons"], resolution)
        cache[rkey] = _unit_surface(grid, cells, w, params["recent_sigma_cells"])[0]
    return (1.0 - share) * cache[key] + share * cache[rkey]


@dataclass
class BlendFit(Fitted):
    distribution: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def _predict(self, start: float, stop: float) -> np.ndarray:
        return scale_to_level(self.distribution, self.train, self.until, start, stop)

    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        """Each past event's share of the cell: its kernel weight on the cell, times its
        time weight, over the component's mass, times the component's share of the blend
        (the same numbers :func:`blend_surface` adds up)."""
        p = self.params
        scale = float(scale_to_level(np.array([1.0]), self.train, self.until, start, stop)[0])
        cells = self.grid.cell_of(self.train.x, self.train.y)
        t = self.train.t
        share = float(p["recent_share"])
        parts = [(1.0 - share, _long_weights(t, self.until, self.horizon,
                                             p["long_decay_horizons"]),
                  float(p["long_sigma_cells"]))]
        if share > 0:
            parts.append((share, _recent_weights(t, self.until, self.horizon,
                                                 p["recent_lookback_horizons"],
                                                 self.train.resolution),
                          float(p["recent_sigma_cells"])))
        amount = np.zeros(len(t))
        for weight, time_weights, sigma in parts:
            total = _unit_surface(self.grid, cells, time_weights, sigma)[1]
            if weight <= 0 or total <= 0:
                continue
            amount += weight * kernel_to_cell(self.grid, cells, cell, sigma) * time_weights / total
        index = np.flatnonzero(amount > 0)
        return index, amount[index] * scale, 0.0


def _coverage_percent(coverage: float) -> float:
    """The share of the area a patrol plan covers, checked (methods fitted for a hit rate)."""
    if not 0 < coverage < 100:
        raise ForecastInputError(M_("coverage must be between 0 and 100 %%, not %(coverage)s",
                                    coverage=coverage))
    return float(coverage)


class Blend(Method):
    """Multi-scale blend of long-term and recent: all-history counts (optionally decaying
    with age) smoothed at a small bandwidth, mixed with a recent kernel surface. The long-term
    bandwidth and decay, the recent share, look-back and bandwidth are chosen together on the
    windows before the forecast (rolling origin inside the training data) by the hit rate at
    the coverage the analyst plans for — the figure the forecast is judged by — rather than by
    likelihood, which rewards the cold cells' shape as much as the hot cells' order. Look-backs
    and decays are in forecast horizons, whole months on monthly data."""

    name = "blend"
    title = "Multi-scale blend (long-term and recent, chosen on earlier windows)"

    def __init__(self, criterion: str = "hit-rate", validation_windows: int | None = None,
                 coverage: float = 5.0, **fixed: Any) -> None:
        super().__init__(criterion, validation_windows or BLEND_SELECTION_WINDOWS, **fixed)
        self.coverage = _coverage_percent(coverage)
        # A validation window's candidate scores depend only on the events before it and in
        # it: a backtest's consecutive forecasts share most of them, so each is scored once.
        self._scores: dict[tuple[Any, ...], np.ndarray] = {}

    def candidates(self, horizon: float) -> list[dict[str, Any]]:
        return _blend_candidates()

    def fit(self, events: EventSet, grid: Grid, until: float, horizon: float) -> Fitted:
        fitted = super().fit(events, grid, until, horizon)
        if fitted.validation.get("selected_by", "").startswith("internal validation"):
            fitted.validation["selected_by"] = (
                f"hit rate at {self.coverage:g}% of the area on the windows before the "
                f"forecast ({fitted.validation['candidates']} settings)")
        return fitted

    def validate(self, train: EventSet, grid: Grid, until: float, horizon: float,
                 candidates: Sequence[dict[str, Any]]) -> tuple[np.ndarray, list[float]]:
        spans = self.validation_spans(train, until, horizon)
        cells = grid.cell_of(train.x, train.y)
        k = cells_for_coverage(grid.size, self.coverage)
        scores = np.zeros(len(candidates))
        for start, stop in spans:
            lo, hi = np.searchsorted(train.t, [start, stop], side="left")
            key = (start, stop, int(lo), int(hi), float(train.t[:hi].sum()), grid,
                   train.resolution, tuple(tuple(sorted(c.items())) for c in candidates))
            if key not in self._scores:
                if len(self._scores) > 512:
                    self._scores.clear()
                actual = np.bincount(cells[lo:hi][cells[lo:hi] >= 0],
                                     minlength=grid.size).astype(float)
                cache: dict[tuple[Any, ...], np.ndarray] = {}
                self._scores[key] = np.array([
                    hit_rate_at(blend_surface(grid, cells[:lo], train.t[:lo], start,
                                              stop - start, train.resolution, c, cache),
                                actual, k) for c in candidates])
            scores += self._scores[key]
        return scores / max(1, len(spans)), [a for a, _ in spans]

    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any]) -> Fitted:
        p = {**_blend_candidates()[0], **params}
        cells = grid.cell_of(train.x, train.y)
        distribution = blend_surface(grid, cells, train.t, until, horizon, train.resolution, p)
        return BlendFit(self.name, grid, train, until, horizon, p, distribution=distribution)


# --------------------------------------------------------------------------------------------
# Stack fitted for the score: the same kind of surfaces as the KDE's, mixed with weights that
# maximise the hit rate at the analyst's coverage on the windows before the forecast.

#: Long-term surfaces' bandwidths, in cells (0: own cell; 0.5 cells is 75 m on 150 m cells).
STACK_SIGMAS_CELLS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0)
#: Recent surfaces (1 cell): look-backs in forecast horizons (4 and 8 weeks, or months).
STACK_RECENT_HORIZONS: tuple[int, ...] = (4, 8)
#: A decaying long-term surface (0.5 cells): its time constant in forecast horizons.
STACK_DECAY_HORIZONS = 16
#: Each category's all-data surface at this bandwidth, in cells.
STACK_CATEGORY_SIGMA_CELLS = 0.5
#: The weights are fitted on this many windows before the forecast.
STACK_SELECTION_WINDOWS = 8


def stack_components(train: EventSet, grid: Grid, horizon: float) -> list[Component]:
    """The stack's surfaces: own-cell all-history counts first (the history baseline, the
    fallback), history smoothed at 0.5, 1 and 2 cells, the last 4 and 8 horizons at 1 cell,
    history decaying over 16 horizons, and each frequent category's history."""
    out = [Component(s, None) for s in STACK_SIGMAS_CELLS]
    out += [Component(1.0, n * horizon) for n in STACK_RECENT_HORIZONS]
    out.append(Component(0.5, None, decay_days=STACK_DECAY_HORIZONS * horizon))
    out += [Component(STACK_CATEGORY_SIGMA_CELLS, None, name)
            for name in frequent_categories(train)]
    return out


class HitRateStack(RetrospectiveKDE):
    """A convex combination of long-term, smoothed, recent, decaying and per-category
    surfaces whose weights maximise the hit rate at the analyst's coverage (5 % by default)
    on the windows before the forecast, found by a coordinate search over the simplex.

    ``kde`` and ``kde-categories`` fit their weights by held-out likelihood, which rewards
    the shape of the whole map, the cold cells included; the hotspot score depends only on
    which cells make the top few percent. This stack is fitted for that score. It starts from
    the best single surface (own-cell history among equals) and leaves it only for a mix that
    did strictly better on the earlier windows."""

    name = "hit-stack"
    title = "Multi-scale stack, weights fitted for the hit rate at the coverage"

    def __init__(self, criterion: str = "hit-rate", validation_windows: int | None = None,
                 coverage: float = 5.0, **fixed: Any) -> None:
        super().__init__(criterion, validation_windows or STACK_SELECTION_WINDOWS, **fixed)
        self.coverage = _coverage_percent(coverage)
        # A validation window's surfaces depend only on the events before it and in it: a
        # backtest's consecutive forecasts share most windows, so each is built once.
        self._windows: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}

    def components(self, train: EventSet, grid: Grid, horizon: float) -> list[Component]:
        return stack_components(train, grid, horizon)

    def fit(self, events: EventSet, grid: Grid, until: float, horizon: float) -> Fitted:
        train = events.before(until)
        if len(train) == 0:
            raise ForecastInputError(M_("no events before the forecast date to learn from"))
        components = self.components(train, grid, horizon)
        spans = self.validation_spans(train, until, horizon)
        weights = np.zeros(len(components) + 1)  # the uniform floor (last) stays at 0
        if spans:
            surfaces, actual = zip(*(self._window(train, grid, a, b, components)
                                     for a, b in spans), strict=True)
            weights[:-1] = fit_hit_rate(list(surfaces), list(actual),
                                        cells_for_coverage(grid.size, self.coverage))
        else:
            weights[0] = 1.0
        fitted = self.build(train, grid, until, horizon, {"coverage_percent": self.coverage},
                            components=components, weights=weights)
        fitted.validation = {
            "selected_by": f"hit rate at {self.coverage:g}% of the area on the windows before "
                           "the forecast (coordinate search over the mixture weights)" if spans
            else "default (too little data to validate): own-cell counts, all data",
            "windows": [day_to_iso(a) for a, _ in spans]}
        return fitted

    def _window(self, train: EventSet, grid: Grid, start: float, stop: float,
                components: list[Component]) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = (int(i) for i in np.searchsorted(train.t, [start, stop], side="left"))
        key = (start, stop, lo, hi, float(train.t[:hi].sum()), grid, tuple(components))
        if key not in self._windows:
            if len(self._windows) > 256:
                self._windows.clear()
            cells = grid.cell_of(train.x[:hi], train.y[:hi])
            surfaces = component_surfaces(grid, cells[:lo], train.t[:lo], start, components,
                                          categories=train.category[:lo])[:-1]
            inside = cells[lo:hi][cells[lo:hi] >= 0]
            self._windows[key] = (surfaces, np.bincount(inside, minlength=grid.size)
                                  .astype(float))
        return self._windows[key]
