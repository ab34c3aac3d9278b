"""Log-in, sessions, CSRF and throttling as a browser client sees them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.core.roles import Role
from tests.helpers import PASSWORD, login


def test_pages_require_login_and_redirect_back(client: TestClient) -> None:
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/users"


def test_login_sets_httponly_samesite_cookie_and_shows_dashboard(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    page = client.get("/login")
    token = client.cookies.get("accord_csrf")
    response = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "accord_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert 'data-testid="dashboard-title"' in dashboard.text
    assert page.status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_generic_message(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    client.get("/login")
    token = client.cookies.get("accord_csrf")
    wrong = client.post("/login", data={"username": "li.wei", "password": "nope-nope-nope",
                                        "csrf_token": token})
    unknown = client.post("/login", data={"username": "nobody", "password": "nope-nope-nope",
                                          "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "Incorrect user name or password." in wrong.text
    assert "Incorrect user name or password." in unknown.text
    assert "accord_session" not in client.cookies


def test_repeated_failures_are_throttled_with_429_even_for_the_right_password(
    client, make_user
) -> None:
    make_user("li.wei", Role.OFFICER)
    client.get("/login")
    token = client.cookies.get("accord_csrf")
    for _ in range(5):
        response = client.post("/login", data={"username": "li.wei", "password": "wrong-password",
                                               "csrf_token": token})
        assert response.status_code == 401
    blocked = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                          "csrf_token": token})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed log-in attempts" in blocked.text


def test_login_without_csrf_token_is_refused(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    client.get("/login")
    response = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 403
    assert "accord_session" not in client.cookies


def test_forms_without_session_csrf_token_are_refused_and_change_nothing(
    client, make_user
) -> None:
    make_user("li.wei", Role.OFFICER)
    login(client, "li.wei")
    response = client.post("/account/language", data={"language": "zh_Hans"})
    assert response.status_code == 403
    assert "did not come from Accord" in response.text
    me = client.get("/api/v1/me").json()
    assert me["language"] == "en"


def test_logout_ends_the_session_server_side(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    session_cookie = client.cookies.get("accord_session")
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    # Replaying the old cookie no longer works: the session was deleted on the server.
    client.cookies.set("accord_session", session_cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_open_redirect_after_login_is_prevented(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    client.get("/login")
    token = client.cookies.get("accord_csrf")
    response = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                           "csrf_token": token, "next": "//evil.example/x"},
                           follow_redirects=False)
    assert response.headers["location"] == "/"


def test_deactivated_user_cannot_log_in(client, make_user, database) -> None:
    from accord.core.accounts import AccountService

    make_user("boss", Role.ADMIN)
    user = make_user("li.wei", Role.OFFICER)
    with database.session() as session:
        accounts = AccountService(session)
        accounts.set_active(accounts.get_user(user.id), False)
    client.get("/login")
    token = client.cookies.get("accord_csrf")
    response = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 401
