"""Governance pages and the gateway API as users meet them: language identification (page and
JSON), the capability registry with its stop control, policies with the what-if tester, the
review queue and the automation-bias monitor."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.core.accounts import AccountService
from accord.core.accounts.models import User
from accord.core.gateway.models import Decision, LedgerEntry, Review
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.core.roles import Role
from tests.helpers import add_case, login

SPANISH = "Me robaron el pasaporte en el metro esta mañana"
LANGID_FORM = {"purpose": "victim-assistance", "legal_basis": "police-law-art-2"}
LANGID_BODY = {"purpose": "victim-assistance", "legal_basis": "police-law-art-2",
               "inputs": {"text": SPANISH}}


# -- helpers -------------------------------------------------------------------------------------
def _ledger_size(database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)))


def _decision_count(database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Decision)))


def _entry(database, seq: int) -> dict[str, Any]:
    with database.session() as session:
        return json.loads(session.get(LedgerEntry, seq).body)


def _switch_user(client, username: str, csrf: str | None) -> str:
    if csrf is not None:
        assert client.post("/logout", data={"csrf_token": csrf},
                           follow_redirects=False).status_code == 303
    return login(client, username)


def _testid(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)<', html, re.S)
    assert match, f"no {testid} in page"
    return match.group(1).strip()


def _set_default_purpose(database, username: str, purpose: str) -> None:
    with database.session() as session:
        user = AccountService(session).find_user(username)
        assert user is not None
        user.default_purpose = purpose


def _upper(inputs: Mapping[str, Any]) -> ModelOutput:
    return ModelOutput(output={"upper": str(inputs["text"]).upper()},
                       explanation="upper-cased the text", confidence=0.9)


def _register_reviewed_capability(roles: frozenset[str] = frozenset({"officer"})) -> str:
    """A review-required test capability on this process's registry (as tests/core/gateway)."""
    capability = Capability(
        id="test.echo-reviewed", version="1", title_en="Echo (reviewed)",
        title_zh="回显（需复核）", description_en="test", description_zh="测试",
        risk_tier=RiskTier.LIMITED, purposes=frozenset({"victim-assistance"}),
        legal_bases=frozenset({"consent"}), roles=roles,
        inputs={"text": InputSpec(kind="text", max_length=100)},
        model=ModelCard(name="test rule", version="t1", digest="", licence="Apache-2.0",
                        source="tests", training_data="none", measured_accuracy="n/a",
                        known_limitations=("test only",)),
        runner=_upper, review_required=True, review_role="supervisor",
    )
    get_governance().registry.register(capability)
    return capability.id


def _reviewed_call(user: User, text: str) -> str:
    caller = Caller(user_id=user.id, username=user.username,
                    roles=frozenset(role.value for role in user.roles))
    result = get_governance().gateway.invoke(caller, GatewayRequest(
        capability_id="test.echo-reviewed", purpose="victim-assistance", legal_basis="consent",
        inputs={"text": text}))
    return result.decision_id


def _review_id(database, decision_id: str) -> int:
    with database.session() as session:
        return int(session.scalar(select(Review.id).where(Review.decision_id == decision_id)))


# -- language identification: page -------------------------------------------------------------
def test_officer_identifies_spanish_on_the_page(client, make_user, database) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    _set_default_purpose(database, "li.wei", "witness-interview")
    csrf = login(client, "li.wei")
    form = client.get("/interpret/langid")
    assert form.status_code == 200
    assert '<label for="langid-text">Text to identify</label>' in form.text
    assert 'maxlength="2000"' in form.text
    assert '<option value="witness-interview" selected>' in form.text  # the user's default
    assert "sha256:" in form.text and "Known limitations" in form.text  # model card summary

    response = client.post("/interpret/langid", data={"csrf_token": csrf, "text": SPANISH,
                                                      **LANGID_FORM})
    assert response.status_code == 200
    assert _testid(response.text, "detected-language") == "Spanish"
    assert float(_testid(response.text, "confidence")) > 0.9
    assert 'data-testid="uncertain"' not in response.text
    seq = int(_testid(response.text, "ledger-seq"))
    decision_id = _testid(response.text, "decision-id")
    entry = _entry(database, seq)
    assert entry["kind"] == "decision" and entry["decision"] == decision_id
    assert entry["actor"] == f"user:{officer.id}" and entry["purpose"] == "victim-assistance"
    with database.session() as session:
        assert session.get(Decision, decision_id).output["language"] == "es"


