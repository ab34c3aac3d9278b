"""Role checks declared per router, and the user administration pages."""

from __future__ import annotations

import re

from accord.core.roles import Role
from tests.helpers import login
from tests.route_access import PUBLIC, walk_routes


def test_officer_cannot_open_user_admin(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    login(client, "li.wei")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have permission" in response.text


def test_every_non_public_route_requires_authentication(client) -> None:
    routes = walk_routes(client.app)
    # The old walk read app.routes, which holds included routers without a path on current
    # FastAPI, and so checked nothing; make sure this one finds the routes.
    assert len(routes) > 100
    values = {"job_id": "x", "ref": "FR-2026-000001", "path": "favicon.svg"}
    checked = 0
    for route in routes:
        if route.access == PUBLIC:
            continue
        concrete = re.sub(r"\{(\w+)(?::\w+)?\}",
                          lambda match: values.get(match.group(1), "1"), route.path)
        for method in set(route.methods) - {"HEAD"}:
            response = client.request(method, concrete, follow_redirects=False)
            if route.path.startswith("/api/"):
                assert response.status_code == 401, (method, route.path, response.status_code)
            else:
                assert response.status_code == 303, (method, route.path, response.status_code)
                assert response.headers["location"].startswith("/login?next="), route.path
            checked += 1
    assert checked > 100


def test_admin_creates_user_and_changes_roles(client, make_user) -> None:
    make_user("boss", Role.ADMIN)
    csrf = login(client, "boss")
    response = client.post("/admin/users", data={
        "csrf_token": csrf, "username": "zhang.min", "display_name": "Zhang Min",
        "password": "a-long-password", "language": "zh_Hans", "roles": ["officer", "interpreter"],
    }, follow_redirects=False)
    assert response.status_code == 303
    users = {u["username"]: u for u in client.get("/api/v1/users").json()}
    assert users["zhang.min"]["roles"] == ["interpreter", "officer"]
    user_id = users["zhang.min"]["id"]
    response = client.post(f"/admin/users/{user_id}", data={
        "csrf_token": csrf, "roles": ["supervisor"], "active": "on"}, follow_redirects=False)
    assert response.status_code == 303
    users = {u["username"]: u for u in client.get("/api/v1/users").json()}
    assert users["zhang.min"]["roles"] == ["supervisor"]


def test_admin_form_errors_are_clear_and_keep_existing_users(client, make_user) -> None:
    make_user("boss", Role.ADMIN)
    csrf = login(client, "boss")
    bad = client.post("/admin/users", data={
        "csrf_token": csrf, "username": "x", "password": "short", "roles": ["officer"]})
    assert bad.status_code == 422
    assert "user name" in bad.text
    unknown_role = client.post("/admin/users", data={
        "csrf_token": csrf, "username": "new.user", "password": "a-long-password",
        "roles": ["overlord"]})
    assert unknown_role.status_code == 422
    assert "unknown role" in unknown_role.text
    duplicate = client.post("/admin/users", data={
        "csrf_token": csrf, "username": "boss", "password": "a-long-password",
        "roles": ["officer"]})
    assert duplicate.status_code == 409
    usernames = [u["username"] for u in client.get("/api/v1/users").json()]
    assert usernames == ["boss"]


def test_last_admin_cannot_remove_own_admin_role(client, make_user) -> None:
    boss = make_user("boss", Role.ADMIN)
    csrf = login(client, "boss")
    response = client.post(f"/admin/users/{boss.id}", data={
        "csrf_token": csrf, "roles": ["officer"], "active": "on"})
    assert response.status_code == 409
    assert "last active admin" in response.text
    assert client.get("/admin/users").status_code == 200


def test_user_export_runs_as_a_background_job_with_progress(client, make_user) -> None:
    make_user("boss", Role.ADMIN)
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "boss")
    response = client.post("/admin/users-export", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "succeeded" and job["progress"] == 100
    fragment = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"})
    assert 'data-status="succeeded"' in fragment.text
    csv_text = client.get(f"/admin/users-export/{job_id}.csv").text
    assert csv_text.splitlines()[0].startswith("username,display_name,roles")
    assert any(line.startswith("li.wei,") for line in csv_text.splitlines())
