"""The ledger explorer in real headless Chromium: an auditor opens an entry and the browser
itself verifies its inclusion proof against the signed checkpoint — and notices a change of
one character in the entry."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.roles import Role
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("ACCORD_LEDGER_SCREENSHOTS", "")  # a directory, to look at pages


def _snap(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def _decisions(make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("li.wei", Role.OFFICER)
    caller = Caller(officer.id, officer.username, frozenset({"officer"}))
    for text in ("Bonjour, j'ai perdu mon passeport", "Me robaron el pasaporte",
                 "I lost my passport in the metro"):
        get_governance().gateway.invoke(caller, GatewayRequest(
            "interpret.langid", "victim-assistance", "police-law-art-2", {"text": text}))


def test_auditor_verifies_an_entry_in_the_browser_and_sees_a_change(
        server: str, page: Page, make_user) -> None:
    make_user("shen.jian", Role.AUDITOR, language="en")
    _decisions(make_user)
    _log_in(page, server, "shen.jian")

    page.goto(f"{server}/ledger")
    expect(page.get_by_test_id("ledger-title")).to_have_text("Decision ledger")
    expect(page.get_by_test_id("tree-size")).to_have_text("3")
    page.get_by_label("Kind").select_option("decision")
    page.get_by_test_id("ledger-search-submit").click()
    expect(page.get_by_test_id("match-count")).to_have_text("Matching entries: 3")
    root = page.get_by_test_id("checkpoint-root").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", root)
    _snap(page, "ledger-explorer")

    page.get_by_test_id("entry-link").filter(has_text="#1").click()
    expect(page.get_by_test_id("entry-title")).to_have_text("Ledger entry 1")
    result = page.get_by_test_id("proof-result")
    expect(result).to_be_hidden()
    page.get_by_role("button", name="Verify in this browser").click()
    expect(result).to_have_attribute("data-verified", "true")
    expect(result).to_have_text(
        f"Verified: entry 1 is included in checkpoint of size 3 with root {root}.")
    leaf = page.get_by_test_id("leaf-hash").inner_text()
    expect(page.get_by_test_id("proof-leaf")).to_contain_text(leaf)
    _snap(page, "ledger-entry-verified")

    # Change one character of the embedded canonical body, then verify again.
    before, after = page.evaluate("""() => {
        const box = document.getElementById("ledger-proof");
        const body = box.dataset.canonical;
        const at = body.indexOf('"purpose":"') + '"purpose":"'.length;
        box.dataset.canonical = body.slice(0, at) + "V" + body.slice(at + 1);
        return [body, box.dataset.canonical];
    }""")
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
    page.get_by_role("button", name="Verify in this browser").click()
    expect(result).to_have_attribute("data-verified", "false")
    expect(result).to_contain_text("Not verified")
    expect(result).to_contain_text(f"the checkpoint root is {root}")
    expect(page.get_by_test_id("proof-leaf")).not_to_contain_text(leaf)
    _snap(page, "ledger-entry-tampered")


def test_every_entry_of_an_odd_sized_tree_verifies_in_the_browser(
        server: str, page: Page, make_user) -> None:
    """Seven entries give proofs of every shape (left and right siblings, the lone last
    leaf); one entry holds Chinese text and HTML-special characters, so the bytes the browser
    hashes must be exactly the stored UTF-8."""
    make_user("shen.jian", Role.AUDITOR, language="en")
    supervisor = make_user("chen.jie", Role.SUPERVISOR)
    boss = Caller(supervisor.id, supervisor.username, frozenset({"supervisor"}))
    gateway = get_governance().gateway
    reason = '把维吾尔语误识别为土耳其语 <b>"&amp;"</b>\u2028结束'
    gateway.set_suspended("interpret.langid", True, boss, reason)
    gateway.set_suspended("interpret.langid", False, boss, "模型已更换")
    for number in range(5):
        get_governance().ledger.append_now("review", {"actor": "user:1", "n": number})
    _log_in(page, server, "shen.jian")
    for seq in range(7):
        page.goto(f"{server}/ledger/entries/{seq}")
        page.get_by_test_id("verify-proof").click()
        result = page.get_by_test_id("proof-result")
        expect(result).to_have_attribute("data-verified", "true")
        expect(result).to_contain_text(f"entry {seq} is included in checkpoint of size 7")
    page.goto(f"{server}/ledger/entries/0")
    expect(page.get_by_test_id("entry-json")).to_contain_text('土耳其语 <b>\\"&amp;\\"</b>')
    assert page.locator("#main b").count() == 0  # shown as text, never as markup
