"""MRZ reading of synthetic TD1, TD2 and TD3 documents: exact-read rate and time per image.

    python bench/mrz.py [-n N] [--budget S] [--json] [--write]

Images are drawn in memory (:mod:`accord.cases.mrz_specimen`: invented people, OCR-B MRZ at the
ICAO pitch on an ID-1 card, an ID-2 card or an ID-3 passport page) under four conditions:
clean, skewed (±3°), noisy (Gaussian noise σ = 25 grey levels) and low contrast (ink and paper
squeezed to 30 % of their contrast), each saved as JPEG. ``-n`` people per document type and
condition (default 6, i.e. 72 images).

"Exact" means the lines read equal the printed lines and every check digit passes. Other
outcomes: "inconsistent" (a reading with failing check digits, shown to the officer with the
failing fields), "wrong but valid" (all check digits pass yet a line differs: the dangerous
case, in fields no check digit covers), "timeout" (the budget ran out: "could not read — type
it") and "not found". Time is wall-clock per image (what the officer waits) and CPU seconds of
this process plus its tesseract children; the machine's load average is recorded, because the
cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from accord.cases.mrz_specimen import (
    LINES_OF,
    SPECIMEN_PEOPLE,
    degrade,
    document,
    low_contrast,
    to_bytes,
)
from accord.cases.ocr import TIME_BUDGET, MrzReadTimeout, NoMrzFound, read_mrz

CONDITIONS = {
    "clean": lambda page, i: page,
    "skewed": lambda page, i: degrade(page, angle=3.0 if i % 2 else -3.0),
    "noisy": lambda page, i: degrade(page, noise=25, seed=i),
    "low-contrast": lambda page, i: low_contrast(page),
}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else 0.0


def measure(n: int, budget: float = TIME_BUDGET) -> dict[str, Any]:
    outcomes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    load_before = os.getloadavg()[0]
    for fmt, make_lines in LINES_OF.items():
        for condition, make in CONDITIONS.items():
            for i in range(n):
                lines = make_lines(SPECIMEN_PEOPLE[i % len(SPECIMEN_PEOPLE)])
                data = to_bytes(make(document(fmt, lines), i), "JPEG")
                started, cpu_started = time.perf_counter(), _cpu()
                try:
                    reading = read_mrz(data, budget_seconds=budget)
                    if reading.result.valid:
                        outcome = "exact" if reading.lines == lines else "wrong but valid"
                    else:
                        outcome = "inconsistent"
                except MrzReadTimeout:
                    outcome = "timeout"
                except NoMrzFound:
                    outcome = "not found"
                for key in (fmt, "all"):
                    wall[key].append(time.perf_counter() - started)
                    cpu[key].append(_cpu() - cpu_started)
                outcomes[(fmt, condition)][outcome] += 1
    per_type: dict[str, Any] = {}
    for fmt in LINES_OF:
        total = Counter[str]()
        for condition in CONDITIONS:
            total.update(outcomes[(fmt, condition)])
        images = sum(total.values())
        per_type[fmt] = {
            "images": images,
            "exact": total["exact"],
            "exact_rate": round(total["exact"] / images, 3),
            "per_condition": {
                c: f"{outcomes[(fmt, c)]['exact']}/{sum(outcomes[(fmt, c)].values())}"
                for c in CONDITIONS
            },
            "outcomes": dict(total),
            "seconds_p50": _pct(wall[fmt], 50),
            "seconds_p95": _pct(wall[fmt], 95),
        }
    everything = Counter[str]()
    for counts in outcomes.values():
        everything.update(counts)
    images = sum(everything.values())
    return {
        "images": images,
        "people_per_cell": n,
        "budget_seconds": budget,
        "exact": everything["exact"],
        "exact_rate": round(everything["exact"] / images, 3),
        "outcomes": dict(everything),
        "wrong_but_valid": everything["wrong but valid"],
        "per_type": per_type,
        "seconds_p50": _pct(wall["all"], 50),
        "seconds_p95": _pct(wall["all"], 95),
        "seconds_max": round(max(wall["all"]), 2),
        "cpu_seconds_p50": _pct(cpu["all"], 50),
        "cpu_seconds_p95": _pct(cpu["all"], 95),
        "load_average_at_start": round(load_before, 2),
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=6, help="people per document type and condition")
    parser.add_argument("--budget", type=float, default=TIME_BUDGET,
                        help="seconds per image before 'could not read — type it'")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/mrz.json")
    args = parser.parse_args(argv)
    if args.write:  # records the commit before anything is measured
        from _results import write
    result = measure(args.n, args.budget)
    if args.write:
        write("mrz", "mrz.py", argv, result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{result['images']} images, budget {result['budget_seconds']:g} s, load average "
          f"{result['load_average_at_start']} on {result['cores']} cores")
    print(f"{'type':<5} {'exact':>11} " + " ".join(f"{c:>13}" for c in CONDITIONS)
          + f" {'p50 s':>7} {'p95 s':>7}")
    for fmt, row in result["per_type"].items():
        print(f"{fmt:<5} {row['exact']:>3}/{row['images']:<3} {row['exact_rate']:>4.0%} "
              + " ".join(f"{row['per_condition'][c]:>13}" for c in CONDITIONS)
              + f" {row['seconds_p50']:>7} {row['seconds_p95']:>7}")
    print(f"all: exact {result['exact']}/{result['images']}; outcomes {result['outcomes']}; "
          f"wall p50 {result['seconds_p50']} s, p95 {result['seconds_p95']} s, max "
          f"{result['seconds_max']} s; CPU p50 {result['cpu_seconds_p50']} s, p95 "
          f"{result['cpu_seconds_p95']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
