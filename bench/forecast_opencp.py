"""open_cp's methods on the San Francisco protocol of bench/forecast.py, window by window.

open_cp (QuantCrimAtLeeds/PredictCode, the Leeds "open_cp" library, Artistic License 2.0) is a
benchmark tool here, never an Accord dependency: it lives in a throw-away virtualenv, with the
few packages it and Accord's import/scoring code need. The PyPI package called ``opencp`` is an
unrelated project (data structures for competitive programming, MIT, 0.0.1); open_cp is not on
PyPI and is installed from the repository::

    python3 -m venv /tmp/opencp-venv
    /tmp/opencp-venv/bin/pip install numpy==2.4.6 scipy==1.17.1 python-dateutil pyproj==3.7.2 \\
        babel==2.19.0 threadpoolctl==3.8.0 wheel
    git clone https://github.com/QuantCrimAtLeeds/PredictCode /tmp/PredictCode
    git -C /tmp/PredictCode checkout e2a2d5a8fa5d83f011c33e18d4ce6ac7e1429aa8
    /tmp/opencp-venv/bin/pip install --no-deps --no-build-isolation /tmp/PredictCode
    PYTHONPATH=src /tmp/opencp-venv/bin/python bench/forecast_opencp.py [--methods naive,sepp] \\
        [--write]

Protocol: exactly that of bench/forecast.py, from its own code — the same data file through
``load_sf`` (same duplicates dropped, same UTM projection), the same 150 m grid over the data's
bounding box (``Grid.covering``; open_cp gets it as a region of nx x ny whole cells), the same 9
weekly windows from 2012-10-29 (each forecast from the events strictly before it: open_cp's own
``events_before`` keeps events *at* the cut-off, which would leak the window's first day, so the
events are cut here), and the same scoring (``accord.forecast.backtest._scored``: PAI at 1, 2, 5
and 10 % of the cells, ties at the edge sharing the remaining places). open_cp's own rule
(``evaluation.top_slice``: exactly k cells, ties settled by position) is recorded beside it at
5 %.

The methods (open_cp's defaults unless stated):

* ``naive (last 7 days)``: ``naive.CountingGridKernel`` on the 7 days before the window;
* ``retrospective``: ``retrohotspot.RetroHotSpotGrid``, quartic weight, 200 m bandwidth, all
  earlier events;
* ``prospective``: ``prohotspot.ProspectiveHotSpot``, classic weight (8 cells, 8 weeks), weekly
  time unit;
* ``kde``: ``kde.KDE``, Gaussian kernel with Scott's bandwidth, constant in time, all earlier
  events, each cell's risk the mean over a regular 5 x 5 sub-grid (``samples=-5``, as
  open_cp's own ``KDEProvider``; the default samples at random points);
* ``sepp (Mohler 2015 grid)``: ``seppexp.SEPPTrainer`` (per-cell background, exponential
  triggering in time, 20 EM iterations), its intensity at the window's start. The data are
  dates without a time of day, and on them open_cp's EM fails ("Convergence failed!"): events
  of one cell on one day are 0 minutes apart, the triggering weight goes entirely to those
  pairs and the decay rate to infinity. Each event is therefore placed at a uniformly random
  time of its own day (seed :data:`SEPP_SEED`; ``--sepp-seed`` tries others) for this method
  only — the usual treatment of day-resolution data for a continuous-time model; no event
  moves to another day, so none crosses a window's edge.

The figures go to bench/results/forecast_opencp.json (``--write``); bench/forecast.py reads them
for the paired difference between its nested figure and open_cp's best method.

open_cp was written for numpy < 1.24: it uses the aliases ``np.int``, ``np.float``,
``np.bool`` and ``np.object``, which numpy has removed. They were plain aliases of the builtins
and are restored as such before open_cp is imported; nothing else of open_cp is changed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from accord.forecast.backtest import _scored  # noqa: E402
from accord.forecast.data import iso_to_day, load_sf  # noqa: E402
from accord.forecast.grid import Grid  # noqa: E402
from accord.forecast.metrics import COVERAGES, cells_for_coverage  # noqa: E402
from forecast import CELL, START, WINDOWS  # noqa: E402  (the protocol's own constants)

for _alias, _builtin in (("int", int), ("float", float), ("bool", bool), ("object", object)):
    if _alias not in np.__dict__:
        setattr(np, _alias, _builtin)

import open_cp  # noqa: E402
from open_cp import data as ocp_data  # noqa: E402
from open_cp import kde as ocp_kde  # noqa: E402
from open_cp import naive as ocp_naive  # noqa: E402
from open_cp import prohotspot as ocp_pro  # noqa: E402
from open_cp import retrohotspot as ocp_retro  # noqa: E402
from open_cp import seppexp as ocp_sepp  # noqa: E402

PREDICTCODE_COMMIT = "e2a2d5a8fa5d83f011c33e18d4ce6ac7e1429aa8"
SEPP_SEED = 0
LICENCE = "Artistic License 2.0 (LICENSE of QuantCrimAtLeeds/PredictCode; setup.py: 'Artistic')"
EPOCH64 = np.datetime64("1970-01-01T00:00:00", "us")


def _when(day: float) -> np.datetime64:
    return EPOCH64 + np.timedelta64(round(day * 86_400_000_000), "us")


class Protocol:
    """bench/forecast.py's events, grid and windows, in open_cp's terms."""

    def __init__(self, sepp_seed: int = SEPP_SEED) -> None:
        self.events = load_sf().events
        self.grid = Grid.covering(self.events, CELL)
        g = self.grid
        self.region = ocp_data.RectangularRegion(xmin=g.x0, xmax=g.x0 + g.nx * g.cell,
                                                 ymin=g.y0, ymax=g.y0 + g.ny * g.cell)
        order = np.argsort(self.events.t, kind="stable")
        self.t = self.events.t[order]
        stamps = np.array([_when(d) for d in self.t], dtype="datetime64[us]")
        self.points = ocp_data.TimedPoints.from_coords(stamps, self.events.x[order],
                                                       self.events.y[order])
        # SEPP only: each event at a random time of its day (seeded), see the module docstring.
        spread = self.t + np.random.default_rng(sepp_seed).uniform(0.0, 1.0, self.t.size)
        again = np.argsort(spread, kind="stable")
        self.spread_t = spread[again]
        self.spread_points = ocp_data.TimedPoints.from_coords(
            np.array([_when(d) for d in self.spread_t], dtype="datetime64[us]"),
            self.events.x[order][again], self.events.y[order][again])
        first = iso_to_day(START)
        self.windows = [(first + 7.0 * i, first + 7.0 * (i + 1)) for i in range(WINDOWS)]

    def spread_before(self, day: float) -> ocp_data.TimedPoints:
        return self.spread_points[self.spread_t < day]

    def before(self, day: float, since: float | None = None) -> ocp_data.TimedPoints:
        mask = self.t < day
        if since is not None:
            mask &= self.t >= since
        return self.points[mask]


def _naive(p: Protocol, a: float) -> np.ndarray:
    trainer = ocp_naive.CountingGridKernel(p.grid.cell, region=p.region)
    trainer.data = p.before(a, since=a - 7.0)
    return trainer.predict().intensity_matrix


def _retrospective(p: Protocol, a: float) -> np.ndarray:
    trainer = ocp_retro.RetroHotSpotGrid(region=p.region, grid_size=p.grid.cell)
    trainer.data = p.before(a)
    return trainer.predict().intensity_matrix


def _prospective(p: Protocol, a: float) -> np.ndarray:
    trainer = ocp_pro.ProspectiveHotSpot(region=p.region, grid_size=p.grid.cell)
    trainer.data = p.before(a)
    return trainer.predict(_when(a), _when(a)).intensity_matrix


def _kde(p: Protocol, a: float) -> np.ndarray:
    trainer = ocp_kde.KDE(region=p.region, grid_size=p.grid.cell)
    trainer.data = p.before(a)
    return trainer.predict(end_time=_when(a), samples=-5).intensity_matrix


def _sepp(p: Protocol, a: float) -> np.ndarray:
    trainer = ocp_sepp.SEPPTrainer(region=p.region, grid_size=p.grid.cell)
    trainer.data = p.spread_before(a)
    predictor = trainer.train(iterations=20)
    predictor.data = p.spread_before(a)
    return predictor.predict(_when(a)).intensity_matrix


METHODS = {"naive (last 7 days)": _naive, "retrospective": _retrospective,
           "prospective": _prospective, "kde": _kde, "sepp (Mohler 2015 grid)": _sepp}
SHORT = {"naive": "naive (last 7 days)", "retrospective": "retrospective",
         "prospective": "prospective", "kde": "kde", "sepp": "sepp (Mohler 2015 grid)"}


def _top_slice_pai(risk: np.ndarray, counts: np.ndarray, coverage: float) -> float:
    """open_cp's own rule (``evaluation.top_slice``): k cells, ties settled by position."""
    from open_cp.evaluation import top_slice

    k = cells_for_coverage(risk.size, coverage)
    chosen = top_slice(risk, coverage / 100.0).ravel()
    total = counts.sum()
    return float(counts[chosen].sum() / total / (k / risk.size)) if total else float("nan")


