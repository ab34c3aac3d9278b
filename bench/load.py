"""Load benchmark: a real server on loopback, real HTTP clients, no shortcuts.

Starts ``uvicorn accord.assembly:create_app`` (``--processes`` app processes) on a fresh state
directory (a temp SQLite file, or ``--database-url`` pointing at an empty PostgreSQL database),
creates an officer with an API token, and measures, at concurrency 1, 8 and 32:

- ``healthz``: ``GET /healthz``;
- ``page``: ``GET /`` (the dashboard) signed in with a session cookie;
- ``gateway``: ``POST /api/v1/gateway/interpret.langid`` with a bearer token (policy, model,
  decision and ledger entry: the whole governed path).

Each scenario reports ``rps``, ``p50_ms``, ``p99_ms`` and ``server_errors_5xx``. Then
``healthz_busy_p99_ms``: ``/healthz`` latency while two long transcriptions (noise WAVs, the
longest recording accepted) and an MRZ read of a 5 MB noise image run through the gateway.

    python bench/load.py            # table
    python bench/load.py --json     # one JSON object
    python bench/load.py --quick    # short runs, short recordings: a fast check
    python bench/load.py --base-url http://127.0.0.1:8080 --username u --password p --token t
                                    # against a running deployment (deploy/up.sh)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "bench-load-password"  # noqa: S105 (a throw-away account in a temp state dir)
USERNAME = "bench.officer"
CONCURRENCY = (1, 8, 32)
LANGID_BODY = {"purpose": "victim-assistance", "legal_basis": "police-law-art-2",
               "inputs": {"text": "Me robaron el pasaporte en el metro esta mañana"}}
HEALTHZ_BUSY_TARGET_MS = 50.0


@dataclass
class Target:
    base_url: str
    cookies: dict[str, str]
    token: str
    audio_sha256: str = ""
    image_sha256: str = ""


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors_5xx: int = 0
    other_errors: int = 0  # 4xx and transport errors

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {"requests": self.requests,
                "rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": round(_quantile(ordered, 0.50) * 1000, 2),
                "p99_ms": round(_quantile(ordered, 0.99) * 1000, 2),
                "server_errors_5xx": self.errors_5xx, "other_errors": self.other_errors}


def _quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the server --------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _noise_wav(seconds: float) -> bytes:
    """Speech-band noise at a normal level: the decoder works through all of it."""
    rate = 16_000
    rng = random.Random(7)
    frames = bytearray()
    level = 0.0
    for _ in range(int(seconds * rate)):
        level = 0.9 * level + 0.1 * rng.uniform(-1, 1)  # low-passed: voice-like energy
        frames += struct.pack("<h", int(max(-1.0, min(1.0, level * 4)) * 12_000))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def _noise_png(side: int) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@contextmanager
def local_server(database_url: str | None, processes: int, quick: bool) -> Iterator[Target]:
    """A fresh state directory, an officer with a token, heavy inputs stored, and the server."""
    with tempfile.TemporaryDirectory(prefix="accord-load-") as tmp:
        state = Path(tmp)
        env = {**os.environ, "ACCORD_STATE_DIR": str(state), "ACCORD_LOG_LEVEL": "WARNING",
               "ACCORD_EMBEDDED_WORKER": "false", "ACCORD_QUEUE": "immediate",
               "ACCORD_LOGIN_MAX_FAILURES": "1000"}
        if database_url:
            env["ACCORD_DATABASE_URL"] = database_url
        os.environ.update({k: v for k, v in env.items() if k.startswith("ACCORD_")})
        from accord.config import get_settings, reset_settings_cache

        reset_settings_cache()
        from accord.core import migrate

        migrate.upgrade(get_settings().resolved_database_url)
        import accord.assembly  # noqa: F401  (installs the packages, as every entry point)
        from accord.core.accounts import AccountService
        from accord.core.roles import Role
        from accord.core.runtime import get_database, reset_runtime

        with get_database().session() as session:
            accounts = AccountService(session)
            user = accounts.create_user(USERNAME, PASSWORD, {Role.OFFICER, Role.SUPERVISOR},
                                        language="en")
            token = accounts.issue_token(user, "load").token
        reset_runtime()
        audio, image = store_heavy_inputs(quick)

        port = _free_port()
        command = [sys.executable, "-m", "uvicorn", "accord.assembly:create_app", "--factory",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", str(processes),
                   "--log-level", "warning", "--no-access-log"]
        server = subprocess.Popen(command, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            cookies = sign_in(base, USERNAME, PASSWORD)
            yield Target(base, cookies, token, audio, image)
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


def store_heavy_inputs(quick: bool) -> tuple[str, str]:
    """Put the busy part's noise recording and noise image in the configured blob store.

    The state directory comes from the environment (``ACCORD_STATE_DIR``), so the same call
    serves the local server and a deployment on this machine (``--store-heavy`` with
    ``deploy/up.sh``'s state directory). Returns the two SHA-256 digests.
    """
    from accord.config import get_settings
    from accord.core.blobs import BlobStore

    blobs = BlobStore.for_state_dir(get_settings().ensure_state_dir())
    log("storing the heavy inputs (noise recording, noise image)")
    return (blobs.put(_noise_wav(8.0 if quick else 110.0)),
            blobs.put(_noise_png(500 if quick else 1300)))


def sign_in(base: str, username: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=base, headers={"Accept-Language": "en"}) as client:
        client.get("/login")
        response = client.post("/login", data={
            "username": username, "password": password,
            "csrf_token": client.cookies.get("accord_csrf", ""), "next": "/"})
        if response.status_code != 303:
            raise RuntimeError(f"log-in failed: {response.status_code}")
        return dict(client.cookies.items())


# -- scenarios ---------------------------------------------------------------------------------
Request = Callable[[httpx.Client], httpx.Response]


def scenarios(target: Target) -> dict[str, tuple[Request, dict[str, Any]]]:
    bearer = {"Authorization": f"Bearer {target.token}", "Accept": "application/json"}
    return {
        "healthz": (lambda c: c.get("/healthz"), {}),
        "page": (lambda c: c.get("/"), {"cookies": target.cookies}),
        "gateway": (lambda c: c.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY,
                                     headers=bearer), {}),
    }


def run_load(target: Target, request: Request, client_options: dict[str, Any],
             concurrency: int, seconds: float) -> Result:
    result = Result()
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)

    def client_loop() -> None:
        with httpx.Client(base_url=target.base_url, timeout=120,
                          headers={"Accept-Language": "en"}, **client_options) as client:
            ready.wait()  # every client is set up before the clock starts
            stop_at = time.monotonic() + seconds
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    status = request(client).status_code
                except httpx.TransportError:
                    status = 0
                elapsed = time.perf_counter() - started
                with lock:
                    result.requests += 1
                    result.latencies.append(elapsed)
                    if status >= 500:
                        result.errors_5xx += 1
                    elif status != 200:
                        result.other_errors += 1

    threads = [threading.Thread(target=client_loop) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def healthz_while_busy(target: Target) -> dict[str, Any]:
    """/healthz latency while two long transcriptions and an MRZ read run."""
    bearer = {"Authorization": f"Bearer {target.token}", "Accept": "application/json"}
    calls = [("interpret.transcribe", {"audio_sha256": target.audio_sha256, "language": "en"}),
             ("interpret.transcribe", {"audio_sha256": target.audio_sha256, "language": "en"}),
             ("cases.mrz", {"image_sha256": target.image_sha256})]
    outcomes: list[dict[str, Any]] = []

    def heavy(capability: str, inputs: dict[str, Any]) -> None:
        started = time.perf_counter()
        try:
            status = _post(capability, inputs)
        except httpx.TransportError as error:
            status = f"{type(error).__name__}"
        outcomes.append({"capability": capability, "status": status,
                         "seconds": round(time.perf_counter() - started, 1)})

    def _post(capability: str, inputs: dict[str, Any]) -> int:
        response = httpx.post(f"{target.base_url}/api/v1/gateway/{capability}", headers=bearer,
                              json={"purpose": "victim-assistance",
                                    "legal_basis": "police-law-art-2", "inputs": inputs},
                              timeout=600)
        return response.status_code

    threads = [threading.Thread(target=heavy, args=call) for call in calls]
    for thread in threads:
        thread.start()
        time.sleep(0.5)  # staggered, as officers would be
    time.sleep(1.0)  # let the calls reach their models
    latencies: list[float] = []
    failures = 0
    with httpx.Client(base_url=target.base_url, timeout=600) as client:
        while any(t.is_alive() for t in threads):
            started = time.perf_counter()
            try:
                ok = client.get("/healthz").status_code == 200
            except httpx.TransportError:
                ok = False
            latencies.append(time.perf_counter() - started)
            failures += not ok
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return {"healthz_busy_p99_ms": round(_quantile(ordered, 0.99) * 1000, 2),
            "healthz_busy_p50_ms": round(_quantile(ordered, 0.50) * 1000, 2),
            "healthz_busy_max_ms": round((ordered[-1] if ordered else 0) * 1000, 2),
            "healthz_busy_samples": len(ordered), "healthz_busy_failures": failures,
            "heavy_calls": outcomes}


def measure(target: Target, quick: bool, busy: bool,
            only: frozenset[str] = frozenset()) -> dict[str, Any]:
    seconds = 3.0 if quick else 10.0
    figures: dict[str, Any] = {"scenarios": {}}
    for name, (request, options) in scenarios(target).items():
        if only and name not in only:
            continue
        for concurrency in CONCURRENCY:
            log(f"{name} at concurrency {concurrency} for {seconds:.0f} s")
            result = run_load(target, request, options, concurrency, seconds)
            figures["scenarios"][f"{name}@{concurrency}"] = result.figures()
    if busy and target.audio_sha256:
        log("healthz while two transcriptions and an MRZ read run")
        figures.update(healthz_while_busy(target))
    figures["server_errors_5xx"] = sum(s["server_errors_5xx"]
                                       for s in figures["scenarios"].values())
    return figures


def render(figures: dict[str, Any]) -> str:
    lines = [f"{'scenario':<14} {'rps':>8} {'p50 ms':>9} {'p99 ms':>9} {'5xx':>5} {'other':>6}"]
    for name, row in figures["scenarios"].items():
        lines.append(f"{name:<14} {row['rps']:>8} {row['p50_ms']:>9} {row['p99_ms']:>9} "
                     f"{row['server_errors_5xx']:>5} {row['other_errors']:>6}")
    if "healthz_busy_p99_ms" in figures:
        verdict = "met" if figures["healthz_busy_p99_ms"] <= HEALTHZ_BUSY_TARGET_MS else "MISSED"
        lines.append(f"/healthz p99 while two transcriptions and an MRZ read run: "
                     f"{figures['healthz_busy_p99_ms']} ms (target ≤ {HEALTHZ_BUSY_TARGET_MS:.0f}"
                     f" ms: {verdict}); heavy calls: {figures['heavy_calls']}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs: a fast check")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--write", action="store_true", help="save to bench/results/load.json")
    parser.add_argument("--database-url", default=None,
                        help="an empty PostgreSQL database (default: a temp SQLite file)")
    parser.add_argument("--processes", type=int, default=1, help="app processes (uvicorn)")
    parser.add_argument("--no-busy", action="store_true", help="skip the heavy-model part")
    parser.add_argument("--only", default="", help="comma-separated scenarios to run "
                        "(healthz, page, gateway; none: only the heavy-model part)")
    parser.add_argument("--base-url", default="", help="measure a running deployment")
    parser.add_argument("--username", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--token", default="", help="an API token of that user")
    parser.add_argument("--audio-sha256", default="", help="a stored WAV for the busy part")
    parser.add_argument("--image-sha256", default="", help="a stored image for the busy part")
    parser.add_argument("--store-heavy", action="store_true",
                        help="with --base-url: store the busy part's inputs in the deployment's "
                        "blob store (ACCORD_STATE_DIR, same machine) instead of naming them")
    args = parser.parse_args(argv)
    only = frozenset(n for n in args.only.split(",") if n)
    if args.base_url:
        audio, image = args.audio_sha256, args.image_sha256
        if args.store_heavy and not args.no_busy:
            audio, image = store_heavy_inputs(args.quick)
        target = Target(args.base_url, sign_in(args.base_url, args.username, args.password),
                        args.token, audio, image)
        figures = measure(target, args.quick, not args.no_busy, only)
        figures.update({"processes": "deployment", "base_url": args.base_url})
    else:
        with local_server(args.database_url, args.processes, args.quick) as target:
            figures = measure(target, args.quick, not args.no_busy, only)
        figures["processes"] = args.processes
        figures["database"] = "postgresql" if args.database_url else "sqlite"
    figures.update({"quick": args.quick, "cpu_count": os.cpu_count(),
                    "load_average_1m": round(os.getloadavg()[0], 1)})
    if args.write:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _results import write  # type: ignore[import-not-found]

        # A deployment's figures are kept apart from the local server's; the secrets given on
        # the command line are not recorded.
        shown = ["<secret>" if i and argv[i - 1] in ("--password", "--token") else a
                 for i, a in enumerate(argv)]
        write("load-deployment" if args.base_url else "load", "load.py", shown, figures)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(render(figures))
    return 0 if figures["server_errors_5xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