def test_short_text_is_marked_uncertain_and_chinese_ui_names_the_language(
        client, make_user) -> None:
    make_user("li.wei", Role.OFFICER, language="zh_Hans")
    csrf = login(client, "li.wei")
    page = client.post("/interpret/langid", data={"csrf_token": csrf, "text": SPANISH,
                                                  **LANGID_FORM})
    assert page.status_code == 200 and _testid(page.text, "detected-language") == "西班牙语"
    short = client.post("/interpret/langid", data={"csrf_token": csrf, "text": "hola",
                                                   **LANGID_FORM})
    assert short.status_code == 200
    assert 'data-testid="uncertain"' in short.text
    assert "不确定" in short.text


def test_an_invalid_default_purpose_is_not_preselected(client, make_user, database) -> None:
    make_user("chen.jie", Role.SUPERVISOR)
    _set_default_purpose(database, "chen.jie", "supervision")  # not a langid purpose
    login(client, "chen.jie")
    page = client.get("/interpret/langid").text
    assert '<option value="" selected>— choose the purpose —</option>' in page
    assert 'value="supervision"' not in page


@pytest.mark.parametrize("text, expected", [
    ("", "text: required"),
    ("   ", "text: required"),
    ("a" * 2001, "text: at most 2000 characters (got 2001)"),
])
def test_empty_or_oversized_text_is_refused_and_nothing_is_stored(
        client, make_user, database, text, expected) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    before = _ledger_size(database), _decision_count(database)
    page = client.post("/interpret/langid", data={"csrf_token": csrf, "text": text,
                                                  **LANGID_FORM})
    assert page.status_code == 422
    assert _testid(page.text, "form-error") == f"Invalid input: {expected}"
    assert text.strip()[:50] in page.text  # the form keeps what was typed
    api = client.post("/api/v1/gateway/interpret.langid",
                      json={**LANGID_BODY, "inputs": {"text": text}},
                      headers={"X-CSRF-Token": csrf})
    assert api.status_code == 422 and api.json()["detail"] == f"Invalid input: {expected}"
    assert (_ledger_size(database), _decision_count(database)) == before


def test_analyst_cannot_open_the_langid_page(client, make_user) -> None:
    make_user("wang.fang", Role.ANALYST)
    csrf = login(client, "wang.fang")
    assert client.get("/interpret/langid").status_code == 403
    response = client.post("/interpret/langid", data={"csrf_token": csrf, "text": SPANISH,
                                                      **LANGID_FORM})
    assert response.status_code == 403
    assert "You do not have permission" in response.text


def test_unregistered_purpose_is_refused_on_the_page_with_reasons(client, make_user,
                                                                  database) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    page = client.post("/interpret/langid", data={
        "csrf_token": csrf, "text": SPANISH, "purpose": "curiosity",
        "legal_basis": "police-law-art-2"})
    assert page.status_code == 403
    assert "Traceback" not in page.text
    denial = _testid(page.text, "denial-summary")
    assert denial.startswith("Denied: no policy allows this request.")
    assert "<code>default-deny</code>" in page.text
    seq = int(re.search(r"recorded as ledger entry (\d+)", page.text).group(1))
    assert _entry(database, seq)["kind"] == "denial"


# -- the JSON API --------------------------------------------------------------------------------
def test_officer_identifies_spanish_through_the_api(client, make_user, database) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    add_case(database, "CASE:2026-0001", officer.id)
    csrf = login(client, "li.wei")
    # A browser session needs its CSRF token for the API too.
    assert client.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY).status_code == 403
    response = client.post("/api/v1/gateway/interpret.langid",
                           json={**LANGID_BODY, "case_ref": "CASE:2026-0001"},
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"decision_id", "ledger_seq", "output", "explanation", "confidence",
                         "review_required", "policy_version"}
    assert body["output"]["language"] == "es" and body["confidence"] > 0.9
    assert body["review_required"] is False
    assert body["policy_version"] == get_governance().policy.version
    entry = _entry(database, body["ledger_seq"])
    assert entry["decision"] == body["decision_id"] and entry["case_ref"] == "CASE:2026-0001"


def test_api_token_calls_the_gateway_without_a_session(client, make_user, database) -> None:
    user = make_user("li.wei", Role.OFFICER)
    with database.session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.get_user(user.id), "cli").token
    response = client.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY,
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["output"]["language"] == "es"
    assert client.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY).status_code == 401


