"""Log-in throttling: per client and per user name *on that client*, with a growing delay.

A wrong password from one address must never lock the officer out from another: throttling
keys on the client, so an attacker who knows a user name only slows himself down. The state
lives in the database so that several app processes agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.core.accounts import AccountService, LoginFailure
from accord.core.db import Database
from accord.core.errors import TooManyFailedLogins
from accord.core.roles import Role
from tests.helpers import PASSWORD, login

ATTACKER = ("203.0.113.9", 40000)
OFFICER_PC = ("10.20.30.40", 40000)


@pytest.fixture
def clients(accord_env: dict[str, str]) -> Iterator[dict[str, TestClient]]:
    """Two browsers on different addresses talking to the same app."""
    from accord.assembly import create_app

    app = create_app()
    with TestClient(app, client=ATTACKER) as attacker, \
            TestClient(app, client=OFFICER_PC) as officer:
        for each in (attacker, officer):
            each.headers["Accept-Language"] = "en"
        yield {"attacker": attacker, "officer": officer}


def attempt(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    if "accord_csrf" not in client.cookies:
        client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": client.cookies.get("accord_csrf")},
                       follow_redirects=False)


def wait(database: Database, seconds: float) -> None:
    """Pretend ``seconds`` passed: move every recorded failure back in time."""
    with database.session() as session:
        for failure in session.scalars(select(LoginFailure)):
            failure.at = failure.at - timedelta(seconds=seconds)


def failures(database: Database, username: str) -> int:
    with database.session() as session:
        return len(list(session.scalars(
            select(LoginFailure).where(LoginFailure.username == username))))


def test_attacker_on_one_client_does_not_lock_the_officer_out_elsewhere(
    clients, make_user, database
) -> None:
    make_user("li.wei", Role.OFFICER)
    attacker, officer = clients["attacker"], clients["officer"]
    statuses = [attempt(attacker, "li.wei", "guess-guess-guess").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]  # the attacker is slowed down ...
    # ... but the officer, from his own PC, logs in with the right password at once.
    assert attempt(officer, "li.wei", PASSWORD).status_code == 303
    # The officer's success does not wipe the attacker's failures (and so his delay).
    assert failures(database, "li.wei") == 5


def test_same_client_gets_a_growing_retry_after(clients, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    attacker = clients["attacker"]
    for _ in range(5):
        assert attempt(attacker, "li.wei", "guess-guess-guess").status_code == 401
    delays = []
    for _ in range(4):
        refused = attempt(attacker, "li.wei", PASSWORD)  # even the right password waits
        assert refused.status_code == 429
        assert "Too many failed log-in attempts" in refused.text
        delay = int(refused.headers["retry-after"])
        delays.append(delay)
        wait(database, delay + 1)
        assert attempt(attacker, "li.wei", "guess-guess-guess").status_code == 401
    assert delays == [1, 2, 4, 8]
    wait(database, 17)
    assert attempt(attacker, "li.wei", PASSWORD).status_code == 303
    # A success clears that client's failures for that name: the next typo is not delayed.
    assert failures(database, "li.wei") == 0


def test_delay_is_capped(make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    with database.session() as session:
        for _ in range(30):
            session.add(LoginFailure(username="li.wei", client=ATTACKER[0]))
    with database.session() as session:
        accounts = AccountService(session, max_failures=5, window_seconds=900,
                                  max_delay_seconds=60)
        with pytest.raises(TooManyFailedLogins) as refused:
            accounts.authenticate("li.wei", PASSWORD, client=ATTACKER[0])
    assert 55 <= refused.value.retry_after <= 60


def test_one_client_trying_many_names_is_slowed_down(clients, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    attacker, officer = clients["attacker"], clients["officer"]
    statuses = [attempt(attacker, f"user{n}", "guess-guess-guess").status_code
                for n in range(21)]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429
    assert attempt(attacker, "li.wei", PASSWORD).status_code == 429  # per client, any name
    assert attempt(officer, "li.wei", PASSWORD).status_code == 303


def test_admin_unlocks_a_user_name_from_the_users_page(clients, make_user, database) -> None:
    user = make_user("li.wei", Role.OFFICER)
    make_user("boss", Role.ADMIN)
    attacker = clients["attacker"]
    for _ in range(8):
        attempt(attacker, "li.wei", "guess-guess-guess")
    assert attempt(attacker, "li.wei", PASSWORD).status_code == 429

    admin = clients["officer"]
    csrf = login(admin, "boss")
    page = admin.get("/admin/users")
    assert f'action="/admin/users/{user.id}/unlock"' in page.text
    assert re.search(r'data-testid="failed-logins-li\.wei"[^>]*>\s*5', page.text)
    # Without the session's CSRF token nothing is cleared.
    forged = admin.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert failures(database, "li.wei") == 5
    done = admin.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf},
                      follow_redirects=False)
    assert done.status_code == 303
    assert failures(database, "li.wei") == 0
    assert attempt(attacker, "li.wei", PASSWORD).status_code == 303


def test_officer_cannot_unlock(clients, make_user) -> None:
    user = make_user("li.wei", Role.OFFICER)
    officer = clients["officer"]
    csrf = login(officer, "li.wei")
    response = officer.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf})
    assert response.status_code == 403


def test_cli_unlock_clears_throttling(accord_env, clients, make_user, database) -> None:
    from typer.testing import CliRunner

    from accord.cli import app

    make_user("li.wei", Role.OFFICER)
    attacker = clients["attacker"]
    for _ in range(6):
        attempt(attacker, "li.wei", "guess-guess-guess")
    assert attempt(attacker, "li.wei", PASSWORD).status_code == 429
    result = CliRunner().invoke(app, ["users", "unlock", "Li.Wei"])
    assert result.exit_code == 0, result.output
    assert "cleared 5 failed log-ins for li.wei" in result.output
    assert attempt(attacker, "li.wei", PASSWORD).status_code == 303
    again = CliRunner().invoke(app, ["users", "unlock", "li.wei"])
    assert "cleared 0 failed log-ins" in again.output


def test_two_app_instances_on_one_database_agree(accord_env, make_user, monkeypatch) -> None:
    """Like two server processes: separate engines and pools, one database."""
    from accord.assembly import create_app
    from accord.core.accounts import service

    make_user("li.wei", Role.OFFICER)
    first, second = create_app(), create_app()
    second.state.database = Database(accord_env["ACCORD_DATABASE_URL"])
    assert second.state.database is not first.state.database
    try:
        with TestClient(first, client=ATTACKER) as one, TestClient(second, client=ATTACKER) as two:
            for _ in range(5):
                assert attempt(one, "li.wei", "guess-guess-guess").status_code == 401
            # The first delay is one second; the clock stops here so that a slow first
            # request on a busy machine cannot outlast it.
            stopped = service.utcnow()
            monkeypatch.setattr(service, "utcnow", lambda: stopped)
            # The other process refuses the same client for that name at once.
            assert attempt(two, "li.wei", PASSWORD).status_code == 429
    finally:
        second.state.database.engine.dispose()
