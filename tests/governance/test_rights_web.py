"""The public rights portal over HTTP: forms with double-submit CSRF, injection strings stored
verbatim and shown escaped, rate limits (429), status pages by reference, the report download."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from accord.core.roles import Role
from accord.governance.models import RightsRequest
from accord.governance.rights import RightsService
from tests.governance.test_rights_support import (
    INJECTIONS,
    caller_of,
    client_for,
    create_tables,
    form_token,
    langid,
    latest_code,
    rights_app,
)
from tests.helpers import login

DOC = "E1234 5678"


@pytest.fixture
def client(accord_env, database) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    create_tables(database)
    yield from client_for(rights_app())


def _form(**changes: str) -> dict[str, str]:
    return {"kind": "access", "document_number": DOC, "contact_kind": "email",
            "contact": "mario@example.it", "preferred_language": "fr", "decision_ref": "",
            "details": "", **changes}


def _submit(client: TestClient, **changes: str) -> str:
    token = form_token(client)
    response = client.post("/rights", data={**_form(**changes), "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.fullmatch(r"/rights/status/(RR-[A-Z2-7]{12})\?notice=submitted", location)
    assert match, location
    return match.group(1)


def _status_token(client: TestClient, reference: str) -> str:
    return form_token(client, f"/rights/status/{reference}")


def test_the_form_is_public_in_english_and_chinese(client) -> None:
    page = client.get("/rights")
    assert page.status_code == 200
    assert "Your rights and appeals" in page.text
    assert "set by the operator of this service to the applicable law" in page.text
    assert "appeal: 30 days" in page.text
    for code in ("zh", "en", "ru", "ja", "ko", "fr", "es", "de", "ar", "pt", "vi", "th"):
        assert f'<option value="{code}"' in page.text
    assert page.cookies.get("accord_rights_csrf") or client.cookies.get("accord_rights_csrf")
    assert page.headers["cache-control"] == "no-store"
    chinese = client.get("/rights", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 200 and 'lang="zh-Hans"' in chinese.text


def test_submit_verify_and_follow_the_status(client) -> None:
    reference = _submit(client)
    page = client.get(f"/rights/status/{reference}?notice=submitted")
    assert page.status_code == 200
    assert 'data-testid="state">received<' in page.text
    assert "E••••••78" in page.text and "m•••@e•••.it" in page.text
    assert "12345678" not in page.text and "mario@example.it" not in page.text
    assert "We sent a six-digit code" in page.text
    token = _status_token(client, reference)
    wrong = client.post(f"/rights/status/{reference}/verify",
                        data={"code": "abc", "csrf_token": token})
    assert wrong.status_code == 400 and "4 attempts left" in wrong.text
    good = client.post(f"/rights/status/{reference}/verify",
                       data={"code": latest_code(reference), "csrf_token": token},
                       follow_redirects=False)
    assert good.status_code == 303
    page = client.get(good.headers["location"])
    assert 'data-testid="state">identity verified<' in page.text
    assert "your identity is verified" in page.text
    assert page.text.count('data-testid="history-item"') == 3
    # The lookup form redirects a typed reference (any case, spaces) to its page.
    found = client.get("/rights/status", params={"reference": reference.lower()},
                       follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/rights/status/{reference}"


def test_unknown_and_malformed_references_are_404(client) -> None:
    for reference in ("RR-AAAAAAAAAAAA", "RR-<script>", "1%20OR%201=1"):
        response = client.get(f"/rights/status/{reference}")
        assert response.status_code == 404
        assert "<script>" not in response.text
    lookup = client.get("/rights/status", params={"reference": "<b>nope</b>"})
    assert lookup.status_code == 422 and "&lt;b&gt;nope&lt;/b&gt;" in lookup.text


def test_forms_without_the_csrf_cookie_and_field_are_refused(client) -> None:
    client.get("/rights")
    response = client.post("/rights", data={**_form(), "csrf_token": "forged"})
    assert response.status_code == 403
    client.cookies.clear()
    response = client.post("/rights", data={**_form(), "csrf_token": ""})
    assert response.status_code == 403
    reference = _submit(client)
    token = _status_token(client, reference)
    client.cookies.clear()
    response = client.post(f"/rights/status/{reference}/verify",
                           data={"code": latest_code(reference), "csrf_token": token})
    assert response.status_code == 403
    assert RightsService.from_governance().get(reference).state == "received"


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_stored_verbatim_and_shown_escaped(client, make_user, database,
                                                                  text) -> None:
    # Rejected input is echoed back into the form, escaped.
    token = form_token(client)
    response = client.post("/rights", data={**_form(contact=text, details=text),
                                            "csrf_token": token})
    assert response.status_code == 422
    assert text not in response.text or text == str(escape(text))
    assert str(escape(text)) in response.text
    assert 'data-testid="form-error"' in response.text
    # Accepted input is stored exactly as typed and shown escaped to the DPO.
    reference = _submit(client, kind="objection", details=text)
    with database.session() as session:
        stored = session.scalar(select(RightsRequest).where(RightsRequest.reference == reference))
        assert stored.details == text.strip()
    status = client.get(f"/rights/status/{reference}")
    assert text not in status.text or text == str(escape(text))
    make_user("zhou.min", Role.DPO)
    login(client, "zhou.min")
    page = client.get(f"/dpo/requests/{reference}")
    assert page.status_code == 200
    assert str(escape(text.strip())) in page.text
    if "<" in text:
        assert text not in page.text


def test_oversized_fields_are_refused(client) -> None:
    token = form_token(client)
    for changes, message in (({"details": "x" * 4001, "kind": "objection"}, "At most 4000"),
                             ({"document_number": "9" * 60}, "4 to 20 letters"),
                             ({"contact": "a" * 300 + "@example.org"}, "too long")):
        response = client.post("/rights", data={**_form(**changes), "csrf_token": token})
        assert response.status_code == 422 and message in response.text


def test_submitting_is_rate_limited_per_address(client) -> None:
    for _ in range(5):
        _submit(client)
    token = form_token(client)
    response = client.post("/rights", data={**_form(), "csrf_token": token})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many attempts from your connection" in response.text
    with RightsService.from_governance().database.session() as session:
        assert len(list(session.scalars(select(RightsRequest)))) == 5


def test_entering_codes_is_rate_limited_and_five_wrong_codes_lock(client) -> None:
    reference = _submit(client)
    token = _status_token(client, reference)
    statuses = [client.post(f"/rights/status/{reference}/verify",
                            data={"code": "000000x", "csrf_token": token}).status_code
                for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 403]
    page = client.get(f"/rights/status/{reference}")
    assert 'data-testid="locked"' in page.text and 'data-testid="verify-form"' not in page.text
    for _ in range(5):
        client.post(f"/rights/status/{reference}/resend", data={"csrf_token": token})
    limited = client.post(f"/rights/status/{reference}/verify",
                          data={"code": "123456", "csrf_token": token})
    assert limited.status_code == 429 and "retry-after" in limited.headers


def test_appeal_outcome_is_shown_on_the_status_page(client, make_user) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    decision_id = langid(officer, "Salam, saya kehilangan paspor saya", document=DOC)
    reference = _submit(client, kind="appeal", decision_ref=decision_id.upper(),
                        details="I speak Malay")
    token = _status_token(client, reference)
    client.post(f"/rights/status/{reference}/verify",
                data={"code": latest_code(reference), "csrf_token": token})
    dpo = make_user("zhou.min", Role.DPO)
    RightsService.from_governance().decide_appeal(
        reference, caller_of(dpo), "overturned", "The model confuses Malay & Indonesian.")
    page = client.get(f"/rights/status/{reference}")
    assert "overturned: the AI output was set aside" in page.text
    assert "The model confuses Malay &amp; Indonesian." in page.text
    assert 'data-testid="state">answered<' in page.text


def test_the_released_report_downloads_as_html_json_and_pdf(client, make_user) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    langid(officer, "Bonjour, j'ai perdu mon passeport", document=DOC)
    langid(officer, "Ich habe meinen Pass verloren", document="G7654321")
    reference = _submit(client)
    token = _status_token(client, reference)
    client.post(f"/rights/status/{reference}/verify",
                data={"code": latest_code(reference), "csrf_token": token})
    assert client.get(f"/rights/status/{reference}/report.json").status_code == 403
    dpo = make_user("zhou.min", Role.DPO)
    RightsService.from_governance().release_access_report(reference, caller_of(dpo))
    page = client.get(f"/rights/status/{reference}")
    assert 'data-testid="report-download"' in page.text
    sent = client.post(f"/rights/status/{reference}/download-code", data={"csrf_token": token},
                       follow_redirects=False)
    assert sent.status_code == 303
    opened = client.post(f"/rights/status/{reference}/download",
                         data={"code": latest_code(reference, "download-code"),
                               "csrf_token": token}, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/rights/status/{reference}/report"
    cookie = opened.headers["set-cookie"]
    assert "HttpOnly" in cookie and f"Path=/rights/status/{reference}" in cookie
    report_page = client.get(opened.headers["location"])
    assert report_page.status_code == 200
    assert "Bonjour" in html.unescape(report_page.text) and "Ich habe" not in report_page.text
    data = client.get(f"/rights/status/{reference}/report.json")
    assert data.status_code == 200 and "attachment" in data.headers["content-disposition"]
    assert [row["output"]["language"] for row in data.json()["decisions"]] == ["fr"]
    pdf = client.get(f"/rights/status/{reference}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # Another browser with only the reference gets nothing.
    with TestClient(client.app) as stranger:
        assert stranger.get(f"/rights/status/{reference}/report.json").status_code == 403
        assert "Bonjour" not in stranger.get(f"/rights/status/{reference}").text
