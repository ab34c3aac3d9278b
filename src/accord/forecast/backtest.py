"""Rolling-origin backtests: for each window, train on everything before it, forecast it, score.

Every method is scored on exactly the same windows, grid and events, next to the naive
baseline from the same run; intervals are percentile bootstraps over windows (the windows are
the unit of replication, not the events, because events in a week are not independent).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from accord.forecast.base import Fitted, Method
from accord.forecast.data import EPOCH, EventSet, ForecastInputError, day_to_iso, iso_to_day
from accord.forecast.fairness import exposure_audit
from accord.forecast.grid import DEFAULT_CELL_SIZE, Grid
from accord.forecast.methods import Naive, Prospective, RetrospectiveKDE
from accord.forecast.metrics import COVERAGES, bootstrap_mean, paired_bootstrap, score
from accord.forecast.modelcard import model_card
from accord.forecast.sepp import SEPP

Progress = Callable[[int, str], None]

METHODS: dict[str, type[Method]] = {
    "naive": Naive,
    "kde": RetrospectiveKDE,
    "prospective": Prospective,
    "sepp": SEPP,
}
FREQS = ("day", "week", "month")
BASELINE = "naive"


def make_method(name: str, **options: Any) -> Method:
    try:
        return METHODS[name](**options)
    except KeyError:
        raise ForecastInputError(
            f"unknown method {name!r}; choose from {', '.join(METHODS)}") from None


def data_end(events: EventSet) -> float:
    """First instant after the data: the day after the last event for day-resolution data."""
    last = float(events.t.max())
    return math.floor(last) + 1.0 if events.day_resolution else last


def windows_for(freq: str, start: float, end: float,
                count: int | None = None) -> list[tuple[float, float]]:
    """Consecutive forecast windows from ``start``; only whole windows ending by ``end``."""
    if freq not in FREQS:
        raise ForecastInputError(f"--freq must be one of {', '.join(FREQS)}, not {freq!r}")
    out: list[tuple[float, float]] = []
    current = start
    while count is None or len(out) < count:
        if freq == "month":
            d = date.fromordinal(EPOCH.toordinal() + math.floor(current))
            nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
            stop = float((nxt - EPOCH.date()).days)
        else:
            stop = current + (1.0 if freq == "day" else 7.0)
        if stop > end + 1e-9:
            break
        out.append((current, stop))
        current = stop
    return out


def default_start(events: EventSet, freq: str) -> float:
    """Leave at least 8 weeks (or 40% of the data) for training before the first window."""
    first, end = float(events.t.min()), data_end(events)
    start = math.floor(first + max(56.0, 0.4 * (end - first)))
    if freq == "week":  # align to a Monday, as police weeks usually are
        start += (7 - date.fromordinal(EPOCH.toordinal() + start).weekday()) % 7
    elif freq == "month":
        d = date.fromordinal(EPOCH.toordinal() + start)
        if d.day != 1:
            d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
        start = (d - EPOCH.date()).days
    return float(start)


@dataclass
class BacktestResult:
    protocol: dict[str, Any]
    methods: dict[str, dict[str, Any]]
    seconds: float

    def mean_pai(self, method: str, coverage: float = 5.0) -> float:
        return float(self.methods[method]["summary"][f"{coverage:g}%"]["pai"]["mean"])

    def best(self, coverage: float = 5.0) -> str:
        return max(self.methods, key=lambda m: self.mean_pai(m, coverage))

    def as_dict(self) -> dict[str, Any]:
        best = self.best()
        return {"protocol": self.protocol, "methods": self.methods,
                "backtest_seconds": round(self.seconds, 2),
                "best_method": best, "best_pai_5pct": round(self.mean_pai(best), 3),
                "naive_pai_5pct": round(self.mean_pai(BASELINE), 3)
                if BASELINE in self.methods else None}

    def table(self) -> str:
        """A plain-text table: mean [95% interval] per method and coverage."""
        covs = self.protocol["coverages"]
        lines = []
        header = f"{'method':<12}{'cov':>5} {'hit rate %':>22} {'PAI':>22} {'PEI':>20}"
        lines.append(header)
        lines.append("-" * len(header))
        for name, m in self.methods.items():
            for cov in covs:
                s = m["summary"][f"{cov:g}%"]
                lines.append(
                    f"{name:<12}{cov:>4g}% "
                    f"{_ci(s['hit_rate'], pct=True):>22} {_ci(s['pai']):>22} {_ci(s['pei']):>20}")
            ll = m["summary"]["loglik_per_event"]
            lines.append(f"{'':<12}{'':>5} log-lik/event {ll['mean']:.3f}   "
                         f"fit+predict {m['seconds']:.1f} s")
        lines.append("")
        lines.append("PAI minus naive PAI (same windows, paired bootstrap):")
        for name, m in self.methods.items():
            if name == BASELINE:
                continue
            parts = []
            for cov in covs:
                d = m["summary"][f"{cov:g}%"]["vs_naive"]
                parts.append(f"{cov:g}%: {d['mean']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]")
            lines.append(f"  {name:<12} " + "  ".join(parts))
        lines.append(f"backtest: {self.seconds:.1f} s for {len(self.methods)} methods x "
                     f"{len(self.protocol['windows'])} windows")
        return "\n".join(lines)


def _ci(stat: dict[str, float], pct: bool = False) -> str:
    f = 100.0 if pct else 1.0
    return f"{stat['mean'] * f:.2f} [{stat['low'] * f:.2f}, {stat['high'] * f:.2f}]"


def backtest(events: EventSet, *, methods: Sequence[str] = tuple(METHODS), freq: str = "week",
             start: str | float | None = None, windows: int | None = None,
             cell: float = DEFAULT_CELL_SIZE, coverages: Sequence[float] = COVERAGES,
             grid: Grid | None = None, progress: Progress | None = None,
             bootstrap_reps: int = 2000, seed: int = 0,
             method_options: dict[str, dict[str, Any]] | None = None) -> BacktestResult:
    """Rolling-origin backtest of ``methods`` (the naive baseline is always included)."""
    if len(events) == 0:
        raise ForecastInputError("no events to backtest")
    names = list(dict.fromkeys([BASELINE, *methods]))
    for name in names:
        if name not in METHODS:
            raise ForecastInputError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    grid = grid or Grid.covering(events, cell)
    first = iso_to_day(start) if isinstance(start, str) else start
    if first is None:
        first = default_start(events, freq)
    spans = windows_for(freq, float(first), data_end(events), windows)
    if not spans:
        raise ForecastInputError("no whole forecast window fits between the start date and the "
                                 "end of the data")
    if float(events.t.min()) >= spans[0][0]:
        raise ForecastInputError("the first window starts before any training data")
    actual = [grid.counts(events.between(a, b)) for a, b in spans]
    options = method_options or {}
    results: dict[str, dict[str, Any]] = {}
    total_steps = len(names) * len(spans)
    step = 0
    started = time.perf_counter()
    last_fit: dict[str, tuple[Fitted, np.ndarray]] = {}
    for name in names:
        method = make_method(name, **options.get(name, {}))
        rows = []
        clock = time.perf_counter()
        for (a, b), counts in zip(spans, actual, strict=True):
            fitted = method.fit(events, grid, a, b - a)
            expected = fitted.predict(a, b)
            row = score(expected, counts, coverages)
            row["start"] = day_to_iso(a)
            row["params"] = fitted.describe()["params"]
            rows.append(row)
            last_fit[name] = (fitted, expected)
            step += 1
            if progress is not None:
                progress(int(step * 100 / total_steps), f"{name}: window {day_to_iso(a)}")
        results[name] = {"title": method.title, "seconds": round(time.perf_counter() - clock, 3),
                         "windows": rows}
    seconds = time.perf_counter() - started
    for name in names:
        results[name]["summary"] = _summarise(results[name]["windows"],
                                              results[BASELINE]["windows"], coverages,
                                              compare=name != BASELINE, reps=bootstrap_reps,
                                              seed=seed)
    protocol: dict[str, Any] = {
        "freq": freq, "windows": [[day_to_iso(a), day_to_iso(b - 1)] for a, b in spans],
        "first_window": day_to_iso(spans[0][0]), "window_count": len(spans),
        "training": "all events before each window (rolling origin)",
        "grid": grid.describe(), "coverages": list(coverages), "events_scored":
            int(sum(c.sum() for c in actual)), "events_total": len(events),
        "ties": "expected (tied cells at the coverage edge share the remaining places)",
        "intervals": f"95% percentile bootstrap over windows ({bootstrap_reps} resamples)",
        "source": events.source,
    }
    for name, (fitted, expected) in last_fit.items():
        try:
            audit = exposure_audit(expected, grid, fitted.train)
        except ForecastInputError:
            audit = None  # no district column: the card says it is not audited
        results[name]["model_card"] = model_card(
            fitted, backtest={"protocol": protocol, "methods": results}, audit=audit)
    return BacktestResult(protocol, results, seconds)


def _stat(values: list[float], reps: int, seed: int) -> dict[str, float]:
    mean, low, high = bootstrap_mean(values, reps=reps, seed=seed)
    return {"mean": round(mean, 4), "low": round(low, 4), "high": round(high, 4)}


def _summarise(rows: list[dict[str, Any]], baseline: list[dict[str, Any]],
               coverages: Sequence[float], *, compare: bool, reps: int,
               seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for cov in coverages:
        key = f"{cov:g}%"
        entry: dict[str, Any] = {}
        for metric in ("hit_rate", "pai", "pei"):
            entry[metric] = _stat([r["coverage"][key][metric] for r in rows], reps, seed)
            entry[f"naive_{metric}"] = _stat([r["coverage"][key][metric] for r in baseline],
                                             reps, seed)
        if compare:
            mean, low, high = paired_bootstrap([r["coverage"][key]["pai"] for r in rows],
                                               [r["coverage"][key]["pai"] for r in baseline],
                                               reps=reps, seed=seed)
            entry["vs_naive"] = {"metric": "pai difference", "mean": round(mean, 4),
                                 "low": round(low, 4), "high": round(high, 4)}
        out[key] = entry
    out["loglik_per_event"] = _stat([r["loglik_per_event"] for r in rows], reps, seed)
    out["naive_loglik_per_event"] = _stat([r["loglik_per_event"] for r in baseline], reps, seed)
    return out

