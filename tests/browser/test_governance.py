"""Governed AI in real headless Chromium: an officer identifies a language from the dashboard,
a supervisor confirms an AI output waiting in the review queue."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.core.roles import Role
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

FRENCH = "Je voudrais signaler le vol de mon sac à la gare ce matin"


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


@pytest.mark.parametrize("language, link, text_label, purpose, basis, expected", [
    ("en", "Language identification", "Text to identify", "Victim assistance",
     "People's Police Law, Article 2", "French"),
    ("zh_Hans", "语种识别", "待识别的文字", "协助被害人", "《人民警察法》第二条", "法语"),
])
def test_officer_identifies_french_from_the_dashboard(server: str, page: Page, make_user,
                                                      language, link, text_label, purpose,
                                                      basis, expected) -> None:
    make_user("li.wei", Role.OFFICER, language=language)
    _log_in(page, server, "li.wei")
    page.get_by_role("link", name=link, exact=True).click()
    expect(page).to_have_url(re.compile(r"/interpret/langid$"))
    page.get_by_label(text_label).fill(FRENCH)
    page.locator("#langid-purpose").select_option(label=purpose)
    page.locator("#langid-basis").select_option(label=basis)
    page.get_by_test_id("langid-submit").click()
    expect(page.get_by_test_id("detected-language")).to_have_text(expected)
    expect(page.get_by_test_id("ledger-seq")).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_test_id("uncertain")).to_have_count(0)
    # The form keeps the text so the officer can correct it and try again.
    expect(page.get_by_label(text_label)).to_have_value(FRENCH)


def _upper(inputs: Mapping[str, Any]) -> ModelOutput:
    return ModelOutput(output={"upper": str(inputs["text"]).upper()},
                       explanation="upper-cased the text", confidence=0.9)


def _pending_review(officer_id: int) -> str:
    """Create an AI output waiting for a supervisor, through this process's gateway on the
    server's database (the test capability is registered here, not in the server)."""
    governance = get_governance()
    governance.registry.register(Capability(
        id="test.echo-reviewed", version="1", title_en="Echo (reviewed)",
        title_zh="回显（需复核）", description_en="test", description_zh="测试",
        risk_tier=RiskTier.LIMITED, purposes=frozenset({"victim-assistance"}),
        legal_bases=frozenset({"consent"}), roles=frozenset({"officer"}),
        inputs={"text": InputSpec(kind="text", max_length=100)},
        model=ModelCard(name="test rule", version="t1", digest="", licence="Apache-2.0",
                        source="tests", training_data="none", measured_accuracy="n/a",
                        known_limitations=("test only",)),
        runner=_upper, review_required=True, review_role="supervisor",
    ))
    caller = Caller(user_id=officer_id, username="li.wei", roles=frozenset({"officer"}))
    return governance.gateway.invoke(caller, GatewayRequest(
        capability_id="test.echo-reviewed", purpose="victim-assistance", legal_basis="consent",
        inputs={"text": "bonjour"})).decision_id


def test_supervisor_confirms_a_pending_review(server: str, page: Page, make_user) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    make_user("chen.jie", Role.SUPERVISOR, language="en")
    decision_id = _pending_review(officer.id)
    _log_in(page, server, "chen.jie")
    page.get_by_role("link", name="Review queue").click()
    item = page.get_by_test_id("review-item")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("ai-output")).to_contain_text('"upper": "BONJOUR"')
    expect(item).to_contain_text("upper-cased the text")
    item.get_by_test_id("review-confirm").click()
    expect(page.get_by_test_id("review-notice")).to_contain_text(
        re.compile(r"Output confirmed\.\s+Recorded as ledger entry \d+\."))
    expect(page.get_by_test_id("no-reviews")).to_be_visible()
    assert get_governance().gateway.usable_output(decision_id) == {"upper": "BONJOUR"}

    page.get_by_role("link", name="Automation-bias monitor").click()
    expect(page.get_by_test_id("override-rate")).to_have_text("0 %")