def test_api_rejects_undeclared_fields_and_unknown_capabilities(client, make_user,
                                                                database) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    headers = {"X-CSRF-Token": csrf}
    extra = client.post("/api/v1/gateway/interpret.langid",
                        json={**LANGID_BODY, "supervisor_approved": True}, headers=headers)
    assert extra.status_code == 422
    undeclared = client.post("/api/v1/gateway/interpret.langid",
                             json={**LANGID_BODY, "inputs": {"text": SPANISH, "name": "Ana"}},
                             headers=headers)
    assert undeclared.status_code == 422
    assert "minimum necessary data" in undeclared.json()["detail"]
    unknown = client.post("/api/v1/gateway/no.such-thing", json=LANGID_BODY, headers=headers)
    assert unknown.status_code == 404


def test_analyst_gets_the_role_denial_explained(client, make_user, database) -> None:
    make_user("wang.fang", Role.ANALYST)
    csrf = login(client, "wang.fang")
    response = client.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY,
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    body = response.json()
    assert body["reasons"] == [{
        "policy_id": "forbid-role-not-allowed",
        "reason": "Denied: your roles do not include any role allowed to use this capability.",
    }]
    assert body["detail"] == body["reasons"][0]["reason"]
    assert _entry(database, body["ledger_seq"])["kind"] == "denial"


def test_chinese_analyst_gets_the_denial_in_chinese(client, make_user) -> None:
    make_user("wang.fang", Role.ANALYST, language="zh_Hans")
    csrf = login(client, "wang.fang")
    response = client.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY,
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    assert response.json()["detail"] == "拒绝：您的角色均不在此能力允许使用的角色范围内。"


@pytest.mark.parametrize("language, expected", [
    ("en", "Accord does not infer emotions from faces, voices or text."),
    ("zh_Hans", "Accord 不从面部、声音或文本推断情绪。"),
])
def test_prohibited_capability_is_refused_with_the_explanation(
        client, make_user, database, language, expected) -> None:
    make_user("li.wei", Role.OFFICER, Role.SUPERVISOR, language=language)
    csrf = login(client, "li.wei")
    response = client.post("/api/v1/gateway/affect.emotion-detection", json=LANGID_BODY,
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    body = response.json()
    assert body["detail"].startswith(expected)
    ids = [reason["policy_id"] for reason in body["reasons"]]
    assert "forbid-prohibited-risk-tier" in ids and "forbid-emotion-detection" in ids
    entry = _entry(database, body["ledger_seq"])
    assert entry["kind"] == "denial" and entry["capability"]["id"] == "affect.emotion-detection"


# -- capability registry and stop control --------------------------------------------------------
def test_registry_shows_model_cards_and_prohibited_uses(client, make_user) -> None:
    make_user("wang.fang", Role.ANALYST)
    login(client, "wang.fang")
    page = client.get("/governance/capabilities")
    assert page.status_code == 200
    text = page.text
    for expected in ("Text language identification", "interpret.langid", "limited",
                     "victim-assistance", "police-law-art-2", "officer", "Model card",
                     "fastText lid.176.ftz", "sha256:", "CC-BY-SA 3.0", "Wikipedia, Tatoeba",
                     "95.6% top-1", "Closely related languages", "In use",
                     "Not required: the output is a suggestion the user confirms."):
        assert expected in text, expected
    prohibited = text[text.index('data-testid="prohibited"'):]
    assert "Face identification against watchlists" in prohibited
    assert "Accord does not score individuals&#39; risk of offending." in prohibited
    assert "Emotion detection" in prohibited and "Credibility or lie detection" in prohibited
    assert 'data-testid="stop-form"' not in text  # analysts have no stop control


def test_registry_in_chinese_shows_chinese_titles_and_refusals(client, make_user) -> None:
    make_user("wang.fang", Role.ANALYST, language="zh_Hans")
    login(client, "wang.fang")
    text = client.get("/governance/capabilities").text
    assert "文本语种识别" in text and "能力登记" in text
    assert "Accord 不对个人的违法犯罪风险打分。" in text


def test_supervisor_suspends_langid_and_officers_are_refused_until_resumed(
        client, make_user, database) -> None:
    make_user("chen.jie", Role.SUPERVISOR)
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "chen.jie")
    page = client.get("/governance/capabilities").text
    assert 'action="/governance/capabilities/interpret.langid/suspension"' in page

    no_reason = client.post("/governance/capabilities/interpret.langid/suspension",
                            data={"csrf_token": csrf, "action": "suspend", "reason": " "})
    assert no_reason.status_code == 422
    assert "reason: say why the capability is suspended" in no_reason.text
    assert get_governance().gateway.suspension("interpret.langid") == (False, "")

    why = "Wrong language suggestions reported in district 3; under investigation"
    response = client.post("/governance/capabilities/interpret.langid/suspension",
                           data={"csrf_token": csrf, "action": "suspend", "reason": why})
    assert response.status_code == 200
    notice = _testid(response.text, "stop-notice")
    seq = int(re.search(r"ledger entry (\d+)", notice).group(1))
    assert "interpret.langid is suspended." in notice
    entry = _entry(database, seq)
    assert entry["kind"] == "capability-suspended" and entry["explanation"] == why
    assert f"Reason: {why}" in response.text and "Suspended" in response.text

    csrf = _switch_user(client, "li.wei", csrf)
    refused = client.post("/interpret/langid", data={"csrf_token": csrf, "text": SPANISH,
                                                     **LANGID_FORM})
    assert refused.status_code == 403
    assert (_testid(refused.text, "denial-summary")
            == f"Text language identification is suspended: {why}")
    assert "forbid-suspended-capability" in refused.text
    assert f"This capability is suspended: {why}" in client.get("/interpret/langid").text
    api = client.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY,
                      headers={"X-CSRF-Token": csrf})
    assert api.status_code == 403 and why in api.json()["detail"]

    csrf = _switch_user(client, "chen.jie", csrf)
    resumed = client.post("/governance/capabilities/interpret.langid/suspension",
                          data={"csrf_token": csrf, "action": "resume", "reason": ""})
    assert resumed.status_code == 200
    seq = int(re.search(r"ledger entry (\d+)", _testid(resumed.text, "stop-notice")).group(1))
    assert _entry(database, seq)["kind"] == "capability-resumed"

    csrf = _switch_user(client, "li.wei", csrf)
    again = client.post("/interpret/langid", data={"csrf_token": csrf, "text": SPANISH,
                                                   **LANGID_FORM})
    assert again.status_code == 200 and _testid(again.text, "detected-language") == "Spanish"


