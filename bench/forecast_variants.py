"""The forecast variants tried for issue #17 on San Francisco, development figures first.

    python bench/forecast_variants.py [--test] [--json] [FILTER ...]

Every variant forecasts each of 22 weekly origins (2012-07-30 ... 2012-12-24, Mondays) from the
events before it on the 150 m grid of ``bench/forecast.py`` and is scored by PAI at 5 % of the
area (ties shared by expectation). A variant with settings chooses them per origin on the 8
origins before it (best mean hit rate at 5 %), as the methods' internal validation does.
Printed: ``dev``, the mean over the 8 development weeks 2012-09-03 ... 2012-10-22, and ``sel``,
the mean over the 13 weeks the nested selection chooses on (2012-07-30 ... 2012-10-22). The
test figure (the 9 weeks from 2012-10-29 scored by ``bench/forecast.py``) is printed only with
``--test``: a variant's development figure is recorded before its test figure is looked at.
``FILTER``: run only the variants whose name contains one of the words. The ceiling line
(``--test`` only) is a diagnostic, not a forecast: it uses the events *after* each week too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import numpy as np

from accord.forecast.backtest import make_method
from accord.forecast.data import iso_to_day, load_sf
from accord.forecast.grid import Grid
from accord.forecast.metrics import cells_for_coverage, hit_rate_at
from accord.forecast.smoothing import fit_hit_rate, kernel1d, smooth

ORIGINS = iso_to_day("2012-07-30") + 7.0 * np.arange(22)
SELECTION = range(0, 13)  # the nested selection's weeks before the test
DEV = range(5, 13)  # 2012-09-03 ... 2012-10-22
TEST = range(13, 22)  # 2012-10-29 ... 2012-12-24
LOOKBACK = 8  # windows a variant's settings are chosen on


class Data:
    def __init__(self) -> None:
        self.events = load_sf().events
        self.grid = Grid.covering(self.events, 150.0)
        self.cells = self.grid.cell_of(self.events.x, self.events.y)
        self.t = self.events.t
        self.cats = self.events.category
        names, counts = np.unique(self.cats, return_counts=True)
        self.by_frequency = [str(names[i]) for i in np.argsort(-counts, kind="stable")]
        self.n = self.grid.size
        self.k = cells_for_coverage(self.n, 5.0)
        self.actual = [self.counts((self.t >= u) & (self.t < u + 7)) for u in ORIGINS]
        self._cache: dict[tuple, np.ndarray] = {}

    def counts(self, mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.cells[mask], weights=None if weights is None
                           else weights[mask], minlength=self.n).astype(float)

    def hist(self, i: int, sigma: float = 0.0, cat: str | None = None,
             weeks: int | None = None, decay: int | None = None) -> np.ndarray:
        """Events before origin ``i`` per cell, smoothed at ``sigma`` cells; optionally one
        category, the last ``weeks`` weeks, or decaying with a ``decay``-week constant."""
        key = (i, sigma, cat, weeks, decay)
        if key not in self._cache:
            u = ORIGINS[i]
            mask = self.t < u
            if cat is not None:
                mask &= self.cats == cat
            if weeks is not None:
                mask &= self.t >= u - 7 * weeks
            w = None if decay is None else np.exp(-(u - self.t) / (7 * decay))
            self._cache[key] = smooth(self.counts(mask, w), self.grid, sigma)
        return self._cache[key]

    def hit(self, surface: np.ndarray, i: int) -> float:
        return hit_rate_at(surface, self.actual[i], self.k)


def unit(s: np.ndarray) -> np.ndarray:
    total = s.sum()
    return s / total if total > 0 else np.zeros_like(s)


Family = Callable[[Data, int], list[np.ndarray]]


def chosen(d: Data, family: Family) -> list[float]:
    """Hit rate per origin of the setting with the best mean on the origins before it."""
    scores = np.array([[d.hit(s, i) for s in family(d, i)] for i in range(len(ORIGINS))])
    out = []
    for i in range(len(ORIGINS)):
        past = scores[max(0, i - LOOKBACK):i]
        out.append(scores[i, int(np.argmax(past.mean(axis=0)))] if len(past) else scores[i, 0])
    return out


def stacked(d: Data, components: Callable[[Data, int], list[np.ndarray]],
            transform: Callable[[np.ndarray], np.ndarray] = lambda c: c,
            lookback: int | None = LOOKBACK, steps: tuple[float, ...] = (0.2, 0.1, 0.05),
            band: float = 0.0, bag: int = 0) -> list[float]:
    """Hit rate per origin of a mix of ``components`` (each normalised) whose weights
    maximise the hit rate on the origins before it (:func:`fit_hit_rate`). ``band``: the
    hit rate averaged over 5 coverages within +-band of 5 %; ``bag``: weights averaged over
    that many bootstrap resamples of the windows."""
    mats = [transform(np.array([unit(c) for c in components(d, i)]))
            for i in range(len(ORIGINS))]
    ks = d.k if not band else [round(d.k * f) for f in np.linspace(1 - band, 1 + band, 5)]

    def fit(windows: list[int]) -> np.ndarray:
        return fit_hit_rate([mats[j] for j in windows], [d.actual[j] for j in windows], ks,
                            steps)

    out = []
    rng = np.random.default_rng(0)
    for i in range(len(ORIGINS)):
        windows = list(range(0 if lookback is None else max(0, i - lookback), i))
        if not windows:
            w = np.eye(mats[i].shape[0])[0]
        elif bag:
            w = np.mean([fit(list(rng.choice(windows, len(windows)))) for _ in range(bag)],
                        axis=0)
        else:
            w = fit(windows)
        out.append(d.hit(w @ mats[i], i))
    return out


def stack_components(d: Data, i: int) -> list[np.ndarray]:
    """The surfaces of the ``hit-stack`` method, in its order."""
    return [d.hist(i), d.hist(i, 0.5), d.hist(i, 1.0), d.hist(i, 2.0), d.hist(i, 1.0, weeks=4),
            d.hist(i, 1.0, weeks=8), d.hist(i, 0.5, decay=16)] + [
        d.hist(i, 0.5, cat=c) for c in d.by_frequency]


def eb(d: Data, i: int, prior_sigma: float, shape: float) -> np.ndarray:
    """Poisson-gamma posterior mean: prior mean M (the smoothed count), shape a, the cell's
    own count n: (n + a) M / (M + a) — shrinks sparse cells towards their surroundings and
    busy cells less."""
    n = d.hist(i)
    m = d.hist(i, prior_sigma) + 1e-9
    return (n + shape) * m / (m + shape)


def trend(d: Data, i: int, sigma: float, weeks: int, power: float) -> np.ndarray:
    """History at 0.5 cell times the recent-to-long-run rate ratio at a coarse scale."""
    span = (ORIGINS[i] - d.t.min()) / 7.0
    long = d.hist(i, sigma) / span
    recent = d.hist(i, sigma, weeks=weeks) / weeks
    return d.hist(i, 0.5) * ((recent + 0.05) / (long + 0.05)) ** power


def district_trend(d: Data, i: int, weeks: int = 4, power: float = 1.0) -> np.ndarray:
    """History at 0.5 cell times its district's recent share over its long-run share (a
    cell's district: the majority of its past events)."""
    u = ORIGINS[i]
    past = d.t < u
    names = sorted(set(d.events.district.tolist()))
    idx = np.searchsorted(names, d.events.district)
    table = np.zeros((d.n, len(names)))
    np.add.at(table, (d.cells[past], idx[past]), 1)
    district = np.where(table.sum(1) > 0, table.argmax(1), -1)
    long = np.bincount(idx[past], minlength=len(names)) / past.sum()
    recent_mask = past & (d.t >= u - 7 * weeks)
    recent = np.bincount(idx[recent_mask], minlength=len(names)) / recent_mask.sum()
    ratio = np.where(district >= 0, (recent[district] + 1e-3) / (long[district] + 1e-3), 1.0)
    return d.hist(i, 0.5) * ratio ** power