def run(p: Protocol, name: str) -> dict[str, Any]:
    rows = []
    wall, cpu = time.perf_counter(), time.process_time()
    for a, b in p.windows:
        risk = np.ma.filled(np.ma.asarray(METHODS[name](p, a), dtype=float), 0.0)
        if risk.shape != p.grid.shape:
            raise SystemExit(f"{name}: open_cp returned a {risk.shape} grid, the protocol's is "
                             f"{p.grid.shape}")
        expected = risk.ravel()  # row-major, y then x: Accord's cell order
        counts = p.grid.counts(p.events.between(a, b))
        row = _scored(expected, counts, COVERAGES, a)
        rows.append({"start": row["start"], "events": row["events"],
                     "flags_nothing": row["flags_nothing"],
                     "coverage": {k: {m: v[m] for m in ("hit_rate", "pai", "pei")}
                                  for k, v in row["coverage"].items()},
                     "pai_5pct_open_cp_ties": _top_slice_pai(expected, counts, 5.0)})
    pais = [r["coverage"]["5%"]["pai"] for r in rows]
    return {"windows": rows, "mean_pai_5pct": round(float(np.mean(pais)), 4),
            "mean_pai_5pct_open_cp_ties":
                round(float(np.mean([r["pai_5pct_open_cp_ties"] for r in rows])), 4),
            "seconds": round(time.perf_counter() - wall, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default=",".join(SHORT),
                        help=f"comma-separated, from {', '.join(SHORT)} (default: all)")
    parser.add_argument("--sepp-seed", type=int, default=SEPP_SEED,
                        help=f"seed of the times of day given to sepp (default {SEPP_SEED})")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/forecast_opencp.json")
    args = parser.parse_args(argv)
    try:
        names = [SHORT[m.strip()] for m in args.methods.split(",") if m.strip()]
    except KeyError as exc:
        parser.error(f"unknown method {exc.args[0]!r}; choose from {', '.join(SHORT)}")
    if args.write:  # records the commit before anything is measured
        from _results import write
    if args.write and (args.sepp_seed != SEPP_SEED or set(names) != set(METHODS)):
        parser.error(f"--write records the whole protocol only: all methods, seed {SEPP_SEED}")
    p = Protocol(args.sepp_seed)
    methods = {}
    for name in names:
        methods[name] = run(p, name)
        m = methods[name]
        print(f"{name:<26} PAI@5% {m['mean_pai_5pct']:.2f} (open_cp's tie rule "
              f"{m['mean_pai_5pct_open_cp_ties']:.2f}); {m['seconds']:.1f} s wall, "
              f"{m['cpu_seconds']:.1f} s CPU", file=sys.stderr)
    figures = {
        "open_cp": {"source": "https://github.com/QuantCrimAtLeeds/PredictCode",
                    "commit": PREDICTCODE_COMMIT, "version": open_cp.__version__,
                    "licence": LICENCE,
                    "numpy_aliases_restored": ["int", "float", "bool", "object"]},
        "command_run": "PYTHONPATH=src /tmp/opencp-venv/bin/python bench/forecast_opencp.py "
                       + " ".join(a for a in argv if a not in ("--write", "--json")),
        "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__,
                    "load_average": [round(v, 2) for v in os.getloadavg()]},
        "protocol": {"first_window": START, "windows": [r["start"] for r in
                                                         next(iter(methods.values()))["windows"]]
                     if methods else [],
                     "window_days": 7, "grid": p.grid.describe(),
                     "events": len(p.events),
                     "sepp_time_of_day_seed": args.sepp_seed,
                     "training": "all events strictly before each window (naive: the 7 days "
                                 "before it)",
                     "scoring": "accord.forecast.backtest._scored (ties share the edge places)"},
        "methods": methods,
        "mean_pai_5pct": {n: m["mean_pai_5pct"] for n, m in methods.items()},
        "seconds_per_method": {n: m["seconds"] for n, m in methods.items()},
        "cpu_seconds_per_method": {n: m["cpu_seconds"] for n, m in methods.items()},
    }
    try:
        figures["pip_freeze"] = subprocess.run(
            [sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True,
            timeout=60, check=False).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        figures["pip_freeze"] = []
    if args.write:
        write("forecast_opencp", "forecast_opencp.py", argv, figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
