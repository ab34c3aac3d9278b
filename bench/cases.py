"""Case files at scale: generation time, case-page latency and full-text search latency.

    python bench/cases.py [--quick] [--count N] [--database-url URL] [--json]

Migrates a fresh database (default: a new SQLite file in a temporary directory; with
``--database-url`` a new database ``accord_bench_<pid>`` is created on that PostgreSQL server
and dropped afterwards), creates an officer and a supervisor, generates synthetic cases
(``--quick``: 2,000; default 100,000), then measures through the real web app (``create_app()``
under Starlette's TestClient, logged in as the supervisor, so every request runs the full
middleware, session, access-rule and template stack):

- ``GET /cases/{ref}`` for random references (p50/p95),
- ``GET /cases?q=…`` for a mix of Chinese and Latin queries, and ``search_cases`` directly,
- a baseline in the same run: ``GET /healthz`` and a primary-key lookup,
- peak RSS of this process.

Targets (issue #6, on 2 cores): case page p95 <= 150 ms, search p95 <= 200 ms.

A throw-away PostgreSQL for the PostgreSQL run (Unix socket, deleted afterwards):

    bash scripts/pg-throwaway.sh sh -c \\
        '.venv/bin/python bench/cases.py --quick --database-url "$ACCORD_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

TARGET_PAGE_P95_MS = 150.0
TARGET_SEARCH_P95_MS = 200.0
MRZ_IMAGES = 8  # two of each image variant bench/mrz.py draws
PASSWORD = "bench-password-not-secret"  # noqa: S105 - throw-away bench database
CHINESE_QUERIES = (
    "护照",
    "三里屯 手机",
    "签证逾期",
    "大使馆",
    "交通事故",
    "住宿登记",
    "钱包",
    "望京",
    "黑色 背包",
    "派出所",
    "非法就业",
    "救护车",
)
LATIN_QUERIES = (
    "passport",
    "wallet",
    "Sanlitun",
    "visa expired",
    "ambulance",
    "taxi",
    "embassy interpreter",
    "García",
    "Ivanova",
    "Minjun",
    "restaurant",
    "pasaporte",
)


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


def timed(call: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def fresh_database(url: str | None, workdir: Path) -> tuple[str, Callable[[], None]]:
    """A new, empty database and a function that removes it."""
    if not url:
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    name = f"accord_bench_{os.getpid()}"
    admin_url = make_url(url)
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        from accord.core.runtime import reset_runtime

        reset_runtime()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def login(client: Any, username: str) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": client.cookies.get("accord_csrf"),
            "next": "/",
        },
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise SystemExit(f"bench: log-in failed ({response.status_code})")


def mrz_row() -> dict[str, Any]:
    """MRZ read time per image from bench/mrz.py's ``measure(n)``, when that helper exists."""
    path = Path(__file__).with_name("mrz.py")
    if not path.exists():
        return {"note": "bench/mrz.py not present: MRZ read time not measured here"}
    spec = importlib.util.spec_from_file_location("bench_mrz", path)
    if spec is None or spec.loader is None:
        return {"note": "bench/mrz.py could not be loaded"}
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "measure", None)):
        return {"note": "bench/mrz.py has no measure(n) function"}
    try:
        return dict(module.measure(MRZ_IMAGES))
    except Exception as error:  # report it; do not abort the case benchmark
        return {"note": f"bench/mrz.py measure({MRZ_IMAGES}) failed: {error}"}


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="accord-bench-cases-"))
    url, drop = fresh_database(args.database_url, workdir)
    os.environ.update(
        {
            "ACCORD_DATABASE_URL": url,
            "ACCORD_STATE_DIR": str(workdir / "var"),
            "ACCORD_QUEUE": "immediate",
            "ACCORD_EMBEDDED_WORKER": "false",
            "ACCORD_LOG_LEVEL": "WARNING",
        }
    )
    from fastapi.testclient import TestClient

    from accord.assembly import create_app
    from accord.cases.generator import generate
    from accord.cases.models import Case
    from accord.cases.search import search_cases
    from accord.config import reset_settings_cache
    from accord.core import migrate
    from accord.core.accounts import AccountService
    from accord.core.roles import Role
    from accord.core.runtime import get_database, reset_runtime

    try:
        reset_settings_cache()
        reset_runtime()
        migrate.upgrade(url)
        database = get_database()
        with database.session() as session:
            accounts = AccountService(session)
            accounts.create_user("bench-officer", PASSWORD, {Role.OFFICER}, language="en")
            accounts.create_user("bench-supervisor", PASSWORD, {Role.SUPERVISOR}, language="en")
        started = time.perf_counter()
        generated = generate(database, args.count, seed=args.seed)
        generation_s = time.perf_counter() - started

        rng = random.Random(args.seed)  # sampling, not secrets
        with database.session() as session:
            ids_refs = list(session.execute(select(Case.id, Case.reference)))
        sample = [rng.choice(ids_refs) for _ in range(args.requests)]
        queries = [
            rng.choice(CHINESE_QUERIES if i % 2 else LATIN_QUERIES) for i in range(args.requests)
        ]

        with TestClient(create_app(), base_url="http://testserver") as client:
            client.headers["Accept-Language"] = "en"
            login(client, "bench-supervisor")
            refs = iter(r for _, r in sample * 2)
            qs = iter(queries * 2)

            def page() -> None:
                response = client.get(f"/cases/{next(refs)}")
                if response.status_code != 200:
                    raise SystemExit(f"bench: case page answered {response.status_code}")

            def web_search() -> None:
                response = client.get("/cases", params={"q": next(qs)})
                if response.status_code != 200:
                    raise SystemExit(f"bench: /cases?q= answered {response.status_code}")

            timed(lambda: client.get("/healthz"), 20)  # warm-up
            healthz = timed(lambda: client.get("/healthz"), args.requests)
            timed(page, 10)
            refs = iter(r for _, r in sample)
            pages = timed(page, args.requests)
            timed(web_search, 10)
            qs = iter(queries)
            web = timed(web_search, args.requests)

        ids = iter(i for i, _ in sample)
        direct_qs = iter(queries)
        with database.session() as session:
            lookups = timed(
                lambda: session.get(Case, next(ids)) and session.expunge_all(), args.requests
            )
            direct = timed(lambda: search_cases(session, next(direct_qs)), args.requests)
            by_language = {}
            for label, group in (("zh", CHINESE_QUERIES), ("latin", LATIN_QUERIES)):
                cycle = iter(group * (args.requests // len(group) + 1))
                by_language[label] = percentiles(
                    timed(lambda c=cycle: search_cases(session, next(c)), args.requests)
                )
        database.dispose()
        reset_runtime()
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)

    page_stats, web_stats = percentiles(pages), percentiles(web)
    return {
        "database": make_url(url).get_backend_name(),
        "cases": generated["cases"],
        "persons": generated["persons"],
        "statements": generated["statements"],
        "events": generated["events"],
        "generation_s": round(generation_s, 1),
        "generation_cases_per_s": round(generated["cases"] / generation_s, 1),
        "case_page_p50_ms": page_stats["p50_ms"],
        "case_page_p95_ms": page_stats["p95_ms"],
        "search_p50_ms": web_stats["p50_ms"],
        "search_p95_ms": web_stats["p95_ms"],
        "search_service_p95_ms": percentiles(direct)["p95_ms"],
        "search_service_by_script": by_language,
        "baseline_healthz_p95_ms": percentiles(healthz)["p95_ms"],
        "baseline_pk_lookup_p95_ms": percentiles(lookups)["p95_ms"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "requests_per_measure": args.requests,
        "cpus": os.cpu_count(),
        "targets": {
            "case_page_p95_ms_at_most": TARGET_PAGE_P95_MS,
            "met_case_page": page_stats["p95_ms"] <= TARGET_PAGE_P95_MS,
            "search_p95_ms_at_most": TARGET_SEARCH_P95_MS,
            "met_search": web_stats["p95_ms"] <= TARGET_SEARCH_P95_MS,
        },
        "mrz": mrz_row(),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 cases instead of 100,000")
    parser.add_argument("--count", type=int, help="number of cases (overrides --quick)")
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server URL (a fresh database is created on it)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    args.count = args.count or (2_000 if args.quick else 100_000)
    if not 1 <= args.count <= 1_000_000 or args.requests < 1:
        parser.error("--count must be 1..1,000,000 and --requests at least 1")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{result['cases']:,} cases on {result['database']}: generated in "
        f"{result['generation_s']} s ({result['generation_cases_per_s']:,} cases/s), "
        f"{result['persons']:,} persons, {result['statements']:,} statements"
    )
    print(f"{'measure':<40} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}")
    rows = [
        (
            "GET /cases/{ref}",
            result["case_page_p50_ms"],
            result["case_page_p95_ms"],
            TARGET_PAGE_P95_MS,
        ),
        (
            "GET /cases?q= (search page)",
            result["search_p50_ms"],
            result["search_p95_ms"],
            TARGET_SEARCH_P95_MS,
        ),
    ]
    for label, stats in result["search_service_by_script"].items():
        rows.append((f"search_cases(), {label} queries", stats["p50_ms"], stats["p95_ms"], None))
    rows.append(("GET /healthz (baseline)", None, result["baseline_healthz_p95_ms"], None))
    rows.append(("primary-key lookup (baseline)", None, result["baseline_pk_lookup_p95_ms"], None))
    mrz = result["mrz"]
    if "ms_per_image_p95" in mrz:
        rows.append(
            (
                f"MRZ read per image (bench/mrz.py, {mrz['images']})",
                mrz["ms_per_image_p50"],
                mrz["ms_per_image_p95"],
                None,
            )
        )
    for label, p50, p95, target in rows:
        print(
            f"{label:<40} {p50 if p50 is not None else '':>8} {p95:>8} "
            f"{target if target is not None else '':>8}"
        )
    print(
        f"peak RSS {result['peak_rss_mb']} MB; targets met: page "
        f"{result['targets']['met_case_page']}, search {result['targets']['met_search']}"
    )
    if "note" in mrz:
        print(f"MRZ: {mrz['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
