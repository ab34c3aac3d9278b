"""MRZ read time per image and exact-read rate on synthetic OCR-B passport data pages.

    python bench/mrz.py [-n N] [--json]

Images are drawn in memory (invented people, clean / 2.5° rotated / noisy / low resolution).
"Exact" means the OCR'd lines equal the printed lines and every check digit passes. The
baseline is parsing the same MRZ text without OCR.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from accord.cases.mrz import parse_mrz
from accord.cases.mrz_specimen import SPECIMEN_PEOPLE, data_page, degrade, td3_lines, to_bytes
from accord.cases.ocr import NoMrzFound, read_mrz

VARIANTS = {
    "clean": lambda page, i: page,
    "rotated": lambda page, i: degrade(page, angle=2.5 if i % 2 else -2.5),
    "noisy": lambda page, i: degrade(page, noise=25, seed=i),
    "low-resolution": lambda page, i: degrade(page, scale=0.45, blur=0.8),
}


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def measure(n: int) -> dict:
    times: list[float] = []
    exact = 0
    per_variant: dict[str, list[int]] = {name: [0, 0] for name in VARIANTS}
    parse_times: list[float] = []
    for i in range(n):
        person = SPECIMEN_PEOPLE[i % len(SPECIMEN_PEOPLE)]
        name = list(VARIANTS)[i % len(VARIANTS)]
        lines = td3_lines(person)
        data = to_bytes(VARIANTS[name](data_page(lines), i), "JPEG")
        started = time.perf_counter()
        try:
            reading = read_mrz(data)
            ok = reading.result.valid and reading.lines == lines
        except NoMrzFound:
            ok = False
        times.append(time.perf_counter() - started)
        exact += ok
        per_variant[name][0] += ok
        per_variant[name][1] += 1
        started = time.perf_counter()
        parse_mrz(lines)
        parse_times.append(time.perf_counter() - started)
    return {
        "images": n,
        "exact": exact,
        "exact_rate": round(exact / n, 3) if n else 0.0,
        "ms_per_image_p50": _ms(times, 0.5),
        "ms_per_image_p95": _ms(times, 0.95),
        "baseline_parse_ms_p50": round(statistics.median(parse_times) * 1000, 3),
        "per_variant": {k: f"{v[0]}/{v[1]}" for k, v in per_variant.items()},
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/mrz.json")
    args = parser.parse_args(argv)
    if args.write:  # records the commit before anything is measured
        from _results import write
    result = measure(args.n)
    if args.write:
        write("mrz", "mrz.py", argv, result)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'images':>24}: {result['images']}")
    print(f"{'exact reads':>24}: {result['exact']} ({result['exact_rate']:.0%})")
    print(
        f"{'ms per image p50 / p95':>24}: {result['ms_per_image_p50']} / "
        f"{result['ms_per_image_p95']}"
    )
    print(f"{'baseline parse ms p50':>24}: {result['baseline_parse_ms_p50']}")
    for name, score in result["per_variant"].items():
        print(f"{name:>24}: {score}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
