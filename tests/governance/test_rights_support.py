"""Helpers shared by the rights-portal and DPO-console tests (no tests here).

Until the lead's Alembic migration adds them, the rights tables are created with
``Base.metadata.create_all(engine, tables=RIGHTS_TABLES)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord.config import get_settings
from accord.core.accounts import User
from accord.core.db import Base, Database
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.governance.models import RIGHTS_TABLES
from accord.governance.rights import RightsService, SpoolNotifier

INJECTIONS = (
    "<script>alert('x')</script>",
    "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE rights_requests; --",
    "{{ 7*7 }} {% raw %}",
)


def create_tables(database: Database) -> None:
    Base.metadata.create_all(database.engine, tables=RIGHTS_TABLES)


def caller_of(user: User) -> Caller:
    return Caller(user.id, user.username, frozenset(role.value for role in user.roles))


def langid(user: User, text: str, document: str = "", case_ref: str = "") -> str:
    """One real gateway call (language identification) about the holder of ``document``."""
    result = get_governance().gateway.invoke(caller_of(user), GatewayRequest(
        "interpret.langid", "victim-assistance", "police-law-art-2", {"text": text},
        case_ref=case_ref, subject_document=document))
    return result.decision_id


def outbox() -> SpoolNotifier:
    return SpoolNotifier(get_settings().state_dir / "outbox")


def messages(reference: str, purpose: str = "verification-code") -> list[dict[str, Any]]:
    return [m for m in outbox().messages() if m["reference"] == reference
            and m["purpose"] == purpose]


def latest_code(reference: str, purpose: str = "verification-code") -> str:
    found = messages(reference, purpose)
    assert found, f"no {purpose} message for {reference} in the outbox"
    code = found[-1]["params"]["code"]
    assert re.fullmatch(r"\d{6}", code) and code in found[-1]["body"]
    return str(code)


def service() -> RightsService:
    return RightsService.from_governance()


def rights_app() -> FastAPI:
    """create_app() with the rights and DPO routers, unless it already includes them."""
    from accord.assembly import create_app
    from accord.governance.routes import dpo, rights

    app = create_app()
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/rights" not in paths:
        app.include_router(rights.public_router)
    if "/dpo" not in paths:
        for router in dpo.routers:
            app.include_router(router)
    return app


def client_for(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        client.headers["Accept-Language"] = "en"
        yield client


def form_token(client: TestClient, path: str = "/rights") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def outbox_files(state_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((state_dir / "outbox").glob("*.json"))]
