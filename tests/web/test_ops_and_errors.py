"""Health and readiness, error pages, request ids, security headers and JSON logs."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from accord.core.roles import Role
from tests.helpers import login


def test_healthz_and_readyz_are_public_json(client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] in ("sqlite", "postgresql")


def test_readyz_is_503_and_pages_are_friendly_when_database_is_unreachable(
    accord_env, monkeypatch
) -> None:
    from accord.assembly import create_app
    from accord.config import reset_settings_cache
    from accord.core.runtime import reset_runtime

    bad = ("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
           if "postgresql" in accord_env["ACCORD_DATABASE_URL"]
           else "sqlite:////nonexistent-dir/for/sure/accord.sqlite3")
    monkeypatch.setenv("ACCORD_DATABASE_URL", bad)
    reset_settings_cache()
    reset_runtime()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        client.cookies.set("accord_session", "whatever")
        page = client.get("/", headers={"Accept": "text/html", "Accept-Language": "en"})
        assert page.status_code == 503
        assert "database is not reachable" in page.text
        assert "Traceback" not in page.text and "sqlalchemy" not in page.text.lower()


def test_unknown_page_gets_a_404_page_and_unknown_api_path_json(client) -> None:
    page = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "<html" in page.text and "Page not found" in page.text
    api = client.get("/api/v1/nothing-here")
    assert api.status_code in (401, 404)
    assert api.headers["content-type"].startswith("application/json")


def test_request_id_header_and_security_headers(client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    assert response.headers["x-request-id"] == "abc12345-trace"
    generated = client.get("/login")
    assert len(generated.headers["x-request-id"]) == 16
    assert generated.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in generated.headers["content-security-policy"]


def test_access_log_is_json_with_request_id(client, caplog) -> None:
    from accord.core.logging import JsonFormatter

    with caplog.at_level(logging.INFO, logger="accord.access"):
        client.get("/healthz", headers={"X-Request-ID": "log-check-0001"})
    records = [r for r in caplog.records if r.name == "accord.access"]
    assert records
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["path"] == "/healthz" and line["status"] == 200
    assert line["message"] == "request"


def test_permission_error_page_is_translated_for_chinese_users(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER, language="zh_Hans")
    login(client, "li.wei")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "您无权执行此操作。" in response.text
    assert 'lang="zh-Hans"' in response.text
