"""The JSON intake route checks access inside its one worker-thread call (accord.web.deps.Grant)
rather than through a require_roles dependency: every refusal is the one require_roles gives
(status, body, WWW-Authenticate), it comes before the body is validated, and nothing is stored.

This file passes unchanged against the require_roles version of the route (two hand-offs),
which is how the refusals were shown to be the same."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord.core.accounts import AccountService
from accord.core.db import Database
from accord.core.roles import Role
from accord.dispatch.routes.dispatch import IncidentIn
from accord.dispatch.service import DispatchService
from tests.helpers import login

URL = "/api/v1/dispatch/incidents"
INCIDENT = {"type": "theft", "lat": 60.1699, "lon": 24.9384}
JSON = {"Accept": "application/json"}
NOT_SIGNED_IN = {"detail": "Please log in."}
NOT_ALLOWED = {"detail": "You do not have permission to do this."}
CSRF = {"detail": "The form has expired or did not come from Accord. "
                  "Reload the page and try again."}

#: The intake model validated the ordinary way (FastAPI, before the endpoint), to compare with.
PLAIN = FastAPI()


@PLAIN.post("/x")
def _plain(incident: IncidentIn) -> None: ...


def _stored(database: Database) -> int:
    return len(DispatchService(database).queue())


def _token(database: Database, user_id: int) -> tuple[int, str]:
    with database.session() as session:
        accounts = AccountService(session)
        issued = accounts.issue_token(accounts.get_user(user_id), "intake")
        return issued.record.id, issued.token


def _refused(client: Any, database: Database, status: int, detail: dict[str, str],
             **request: Any) -> Any:
    before = _stored(database)
    # Valid, invalid, no body: the same refusal.
    for body in ({"json": INCIDENT}, {"json": {"type": "theft", "lat": 500}}, {}):
        response = client.post(URL, **(body | request))
        assert (response.status_code, response.json()) == (status, detail), response.text
        assert response.headers["content-type"] == "application/json"
    assert _stored(database) == before
    return response


def test_no_credentials_is_401_with_a_challenge(client, database) -> None:  # type: ignore[no-untyped-def]
    refused = _refused(client, database, 401, NOT_SIGNED_IN, headers=JSON)
    assert refused.headers["www-authenticate"] == "Bearer"
    # A session cookie that is no session is no credential either.
    client.cookies.set("accord_session", "not-a-session")
    refused = _refused(client, database, 401, NOT_SIGNED_IN,
                       headers=JSON | {"X-CSRF-Token": "x"})
    assert refused.headers["www-authenticate"] == "Bearer"


def test_a_role_outside_dispatch_is_403(client, database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("interpreter.only", Role.INTERPRETER)
    _token_id, token = _token(database, user.id)
    _refused(client, database, 403, NOT_ALLOWED,
             headers=JSON | {"Authorization": f"Bearer {token}"})
    csrf = login(client, "interpreter.only")
    _refused(client, database, 403, NOT_ALLOWED, headers=JSON | {"X-CSRF-Token": csrf})


def test_a_session_without_its_csrf_token_is_403(client, database, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("dispatcher.csrf", Role.DISPATCHER)
    csrf = login(client, "dispatcher.csrf")
    _refused(client, database, 403, CSRF, headers=JSON)
    _refused(client, database, 403, CSRF, headers=JSON | {"X-CSRF-Token": csrf[:-2] + "xx"})
    # A form post: the token would be a form field, read once the caller is known.
    before = _stored(database)
    response = client.post(URL, data={"csrf_token": "wrong"}, headers=JSON)
    assert (response.status_code, response.json()) == (403, CSRF)
    assert _stored(database) == before
    # The CSRF check comes before the role check, as in require_roles: a dispatcher with the
    # token gets through, and the refusal above was the token's.
    created = client.post(URL, json=INCIDENT, headers=JSON | {"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    assert _stored(database) == before + 1


def test_a_revoked_token_is_401(client, database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("dispatcher.token", Role.DISPATCHER)
    token_id, token = _token(database, user.id)
    headers = JSON | {"Authorization": f"Bearer {token}"}
    before = _stored(database)
    assert client.post(URL, json=INCIDENT, headers=headers).status_code == 201
    assert _stored(database) == before + 1
    with database.session() as session:
        accounts = AccountService(session)
        accounts.revoke_token(accounts.get_user(user.id), token_id)
    refused = _refused(client, database, 401, {"detail": "Invalid or revoked API token."},
                       headers=headers)
    assert refused.headers["www-authenticate"] == "Bearer"


def test_a_tablet_in_conversation_mode_is_refused(client, database, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("dispatcher.kiosk", Role.DISPATCHER)
    csrf = login(client, "dispatcher.kiosk")
    client.cookies.set("accord_kiosk", "1")
    _refused(client, database, 403, {"detail": "This tablet is in conversation mode. "
                                               "The officer's PIN unlocks it."},
             headers=JSON | {"X-CSRF-Token": csrf})


@pytest.mark.parametrize("body", [{"type": "theft", "lat": 500, "lon": 24.9},
                                  {"type": "theft", "lat": 60.17}, ["not", "an", "object"],
                                  {"type": "theft", "lat": 60.17, "lon": 24.9,
                                   "vehicles": [{"plate": "X" * 21}]}, None])
def test_an_admitted_caller_gets_fastapis_validation_answer(client, database, make_user,  # type: ignore[no-untyped-def]
                                                            body) -> None:
    """Validated after the check, inside the call: the same 422 FastAPI's own validation of
    the model gives (compared with the model validated the ordinary way)."""
    sent = {} if body is None else {"json": body}  # None: no body at all
    expected = TestClient(PLAIN).post("/x", **sent).json()["detail"]
    user = make_user("dispatcher.body", Role.DISPATCHER)
    _token_id, token = _token(database, user.id)
    before = _stored(database)
    response = client.post(URL, **sent, headers=JSON | {"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert [(d["loc"], d["msg"], d["type"]) for d in response.json()["detail"]] == [
        (e["loc"], e["msg"], e["type"]) for e in expected]
    assert _stored(database) == before


def test_the_document_still_describes_a_required_incident_body(client, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("dispatcher.docs", Role.DISPATCHER)
    login(client, "dispatcher.docs")
    document = client.get("/api/v1/openapi.json").json()
    body = document["paths"][URL]["post"]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == set(IncidentIn.model_fields)
    assert set(schema["required"]) == {"type", "lat", "lon"}
