"""The DPO console over HTTP: who may see what, acting on requests, the breach register, the
assessments page, the dashboard's ledger verification, counter verification by an officer, and
the auditor's ZIP, verified after unzipping with the offline verifier."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from accord.config import get_settings
from accord.core.db import utcnow
from accord.core.gateway.models import Decision
from accord.core.governance import get_governance
from accord.core.ledger.export import verify_export
from accord.core.roles import Role
from accord.governance.rights import RightsService, Submission
from tests.governance.test_dpo import register_high_risk
from tests.governance.test_rights_support import (
    client_for,
    create_tables,
    langid,
    latest_code,
    rights_app,
)
from tests.helpers import login

DOC = "E1234 5678"


@pytest.fixture
def client(accord_env, database, make_user) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    create_tables(database)
    for name, role in (("zhou.min", Role.DPO), ("li.wei", Role.OFFICER),
                       ("root", Role.ADMIN), ("audit.one", Role.AUDITOR)):
        make_user(name, role)
    yield from client_for(rights_app())


def _request(kind: str = "access", now=None, **extra: str) -> str:  # type: ignore[no-untyped-def]
    rights = RightsService.from_governance()
    request = rights.submit(Submission(kind, DOC, "email", "mario@example.it", "fr",
                                       details=extra.get("details", "please"),
                                       decision_ref=extra.get("decision_ref", ""),
                                       ui_language="en"), now=now)
    return request.reference


def _verify(reference: str) -> None:
    RightsService.from_governance().verify_code(reference, latest_code(reference))


def _act(client: TestClient, csrf: str, reference: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(f"/dpo/requests/{reference}", data={"csrf_token": csrf, **form},
                       follow_redirects=False)


@pytest.mark.parametrize("path", ["/dpo", "/dpo/dashboard", "/dpo/breaches", "/dpo/assessments",
                                  "/dpo/audit-export", "/counter/rights"])
def test_anonymous_visitors_are_sent_to_log_in(client, path) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("user, path, status", [
    ("li.wei", "/dpo", 403), ("li.wei", "/dpo/dashboard", 403),
    ("li.wei", "/dpo/breaches", 403), ("li.wei", "/dpo/audit-export", 403),
    ("li.wei", "/counter/rights", 200),
    ("root", "/dpo", 403), ("root", "/dpo/breaches", 403), ("root", "/dpo/dashboard", 200),
    ("root", "/dpo/assessments", 200), ("root", "/dpo/audit-export", 403),
    ("root", "/counter/rights", 403),
    ("audit.one", "/dpo", 403), ("audit.one", "/dpo/audit", 200),
    ("audit.one", "/dpo/dashboard", 403),
    ("zhou.min", "/dpo", 200), ("zhou.min", "/dpo/breaches", 200),
    ("zhou.min", "/dpo/dashboard", 200), ("zhou.min", "/dpo/audit", 200),
])
def test_each_role_sees_only_its_part(client, user, path, status) -> None:
    login(client, user)
    assert client.get(path).status_code == status


def test_admin_reads_but_cannot_act(client) -> None:
    csrf = login(client, "root")
    page = client.get("/dpo/assessments")
    assert 'data-testid="assessment-form"' not in page.text
    response = client.post("/dpo/assessments", data={
        "csrf_token": csrf, "capability_id": "interpret.langid", "kind": "dpia",
        "outcome": "approved", "summary": "x"})
    assert response.status_code == 403
    assert 'data-testid="verify-ledger"' not in client.get("/dpo/dashboard").text
    assert client.post("/dpo/ledger-verify", data={"csrf_token": csrf}).status_code == 403


def test_the_queue_highlights_deadlines(client) -> None:
    now = utcnow()
    overdue = _request(now=now - timedelta(days=31))
    soon = _request(now=now - timedelta(days=28))
    fresh = _request()
    login(client, "zhou.min")
    page = client.get("/dpo").text
    flags = dict(re.findall(r'data-reference="(RR-[A-Z2-7]+)" data-flag="([a-z-]*)"', page))
    assert flags == {overdue: "overdue", soon: "due-soon", fresh: ""}
    assert page.index(overdue) < page.index(soon) < page.index(fresh)  # by deadline


def test_the_dpo_verifies_at_the_counter_and_releases_a_report(client, make_user) -> None:
    langid(make_user("zhang.san", Role.OFFICER), "Bonjour, j'ai perdu mon passeport",
           document=DOC)
    reference = _request()
    csrf = login(client, "zhou.min")
    page = client.get(f"/dpo/requests/{reference}")
    assert page.text.count('data-testid="subject-decision"') == 1
    assert "mario@example.it" in page.text  # the DPO needs the contact to answer
    wrong = _act(client, csrf, reference, action="counter-verify", document_number="X999999",
                 seen_document="on")
    assert wrong.status_code == 422 and "does not match" in wrong.text
    unchecked = _act(client, csrf, reference, action="counter-verify", document_number=DOC)
    assert unchecked.status_code == 422 and "original identity document" in unchecked.text
    ok = _act(client, csrf, reference, action="counter-verify", document_number="e12345678",
              seen_document="on")
    assert ok.status_code == 303
    assert _act(client, csrf, reference, action="start").status_code == 303
    released = _act(client, csrf, reference, action="release", note="Here is your data.")
    assert released.status_code == 303
    page = client.get(released.headers["location"])
    assert "Access report released" in page.text and 'data-testid="state">answered<' in page.text
    assert RightsService.from_governance().get(reference).verified_via == "counter"


def test_deletion_needs_confirmation_and_is_certified(client, make_user) -> None:
    officer = make_user("zhang.san", Role.OFFICER)
    decision_id = langid(officer, "Bonjour, j'ai perdu mon passeport", document=DOC)
    reference = _request("deletion")
    _verify(reference)
    csrf = login(client, "zhou.min")
    refused = _act(client, csrf, reference, action="erase")
    assert refused.status_code == 422
    done = _act(client, csrf, reference, action="erase", confirm="on")
    assert done.status_code == 303
    with get_governance().gateway.database.session() as session:
        assert session.get(Decision, decision_id).inputs is None
    page = client.get(done.headers["location"]).text
    assert "Deletion certificate: ledger entry" in page
    ledger = get_governance().ledger
    ledger.checkpoint()
    assert ledger.verify().ok


def test_the_dpo_decides_an_appeal_and_the_requester_sees_it(client, make_user) -> None:
    officer = make_user("zhang.san", Role.OFFICER)
    decision_id = langid(officer, "Salam, saya kehilangan paspor saya", document=DOC)
    reference = _request("appeal", decision_ref=decision_id, details="<b>I speak Malay</b>")
    _verify(reference)
    csrf = login(client, "zhou.min")
    page = client.get(f"/dpo/requests/{reference}").text
    assert 'data-testid="subject-match">yes' in page
    assert "&lt;b&gt;I speak Malay&lt;/b&gt;" in page
    missing = _act(client, csrf, reference, action="appeal", outcome="overturned", note="")
    assert missing.status_code == 422
    decided = _act(client, csrf, reference, action="appeal", outcome="overturned",
                   note="Misidentified: Malay.")
    assert decided.status_code == 303
    client.post("/logout", data={"csrf_token": csrf})
    status = client.get(f"/rights/status/{reference}").text
    assert "overturned: the AI output was set aside" in status
    assert "Misidentified: Malay." in status


def test_console_forms_need_the_session_csrf_token(client) -> None:
    reference = _request()
    login(client, "zhou.min")
    response = _act(client, "forged", reference, action="close", note="x")
    assert response.status_code == 403
    assert RightsService.from_governance().get(reference).state == "received"


def test_unknown_requests_and_actions(client) -> None:
    csrf = login(client, "zhou.min")
    assert client.get("/dpo/requests/RR-AAAAAAAAAAAA").status_code == 404
    reference = _request()
    assert _act(client, csrf, reference, action="explode").status_code == 422
    closed = _act(client, csrf, reference, action="close", note="withdrawn")
    assert closed.status_code == 303
    assert _act(client, csrf, reference, action="close", note="again").status_code == 409


def test_an_officer_verifies_identity_at_the_counter(client) -> None:
    reference = _request()
    csrf = login(client, "li.wei")
    page = client.post("/counter/rights", data={"csrf_token": csrf, "reference": reference,
                                                "document_number": DOC})
    assert page.status_code == 422
    page = client.post("/counter/rights", data={
        "csrf_token": csrf, "reference": reference.lower(), "document_number": DOC,
        "seen_document": "on"})
    assert page.status_code == 200 and 'data-testid="done"' in page.text
    record = RightsService.from_governance().get(reference)
    assert record.verified_via == "counter" and record.verified_by is not None
    again = client.post("/counter/rights", data={"csrf_token": csrf, "reference": reference,
                                                 "document_number": DOC, "seen_document": "on"})
    assert again.status_code == 409


def test_the_breach_register_shows_the_72_hour_clock(client) -> None:
    csrf = login(client, "zhou.min")
    detected = (utcnow() - timedelta(hours=80)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/dpo/breaches", data={
        "csrf_token": csrf, "title": "<script>x</script> USB stick lost",
        "detected_at": detected, "severity": "high", "affected_count": "12"},
        follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/dpo/breaches").text
    assert 'data-late="yes"' in page and "notification overdue" in page
    assert "&lt;script&gt;x&lt;/script&gt; USB stick lost" in page
    breach_id = re.search(r'/dpo/breaches/(\d+)/notified', page).group(1)
    refused = client.post(f"/dpo/breaches/{breach_id}/notified",
                          data={"csrf_token": csrf, "authority": "Regulator"})
    assert refused.status_code == 422 and "later than 72 hours" in refused.text
    done = client.post(f"/dpo/breaches/{breach_id}/notified", data={
        "csrf_token": csrf, "authority": "Regulator", "late_reason": "found on Monday"},
        follow_redirects=False)
    assert done.status_code == 303
    assert "notified late" in client.get("/dpo/breaches").text
    bad = client.post("/dpo/breaches", data={"csrf_token": csrf, "title": "x",
                                             "detected_at": "soon", "severity": "low"})
    assert bad.status_code == 422


def test_assessments_page_names_uncleared_high_risk_capabilities(client) -> None:
    register_high_risk()
    csrf = login(client, "zhou.min")
    page = client.get("/dpo/assessments").text
    missing = page.split('data-testid="missing-assessments"')[1].split('data-testid="gates"')[0]
    assert "test.high-risk" in missing
    for kind in ("dpia", "fria", "ethics-review"):
        response = client.post("/dpo/assessments", data={
            "csrf_token": csrf, "capability_id": "test.high-risk", "kind": kind,
            "outcome": "approved", "summary": f"{kind}: no open risks"},
            follow_redirects=False)
        assert response.status_code == 303
    page = client.get("/dpo/assessments").text
    missing = page.split('data-testid="missing-assessments"')[1].split('data-testid="gates"')[0]
    assert "test.high-risk" not in missing
    assert 'data-capability="test.high-risk" data-ok="yes"' in page


def test_the_dashboard_verifies_the_ledger_on_demand(client, make_user) -> None:
    langid(make_user("zhang.san", Role.OFFICER), "Bonjour, j'ai perdu mon passeport")
    csrf = login(client, "zhou.min")
    page = client.get("/dpo/dashboard").text
    assert "has not been verified from this console yet" in page
    response = client.post("/dpo/ledger-verify", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/dpo/dashboard").text
    assert "Ledger verified: 1 entries" in page
    fragment = client.get("/dpo/dashboard/verification").text
    assert 'data-testid="verify-result"' in fragment and "hx-trigger" not in fragment


@pytest.mark.parametrize("user", ["audit.one", "zhou.min"])
def test_the_audit_export_zip_verifies_after_unzipping(client, make_user, tmp_path: Path,
                                                       user) -> None:
    officer = make_user("zhang.san", Role.OFFICER)
    langid(officer, "Bonjour, j'ai perdu mon passeport", document=DOC)
    login(client, user)
    response = client.get("/dpo/audit-export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "accord-audit-" in response.headers["content-disposition"]
    target = tmp_path / "unzipped"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(target)
    report = verify_export(target / "ledger")
    assert report.ok, report.reason
    assert report.entries == 1
    assert (target / "rights-statistics.json").exists()
    # A second export sees the first one on the record.
    again = client.get("/dpo/audit-export")
    with zipfile.ZipFile(io.BytesIO(again.content)) as archive:
        entries = archive.read("ledger/entries.jsonl").decode().splitlines()
    assert '"kind":"audit-export"' in entries[-1]


def _todo(client: TestClient) -> str:
    page = client.get("/dpo/dashboard").text
    return page.split('data-testid="todo"')[1].split("</section>")[0]


def test_the_dpo_to_do_list_clears_a_capability_with_one_form(client) -> None:
    register_high_risk()
    csrf = login(client, "zhou.min")
    todo = _todo(client)
    block = todo.split('data-capability="test.high-risk"')[1].split("</details>")[0]
    assert block.count('type="checkbox" name="kind"') == 3
    governance = get_governance()
    before = governance.ledger.size()
    # A bad kind among good ones stores nothing at all.
    refused = client.post("/dpo/assessments", data={
        "csrf_token": csrf, "capability_id": "test.high-risk", "kind": ["dpia", "nope"],
        "outcome": "approved", "summary": "reviewed", "back": "dashboard"})
    assert refused.status_code == 422
    assert governance.ledger.size() == before
    done = client.post("/dpo/assessments", data={
        "csrf_token": csrf, "capability_id": "test.high-risk",
        "kind": ["dpia", "fria", "ethics-review"], "outcome": "approved",
        "summary": "DPIA, FRIA and ethics review signed off", "back": "dashboard"},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/dpo/dashboard"
    assert governance.ledger.size() == before + 3  # one ledger entry per assessment
    assert 'data-capability="test.high-risk"' not in _todo(client)
    assert 'data-capability="test.high-risk" data-ok="yes"' in client.get(
        "/dpo/assessments").text


def test_the_to_do_list_names_breaches_requests_and_the_checkpoint_to_cosign(
        client, make_user) -> None:
    csrf = login(client, "zhou.min")
    empty = _todo(client)
    assert not re.search(r'data-testid="todo-(breach|request|witness)"', empty)
    station = ZoneInfo(get_settings().station_timezone)  # the form takes station time
    detected = (utcnow() - timedelta(hours=10)).astimezone(station).strftime("%Y-%m-%dT%H:%M")
    assert client.post("/dpo/breaches", data={
        "csrf_token": csrf, "title": "Laptop stolen", "detected_at": detected,
        "severity": "high", "affected_count": "3"}, follow_redirects=False).status_code == 303
    late = _request(now=utcnow() - timedelta(days=40))
    fresh = _request()
    langid(make_user("zhang.san", Role.OFFICER), "Bonjour, j'ai perdu mon passeport")
    size = get_governance().ledger.checkpoint().size
    todo = _todo(client)
    breach = re.search(r'data-testid="todo-breach">(.*?)</p>', todo, re.S).group(1)
    assert "Laptop stolen" in breach and re.search(r"\((61|62) h left\)", breach)
    assert f'href="/dpo/requests/{late}"' in todo and "overdue" in todo
    assert fresh not in todo  # a month to go: not yet on the list
    assert f"Check and cosign checkpoint {size}" in todo
    assert 'action="/ledger/witness"' in todo
    get_governance().ledger.witness(get_governance().witness_signer(), None)
    assert 'data-testid="todo-witness"' not in _todo(client)
