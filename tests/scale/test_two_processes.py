"""Two app processes on one database behave as one service: a session started on one is
valid on the other and ends on both, failed log-ins on either count together, and an API
token works on both. Nothing correctness-critical lives in an app process's memory.
(Real uvicorn processes on loopback, started together.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from accord.core.accounts import AccountService
from accord.core.db import Database
from tests.helpers import PASSWORD


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def two_apps(accord_env: dict[str, str], database: Database) -> Iterator[list[str]]:
    env = {**os.environ, **accord_env, "ACCORD_LOGIN_MAX_FAILURES": "3"}
    ports = [_port(), _port()]
    servers = [subprocess.Popen(
        # Core only (no capability packages): what is shared here is core state, and the
        # server starts in a fraction of the time.
        [sys.executable, "-m", "uvicorn", "accord.web.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 120
        for base, server in zip(bases, servers, strict=True):
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        yield bases
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(30)


def _login(client: httpx.Client, base: str, username: str, password: str) -> httpx.Response:
    page = client.get(f"{base}/login")
    assert page.status_code == 200
    return client.post(f"{base}/login", data={
        "username": username, "password": password, "next": "/",
        "csrf_token": client.cookies.get("accord_csrf", "")})


def test_sessions_throttling_and_tokens_are_shared(two_apps: list[str], database: Database,
                                                    make_user) -> None:  # type: ignore[no-untyped-def]
    a, b = two_apps
    user = make_user("li.wei")
    with database.session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.get_user(user.id), "two").token

    with httpx.Client(headers={"Accept-Language": "en"}) as browser:
        assert _login(browser, a, "li.wei", PASSWORD).status_code == 303
        assert browser.get(f"{b}/").status_code == 200  # the session started on A, used on B
        page = browser.get(f"{b}/").text
        marker = 'name="csrf-token" content="'
        csrf = page[page.index(marker) + len(marker):].split('"', 1)[0]
        assert browser.post(f"{b}/logout", headers={"X-CSRF-Token": csrf}).status_code == 303
        assert browser.get(f"{a}/").status_code == 303  # ended on B: gone on A too

    with httpx.Client(headers={"Accept-Language": "en"}) as attacker:
        for base in (a, b, a):  # three failures, spread over both processes
            assert _login(attacker, base, "li.wei", "guess-guess-guess").status_code == 401
        assert _login(attacker, b, "li.wei", PASSWORD).status_code == 429
        assert _login(attacker, a, "li.wei", PASSWORD).status_code == 429

    for base in (a, b):
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == "li.wei"
