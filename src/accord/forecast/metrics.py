"""Scores for a grid forecast against the events that then happened.

For a coverage level ``p`` (percent of the grid's area) the ``k = floor(N_cells * p / 100)``
highest-forecast cells are flagged. Then

* hit rate = n / N (share of the window's events that fell in flagged cells),
* PAI = (n / N) / (a / A) (Chainey et al. 2008; a/A = k / N_cells on a regular grid),
* PEI = n / n*, n* = most events any k cells could have captured (Hunt 2016),
* Poisson log-likelihood of the cell counts under the forecast's expected counts.

Ties at the edge of the flagged set are broken by expectation (``tie="expected"``): the tied
cells share the remaining places equally, so a forecast gets no credit for a lucky ordering of
cells it cannot tell apart. ``tie="first"`` keeps the first cells in row-major order instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

COVERAGES: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)
# Expected counts below this share of the mean cell forecast are raised to it before the
# log-likelihood is taken, so a forecast of exactly zero where events happened scores a heavy
# but finite penalty (identical rule for every method).
LOGLIK_FLOOR = 1e-3


def cells_for_coverage(n_cells: int, coverage: float) -> int:
    return max(0, min(n_cells, math.floor(n_cells * coverage / 100.0 + 1e-9)))


def selection(risk: np.ndarray, k: int, tie: str = "expected",
              order: np.ndarray | None = None) -> np.ndarray:
    """Weight in [0, 1] per cell of being among the ``k`` flagged cells. ``order``: the
    stable descending argsort of ``risk`` when the caller already has it (several coverages
    of one forecast)."""
    risk = np.asarray(risk, dtype=float)
    n = risk.shape[0]
    chosen = np.zeros(n)
    if k <= 0:
        return chosen
    if k >= n:
        return np.ones(n)
    if order is None:
        order = np.argsort(-risk, kind="stable")
    if tie == "first":
        chosen[order[:k]] = 1.0
        return chosen
    if tie != "expected":
        raise ValueError(f"tie must be 'expected' or 'first', not {tie!r}")
    edge = risk[order[k - 1]]
    above = risk > edge
    tied = risk == edge
    chosen[above] = 1.0
    chosen[tied] = (k - int(above.sum())) / int(tied.sum())
    return chosen


def flagged_cells(risk: np.ndarray, coverage: float) -> np.ndarray:
    """Indices of the flagged cells for a coverage (ties: first in row-major order)."""
    k = cells_for_coverage(len(risk), coverage)
    return np.argsort(-np.asarray(risk, dtype=float), kind="stable")[:k]


def poisson_loglik(expected: np.ndarray, actual: np.ndarray) -> float:
    lam = np.asarray(expected, dtype=float)
    floor = LOGLIK_FLOOR * max(float(lam.mean()), 1e-12)
    lam = np.maximum(lam, floor)
    y = np.asarray(actual, dtype=float)
    # log(y!) over the few distinct counts (math.lgamma: no scipy.special import, ~3 s cold).
    values, times = np.unique(y, return_counts=True)
    log_factorials = sum(float(c) * math.lgamma(float(v) + 1.0)
                         for v, c in zip(values, times, strict=True))
    return float(np.sum(y * np.log(lam) - lam)) - log_factorials


def score(expected: np.ndarray, actual: np.ndarray,
          coverages: Sequence[float] = COVERAGES, tie: str = "expected") -> dict[str, object]:
    """All metrics for one window. ``expected``: forecast per cell; ``actual``: counts."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    n_cells = expected.shape[0]
    total = float(actual.sum())
    sorted_actual = np.sort(actual)[::-1]
    order = np.argsort(-expected, kind="stable")
    out: dict[str, object] = {"events": int(total)}
    per: dict[str, dict[str, float]] = {}
    for coverage in coverages:
        k = cells_for_coverage(n_cells, coverage)
        hits = float(selection(expected, k, tie, order) @ actual)
        best = float(sorted_actual[:k].sum())
        hit_rate = hits / total if total else float("nan")
        area = k / n_cells
        per[_key(coverage)] = {
            "cells": k,
            "hits": round(hits, 4),
            "hit_rate": hit_rate,
            "pai": hit_rate / area if area else float("nan"),
            "pei": hits / best if best else float("nan"),
            "max_hit_rate": best / total if total else float("nan"),
        }
    out["coverage"] = per
    out["loglik"] = poisson_loglik(expected, actual)
    out["loglik_per_event"] = out["loglik"] / total if total else float("nan")  # type: ignore[operator]
    return out


def _key(coverage: float) -> str:
    return f"{coverage:g}%"


def bootstrap_mean(values: Sequence[float], *, reps: int = 2000, seed: int = 0,
                   level: float = 0.95) -> tuple[float, float, float]:
    """Mean and percentile bootstrap interval, resampling windows with replacement."""
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=float)
    if v.size == 0:
        return (float("nan"),) * 3  # type: ignore[return-value]
    if v.size == 1:
        return float(v[0]), float(v[0]), float(v[0])
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(reps, v.size))].mean(axis=1)
    alpha = (1 - level) / 2
    return float(v.mean()), float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def paired_bootstrap(values: Sequence[float], baseline: Sequence[float], *, reps: int = 2000,
                     seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Mean difference (method - baseline) over the same windows, with its interval."""
    a, b = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    return bootstrap_mean((a - b)[ok].tolist(), reps=reps, seed=seed, level=level)


def hit_rate_at(risk: np.ndarray, actual: np.ndarray, k: int) -> float:
    """Hit rate of the ``k`` highest-risk cells with the ``"expected"`` tie rule — the same
    number as ``selection(risk, k) @ actual / actual.sum()`` — found by partition instead of
    a full sort (the methods that choose settings by it score hundreds of candidates)."""
    risk = np.asarray(risk, dtype=float)
    actual = np.asarray(actual, dtype=float)
    total = float(actual.sum())
    n = risk.shape[0]
    if total <= 0 or k <= 0:
        return 0.0
    if k >= n:
        return 1.0
    edge = float(np.partition(risk, n - k)[n - k])  # the k-th largest value
    above = risk > edge
    tied = risk == edge
    share = (k - int(above.sum())) / int(tied.sum())
    return (float(actual[above].sum()) + share * float(actual[tied].sum())) / total
