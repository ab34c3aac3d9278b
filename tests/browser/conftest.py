"""Browser tests: a real HTTP server driven by real headless Chromium (Playwright).

The ``server`` fixture runs Accord's app under uvicorn on a thread of the test process: a
separate ``accord serve`` process spent most of each test importing the capability packages.
Tests about several processes (the dispatch board seen from a second server) start real
``accord serve`` processes with :func:`running_server`.

Chromium comes from Debian (`/usr/bin/chromium`, installed by scripts/system-deps.sh); Playwright
never downloads a browser. A screenshot of the page is saved to test-results/screenshots/ when
a test fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
    # A fake microphone (a beep tone) with permission granted, for the speech page's recorder.
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]


def _chromium_path() -> str:
    path = os.environ.get("ACCORD_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError("Chromium is not installed: run scripts/system-deps.sh")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(accord_env: dict[str, str], log_path: Path, label: str,
                   **env_overrides: str) -> Iterator[str]:
    """A real `accord serve` process on a free port, started and stopped around the block;
    yields its base URL. ``env_overrides`` are ACCORD_* settings for this process only."""
    port = _free_port()
    env = {**os.environ, **accord_env, "ACCORD_QUEUE": "sqlite", "ACCORD_PORT": str(port),
           **env_overrides}
    with log_path.open("w") as log:
        process = subprocess.Popen([str(Path(sys.executable).parent / "accord"), "serve"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core CI machine starts slowly
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{label} did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def serving_in_thread(monkeypatch: pytest.MonkeyPatch, **env_overrides: str) -> Iterator[str]:
    """Accord's app under uvicorn on a thread of this process, on a free port; yields its base
    URL. The app is built as ``accord serve`` builds it (the assembly's factory, the embedded
    queue worker on SQLite storage), after ``env_overrides`` are set for this test."""
    import uvicorn

    from accord.assembly import create_app
    from tests.conftest import _reset_process_state

    for name, value in {"ACCORD_QUEUE": "sqlite", "ACCORD_EMBEDDED_WORKER": "true",
                        **env_overrides}.items():
        monkeypatch.setenv(name, value)
    _reset_process_state()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False,
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, name="accord-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def server(accord_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real app (embedded Huey worker on SQLite storage) serving HTTP on a free port."""
    with serving_in_thread(monkeypatch) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=_chromium_path(), headless=True,
                                              args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    new_page = context.new_page()
    new_page.set_default_timeout(15_000)
    yield new_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        db = "postgresql" if os.environ.get("ACCORD_TEST_DATABASE_URL") else "sqlite"
        new_page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{db}.png"),
                            full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