def axis_smooth(d: Data, i: int, sx: float, sy: float) -> np.ndarray:
    """Own-cell history smoothed along one grid axis only (streets run along the grid in
    much of San Francisco)."""
    from scipy.ndimage import correlate1d

    c = d.hist(i).reshape(d.grid.shape)
    if sy:
        c = correlate1d(c, kernel1d(sy), axis=0, mode="constant")
    if sx:
        c = correlate1d(c, kernel1d(sx), axis=1, mode="constant")
    return c.ravel()


class StreetPoints:
    """Smoothing restricted to the points where events have been recorded before the origin
    (the street geometry as the data reveal it): each event spreads its unit mass over the
    known points within 3 sigma, Gaussian-weighted, and cells add up their points."""

    def __init__(self, d: Data, sigmas: tuple[float, ...]) -> None:
        from scipy.spatial import cKDTree

        self.d = d
        self.points, inverse = np.unique(np.column_stack([d.events.x, d.events.y]), axis=0,
                                         return_inverse=True)
        self.inverse = inverse.ravel()
        self.point_cell = d.grid.cell_of(self.points[:, 0], self.points[:, 1])
        self.first_seen = np.full(len(self.points), np.inf)
        np.minimum.at(self.first_seen, self.inverse, d.t)
        tree = cKDTree(self.points)
        self.pairs = {}
        for s in sigmas:
            m = tree.sparse_distance_matrix(tree, 3 * s, output_type="coo_matrix")
            self.pairs[s] = (m.row, m.col, np.exp(-0.5 * (m.data / s) ** 2))

    def surface(self, i: int, sigma: float) -> np.ndarray:
        u = ORIGINS[i]
        known = self.first_seen < u
        counts = np.bincount(self.inverse[self.d.t < u], minlength=len(self.points))
        rows, cols, w = self.pairs[sigma]
        keep = known[rows] & known[cols]
        own = np.flatnonzero(known)  # the distance-0 pairs the sparse matrix leaves out
        rows = np.concatenate([rows[keep], own])
        cols = np.concatenate([cols[keep], own])
        w = np.concatenate([w[keep], np.ones(own.size)])
        norm = np.bincount(cols, weights=w, minlength=len(self.points))
        v = np.bincount(rows, weights=w * counts[cols] / norm[cols], minlength=len(self.points))
        return np.bincount(self.point_cell, weights=v, minlength=self.d.n).astype(float)


