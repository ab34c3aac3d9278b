"""The JSON API: bearer tokens, roles, validation errors and size limits."""

from __future__ import annotations

import json
import re

from accord.core.accounts import AccountService
from accord.core.roles import Role
from tests.helpers import login

OWN_404 = {"/api/v1/ledger/checkpoints/latest"}


def _token(database, username: str) -> str:
    with database.session() as session:
        accounts = AccountService(session)
        return accounts.issue_token(accounts.find_user(username), "test").token


def test_api_without_credentials_is_401_json(client) -> None:
    response = client.get("/api/v1/me", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Please log in."}
    assert response.headers["www-authenticate"] == "Bearer"
    chinese = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    assert chinese.json() == {"detail": "请先登录。"}


def test_bearer_token_authenticates_and_roles_apply(client, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    headers = {"Authorization": f"Bearer {_token(database, 'li.wei')}"}
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "li.wei"
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_revoked_or_bogus_token_is_rejected(client, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    token = _token(database, "li.wei")
    with database.session() as session:
        accounts = AccountService(session)
        user = accounts.find_user("li.wei")
        accounts.revoke_token(user, accounts.list_tokens(user)[0].id)
    for value in (token, "acc_bogus", "not-even-a-token"):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401
        assert "token" in response.json()["detail"].lower()


def test_admin_creates_user_via_api_and_bad_json_names_the_field(
    client, make_user, database
) -> None:
    make_user("boss", Role.ADMIN)
    headers = {"Authorization": f"Bearer {_token(database, 'boss')}"}
    created = client.post("/api/v1/users", headers=headers, json={
        "username": "wang.fang", "password": "a-long-password", "roles": ["analyst"]})
    assert created.status_code == 201
    assert created.json()["roles"] == ["analyst"]

    missing = client.post("/api/v1/users", headers=headers, json={"username": "x1"})
    assert missing.status_code == 422
    fields = {item["field"] for item in missing.json()["detail"]}
    assert {"password", "roles"} <= fields

    malformed = client.post("/api/v1/users", headers={**headers,
                            "Content-Type": "application/json"}, content=b'{"username": ')
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["type"] == "json_invalid"

    bad_role = client.post("/api/v1/users", headers=headers, json={
        "username": "zhao.lei", "password": "a-long-password", "roles": ["king"]})
    assert bad_role.status_code == 422
    assert "unknown role" in bad_role.json()["detail"]

    names = [u["username"] for u in client.get("/api/v1/users", headers=headers).json()]
    assert names == ["boss", "wang.fang"]


def test_oversized_body_is_413_and_nothing_is_stored(client, make_user, database) -> None:
    make_user("boss", Role.ADMIN)
    headers = {"Authorization": f"Bearer {_token(database, 'boss')}"}
    huge = {"username": "big.user", "password": "a-long-password", "roles": ["officer"],
            "display_name": "x" * 2_000_000}
    response = client.post("/api/v1/users", headers=headers, json=huge)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    names = [u["username"] for u in client.get("/api/v1/users", headers=headers).json()]
    assert "big.user" not in names


def test_streamed_oversized_body_without_length_is_413(client, make_user, database) -> None:
    make_user("boss", Role.ADMIN)
    headers = {"Authorization": f"Bearer {_token(database, 'boss')}",
               "Content-Type": "application/json"}

    def chunks():  # no Content-Length: sent chunked
        yield b'{"username": "big.user", "display_name": "'
        for _ in range(40):
            yield b"y" * 50_000
        yield b'"}'

    response = client.post("/api/v1/users", headers=headers, content=chunks())
    assert response.status_code == 413


def test_session_users_need_csrf_for_api_writes(client, make_user) -> None:
    make_user("boss", Role.ADMIN)
    csrf = login(client, "boss")
    body = {"username": "wang.fang", "password": "a-long-password", "roles": ["analyst"]}
    assert client.post("/api/v1/users", json=body).status_code == 403
    ok = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_openapi_docs_need_login_and_use_vendored_assets(client, make_user) -> None:
    assert client.get("/docs", follow_redirects=False).status_code == 303
    assert client.get("/openapi.json", follow_redirects=False).status_code == 303
    make_user("li.wei", Role.OFFICER)
    login(client, "li.wei")
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert "/api/v1/openapi.json" in docs.text
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/users" in spec["paths"]
    assert client.get("/openapi.json").json() == spec  # the unversioned name, same document


def test_api_document_lists_only_the_api_with_auth_and_errors(client, make_user,
                                                               database) -> None:
    make_user("li.wei", Role.OFFICER)
    headers = {"Authorization": f"Bearer {_token(database, 'li.wei')}"}
    anonymous = client.get("/api/v1/openapi.json", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401
    spec = client.get("/api/v1/openapi.json", headers=headers).json()
    assert spec["paths"] and all(p.startswith("/api/") for p in spec["paths"])
    assert {"/api/v1/gateway/{capability_id}", "/api/v1/dispatch/incidents",
            "/api/v1/vision/items/{item_id}"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert {"apiToken": []} in spec["security"]
    schemas = spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert {"401", "403", "422", "503"} <= set(responses), where
            assert "Retry-After" in responses["503"]["headers"], where
            # 404 where a path names an object, and where a route documents its own (the
            # latest checkpoint of an empty ledger).
            assert ("404" in responses) == ("{" in path or path in OWN_404), where
            assert responses["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ValidationErrorResponse"}, where
    detail = schemas["ValidationErrorResponse"]["properties"]["detail"]["anyOf"]
    assert {"type": "string"} in detail
    assert set(schemas["ValidationError"]["required"]) >= {"loc", "msg", "type"}
    # Every $ref resolves inside the document.
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs <= set(schemas)
