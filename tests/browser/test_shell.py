"""The web shell in real headless Chromium: log in, switch language, dashboard, jobs, log out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accord.core.roles import Role
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_log_in_switch_language_see_dashboard_log_out(server: str, page: Page,
                                                       make_user) -> None:
    make_user("li.wei", Role.OFFICER, language="en")
    _log_in(page, server, "li.wei")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Dashboard")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("officer")
    expect(page.get_by_role("heading", name="Interpretation")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)  # not an admin

    page.get_by_label("Language").select_option("zh_Hans")
    page.get_by_test_id("switch-language").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("工作台")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    page.reload()  # the choice is stored on the user, not in the page
    expect(page.get_by_test_id("dashboard-title")).to_have_text("工作台")

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.goto(f"{server}/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_wrong_password_shows_generic_error(server: str, page: Page, make_user) -> None:
    make_user("li.wei", Role.OFFICER, language="en")
    _log_in(page, server, "li.wei", "not-the-password")
    expect(page.get_by_test_id("login-error")).to_have_text("Incorrect user name or password.")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_keyboard_only_log_in(server: str, page: Page, make_user) -> None:
    make_user("li.wei", Role.OFFICER, language="en")
    page.goto(f"{server}/login")
    # The user name field has focus on arrival; the rest is Tab and Enter.
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type("li.wei")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def test_admin_export_job_shows_progress_until_done(server: str, page: Page,
                                                    make_user) -> None:
    make_user("boss", Role.ADMIN, language="en")
    make_user("li.wei", Role.OFFICER)
    _log_in(page, server, "boss")
    page.get_by_role("link", name="Users").first.click()
    expect(page.get_by_test_id("users-table")).to_contain_text("li.wei")
    page.get_by_test_id("export-users").click()
    # The embedded Huey worker runs the job; htmx polls the fragment until it is done.
    expect(page.get_by_test_id("job")).to_have_attribute("data-status", "succeeded",
                                                         timeout=20_000)
    with page.expect_download() as download_info:
        page.get_by_test_id("job-download").click()
    content = download_info.value.path().read_text()
    assert "li.wei" in content and content.startswith("username,")


def test_unknown_page_shows_404_page(server: str, page: Page) -> None:
    response = page.goto(f"{server}/no-such-page")
    assert response is not None and response.status == 404
    heading = page.get_by_role("heading", name=re.compile("Page not found|页面不存在"))
    expect(heading).to_be_visible()