def per_category(d: Data) -> list[float]:
    """Each category's own bandwidth and decay, chosen by the hit rate of its own events on
    the origins before, mixed at the categories' shares of the last 4 weeks."""
    settings = [(s, dec) for s in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5) for dec in (None, 8, 16)]
    pick: dict[str, list[int]] = {}
    for c in d.by_frequency:
        mask = d.cats == c
        actual = [np.bincount(d.cells[(d.t >= u) & (d.t < u + 7) & mask], minlength=d.n)
                  for u in ORIGINS]
        scores = np.array([[hit_rate_at(d.hist(i, s, cat=c, decay=dec), actual[i], d.k)
                            for s, dec in settings] for i in range(len(ORIGINS))])
        pick[c] = [int(np.argmax(scores[max(0, i - LOOKBACK):i].mean(axis=0))) if i else 0
                   for i in range(len(ORIGINS))]
    out = []
    for i, u in enumerate(ORIGINS):
        recent = (d.t < u) & (d.t >= u - 28)
        surface = sum(float((d.cats[recent] == c).sum())
                      * unit(d.hist(i, settings[pick[c][i]][0], cat=c,
                                    decay=settings[pick[c][i]][1]))
                      for c in d.by_frequency)
        out.append(d.hit(surface, i))
    return out


def method_surfaces(d: Data, names: tuple[str, ...]) -> dict[str, list[np.ndarray]]:
    return {name: [make_method(name).fit(d.events, d.grid, u, 7.0).predict(u, u + 7.0)
                   for u in ORIGINS] for name in names}


