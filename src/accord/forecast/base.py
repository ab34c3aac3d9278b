"""What every forecasting method provides: fit on the past, predict a window, explain a cell.

A fitted forecast gives the *expected number of events per cell* in a window ``[start, stop)``
after the end of its training data, and can say which past events make a cell hot
(:meth:`Fitted.explain`). Parameters a method cannot fit by maximum likelihood (bandwidths,
look-back windows, decays) are chosen by *internal validation on the training data only*: the
last few windows before the training cut-off are each forecast from the data before them, and
the setting with the best score wins. The scored (future) window is never looked at.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from accord.core.i18n import M_
from accord.forecast.data import (
    EventSet,
    ForecastInputError,
    day_to_iso,
    lookback_start,
    month_start,
    months_before,
)
from accord.forecast.grid import Grid
from accord.forecast.metrics import COVERAGES, cells_for_coverage, poisson_loglik, selection

CRITERIA = ("hit-rate", "loglik")
# Look-back (days) used to scale a relative risk surface into expected counts.
LEVEL_DAYS = 28.0


@dataclass(frozen=True)
class Contribution:
    """One past event's share of a cell's forecast."""

    event: int  # index into the training events (time order)
    day: str
    x: float
    y: float
    weight: float  # share of the cell's forecast, 0..1
    expected: float  # expected events it contributes to the window

    def as_dict(self, grid: Grid | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.event, "day": self.day,
                               "weight": round(self.weight, 4),
                               "expected": round(self.expected, 4)}
        if grid is not None:
            # Location as the containing cell, not the exact point (no addresses).
            out["cell"] = grid.cell_id(int(grid.cell_of(np.array([self.x]),
                                                        np.array([self.y]))[0]))
        else:
            out["x"], out["y"] = round(self.x, 1), round(self.y, 1)
        return out


@dataclass
class Fitted(ABC):
    method: str
    grid: Grid
    train: EventSet
    until: float
    horizon: float
    params: dict[str, Any]
    validation: dict[str, Any] = field(default_factory=dict)

    def window(self, start: float | None, stop: float | None) -> tuple[float, float]:
        start = self.until if start is None else start
        stop = start + self.horizon if stop is None else stop
        if start < self.until - 1e-9:
            raise ForecastInputError(M_("a forecast cannot start before the end of its training "
                                        "data"))
        if stop <= start:
            raise ForecastInputError(M_("the forecast window is empty"))
        return start, stop

    def predict(self, start: float | None = None, stop: float | None = None) -> np.ndarray:
        """Expected events per cell in ``[start, stop)`` (default: the next horizon)."""
        start, stop = self.window(start, stop)
        return self._predict(start, stop)

    @abstractmethod
    def _predict(self, start: float, stop: float) -> np.ndarray: ...

    @abstractmethod
    def _contributions(self, cell: int, start: float,
                       stop: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(event indices, expected events each contributes, expected events from no single
        event, e.g. a constant background)."""

    def explain(self, cell: int, start: float | None = None, stop: float | None = None,
                top: int = 5) -> list[Contribution]:
        """The past events that contribute most to ``cell``'s forecast, largest first."""
        if not 0 <= int(cell) < self.grid.size:
            raise ForecastInputError(M_("cell %(cell)s is outside the grid", cell=cell))
        start, stop = self.window(start, stop)
        index, amount, rest = self._contributions(int(cell), start, stop)
        total = float(amount.sum()) + rest
        if total <= 0 or index.size == 0:
            return []
        # Largest first; among equal contributions the most recent first.
        order = np.lexsort((-self.train.t[index], -amount))[:top]
        return [Contribution(event=int(index[i]), day=day_to_iso(self.train.t[index[i]]),
                             x=float(self.train.x[index[i]]), y=float(self.train.y[index[i]]),
                             weight=float(amount[i] / total), expected=float(amount[i]))
                for i in order if amount[i] > 0]

    def summary_of_why(self, cell: int, start: float | None = None, stop: float | None = None,
                       recent_days: float = 56.0) -> dict[str, Any]:
        """Aggregate view of a cell's contributors: how many past events, how much of the
        forecast comes from events in the cell itself and from recent weeks."""
        start, stop = self.window(start, stop)
        index, amount, rest = self._contributions(int(cell), start, stop)
        total = float(amount.sum()) + rest
        if total <= 0:
            return {"events": 0, "expected": 0.0}
        own = self.grid.cell_of(self.train.x[index], self.train.y[index]) == cell
        recent = self.train.t[index] >= self.until - recent_days
        return {"events": int(index.size), "expected": round(total, 6),
                "share_from_this_cell": round(float(amount[own].sum()) / total, 4),
                f"share_from_last_{recent_days:g}_days": round(float(amount[recent].sum())
                                                              / total, 4),
                "share_not_from_single_events": round(rest / total, 4),
                "first_day": day_to_iso(float(self.train.t[index].min())) if index.size
                else None,
                "last_day": day_to_iso(float(self.train.t[index].max())) if index.size
                else None}

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "params": _plain(self.params),
                "trained_until": day_to_iso(self.until - 1e-9) if len(self.train) else None,
                "training_events": len(self.train), "horizon_days": self.horizon,
                "validation": _plain(self.validation)}


