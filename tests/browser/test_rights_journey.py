"""The public rights journey in real headless Chromium: a visitor appeals against an AI output
in English, confirms it is them with the code from the outbox spool, the DPO logs in and
overturns the output, and the visitor sees the outcome on the status page."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.roles import Role
from tests.browser.conftest import SCREENSHOTS
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser
LOOK = os.environ.get("ACCORD_RIGHTS_SCREENSHOTS", "")  # a directory, to look at the pages


def _snap(page: Page, name: str) -> None:
    if LOOK:
        Path(LOOK).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(LOOK) / f"{name}.png"), full_page=True)


def _code_from_outbox(state_dir: Path, reference: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted((state_dir / "outbox").glob("*.json")):
            message = json.loads(path.read_text(encoding="utf-8"))
            if message["reference"] == reference and message["purpose"] == "verification-code":
                return str(message["params"]["code"])
        time.sleep(0.1)
    raise AssertionError(f"no code for {reference} in the outbox")


def test_appeal_verify_decide_and_see_the_outcome(server: str, browser: Browser,
                                                  page: Page, make_user,
                                                  accord_env: dict[str, str]) -> None:
    base = server
    officer = make_user("li.wei", Role.OFFICER)
    make_user("zhou.min", Role.DPO, language="en")
    result = get_governance().gateway.invoke(
        Caller(officer.id, officer.username, frozenset({"officer"})),
        GatewayRequest("interpret.langid", "victim-assistance", "police-law-art-2",
                       {"text": "Salam, saya kehilangan paspor saya di stasiun"},
                       subject_document="E1234 5678"))

    # 1. The visitor appeals, in English, without an account.
    page.goto(f"{base}/rights")
    expect(page.get_by_test_id("rights-title")).to_have_text("Your rights and appeals")
    _snap(page, "rights-form")
    page.get_by_test_id("kind-appeal").check()
    page.get_by_label("Identity document number").fill("e1234-5678")
    page.get_by_label("E-mail address or phone number").fill("ayu@example.my")
    page.get_by_label("Language you want to be answered in").select_option("en")
    page.get_by_label("Decision reference").fill(result.decision_id)
    page.get_by_label("What happened, and what should change?").fill(
        "I speak Malay, not Indonesian. <script>alert(1)</script>")
    page.get_by_test_id("rights-submit").click()
    expect(page.get_by_test_id("notice")).to_contain_text("We sent a six-digit code")
    expect(page.get_by_test_id("state")).to_have_text("received")
    reference = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"RR-[A-Z2-7]{12}", reference)
    _snap(page, "rights-status-received")

    # 2. They confirm with the code the operator's gateway would have sent them.
    code = _code_from_outbox(Path(accord_env["ACCORD_STATE_DIR"]), reference)
    page.get_by_label("One-time code sent to").fill(code)
    page.get_by_test_id("verify-submit").click()
    expect(page.get_by_test_id("state")).to_have_text("identity verified")
    expect(page.get_by_test_id("history-item")).to_have_count(3)

    # 3. The DPO logs in, finds the appeal in the queue and overturns the output.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    dpo_page = context.new_page()
    dpo_page.set_default_timeout(15_000)
    try:
        dpo_page.goto(f"{base}/login?next=/dpo")
        dpo_page.get_by_label("User name").fill("zhou.min")
        dpo_page.get_by_label("Password").fill(PASSWORD)
        dpo_page.get_by_test_id("login-submit").click()
        row = dpo_page.locator(f'[data-testid="queue-row"][data-reference="{reference}"]')
        expect(row).to_be_visible()
        _snap(dpo_page, "dpo-queue")
        row.get_by_role("link", name=reference).click()
        expect(dpo_page.get_by_test_id("details")).to_contain_text("<script>alert(1)</script>")
        expect(dpo_page.get_by_test_id("subject-match")).to_contain_text("yes")
        dpo_page.get_by_test_id("outcome-overturned").check()
        dpo_page.get_by_label("Reason (the requester reads it)").fill(
            "The model confuses Malay with Indonesian; the output is set aside.")
        _snap(dpo_page, "dpo-request")
        dpo_page.get_by_test_id("action-appeal").click()
        expect(dpo_page.get_by_test_id("done")).to_contain_text("Appeal decided and ledgered")
        expect(dpo_page.get_by_test_id("state")).to_have_text("answered")
        dpo_page.goto(f"{base}/dpo/dashboard")
        dpo_page.get_by_test_id("verify-ledger").click()
        expect(dpo_page.get_by_test_id("verify-result")).to_contain_text("Ledger verified")
        _snap(dpo_page, "dpo-dashboard")
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        dpo_page.screenshot(path=str(SCREENSHOTS / "rights-journey-dpo.png"), full_page=True)
        raise
    finally:
        context.close()

    # 4. The visitor sees the outcome on the status page.
    page.reload()
    expect(page.get_by_test_id("state")).to_have_text("answered")
    expect(page.get_by_test_id("appeal-outcome-word")).to_have_text(
        "overturned: the AI output was set aside")
    expect(page.get_by_test_id("appeal-reason")).to_have_text(
        "The model confuses Malay with Indonesian; the output is set aside.")
    assert page.locator("#main script").count() == 0
    _snap(page, "rights-status-answered")
