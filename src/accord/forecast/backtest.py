"""Rolling-origin backtests: for each window, train on everything before it, forecast it, score.

Every method is scored on exactly the same windows, grid and events, next to two baselines
from the same run (naive: last period's counts; history: all past counts); intervals are
percentile bootstraps over windows (the windows are the unit of replication, not the events,
because events in a week are not independent).

Honesty rules:

* the forecast window is never finer than the data's time resolution (monthly data: month
  windows only), and every whole window up to the end of the data is scored, the last included;
* a window in which a method forecasts nothing anywhere counts as a failure (hit rate, PAI and
  PEI 0), never as the PAI 1.0 that sharing the flagged places among tied cells would give;
* a difference between two methods is called significant only when the 95% paired bootstrap
  interval excludes zero over the windows where *both* forecast something, and only with at
  least :data:`MIN_WINDOWS_FOR_SIGNIFICANCE` of them; the count is reported beside it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from accord.core.i18n import M_
from accord.forecast.base import Fitted, Method
from accord.forecast.data import (
    EPOCH,
    EventSet,
    ForecastInputError,
    day_to_iso,
    iso_to_day,
    month_index,
    month_start,
)
from accord.forecast.fairness import exposure_audit
from accord.forecast.grid import DEFAULT_CELL_SIZE, Grid
from accord.forecast.learned import LearnedRanking
from accord.forecast.methods import (
    Blend,
    CategoryKDE,
    History,
    HitRateStack,
    Naive,
    Prospective,
    RetrospectiveKDE,
)
from accord.forecast.metrics import COVERAGES, bootstrap_mean, paired_bootstrap, score
from accord.forecast.modelcard import model_card
from accord.forecast.sepp import SEPP

Progress = Callable[[int, str], None]

METHODS: dict[str, type[Method]] = {
    "naive": Naive,
    "history": History,
    "kde": RetrospectiveKDE,
    "kde-categories": CategoryKDE,
    "prospective": Prospective,
    "sepp": SEPP,
    "learned": LearnedRanking,
    "blend": Blend,
    "hit-stack": HitRateStack,
}
FREQS = ("day", "week", "month")  # finest first
BASELINE = "naive"
BASELINES = ("naive", "history")
# The finest window each time resolution supports, and the default window.
FINEST_FREQ = {"sub-daily": "day", "daily": "day", "monthly": "month"}
DEFAULT_FREQ = {"sub-daily": "week", "daily": "week", "monthly": "month"}
MIN_WINDOWS_FOR_SIGNIFICANCE = 4
#: Nested selection needs this many earlier windows before it picks a method for a window.
MIN_SELECTION_WINDOWS = 3


def resolve_freq(events: EventSet, freq: str | None) -> tuple[str, str]:
    """The forecast window to use and why. ``None`` picks the default for the data's time
    resolution; a window finer than the data is refused with the reason."""
    resolution = events.resolution
    if freq is None:
        chosen = DEFAULT_FREQ[resolution]
        return chosen, f"{chosen}: the default for {resolution} data"
    if freq not in FREQS:
        raise ForecastInputError(M_("--freq must be one of %(freqs)s, not %(freq)r",
                                    freqs=', '.join(FREQS), freq=freq))
    finest = FINEST_FREQ[resolution]
    if FREQS.index(freq) < FREQS.index(finest):
        raise ForecastInputError(
            M_("a %(freq)s window is finer than the data: they are %(resolution)s (every event "
               "is dated to the 1st of its month), so most %(freq)ss hold no events and a "
               "%(freq)sly forecast can neither be trained nor scored honestly. Use --freq "
               "%(finest)s (or leave --freq out for the default, %(default_freq)s).",
               freq=freq, resolution=resolution, finest=finest,
               default_freq=DEFAULT_FREQ[resolution]))
    return freq, "as asked"


def make_method(name: str, **options: Any) -> Method:
    try:
        return METHODS[name](**options)
    except KeyError:
        raise ForecastInputError(
            M_("unknown method %(name)r; choose from %(methods)s",
               name=name, methods=', '.join(METHODS))) from None


def data_end(events: EventSet) -> float:
    """First instant after the data: the day after the last event for day-resolution data."""
    last = float(events.t.max())
    if events.resolution == "monthly":  # the last month is whole: it ends on the next 1st
        return month_start(month_index(last) + 1)
    return math.floor(last) + 1.0 if events.day_resolution else last


def windows_for(freq: str, start: float, end: float,
                count: int | None = None) -> list[tuple[float, float]]:
    """Consecutive forecast windows from ``start``; only whole windows ending by ``end``."""
    if freq not in FREQS:
        raise ForecastInputError(M_("--freq must be one of %(freqs)s, not %(freq)r",
                                    freqs=', '.join(FREQS), freq=freq))
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
    nested: dict[str, Any] = field(default_factory=dict)
    # CPU time of this process (wall time on a shared host mostly measures the other load).
    cpu_seconds: float | None = None

    def mean_pai(self, method: str, coverage: float = 5.0) -> float:
        return float(self.methods[method]["summary"][f"{coverage:g}%"]["pai"]["mean"])

    def best(self, coverage: float = 5.0) -> str:
        return max(self.methods, key=lambda m: self.mean_pai(m, coverage))

    def strongest_baseline(self, coverage: float = 5.0) -> str:
        present = [b for b in BASELINES if b in self.methods]
        return max(present, key=lambda m: self.mean_pai(m, coverage))

    def as_dict(self) -> dict[str, Any]:
        best = self.best()
        strongest = self.strongest_baseline()
        return {"protocol": self.protocol, "methods": self.methods,
                "backtest_seconds": round(self.seconds, 2),
                "backtest_cpu_seconds": None if self.cpu_seconds is None
                else round(self.cpu_seconds, 2),
                "best_method": best, "best_pai_5pct": round(self.mean_pai(best), 3),
                "naive_pai_5pct": round(self.mean_pai(BASELINE), 3)
                if BASELINE in self.methods else None,
                "history_pai_5pct": round(self.mean_pai("history"), 3)
                if "history" in self.methods else None,
                "strongest_baseline_5pct": strongest,
                "nested": self.nested,
                "nested_pai_5pct": self.nested.get("pai", {}).get("mean")}

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
            empty = m["summary"]["windows_flagging_nothing"]
            lines.append(f"{'':<12}{'':>5} log-lik/event {ll['mean']:.3f}   "
                         f"fit+predict {m['seconds']:.1f} s"
                         + (f"   forecast nothing in {empty} of {len(m['windows'])} windows "
                            "(scored as PAI 0)" if empty else ""))
        lines.append("")
        lines.append("PAI minus the strongest baseline's PAI at each coverage (paired bootstrap "
                     "over the windows where both forecast something):")
        for name, m in self.methods.items():
            if name == BASELINE:
                continue
            parts = []
            for cov in covs:
                d = m["summary"][f"{cov:g}%"]["vs_baseline"]
                parts.append(f"{cov:g}%: {d['mean']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}] "
                             f"vs {d['baseline']}, {d['windows_compared']} windows, "
                             f"{'significant' if d['significant'] else 'not significant'}")
            lines.append(f"  {name:<12} " + "; ".join(parts))
        if self.nested.get("windows_scored"):
            n = self.nested
            d = n["vs_baseline"]
            lines.append("")
            lines.append(
                f"nested selection (the method with the best PAI@{n['coverage']} on the windows "
                f"before each window, as the analyst would have chosen on the day): "
                f"PAI {_ci(n['pai'])} over {n['windows_scored']} windows"
                + (f" (chosen on {n['selection_only_windows']} earlier windows as well)"
                   if n.get("selection_only_windows") else "") + "; "
                f"vs {d['baseline']} {d['mean']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}], "
                f"{'significant' if d['significant'] else 'not significant'}; chosen: "
                + ", ".join(f"{m} x{c}" for m, c in n["chosen_counts"].items()))
        elif self.nested:
            lines.append("")
            lines.append(f"nested selection: {self.nested['reason']}")
        cpu = "" if self.cpu_seconds is None else f" ({self.cpu_seconds:.1f} s of CPU)"
        lines.append(f"backtest: {self.seconds:.1f} s{cpu} for {len(self.methods)} methods x "
                     f"{len(self.protocol['windows'])} windows")
        return "\n".join(lines)


def _ci(stat: dict[str, float], pct: bool = False) -> str:
    f = 100.0 if pct else 1.0
    return f"{stat['mean'] * f:.2f} [{stat['low'] * f:.2f}, {stat['high'] * f:.2f}]"


def backtest(events: EventSet, *, methods: Sequence[str] = tuple(METHODS),
             freq: str | None = None,
             start: str | float | None = None, windows: int | None = None,
             cell: float = DEFAULT_CELL_SIZE, coverages: Sequence[float] = COVERAGES,
             grid: Grid | None = None, progress: Progress | None = None,
             bootstrap_reps: int = 2000, seed: int = 0,
             method_options: dict[str, dict[str, Any]] | None = None,
             selection_windows: int | None = 0) -> BacktestResult:
    """Rolling-origin backtest of ``methods`` (both baselines are always included).
    ``freq=None``: the default window for the data's time resolution.

    ``selection_windows``: windows *before* the first scored window, forecast and scored the
    same way (each from the data before it) but used only by the nested selection, never in
    the per-method table; ``None`` takes every whole window that has at least
    :data:`SELECTION_MIN_TRAINING_DAYS` days (and two windows) of data before it. With them
    the nested figure covers every scored window, not only those after the first
    :data:`MIN_SELECTION_WINDOWS`: the choice for the first scored window is made on the
    weeks before it, as the analyst would have made it on the day."""
    if len(events) == 0:
        raise ForecastInputError(M_("no events to backtest"))
    freq, freq_reason = resolve_freq(events, freq)
    names = list(dict.fromkeys([*BASELINES, *methods]))
    for name in names:
        if name not in METHODS:
            raise ForecastInputError(M_("unknown method %(name)r; choose from %(methods)s",
                                        name=name, methods=', '.join(METHODS)))
    grid = grid or Grid.covering(events, cell)
    first = iso_to_day(start) if isinstance(start, str) else start
    if first is None:
        first = default_start(events, freq)
    end = data_end(events)
    spans = windows_for(freq, float(first), end, windows)
    if not spans:
        raise ForecastInputError(M_("no whole forecast window fits between the start date and "
                                    "the end of the data"))
    if float(events.t.min()) >= spans[0][0]:
        raise ForecastInputError(M_("the first window starts before any training data"))
    earlier = selection_spans(events, freq, spans[0][0], selection_windows)
    actual = [grid.counts(events.between(a, b)) for a, b in spans]
    earlier_actual = [grid.counts(events.between(a, b)) for a, b in earlier]
    options = method_options or {}
    results: dict[str, dict[str, Any]] = {}
    total_steps = len(names) * (len(spans) + len(earlier))
    step = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    last_fit: dict[str, tuple[Fitted, np.ndarray]] = {}
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the products here are small or tall-and-thin, and threaded OpenBLAS
    # on a shared 2-core host spends more time spinning than computing (10x slower measured).
    with threadpool_limits(1, user_api="blas"):
        for name in names:
            method = make_method(name, **options.get(name, {}))
            rows = []
            selection_rows = []
            clock = time.perf_counter()
            for (a, b), counts in zip(earlier, earlier_actual, strict=True):
                expected = method.fit(events, grid, a, b - a).predict(a, b)
                selection_rows.append(_scored(expected, counts, coverages, a))
                step += 1
                if progress is not None:
                    progress(int(step * 100 / total_steps),
                             f"{name}: selection window {day_to_iso(a)}")
            for (a, b), counts in zip(spans, actual, strict=True):
                fitted = method.fit(events, grid, a, b - a)
                expected = fitted.predict(a, b)
                row = _scored(expected, counts, coverages, a)
                row["params"] = fitted.describe()["params"]
                rows.append(row)
                last_fit[name] = (fitted, expected)
                step += 1
                if progress is not None:
                    progress(int(step * 100 / total_steps), f"{name}: window {day_to_iso(a)}")
            results[name] = {"title": method.title,
                             "seconds": round(time.perf_counter() - clock, 3), "windows": rows,
                             "selection_windows": selection_rows}
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    baselines = {b: results[b]["windows"] for b in BASELINES}
    for name in names:
        results[name]["summary"] = _summarise(name, results[name]["windows"], baselines,
                                              coverages, reps=bootstrap_reps, seed=seed)
    unscored = end - spans[-1][1]
    protocol: dict[str, Any] = {
        "freq": freq, "freq_reason": freq_reason, "time_resolution": events.resolution,
        "last_window_ends": day_to_iso(spans[-1][1] - 1),
        "unscored_days_at_end": round(unscored, 2),
        "empty_forecasts": "a window where a method forecasts nothing anywhere scores hit "
                           "rate, PAI and PEI 0 (a failure), and is left out of paired "
                           "comparisons (their window counts are shown)",
        "significance": f"95% paired bootstrap interval excludes 0, over >= "
                        f"{MIN_WINDOWS_FOR_SIGNIFICANCE} windows where both methods forecast",
        "baselines": list(BASELINES),
        "windows": [[day_to_iso(a), day_to_iso(b - 1)] for a, b in spans],
        "first_window": day_to_iso(spans[0][0]), "window_count": len(spans),
        "training": "all events before each window (rolling origin)",
        "selection_windows": [[day_to_iso(a), day_to_iso(b - 1)] for a, b in earlier],
        "selection_window_count": len(earlier),
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
    nested = nested_selection(results, coverage=coverages[0] if 5.0 not in coverages else 5.0,
                              reps=bootstrap_reps, seed=seed)
    return BacktestResult(protocol, results, seconds, nested, cpu_seconds)


#: A selection-only window needs this much data before it (and two windows' worth).
SELECTION_MIN_TRAINING_DAYS = 28.0


def selection_spans(events: EventSet, freq: str, first: float,
                    count: int | None) -> list[tuple[float, float]]:
    """Up to ``count`` (``None``: all) whole windows ending at ``first``, consecutive and in
    time order, each with enough data before it to be forecast."""
    if count is not None and count <= 0:
        return []
    data_start = float(events.t.min())
    out: list[tuple[float, float]] = []
    stop = first
    while count is None or len(out) < count:
        if freq == "month":
            start = month_start(month_index(stop - 1.0))
        else:
            start = stop - (1.0 if freq == "day" else 7.0)
        if start - data_start < max(SELECTION_MIN_TRAINING_DAYS, 2 * (stop - start)) - 1e-9:
            break
        out.append((start, stop))
        stop = start
    return out[::-1]


def _scored(expected: np.ndarray, counts: np.ndarray, coverages: Sequence[float],
            start: float) -> dict[str, Any]:
    row = score(expected, counts, coverages)
    row["flags_nothing"] = not bool(np.any(expected > 0))
    if row["flags_nothing"]:
        # Flagging "the top 5%" of an all-zero forecast is a random draw: a failure.
        for entry in row["coverage"].values():
            entry.update(hits=0.0, hit_rate=0.0, pai=0.0, pei=0.0)
    row["start"] = day_to_iso(start)
    return row


def nested_selection(results: dict[str, dict[str, Any]], *, coverage: float = 5.0,
                     min_history: int = MIN_SELECTION_WINDOWS, reps: int = 2000,
                     seed: int = 0) -> dict[str, Any]:
    """Rolling origin inside rolling origin: for each window, the method with the best mean PAI
    at ``coverage`` over the *earlier* windows only, scored on that window.

    The per-method table shows each method's figure with hindsight (the best of them is chosen
    after seeing every window); this figure is what an analyst following the rule would have
    had on the day. The earlier windows are the selection-only windows before the first scored
    window (``selection_windows`` of each result, if the backtest ran any) and the scored
    windows before this one. Windows with fewer than ``min_history`` earlier windows have
    nothing to choose on and are not scored (their number is reported). Ties go to the
    earlier-listed method (the baselines come first), so a method must beat them to be chosen.
    """
    key = f"{coverage:g}%"
    names = list(results)
    n_windows = len(results[names[0]]["windows"]) if names else 0
    n_before = len(results[names[0]].get("selection_windows", [])) if names else 0
    first = max(0, min_history - n_before)  # the first scored window with enough history
    if n_windows <= first:
        return {"coverage": key, "windows_scored": 0, "min_history": min_history,
                "reason": f"needs more than {min_history} windows (has {n_windows + n_before}"
                          f"): each choice is made on at least {min_history} earlier windows"}
    history = {name: [*results[name].get("selection_windows", []), *results[name]["windows"]]
               for name in names}
    chosen: list[str] = []
    nested_rows: list[dict[str, Any]] = []
    for i in range(first, n_windows):
        def past_mean(name: str, upto: int = n_before + i) -> float:
            return _mean_pai(history[name][:upto], key)

        pick = max(names, key=past_mean)  # max keeps the first of equal scores
        chosen.append(pick)
        nested_rows.append(results[pick]["windows"][i])
    baselines = {b: results[b]["windows"][first:] for b in BASELINES if b in results}
    strongest = max(baselines, key=lambda b: _mean_pai(baselines[b], key))
    counts: dict[str, int] = {}
    for name in chosen:
        counts[name] = counts.get(name, 0) + 1
    return {
        "coverage": key, "min_history": min_history, "windows_scored": len(nested_rows),
        "windows_not_scored": first, "selection_only_windows": n_before,
        "rule": f"best mean PAI@{key} over all earlier windows; ties to the baselines",
        "chosen": [{"start": row["start"], "method": name}
                   for row, name in zip(nested_rows, chosen, strict=True)],
        "chosen_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
        "pai": _stat([r["coverage"][key]["pai"] for r in nested_rows], reps, seed),
        "hit_rate": _stat([r["coverage"][key]["hit_rate"] for r in nested_rows], reps, seed),
        "vs_baseline": {"baseline": strongest,
                        **compare(nested_rows, baselines[strongest], key, reps=reps, seed=seed)},
    }


def _stat(values: list[float], reps: int, seed: int) -> dict[str, float]:
    mean, low, high = bootstrap_mean(values, reps=reps, seed=seed)
    return {"mean": round(mean, 4), "low": round(low, 4), "high": round(high, 4)}


def compare(rows: list[dict[str, Any]], other: list[dict[str, Any]], key: str, *,
            reps: int = 2000, seed: int = 0) -> dict[str, Any]:
    """PAI difference (rows - other) at coverage ``key`` over the windows where both forecast
    something, with its paired bootstrap interval and whether it is significant."""
    both = [i for i, (r, o) in enumerate(zip(rows, other, strict=True))
            if not r.get("flags_nothing") and not o.get("flags_nothing")]
    a = [rows[i]["coverage"][key]["pai"] for i in both]
    b = [other[i]["coverage"][key]["pai"] for i in both]
    mean, low, high = paired_bootstrap(a, b, reps=reps, seed=seed)
    compared = int(sum(1 for x, y in zip(a, b, strict=True)
                       if not (math.isnan(x) or math.isnan(y))))
    significant = (compared >= MIN_WINDOWS_FOR_SIGNIFICANCE
                   and (low > 0 or high < 0))
    return {"metric": "pai difference", "mean": round(mean, 4), "low": round(low, 4),
            "high": round(high, 4), "windows_compared": compared,
            "windows_left_out": len(rows) - len(both), "significant": bool(significant)}


def _mean_pai(rows: list[dict[str, Any]], key: str) -> float:
    values = [r["coverage"][key]["pai"] for r in rows if not math.isnan(r["coverage"][key]["pai"])]
    return float(np.mean(values)) if values else float("-inf")


def _summarise(name: str, rows: list[dict[str, Any]],
               baselines: dict[str, list[dict[str, Any]]], coverages: Sequence[float], *,
               reps: int, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    naive = baselines[BASELINE]
    for cov in coverages:
        key = f"{cov:g}%"
        entry: dict[str, Any] = {}
        for metric in ("hit_rate", "pai", "pei"):
            entry[metric] = _stat([r["coverage"][key][metric] for r in rows], reps, seed)
            entry[f"naive_{metric}"] = _stat([r["coverage"][key][metric] for r in naive],
                                             reps, seed)
        if name != BASELINE:
            entry["vs_naive"] = compare(rows, naive, key, reps=reps, seed=seed)
            # The strongest baseline (by mean PAI at this coverage), other than itself.
            others = {b: r for b, r in baselines.items() if b != name}
            strongest = max(others, key=lambda b: _mean_pai(others[b], key))
            entry["vs_baseline"] = {"baseline": strongest,
                                    **compare(rows, others[strongest], key, reps=reps,
                                              seed=seed)}
        out[key] = entry
    out["windows_flagging_nothing"] = sum(1 for r in rows if r.get("flags_nothing"))
    out["loglik_per_event"] = _stat([r["loglik_per_event"] for r in rows], reps, seed)
    out["naive_loglik_per_event"] = _stat([r["loglik_per_event"] for r in naive], reps, seed)
    return out