class Method(ABC):
    """A forecasting method: a grid of candidate settings and how to build a forecast."""

    name: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, criterion: str = "hit-rate", validation_windows: int | None = None,
                 **fixed: Any) -> None:
        if criterion not in CRITERIA:
            raise ForecastInputError(M_("criterion must be one of %(criteria)s",
                                        criteria=', '.join(CRITERIA)))
        self.criterion = criterion
        self.validation_windows = validation_windows
        self.fixed = fixed

    def candidates(self, horizon: float) -> list[dict[str, Any]]:
        return [{}]

    @abstractmethod
    def build(self, train: EventSet, grid: Grid, until: float, horizon: float,
              params: dict[str, Any]) -> Fitted: ...

    def fit(self, events: EventSet, grid: Grid, until: float, horizon: float) -> Fitted:
        train = events.before(until)
        if len(train) == 0:
            raise ForecastInputError(M_("no events before the forecast date to learn from"))
        candidates = [dict(self.fixed)] if self.fixed else self.candidates(horizon)
        if len(candidates) == 1:
            fitted = self.build(train, grid, until, horizon, candidates[0])
            fitted.validation = {"selected_by": "fixed"}
            return fitted
        scores, windows = self.validate(train, grid, until, horizon, candidates)
        if not windows:
            fitted = self.build(train, grid, until, horizon, candidates[0])
            fitted.validation = {"selected_by": "default (too little data to validate)"}
            return fitted
        best = int(np.argmax(scores))
        fitted = self.build(train, grid, until, horizon, candidates[best])
        fitted.validation = {"selected_by": f"internal validation ({self.criterion})",
                             "windows": [day_to_iso(w) for w in windows],
                             "score": float(scores[best]),
                             "candidates": len(candidates)}
        return fitted

    def validation_spans(self, train: EventSet, until: float,
                         horizon: float) -> list[tuple[float, float]]:
        """The validation windows before ``until``: ``horizon``-long, or whole calendar
        months on monthly data (a 31-day window from the 1st of February would also hold the
        events dated 1 March)."""
        n = self.validation_windows or max(3, min(8, math.ceil(28.0 / horizon)))
        first = float(train.t.min()) if len(train) else until
        if train.resolution == "monthly":
            end = months_before(until)
            spans = [(month_start(end - k), month_start(end - k + 1)) for k in range(n, 0, -1)]
        else:
            spans = [(until - k * horizon, until - (k - 1) * horizon) for k in range(n, 0, -1)]
        # Each validation window needs at least two horizons (and 28 days) of history.
        return [(a, b) for a, b in spans if a - first >= max(2 * horizon, 28.0) - 1e-9]

    def validation_starts(self, train: EventSet, until: float, horizon: float) -> list[float]:
        return [a for a, _ in self.validation_spans(train, until, horizon)]

    def validate(self, train: EventSet, grid: Grid, until: float, horizon: float,
                 candidates: Sequence[dict[str, Any]]) -> tuple[np.ndarray, list[float]]:
        spans = self.validation_spans(train, until, horizon)
        scores = np.zeros(len(candidates))
        for start, stop in spans:
            past = train.before(start)
            actual = grid.counts(train.between(start, stop))
            for i, params in enumerate(candidates):
                expected = self.build(past, grid, start, stop - start, params).predict(start,
                                                                                       stop)
                scores[i] += self.criterion_score(expected, actual)
        return scores / max(1, len(spans)), [a for a, _ in spans]

    def criterion_score(self, expected: np.ndarray, actual: np.ndarray) -> float:
        return criterion_score(self.criterion, expected, actual)


def criterion_score(criterion: str, expected: np.ndarray, actual: np.ndarray) -> float:
    if criterion == "loglik":
        return poisson_loglik(expected, actual)
    total = actual.sum()
    if total == 0:
        return 0.0
    n = expected.shape[0]
    order = np.argsort(-np.asarray(expected, dtype=float), kind="stable")
    return float(np.mean([selection(expected, cells_for_coverage(n, c), order=order) @ actual
                          / total for c in COVERAGES]))


def scale_to_level(surface: np.ndarray, train: EventSet, until: float, start: float,
                   stop: float) -> np.ndarray:
    """Turn a relative risk surface into expected counts at the recent event rate."""
    total = float(surface.sum())
    if total <= 0:
        return np.zeros_like(surface)
    # The recent rate, over whole units of the data's resolution (last month on monthly data).
    first = lookback_start(until, LEVEL_DAYS, train.resolution)
    recent = train.between(first, until)
    span = until - max(first, math.floor(float(train.t.min()))) if len(train) else LEVEL_DAYS
    rate = len(recent) / max(span, 1.0)
    return surface / total * rate * (stop - start)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float):
        return round(value, 6)
    return value
