"""Legal officers confirm the exact text of a legal fact; a changed text is unverified again."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.cases.guidance import (
    GUIDANCE_DIR,
    LegalFactService,
    StaleFact,
    get_guidance,
    load_confirmations,
    load_guidance,
    plan,
)
from accord.cases.guidance_models import LegalFactConfirmation
from accord.core.db import Database
from accord.core.errors import ValidationFailed
from accord.core.roles import Role
from tests.helpers import login

AT = datetime.fromisoformat("2026-11-20T09:00:00+08:00")
FACT = "mps-foreign-48h"  # partly verified: shown unverified until a legal officer confirms


def _report_status(database: Database) -> str:
    with database.session() as session:
        confirmations = load_confirmations(session)
    by_id = {
        s.step_id: s
        for s in plan("detention", at=AT, nationality="USA", confirmations=confirmations)
    }
    return by_id["provincial-report-48h"].fact_status


def test_confirmation_flow_and_digest_change(
    database: Database,
    make_user,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    legal = make_user("legal-1", Role.LEGAL)
    assert _report_status(database) == "unverified"
    fact = get_guidance().facts[FACT]
    with database.session() as session:
        service = LegalFactService(session)
        with pytest.raises(StaleFact):
            service.record(FACT, "confirmed", digest="0" * 64, note="", user_id=legal.id)
        with pytest.raises(ValidationFailed):
            service.record(FACT, "disputed", digest=fact.digest, note=" ", user_id=legal.id)
        service.record(
            FACT, "confirmed", digest=fact.digest, note="checked 2026 text", user_id=legal.id
        )
    assert _report_status(database) == "confirmed-by-legal-officer"

    # The YAML text changes: the confirmation no longer matches and the fact is unverified.
    directory = tmp_path / "guidance"
    shutil.copytree(GUIDANCE_DIR, directory)
    facts_file = directory / "legal_facts.yaml"
    text = facts_file.read_text(encoding="utf-8")
    facts_file.write_text(
        text.replace("report within 48 hours", "report within 24 hours", 1), encoding="utf-8"
    )
    changed = load_guidance(directory)
    assert changed.facts[FACT].digest != fact.digest
    with database.session() as session:
        views = {v.fact.id: v for v in LegalFactService(session, changed).facts()}
        assert views[FACT].shown_status == "unverified" and views[FACT].stale
        same = {v.fact.id: v for v in LegalFactService(session).facts()}
        assert same[FACT].shown_status == "confirmed-by-legal-officer" and not same[FACT].stale

    # A later dispute replaces the confirmation.
    with database.session() as session:
        LegalFactService(session).record(
            FACT,
            "disputed",
            digest=fact.digest,
            note="article numbers changed in 2020",
            user_id=legal.id,
        )
    assert _report_status(database) == "disputed-by-legal-officer"


def test_facts_page_access_and_forms(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    database: Database,
) -> None:
    make_user("legal-1", Role.LEGAL)
    make_user("officer-1", Role.OFFICER)
    make_user("admin-1", Role.ADMIN)
    csrf = login(client, "officer-1")
    assert client.get("/legal/facts").status_code == 403
    client.cookies.clear()
    login(client, "admin-1")
    assert client.get("/legal/facts").status_code == 200
    client.cookies.clear()
    csrf = login(client, "legal-1")
    page = client.get("/legal/facts")
    assert page.status_code == 200
    assert 'href="/legal/facts"' in page.text  # nav link for legal officers
    assert f'data-fact="{FACT}" data-status="unverified"' in page.text
    digest = get_guidance().facts[FACT].digest
    assert digest in page.text

    stale = client.post(
        "/legal/facts",
        data={"csrf_token": csrf, "fact_id": FACT, "digest": "f" * 64, "status": "confirmed"},
    )
    assert stale.status_code == 409 and "has changed" in stale.text
    no_note = client.post(
        "/legal/facts",
        data={"csrf_token": csrf, "fact_id": FACT, "digest": digest, "status": "disputed"},
    )
    assert no_note.status_code == 422
    unknown = client.post(
        "/legal/facts",
        data={"csrf_token": csrf, "fact_id": "nope", "digest": digest, "status": "confirmed"},
    )
    assert unknown.status_code == 404
    no_csrf = client.post(
        "/legal/facts", data={"fact_id": FACT, "digest": digest, "status": "confirmed"}
    )
    assert no_csrf.status_code == 403
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(LegalFactConfirmation)) == 0

    ok = client.post(
        "/legal/facts",
        data={
            "csrf_token": csrf,
            "fact_id": FACT,
            "digest": digest,
            "status": "confirmed",
            "note": "read against the 2020 text",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    page = client.get("/legal/facts")
    assert f'data-fact="{FACT}" data-status="confirmed-by-legal-officer"' in page.text
    assert "read against the 2020 text" in page.text