def test_officer_has_no_stop_control(client, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    page = client.get("/governance/capabilities")
    assert page.status_code == 200 and 'data-testid="stop-form"' not in page.text
    before = _ledger_size(database)
    response = client.post("/governance/capabilities/interpret.langid/suspension",
                           data={"csrf_token": csrf, "action": "suspend", "reason": "because"})
    assert response.status_code == 403
    assert get_governance().gateway.suspension("interpret.langid") == (False, "")
    assert _ledger_size(database) == before


def test_stop_control_refuses_prohibited_uses_and_needs_csrf(client, make_user,
                                                             database) -> None:
    make_user("boss", Role.ADMIN)
    csrf = login(client, "boss")
    assert 'data-testid="stop-form"' in client.get("/governance/capabilities").text
    prohibited = client.post("/governance/capabilities/risk.person-score/suspension",
                             data={"csrf_token": csrf, "action": "resume"})
    assert prohibited.status_code == 422
    assert "prohibited uses are always refused" in prohibited.text
    no_csrf = client.post("/governance/capabilities/interpret.langid/suspension",
                          data={"action": "suspend", "reason": "x"})
    assert no_csrf.status_code == 403
    unknown = client.post("/governance/capabilities/nope/suspension",
                          data={"csrf_token": csrf, "action": "suspend", "reason": "x"})
    assert unknown.status_code == 404
    assert get_governance().gateway.suspension("interpret.langid") == (False, "")


# -- policies and the what-if tester -------------------------------------------------------------
def test_policies_page_lists_rules_with_sources_and_version(client, make_user) -> None:
    make_user("audit", Role.AUDITOR)
    login(client, "audit")
    page = client.get("/governance/policies")
    assert page.status_code == 200
    assert _testid(page.text, "policy-version") == get_governance().policy.version
    for policy in get_governance().policy.policies():
        assert f"<code>{policy.id}</code>" in page.text
    assert "Denied: face verification needs the person&#39;s consent" in page.text
    assert '<pre lang="en" translate="no">@id(&#34;forbid-suspended-capability&#34;)' in page.text


def test_what_if_tester_explains_without_running_or_ledgering(client, make_user,
                                                              database) -> None:
    admin = make_user("boss", Role.ADMIN)
    analyst = make_user("wang.fang", Role.ANALYST)
    officer = make_user("li.wei", Role.OFFICER)
    csrf = login(client, "boss")
    page = client.get("/governance/policies").text
    assert f'<option value="{analyst.id}"' in page and f'<option value="{officer.id}"' in page
    before = _ledger_size(database), _decision_count(database)

    denied = client.post("/governance/policies/what-if", data={
        "csrf_token": csrf, "user_id": analyst.id, "capability_id": "interpret.langid",
        **LANGID_FORM})
    assert denied.status_code == 200
    assert 'data-testid="what-if-result" data-allowed="false"' in denied.text
    assert ("<code>forbid-role-not-allowed</code> — Denied: your roles do not include any role "
            "allowed to use this capability.") in denied.text

    allowed = client.post("/governance/policies/what-if", data={
        "csrf_token": csrf, "user_id": officer.id, "capability_id": "interpret.langid",
        **LANGID_FORM})
    assert 'data-allowed="true"' in allowed.text
    assert "<code>permit-registered-purpose</code>" in allowed.text

    face = client.post("/governance/policies/what-if", data={
        "csrf_token": csrf, "user_id": admin.id, "capability_id": "risk.person-score",
        "purpose": "x", "legal_basis": "consent", "consent_recorded": "on"})
    assert 'data-allowed="false"' in face.text and "forbid-person-risk-score" in face.text
    assert (_ledger_size(database), _decision_count(database)) == before


def test_supervisor_may_only_test_themselves(client, make_user, database) -> None:
    supervisor = make_user("chen.jie", Role.SUPERVISOR)
    other = make_user("li.wei", Role.OFFICER)
    csrf = login(client, "chen.jie")
    page = client.get("/governance/policies").text
    assert f'<option value="{supervisor.id}"' in page and f'value="{other.id}"' not in page
    response = client.post("/governance/policies/what-if", data={
        "csrf_token": csrf, "user_id": other.id, "capability_id": "interpret.langid",
        **LANGID_FORM})
    assert response.status_code == 403
    assert "You may only try the policies for yourself." in response.text
    mine = client.post("/governance/policies/what-if", data={
        "csrf_token": csrf, "user_id": supervisor.id, "capability_id": "interpret.langid",
        **LANGID_FORM})
    assert mine.status_code == 200 and 'data-allowed="true"' in mine.text
    bad = client.post("/governance/policies/what-if", data={
        "csrf_token": csrf, "user_id": "someone", "capability_id": "interpret.langid"})
    assert bad.status_code == 422


def test_officer_cannot_open_policies(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    assert client.get("/governance/policies").status_code == 403
    assert client.post("/governance/policies/what-if", data={
        "csrf_token": csrf, "user_id": 1, "capability_id": "interpret.langid"}).status_code == 403


# -- review queue and monitor --------------------------------------------------------------------
def test_supervisor_confirms_edits_and_rejects_reviews(client, make_user, database) -> None:
    _register_reviewed_capability()
    officer = make_user("li.wei", Role.OFFICER)
    make_user("chen.jie", Role.SUPERVISOR)
    first, second, third = (_reviewed_call(officer, text) for text in ("uno", "dos", "tres"))
    csrf = login(client, "chen.jie")

    queue = client.get("/reviews")
    assert queue.status_code == 200
    assert queue.text.count('data-testid="review-item"') == 3
    for expected in ("Echo (reviewed)", "test.echo-reviewed", "t1", "Victim assistance",
                     "upper-cased the text", "&#34;upper&#34;: &#34;UNO&#34;", "0.90", " +08:00"):
        assert expected in queue.text, expected

    confirm = client.post(f"/reviews/{_review_id(database, first)}",
                          data={"csrf_token": csrf, "action": "confirm"})
    assert confirm.status_code == 200
    notice = _testid(confirm.text, "review-notice")
    seq = int(re.search(r"ledger entry (\d+)", notice).group(1))
    assert "Output confirmed." in notice
    entry = _entry(database, seq)
    assert entry["kind"] == "review" and entry["action"] == "confirm"
    assert entry["decision"] == first
    assert get_governance().gateway.usable_output(first) == {"upper": "UNO"}

    second_url = f"/reviews/{_review_id(database, second)}"
    for data, message in [
        ({"action": "reject"}, "reason: required when editing or rejecting"),
        ({"action": "edit", "edited_output": '{"upper": "DOS!"}'},
         "reason: required when editing or rejecting"),
        ({"action": "edit", "reason": "typo", "edited_output": "{upper: DOS"},
         "edited output: not valid JSON"),
        ({"action": "edit", "reason": "typo", "edited_output": '["DOS"]'},
         "edited output: must be a JSON object"),
        ({"action": "edit", "reason": "typo", "edited_output": '{"upper": "DOS"}'},
         "edited output: unchanged; confirm the output instead"),
        ({"action": "approve-all"}, "action: one of confirm, edit, reject"),
    ]:
        response = client.post(second_url, data={"csrf_token": csrf, **data})
        assert response.status_code == 422, data
        assert message in _testid(response.text, "form-error"), data
    assert queue.text.count('data-testid="review-item"') == 3

    edit = client.post(second_url, data={"csrf_token": csrf, "action": "edit",
                                         "reason": "the person spelled it out",
                                         "edited_output": '{"upper": "DOS!"}'})
    assert edit.status_code == 200 and "Corrected output saved." in edit.text
    assert get_governance().gateway.usable_output(second) == {"upper": "DOS!"}

    reject = client.post(f"/reviews/{_review_id(database, third)}",
                         data={"csrf_token": csrf, "action": "reject", "reason": "wrong text"})
    assert reject.status_code == 200 and "Output rejected." in reject.text
    assert 'data-testid="no-reviews"' in reject.text

    again = client.post(second_url, data={"csrf_token": csrf, "action": "confirm"})
    assert again.status_code == 409 and "already decided" in again.text

    monitor = client.get("/reviews/monitor")
    assert monitor.status_code == 200
    assert _testid(monitor.text, "override-rate") == "67 %"
    assert "automation bias" in _testid(monitor.text, "monitor-explanation")


def test_own_requests_cannot_be_reviewed(client, make_user, database) -> None:
    _register_reviewed_capability(frozenset({"officer", "supervisor"}))
    supervisor = make_user("chen.jie", Role.SUPERVISOR)
    decision_id = _reviewed_call(supervisor, "mine")
    csrf = login(client, "chen.jie")
    queue = client.get("/reviews").text
    assert "another reviewer must decide" in queue and 'data-testid="review-form"' not in queue
    response = client.post(f"/reviews/{_review_id(database, decision_id)}",
                           data={"csrf_token": csrf, "action": "confirm"})
    assert response.status_code == 403 and "your own AI request" in response.text


def test_officer_cannot_open_or_decide_reviews(client, make_user, database) -> None:
    _register_reviewed_capability()
    officer = make_user("li.wei", Role.OFFICER)
    decision_id = _reviewed_call(officer, "uno")
    csrf = login(client, "li.wei")
    assert client.get("/reviews").status_code == 403
    assert client.get("/reviews/monitor").status_code == 403
    response = client.post(f"/reviews/{_review_id(database, decision_id)}",
                           data={"csrf_token": csrf, "action": "confirm"})
    assert response.status_code == 403
    with database.session() as session:
        assert session.get(Decision, decision_id).review_status == "pending"


def test_dpo_reads_the_monitor_but_not_the_queue(client, make_user) -> None:
    make_user("dp", Role.DPO)
    login(client, "dp")
    monitor = client.get("/reviews/monitor")
    assert monitor.status_code == 200 and "No reviews yet." in monitor.text
    assert client.get("/reviews").status_code == 403


# -- navigation and log-in -----------------------------------------------------------------------
def test_dashboard_links_each_role_to_its_pages(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    make_user("chen.jie", Role.SUPERVISOR)
    csrf = login(client, "li.wei")
    officer = client.get("/").text
    assert '<a href="/interpret/langid">Language identification</a>' in officer
    assert '<a href="/governance/capabilities">Capability registry</a>' in officer
    assert "/governance/policies" not in officer and 'href="/reviews"' not in officer
    _switch_user(client, "chen.jie", csrf)
    supervisor = client.get("/").text
    for href in ("/interpret/langid", "/reviews", "/reviews/monitor", "/governance/policies",
                 "/governance/capabilities"):
        assert f'href="{href}"' in supervisor, href


@pytest.mark.parametrize("method, path", [
    ("GET", "/governance/capabilities"),
    ("POST", "/governance/capabilities/interpret.langid/suspension"),
    ("GET", "/governance/policies"),
    ("POST", "/governance/policies/what-if"),
    ("GET", "/reviews"),
    ("POST", "/reviews/1"),
    ("GET", "/reviews/monitor"),
    ("GET", "/interpret/langid"),
    ("POST", "/interpret/langid"),
])
def test_every_new_page_requires_log_in(client, method, path) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_gateway_api_requires_authentication(client) -> None:
    response = client.post("/api/v1/gateway/interpret.langid", json=LANGID_BODY)
    assert response.status_code == 401 and response.json()["detail"] == "Please log in."
