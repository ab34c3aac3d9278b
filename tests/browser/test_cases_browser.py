"""An officer's case in real Chromium: open a detention case, add a US national, record the
detention, and watch the guidance checklist and the deadline board follow the event."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accord.core.roles import Role
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_detention_case_drives_the_deadlines(server: str, page: Page, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("case.browser", Role.OFFICER, language="en")
    page.goto(f"{server}/login")
    page.get_by_label("User name").fill("case.browser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()

    page.goto(f"{server}/cases/new")
    page.get_by_label("Detention of a foreign national").check()
    page.locator("#case-title").fill("Detention at the airport, overstay")
    page.get_by_test_id("create-case").click()
    expect(page.get_by_test_id("case-reference")).to_have_text(re.compile(r"^FR-\d{4}-\d{6}$"))
    reference = page.get_by_test_id("case-reference").inner_text()

    form = page.get_by_test_id("person-form")
    form.locator("#p-role").select_option("detainee")
    form.locator("#p-name").fill("Jordan Miller")
    form.locator("#p-nat").fill("USA")
    form.locator("#p-langs").fill("en")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("person")).to_contain_text("Jordan Miller")

    # Before the detention is recorded the treaty step waits for its event.
    treaty = page.locator('[data-testid="deadlines"] tr[data-step="consulate-treaty"]')
    expect(treaty).to_have_attribute("data-state", "waiting-for-event")

    page.get_by_text("Record an event").click()
    events = page.get_by_test_id("event-form")
    events.locator("#e-kind").select_option("detention")
    events.locator("button[type=submit]").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Detained")
    expect(treaty).to_have_attribute("data-state", "pending")  # 4 days for US nationals
    expect(treaty).to_contain_text("Art. 35")
    interpreter = page.locator('[data-testid="deadlines"] tr[data-step="interpreter"]')
    expect(interpreter).not_to_have_attribute("data-state", "not-applicable")

    page.goto(f"{server}/cases/board")
    expect(page.get_by_test_id("board")).to_be_visible()
    # The consular-rights notice is due "without delay" from the detention: at risk or overdue.
    expect(page.get_by_test_id("board")).to_contain_text(reference)
