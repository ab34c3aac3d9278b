"""Training: what the certificate gate adds to a policy decision, and district profiles at scale.

    python bench/training.py [--quick] [--json] [--write]

Why this exists: the certificate is read on every gated call (``GatewayService.authorize``
reads the caller's certificates afresh, so a completed or expired certificate takes effect on
the next call), and the district profile counts every case, person, statement and interpreter
request. The bench builds a temporary SQLite database, an officer with and one without the
AI-literacy certificate, and synthetic case files (``--quick``: 500; default 5,000), then
measures:

1. ``gateway.authorize`` for ``cases.inconsistency`` (p50/p95, µs), certified vs not certified,
   and for a limited-risk capability without a certificate requirement (``cases.classify``).
   The certificates are read for every call, gated or not (they were before training existed),
   so the gate itself adds one set in the policy request; the hints' extra cost over the
   classifier is the DPO assessment check of a high-risk capability, not the certificate;
2. ``districts`` and ``profile`` of the busiest district (median of 5 runs, ms);
3. the machine's load average (for reading the figures on a shared machine).

Target: a district profile over 5,000 cases takes under 1 s. The latency rows have no target
here (bench/ledger.py judges the gateway's overhead); they show that a certified and an
uncertified caller cost the same.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import accord.assembly  # noqa: F401  (installs the capability packages)
from accord.config import reset_settings_cache
from accord.core import migrate
from accord.core.governance import get_governance, reset_governance
from accord.core.roles import Role
from accord.core.runtime import reset_runtime

CALLS = 400
TARGET_PROFILE_MS = 1000.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _authorize_us(gateway: Any, caller: Any, capability: str) -> dict[str, float]:
    from accord.core.gateway.service import GatewayRequest

    request = GatewayRequest(capability_id=capability, purpose="case-handling",
                             legal_basis="police-law-art-2", inputs={})
    timings = []
    for _ in range(CALLS):
        started = time.perf_counter()
        gateway.authorize(caller, request)
        timings.append((time.perf_counter() - started) * 1e6)
    return {"p50": round(_percentile(timings, 0.5), 1), "p95": round(_percentile(timings, 0.95), 1)}


def run(count: int) -> dict[str, Any]:
    from accord.cases.generator import generate
    from accord.core.accounts import AccountService
    from accord.core.gateway.service import Caller
    from accord.training.service import TrainingService, district_list, district_profile

    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ.update({"ACCORD_STATE_DIR": str(Path(tmp) / "var"),
                           "ACCORD_DATABASE_URL": url, "ACCORD_QUEUE": "immediate",
                           "ACCORD_EMBEDDED_WORKER": "false", "ACCORD_LOG_LEVEL": "WARNING"})
        reset_settings_cache()
        reset_runtime()
        reset_governance()
        migrate.upgrade(url)
        governance = get_governance()
        database = governance.gateway.database
        try:
            callers = {}
            with database.session() as session:
                accounts = AccountService(session)
                for name in ("certified", "uncertified"):
                    user = accounts.create_user(name, "bench-password-not-secret",
                                                {Role.OFFICER})
                    callers[name] = Caller(user.id, name, frozenset({"officer"}))
            TrainingService(database, governance.ledger).complete(
                callers["certified"].user_id, "ai-literacy")
            started = time.perf_counter()
            generate(database, count, seed=21, officer="certified")
            generated = time.perf_counter() - started
            gateway = governance.gateway
            gate = {
                "baseline_classify": _authorize_us(gateway, callers["certified"],
                                                   "cases.classify"),
                "hints_certified": _authorize_us(gateway, callers["certified"],
                                                 "cases.inconsistency"),
                "hints_uncertified": _authorize_us(gateway, callers["uncertified"],
                                                   "cases.inconsistency"),
            }
            list_ms, profile_ms = [], []
            busiest = ""
            for _ in range(5):
                started = time.perf_counter()
                rows = district_list(database)
                list_ms.append((time.perf_counter() - started) * 1000)
                busiest = next(r["district"] for r in rows if r["recorded"])
                started = time.perf_counter()
                district_profile(database, busiest)
                profile_ms.append((time.perf_counter() - started) * 1000)
        finally:
            reset_governance()
            reset_runtime()
            reset_settings_cache()
    return {
        "cases": count, "generate_seconds": round(generated, 2),
        "authorize_us": gate,
        "districts_ms_median": round(statistics.median(list_ms), 1),
        "profile_ms_median": round(statistics.median(profile_ms), 1),
        "busiest_district": busiest, "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 cases instead of 5,000")
    parser.add_argument("--count", type=int, default=None, help="number of synthetic cases")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--write", action="store_true", help="write bench/results/training.json")
    args = parser.parse_args(argv)
    if args.write:
        import _results
    figures = run(args.count or (500 if args.quick else 5000))
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        gate = figures["authorize_us"]
        print(f"{'measure':<44}{'value':>12}  target")
        for name, row in gate.items():
            print(f"{'authorize ' + name + ' p50/p95 (µs)':<44}"
                  f"{row['p50']:>6.0f}/{row['p95']:<5.0f}")
        print(f"{'districts, median (ms), ' + str(figures['cases']) + ' cases':<44}"
              f"{figures['districts_ms_median']:>12.1f}")
        print(f"{'profile of ' + figures['busiest_district'] + ', median (ms)':<44}"
              f"{figures['profile_ms_median']:>12.1f}  <= {TARGET_PROFILE_MS:.0f}")
        print(f"{'load average (1 min)':<44}{figures['load_average_1m']:>12.2f}")
    if args.write:
        import _results

        _results.write("training", "training.py", sys.argv[1:], figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