def variants(d: Data) -> dict[str, Callable[[], list[float]]]:
    sc = stack_components
    street_sigmas = (25.0, 50.0, 75.0, 100.0)
    street: list[StreetPoints] = []

    def st() -> StreetPoints:
        if not street:
            street.append(StreetPoints(d, street_sigmas))
        return street[0]

    methods: dict[str, dict[str, list[np.ndarray]]] = {}

    def ms() -> dict[str, list[np.ndarray]]:
        if not methods:
            methods["m"] = method_surfaces(d, ("history", "kde", "kde-categories",
                                               "prospective", "learned", "blend", "hit-stack"))
        return methods["m"]

    from scipy.stats import rankdata

    out: dict[str, Callable[[], list[float]]] = {}
    for s in (0.0, 0.25, 0.5, 0.75, 1.0):
        out[f"history smoothed at {s:g} cell, fixed"] = (
            lambda s=s: [d.hit(d.hist(i, s), i) for i in range(len(ORIGINS))])
    out["empirical Bayes (Poisson-gamma), prior 0.5-2 cells, shape 0.1-10, chosen"] = (
        lambda: chosen(d, lambda d, i: [d.hist(i)] + [
            eb(d, i, p, a) for p in (0.5, 1.0, 2.0) for a in (0.1, 0.3, 1.0, 3.0, 10.0)]))
    out["empirical Bayes, prior 1 cell, shape 3, fixed (best on dev)"] = (
        lambda: [d.hit(eb(d, i, 1.0, 3.0), i) for i in range(len(ORIGINS))])
    for s in street_sigmas:
        out[f"street-point smoothing {s:g} m, fixed"] = (
            lambda s=s: [d.hit(st().surface(i, s), i) for i in range(len(ORIGINS))])
    out["street-point smoothing with a recent share, chosen"] = (
        lambda: chosen(d, lambda d, i: [d.hist(i)] + [st().surface(i, s) for s in street_sigmas]
                       + [(1 - f) * unit(st().surface(i, s)) + f * unit(d.hist(i, 1.0, weeks=8))
                          for s in street_sigmas for f in (0.1, 0.2)]))
    out["per-category bandwidth and decay, chosen per category"] = lambda: per_category(d)
    out["hit-stack (the method)"] = lambda: stacked(d, sc)
    out["hit-stack, weights on all earlier weeks"] = lambda: stacked(d, sc, lookback=None)
    out["hit-stack, weights on the last 4 weeks"] = lambda: stacked(d, sc, lookback=4)
    out["hit-stack, steps down to 0.025"] = (
        lambda: stacked(d, sc, steps=(0.2, 0.1, 0.05, 0.025)))
    out["hit-stack, hit rate averaged over 4-6 % coverage"] = lambda: stacked(d, sc, band=0.2)
    out["hit-stack, weights bagged over 8 resamples"] = lambda: stacked(d, sc, bag=8)
    out["hit-stack without categories"] = lambda: stacked(d, lambda d, i: sc(d, i)[:7])
    out["hit-stack, 4 surfaces (own, 0.5, 1 cell, last 8 weeks)"] = (
        lambda: stacked(d, lambda d, i: [d.hist(i), d.hist(i, 0.5), d.hist(i, 1.0),
                                         d.hist(i, 1.0, weeks=8)]))
    out["hit-stack + 16 more surfaces (0.25-4 cells, decays, 2 weeks, categories 0/1 cell)"] = (
        lambda: stacked(d, lambda d, i: sc(d, i) + [
            d.hist(i, 0.25), d.hist(i, 0.75), d.hist(i, 1.5), d.hist(i, 4.0),
            d.hist(i, 0.5, decay=8), d.hist(i, 0.25, decay=16), d.hist(i, 1.0, weeks=2),
            d.hist(i, 2.0, weeks=8)] + [d.hist(i, 0.0, cat=c) for c in d.by_frequency]
            + [d.hist(i, 1.0, cat=c) for c in d.by_frequency]))
    out["hit-stack + empirical Bayes surface"] = (
        lambda: stacked(d, lambda d, i: [*sc(d, i), eb(d, i, 1.0, 3.0)]))
    out["hit-stack + each category's last 8 weeks"] = (
        lambda: stacked(d, lambda d, i: sc(d, i) + [d.hist(i, 1.0, cat=c, weeks=8)
                                                    for c in d.by_frequency]))
    out["hit-stack + district trend"] = (
        lambda: stacked(d, lambda d, i: [*sc(d, i), district_trend(d, i)]))
    out["hit-stack + street-axis smoothing"] = (
        lambda: stacked(d, lambda d, i: [*sc(d, i), *(axis_smooth(d, i, sx, sy) for sx, sy in (
            (0.5, 0), (0, 0.5), (1.0, 0), (0, 1.0)))]))
    out["hit-stack + wide context (4 and 8 cells)"] = (
        lambda: stacked(d, lambda d, i: [*sc(d, i), d.hist(i, 4.0), d.hist(i, 8.0)]))
    out["hit-stack, geometric pooling (weights on log surfaces)"] = (
        lambda: stacked(d, sc, transform=lambda c: np.log(c + 1e-3 / d.n)))
    out["hit-stack, rank pooling (weights on percentile ranks)"] = (
        lambda: stacked(d, sc, transform=lambda c: np.array([rankdata(r) / d.n for r in c])))
    out["coarse trend x history (300 m-1.2 km, 4/8 weeks, power 0.25-1), chosen"] = (
        lambda: chosen(d, lambda d, i: [d.hist(i, 0.5)] + [
            trend(d, i, s, w, g) for s in (2.0, 4.0, 8.0) for w in (4, 8)
            for g in (0.25, 0.5, 1.0)]))
    out["district trend x history (2/4/8 weeks, power 0.5/1), chosen"] = (
        lambda: chosen(d, lambda d, i: [d.hist(i, 0.5)] + [
            district_trend(d, i, w, g) for w in (2, 4, 8) for g in (0.5, 1.0)]))
    out["methods' forecasts mixed for the hit rate (kde-categories, blend, hit-stack)"] = (
        lambda: stacked(d, lambda d, i: [ms()[n][i] for n in ("kde-categories", "blend",
                                                              "hit-stack")]))
    out["methods' forecasts mixed for the hit rate (all 7 non-naive)"] = (
        lambda: stacked(d, lambda d, i: [ms()[n][i] for n in ms()]))
    return out


