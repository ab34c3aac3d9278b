"""The automation-bias drill in real headless Chromium: a trainee judges each item first
without the AI suggestion, then with it; one seeded error is caught, one is missed, and the
trainer sees both in the trainee's row."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.core.roles import Role
from accord.training.drills import drills
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def test_drill_records_a_caught_and_a_missed_seeded_error(server: str, page: Page,
                                                          browser: Browser, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("trainee.li", Role.OFFICER, language="en")
    make_user("trainer.wu", Role.SUPERVISOR, language="en")
    drill = drills()["automation-bias"]
    seeded = [item.id for item in drill.items if item.seeded_error]
    catch, miss = seeded[0], seeded[1]  # the rest: followed as well

    _log_in(page, server, "trainee.li")
    page.get_by_role("link", name="Training", exact=True).click()
    page.get_by_role("link", name="Drills", exact=True).first.click()
    page.get_by_test_id("cohort").fill("browser intake")
    page.get_by_test_id("start-drill").click()
    expect(page).to_have_url(re.compile(r"/training/drills/runs/\d+$"))

    for item in drill.items:
        card = page.get_by_test_id("drill-item")
        expect(card).to_have_attribute("data-item", item.id)
        expect(card).to_have_attribute("data-phase", "before")
        expect(page.get_by_test_id("ai-suggestion")).to_have_count(0)  # judge alone first
        page.get_by_test_id(f"option-{item.answer}").check()  # right on their own
        page.get_by_test_id("judge").click()
        expect(card).to_have_attribute("data-phase", "after")
        suggestion = page.get_by_test_id("ai-suggestion")
        expect(suggestion).to_have_attribute("data-option", str(item.suggestion))
        final = item.answer if item.id == catch else item.suggestion
        page.get_by_test_id(f"option-{final}").check()
        page.get_by_test_id("judge").click()

    expect(page.get_by_test_id("drill-summary")).to_be_visible()
    expect(page.get_by_test_id(f"judged-{catch}").get_by_test_id("outcome")).to_have_text(
        "caught")
    expect(page.get_by_test_id(f"judged-{miss}").get_by_test_id("outcome")).to_have_text(
        "missed")
    expect(page.get_by_test_id("caught")).to_contain_text(f"1 of {len(seeded)}")

    trainer = browser.new_context(locale="en-GB").new_page()
    _log_in(trainer, server, "trainer.wu")
    trainer.goto(f"{server}/training/trainer")
    row = trainer.get_by_test_id("trainee-trainee.li")
    expect(row.get_by_test_id("caught")).to_have_text("1")
    expect(row.get_by_test_id("missed")).to_have_text(str(len(seeded) - 1))
    expect(row.get_by_test_id("over-reliance")).to_have_text(
        f"{round((len(seeded) - 1) / len(seeded) * 100)} %")
    expect(trainer.get_by_test_id("cohort-browser intake")).to_be_visible()
    trainer.context.close()
