"""The JSON API's error bodies match the OpenAPI document: a 422 carries FastAPI's documented
``ValidationError`` items (``loc``, ``msg``, ``type``), and a 405 names the allowed methods."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError
from starlette.requests import Request

from accord.core.accounts import AccountService
from accord.core.db import Database
from accord.core.roles import Role
from tests.helpers import run_coroutine


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


# -- defects schemathesis found (tests/web/test_api_schema.py), one test each ---------------------
def _bearer(database: Database, make_user, *roles: Role) -> dict[str, str]:  # type: ignore[no-untyped-def]
    user = make_user("api.caller", *roles)
    with database.session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.get_user(user.id), "api").token
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def test_an_id_beyond_the_database_range_is_a_client_error(client: TestClient,
                                                          database: Database,
                                                          make_user) -> None:  # type: ignore[no-untyped-def]
    """Was a 500 (SQLite's OverflowError) or a 503 "database unreachable" (PostgreSQL)."""
    headers = _bearer(database, make_user, Role.OFFICER)
    huge = "28342414261648666624"
    api = client.get(f"/api/v1/vision/items/{huge}", headers=headers)
    assert api.status_code == 422, api.text  # the documented range of the id parameter
    assert isinstance(api.json()["detail"], list)
    # A route without a declared range: the app-wide handler, not a server error.
    public = client.get(f"/alerts/{huge}.xml", headers={"Accept": "application/json"})
    assert public.status_code in (404, 422), public.text
    assert isinstance(public.json()["detail"], str)


def test_value_out_of_range_handler_answers_422(client: TestClient) -> None:
    """The handler itself, for both databases' exceptions: SQLite's driver raises a bare
    OverflowError before SQLAlchemy sees it; PostgreSQL answers with a DataError (e.g. a number
    past ``integer`` stored into a column), which was reported as "database unreachable"."""
    for error in (OverflowError("Python int too large to convert to SQLite INTEGER"),
                  DataError("INSERT …", {}, Exception("integer out of range"))):
        handler = client.app.exception_handlers[type(error)]
        request = Request({"type": "http", "method": "POST", "path": "/api/v1/x",
                           "headers": [], "query_string": b""})
        request.state.language = "en"
        response = run_coroutine(handler(request, error))
        assert response.status_code == 422
        assert json.loads(response.body)["detail"] == (
            "Invalid input: a value is outside the range the database can store")


def test_vision_refusal_has_a_detail_in_the_callers_language(client: TestClient,
                                                            database: Database,
                                                            make_user) -> None:  # type: ignore[no-untyped-def]
    """Was ``{"refused", "ledger_seq", "reason"}`` only: no ``detail``, unlike every error."""
    headers = _bearer(database, make_user, Role.OFFICER)
    response = client.post("/api/v1/vision/identify", headers=headers)
    assert response.status_code == 403
    body = response.json()
    assert body["detail"] == body["reason"]["en"] and body["detail"]
    assert body["refused"] is True and isinstance(body["ledger_seq"], int)


def test_a_model_failure_503_says_when_to_retry(client: TestClient, database: Database,
                                               make_user) -> None:  # type: ignore[no-untyped-def]
    """Was a 503 without Retry-After (only the database-down 503 had one)."""
    from accord.core.governance import get_governance
    from accord.core.registry import Capability, InputSpec, ModelCard, RiskTier

    def broken(inputs: object) -> object:
        raise RuntimeError("the model crashed")

    card = ModelCard(name="broken", version="1", digest="", licence="Apache-2.0",
                     source="tests", training_data="none", measured_accuracy="n/a",
                     known_limitations=("test only",))
    get_governance().registry.register(Capability(
        id="test.broken", version="1", title_en="broken", title_zh="损坏",
        description_en="test", description_zh="测试", risk_tier=RiskTier.LIMITED,
        purposes=frozenset({"victim-assistance"}), legal_bases=frozenset({"consent"}),
        roles=frozenset({"officer"}), inputs={"text": InputSpec(kind="text", max_length=100)},
        model=card, runner=broken))
    headers = _bearer(database, make_user, Role.OFFICER)
    response = client.post("/api/v1/gateway/test.broken", headers=headers, json={
        "purpose": "victim-assistance", "legal_basis": "consent", "inputs": {"text": "x"}})
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["detail"]


def test_malformed_multipart_is_a_documented_400(client: TestClient, database: Database,
                                                make_user) -> None:  # type: ignore[no-untyped-def]
    headers = _bearer(database, make_user, Role.OFFICER)
    response = client.post(
        "/api/v1/vision/redact", content=b"--b\r\n[[1, [], False]]--b--\r\n",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 400
    assert response.json()["detail"]
    document = client.get("/api/v1/openapi.json", headers=headers).json()
    assert "400" in document["paths"]["/api/v1/vision/redact"]["post"]["responses"]