def ceiling(d: Data, sigma: float, weeks: range) -> float:
    """Diagnostic only: a map from all six months except the scored week (future included)."""
    vals = []
    for i in weeks:
        u = ORIGINS[i]
        mask = (d.t < u) | (d.t >= u + 7)
        vals.append(d.hit(smooth(d.counts(mask), d.grid, sigma), i))
    return float(np.mean(vals)) / (d.k / d.n)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", action="store_true", help="also print the test figures")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("filter", nargs="*")
    args = parser.parse_args(argv)
    d = Data()
    area = d.k / d.n
    results = {}
    for name, run in variants(d).items():
        if args.filter and not any(f.lower() in name.lower() for f in args.filter):
            continue
        pai = np.asarray(run()) / area
        row = {"dev": round(float(pai[list(DEV)].mean()), 3),
               "selection_weeks": round(float(pai[list(SELECTION)].mean()), 3)}
        if args.test:
            row["test"] = round(float(pai[list(TEST)].mean()), 3)
        results[name] = row
        if not args.json:
            print(f"{name:<88} dev {row['dev']:.2f}  sel {row['selection_weeks']:.2f}"
                  + (f"  test {row['test']:.2f}" if args.test else ""), flush=True)
    if args.test:
        results["ceiling (diagnostic, uses later weeks): all other weeks at 0.5 cell"] = {
            "dev": round(ceiling(d, 0.5, DEV), 3), "test": round(ceiling(d, 0.5, TEST), 3)}
    if args.json:
        print(json.dumps(results, indent=2))
    elif args.test:
        c = results["ceiling (diagnostic, uses later weeks): all other weeks at 0.5 cell"]
        print(f"ceiling (diagnostic: a 0.5-cell map of all six months except the scored week, "
              f"later weeks included): dev {c['dev']:.2f}, test {c['test']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
