"""The JSON API's error bodies match the OpenAPI document: a 422 carries FastAPI's documented
``ValidationError`` items (``loc``, ``msg``, ``type``), and a 405 names the allowed methods."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.core.accounts import AccountService
from accord.core.db import Database


def test_422_body_has_the_documented_fields(client: TestClient, database: Database,
                                            make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("api.officer")
    with database.session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.get_user(user.id), "api").token
    response = client.post("/api/v1/gateway/interpret.langid", json={"purpose": "x"},
                           headers={"Authorization": f"Bearer {token}",
                                    "Accept": "application/json"})
    assert response.status_code == 422
    schema = client.app.openapi()["components"]["schemas"]["ValidationError"]
    for item in response.json()["detail"]:
        assert set(schema["required"]) <= set(item)
        assert isinstance(item["msg"], str) and item["msg"]
    assert {tuple(i["loc"]) for i in response.json()["detail"]} >= {("body", "legal_basis"),
                                                                     ("body", "inputs")}


def test_405_names_the_allowed_methods(client: TestClient) -> None:
    response = client.delete("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
