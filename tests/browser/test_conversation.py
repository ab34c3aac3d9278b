"""The two-screen conversation in real headless Chromium, two browser contexts on one server:
the officer starts a conversation from a case and reads the join code; the tablet joins with
it and is in kiosk mode (no officer navigation, no log-out); the person picks Arabic (the page
turns right to left), writes, and taps the entry they meant; the officer's screen shows the
confirmed interpretation live (server-sent events, no reload); the officer sends a sentence and
the tablet shows it in Arabic, live; leaving kiosk mode needs the officer's PIN."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.core.db import Database
from accord.core.roles import Role
from tests.helpers import PASSWORD, add_case

pytestmark = pytest.mark.browser
PIN = "4826"
SCREENSHOTS = os.environ.get("ACCORD_CONVERSATION_SCREENSHOTS", "")  # a directory, to look at


def _snap(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_officer_and_tablet_hold_a_conversation_live(
        server: str, page: Page, browser: Browser, make_user,  # type: ignore[no-untyped-def]
        database: Database) -> None:
    base = server
    # The server runs on a thread of this process: load the sentence encoder and the Arabic and
    # Chinese entry vectors once here, so the first match does not wait for them in a click.
    from accord.interpret.phrase_match import rank

    rank("جواز", "ar")
    rank("护照", "zh")
    officer_user = make_user("cv.desk", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000950", officer_user.id)

    # The officer starts the conversation and reads the code.
    page.goto(f"{base}/login")
    page.locator("#username").fill("cv.desk")
    page.locator("#password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{base}/interpret/conversations?case={case_ref}")
    page.locator("#cv-purpose").select_option("victim-assistance")
    page.locator("#cv-basis").select_option("police-law-art-2")
    page.locator("#cv-pin").fill(PIN)
    page.get_by_test_id("start-conversation").click()
    code = page.get_by_test_id("join-code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    expect(page.get_by_test_id("conversation-status")).to_have_text("waiting for the tablet")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    context = browser.new_context(locale="ar", viewport={"width": 1024, "height": 768})
    try:
        tablet = context.new_page()
        tablet.set_default_timeout(15_000)
        tablet.goto(f"{base}/conversation")
        tablet.get_by_test_id("join-code-input").fill(code)
        tablet.get_by_test_id("join-submit").click()

        # Kiosk mode: the person's own choice of language, from names written in each.
        expect(tablet.get_by_test_id("lang-ar")).to_have_text("العربية")
        expect(tablet.get_by_test_id("lang-ar")).to_have_class("suggested")  # browser: ar
        assert tablet.locator("a[href='/cases'], [data-testid='logout']").count() == 0
        expect(page.get_by_test_id("conversation-status")).to_have_text("tablet joined")  # live
        _snap(tablet, "conversation-0-languages")
        tablet.get_by_test_id("lang-ar").click()
        expect(tablet.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.get_by_test_id("person-language")).to_have_text("العربية")
        tablet.goto(f"{base}/cases")  # officer pages lead back to the conversation
        assert tablet.url == f"{base}/conversation/tablet"

        # Person → officer: candidates on both screens; only the tap is the interpretation.
        tablet.get_by_test_id("say-text").fill("سرقوا جواز سفري")
        tablet.get_by_test_id("say-submit").click()
        expect(tablet.get_by_test_id("candidates")).to_contain_text("هل هذا ما تقصده؟")
        expect(page.get_by_test_id("officer-candidates")).to_contain_text("我的护照被偷了。")
        expect(page.get_by_test_id("officer-candidates")).to_contain_text("similarity")
        tablet.get_by_test_id("pick-theft-passport-stolen").click()
        expect(page.get_by_test_id("interpretation")).to_have_text("我的护照被偷了。")
        expect(page.get_by_test_id("officer-panel")).to_contain_text(
            "phrase confirmed by the person")
        _snap(page, "conversation-1-officer")
        assert page.evaluate("window.stillTheSamePage === true")  # updated live, not reloaded

        # Officer → person: typed Chinese, the chosen entry shown live in Arabic.
        page.locator("#cv-say").fill("我需要看你的护照")
        page.get_by_test_id("officer-say").click()
        page.locator("[data-testid^='send-']").first.click()
        shown = tablet.get_by_test_id("officer-says-text").last
        expect(shown).to_have_text("أحتاج إلى رؤية جواز سفرك.")
        expect(tablet.locator("audio[data-testid^='listen-']")).to_have_count(1)
        _snap(tablet, "conversation-2-tablet")

        # Text that looks like another language: a question in both languages, no switch.
        tablet.get_by_test_id("say-text").fill(
            "Yesterday evening someone stole my bag with all my documents at the station")
        tablet.get_by_test_id("say-submit").click()
        expect(tablet.get_by_test_id("language-suggestion")).to_contain_text(
            "This looks like English. Switch?")
        expect(tablet.get_by_test_id("switch-language")).to_have_text("English")
        _snap(tablet, "conversation-3-language-suggestion")
        tablet.get_by_test_id("keep-language").click()
        expect(tablet.get_by_test_id("language-suggestion")).to_have_count(0)
        expect(tablet.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.get_by_test_id("person-language")).to_have_text("العربية")

        # Leaving kiosk mode needs the officer's PIN.
        tablet.get_by_test_id("officer-corner").click()
        tablet.get_by_test_id("leave-pin").fill("0000")
        tablet.get_by_test_id("leave-submit").click()
        # The officer's corner of the tablet speaks the service's language (Chinese).
        expect(tablet.get_by_test_id("pin-error")).to_contain_text("个人识别码错误")
        tablet.goto(f"{base}/")
        assert tablet.url == f"{base}/conversation/tablet"
        tablet.get_by_test_id("officer-corner").click()
        tablet.get_by_test_id("leave-pin").fill(PIN)
        tablet.get_by_test_id("leave-submit").click()
        expect(tablet.locator("#username")).to_be_visible()  # out of kiosk mode: the log-in
        expect(page.get_by_test_id("conversation-status")).to_have_text("ended")
    finally:
        context.close()
