"""Request-body limits are declared per route (accord.web.uploads), not guessed from the path."""

from __future__ import annotations

import typing
from collections.abc import Iterator

import pytest
from fastapi import UploadFile
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from accord.config import reset_settings_cache
from accord.core.roles import Role
from accord.web import uploads
from tests.helpers import add_case, login

UPLOAD_LIMIT = 3_000_000  # ACCORD_UPLOAD_MAX_BYTES in these tests; ACCORD_MAX_BODY_BYTES is 1 MB


@pytest.fixture
def app_client(accord_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ACCORD_UPLOAD_MAX_BYTES", str(UPLOAD_LIMIT))
    reset_settings_cache()
    from accord.assembly import create_app

    with TestClient(create_app(), base_url="http://testserver") as client:
        client.headers["Accept-Language"] = "en"
        yield client


def test_a_route_that_only_looks_like_an_upload_keeps_the_small_limit(app_client) -> None:
    # The generic gateway route with capability "evidence" ends like the evidence upload; it
    # used to get the upload limit (and read a 5 MB body). The body is refused before anything.
    body = b'{"purpose": "' + b"x" * 2_000_000 + b'"}'
    for path in ("/api/v1/gateway/evidence", "/api/v1/gateway/passport",
                 "/api/v1/gateway/audio"):
        response = app_client.post(path, content=body,
                                   headers={"Content-Type": "application/json"})
        assert response.status_code == 413, (path, response.status_code)
        assert "1000000 bytes" in response.json()["detail"]


def test_an_upload_route_accepts_files_up_to_its_own_limit(app_client, make_user,
                                                           database) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    ref = add_case(database, "FR-2026-000001", officer.id)
    csrf = login(app_client, "li.wei")

    def upload(size: int):  # type: ignore[no-untyped-def]
        return app_client.post(
            f"/cases/{ref}/evidence", data={"csrf_token": csrf, "description": "CCTV still"},
            files={"file": ("still.bin", b"\0" * size, "application/octet-stream")},
            follow_redirects=False)

    accepted = upload(2_000_000)  # twice the ordinary body limit
    assert accepted.status_code == 303, accepted.text
    page = app_client.get(f"/cases/{ref}")
    assert "CCTV still" in page.text
    too_big = upload(UPLOAD_LIMIT + 1)
    assert too_big.status_code == 413
    assert f"{UPLOAD_LIMIT} bytes" in too_big.json()["detail"]


def test_forecast_csv_import_declares_twenty_megabytes(app_client) -> None:
    from accord.forecast.routes import forecast

    app = app_client.app
    scope = {"type": "http", "method": "POST", "path": "/forecast/import", "root_path": ""}
    assert uploads.route_limit(app, scope, UPLOAD_LIMIT) == forecast.IMPORT_BODY_BYTES
    assert forecast.IMPORT_BODY_BYTES > 20_000_000
    # Another method on the same path, or a path without a declaration: no route limit.
    assert uploads.route_limit(app, {**scope, "method": "GET"}, UPLOAD_LIMIT) is None
    assert uploads.route_limit(app, {**scope, "path": "/api/v1/gateway/evidence"},
                               UPLOAD_LIMIT) is None


def walk_routes_raw(app) -> list:  # type: ignore[no-untyped-def]
    from fastapi.routing import iter_route_contexts

    return [getattr(r, "original_route", r) for r in iter_route_contexts(list(app.routes))]


def test_every_route_that_takes_a_file_declares_its_limit(app_client) -> None:
    taking_files = []
    for route in walk_routes_raw(app_client.app):
        if not isinstance(route, APIRoute):
            continue
        hints = typing.get_type_hints(route.endpoint)
        if any(UploadFile in (typing.get_args(hint) or (hint,)) for hint in hints.values()):
            taking_files.append(route.path)
            assert uploads.declared_limit(route) is not None, route.path
    assert len(taking_files) >= 4  # evidence, passport photo, audio, forecast CSV
    with pytest.raises(ValueError):
        uploads.accepts_files(0)
