"""The public self-service report in real headless Chromium: a visitor picks Arabic (the page
turns right-to-left), files a lost-passport report and gets a reference; an officer then logs
in and reads the same report in Chinese."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.core.roles import Role
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("ACCORD_INTERVIEW_SCREENSHOTS", "")  # a directory, to look at pages
ARABIC_PLACE = "محطة المترو، المخرج ب"


def _snap(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_arabic_visitor_reports_a_lost_passport_and_the_officer_reads_it_in_chinese(
        server: str, page: Page, browser: Browser, make_user) -> None:  # type: ignore[no-untyped-def]
    base = server
    make_user("li.wei", Role.OFFICER, language="zh_Hans")

    # The visitor picks Arabic: the whole page turns right-to-left and Arabic.
    page.goto(f"{base}/public/report")
    _snap(page, "public-report-1-languages")
    page.get_by_test_id("pick-ar").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_test_id("report-title")).to_have_text("إبلاغ الشرطة")
    page.get_by_test_id("start-lost-passport").click()
    expect(page.get_by_test_id("form-title")).to_have_text("فقدان جواز السفر أو سرقته")
    expect(page.get_by_test_id("draft-warning")).to_contain_text("مسودة ترجمة")
    direction = page.evaluate("getComputedStyle(document.querySelector('main')).direction")
    assert direction == "rtl"

    # A wrong date first: the error comes back in Arabic, next to the field.
    page.get_by_test_id("choice-what_happened-stolen").check()
    page.locator("#q-full_name").fill("Ahmed Ali")
    page.locator("#q-nationality").select_option("EG")
    page.locator("#q-date_of_birth").fill("1990-02-28")
    page.locator("#q-incident_date").fill("2099-01-01")
    page.get_by_test_id("choice-other_items-no").check()
    page.get_by_test_id("choice-stay_permission-visa").check()
    page.locator("#q-location_description").fill(ARABIC_PLACE)
    page.locator("#q-contact_phone").fill("+20 100 000 0000")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("error-incident_date")).to_have_text(
        "لا يمكن أن يكون هذا التاريخ في المستقبل.")
    _snap(page, "public-report-2-error-ar")

    page.locator("#q-incident_date").fill("2026-01-20")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("received-title")).to_have_text("تم استلام بلاغك")
    reference = page.get_by_test_id("reference").inner_text().strip()
    assert re.fullmatch(r"RPT-[A-Z0-9]{10}", reference), reference
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _snap(page, "public-report-3-received-ar")

    # The officer, in another browser session, reads it in Chinese.
    officer = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        tablet = officer.new_page()
        tablet.set_default_timeout(15_000)
        tablet.goto(f"{base}/login")
        tablet.locator("#username").fill("li.wei")
        tablet.locator("#password").fill(PASSWORD)
        tablet.get_by_test_id("login-submit").click()
        expect(tablet.get_by_test_id("dashboard-title")).to_be_visible()
        tablet.goto(f"{base}/interviews/reports")
        row = tablet.get_by_test_id("report-row").filter(has_text=reference)
        expect(row).to_contain_text("护照遗失或被盗")
        expect(row).to_contain_text("阿拉伯语")
        _snap(tablet, "public-report-4-officer-list")
        row.get_by_role("link", name=reference).click()
        expect(tablet.get_by_test_id("summary-title")).to_have_text("护照遗失或被盗")
        expect(tablet.get_by_test_id("answer-what_happened")).to_have_text("被盗或被抢")
        expect(tablet.get_by_test_id("answer-nationality")).to_have_text("埃及（EG）")
        expect(tablet.get_by_test_id("answer-incident_date")).to_have_text("2026-01-20")
        expect(tablet.get_by_test_id("verbatim-location_description")).to_have_text(ARABIC_PLACE)
        expect(tablet.get_by_test_id("needs-interpretation").first).to_be_visible()
        expect(tablet.get_by_test_id("person-language")).to_contain_text("阿拉伯语")
        _snap(tablet, "public-report-5-officer-summary")
    finally:
        officer.close()
