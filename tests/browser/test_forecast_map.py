"""The hotspot map in real headless Chromium: an analyst runs a forecast on the bundled San
Francisco sample through the gateway, sees the flagged cells drawn by Leaflet (no tiles), clicks
one and reads which past events make it hot; then moves the time slider."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accord.core.roles import Role
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser
LOOK = os.environ.get("ACCORD_FORECAST_SCREENSHOTS", "")  # a directory, to look at the pages


def _snap(page: Page, name: str) -> None:
    if LOOK:
        Path(LOOK).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(LOOK) / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def _approve_assessments(make_user) -> None:  # type: ignore[no-untyped-def]
    """The DPO approves the forecast capability's DPIA, FRIA and ethics review (without them
    the gateway refuses a high-risk capability)."""
    from accord.core.gateway.service import Caller
    from accord.governance.dpo import REQUIRED_FOR_HIGH_RISK, DpoService

    dpo = make_user("dee.pio", Role.DPO)
    caller = Caller(dpo.id, dpo.username, frozenset({"dpo"}))
    service = DpoService.from_governance()
    for kind in REQUIRED_FOR_HIGH_RISK:
        service.record_assessment(caller, capability_id="forecast.hotspots", kind=kind,
                                  outcome="approved", summary="Approved for the tests.")


CELLS = "#forecast-map .leaflet-overlay-pane svg path.forecast-cell"
DISTRICTS = "#forecast-map .leaflet-overlay-pane svg path.forecast-district"


def test_analyst_runs_a_forecast_and_explains_a_cell(server: str, page: Page,
                                                     make_user) -> None:
    base = server
    make_user("ana.lyst", Role.ANALYST, language="en")
    _approve_assessments(make_user)
    _log_in(page, base, "ana.lyst")
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{base}/forecast/map")
    # District outlines are drawn before any forecast; no tile is ever requested.
    expect(page.locator(DISTRICTS)).to_have_count(10)
    expect(page.locator(CELLS)).to_have_count(0)

    page.get_by_label("Dataset").select_option("sf-2012h2")
    page.get_by_label("Method").select_option("kde")
    page.get_by_label("First day of the window").fill("2012-11-05")
    page.get_by_label("Coverage (percent of area)").fill("2")
    page.get_by_label("Purpose").select_option("patrol-planning")
    page.get_by_label("Legal basis").select_option("police-law-art-2")
    with page.expect_response("**/forecast/map/run") as answer:
        page.get_by_test_id("forecast-run").click()
    assert answer.value.status == 200
    body = answer.value.json()
    flagged = body["flagged_cells"]
    assert flagged == 6804 * 2 // 100  # 2 % of the 150 m grid over San Francisco

    # Every flagged cell is an SVG path in Leaflet's overlay pane, coloured by intensity.
    expect(page.locator(CELLS)).to_have_count(flagged)
    fills = page.locator(CELLS).evaluate_all(
        "els => new Set(els.map(e => e.getAttribute('fill'))).size")
    assert fills >= 4
    info = page.get_by_test_id("forecast-info")
    expect(info.get_by_test_id("ledger-seq")).to_have_text(str(body["decision"]["ledger_seq"]))
    expect(info.get_by_test_id("review-status")).to_have_text("pending")
    expect(info.get_by_test_id("review-pending")).to_contain_text("Awaiting review by a supervisor")
    _snap(page, "1-forecast-drawn")

    # Click the hottest cell on the map: the explanation lists contributing past events.
    hottest = body["features"][0]["properties"]["cell"]
    page.locator(f'{CELLS}[data-cell="{hottest}"]').click()
    explain = page.get_by_test_id("forecast-explain")
    expect(explain).to_have_attribute("data-cell", hottest)
    expect(explain.get_by_role("heading", level=2)).to_have_text(f"Why cell {hottest} is flagged")
    rows = explain.get_by_test_id("explain-contributors").locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert 1 <= rows.count() <= 10
    first_row = rows.first.locator("td")
    assert first_row.nth(0).inner_text() < "2012-11-05"  # a past event's date
    assert first_row.nth(2).inner_text().endswith("%")  # its weight
    expect(explain.get_by_test_id("explain-summary")).to_contain_text("expected events")
    expect(page.locator("#forecast-map path.forecast-contributor").first).to_be_attached()
    _snap(page, "2-cell-explained")

    # The slider re-runs the forecast (through the gateway) for an earlier week.
    slider = page.get_by_test_id("forecast-slider")
    expect(slider).to_be_visible()
    with page.expect_response("**/forecast/map/run") as earlier:
        slider.evaluate("s => { s.value = String(Number(s.max) - 1); "
                        "s.dispatchEvent(new Event('input')); "
                        "s.dispatchEvent(new Event('change')); }")
    assert earlier.value.status == 200
    week_before = earlier.value.json()
    assert week_before["window"]["start"] == "2012-10-29"
    assert week_before["decision"]["ledger_seq"] > body["decision"]["ledger_seq"]
    expect(info.get_by_test_id("ledger-seq")).to_have_text(
        str(week_before["decision"]["ledger_seq"]))
    expect(page.locator(CELLS)).to_have_count(week_before["flagged_cells"])
    _snap(page, "3-slider-earlier-week")

    # The table offers the same explanation by keyboard.
    page.locator("#forecast-cells button").first.focus()
    page.keyboard.press("Enter")
    expect(explain).to_have_attribute("data-cell",
                                      week_before["features"][0]["properties"]["cell"])
    assert not [url for url in failed if "/forecast/" in url or "tile" in url]


def test_backtest_progress_page_polls_until_the_results_show(server: str, page: Page,
                                                             make_user) -> None:
    """The backtest runs on the real queue (embedded Huey worker); htmx polls the progress
    fragment until the results table and the PAI chart replace it."""
    base = server
    make_user("ana.lyst", Role.ANALYST, language="en")
    _log_in(page, base, "ana.lyst")
    page.goto(f"{base}/forecast")
    form = page.get_by_test_id("backtest-form")
    form.get_by_label("Dataset").select_option("sf-2012h2")
    form.get_by_label("First window (optional, YYYY-MM-DD)").fill("2012-10-29")
    form.get_by_label("Windows").fill("3")
    form.get_by_label("Cell size (m)").fill("300")
    form.get_by_label("Self-exciting point process (Mohler)").uncheck()
    form.get_by_label("Prospective hotspotting (Bowers, Johnson & Pease)").uncheck()
    form.get_by_label("Kernel density with learned category weights").uncheck()
    form.get_by_label("Learned cell ranking (Poisson regression)").uncheck()
    form.get_by_label("Multi-scale blend (long-term and recent counts)").uncheck()
    form.get_by_label("Multi-scale stack fitted for the hit rate").uncheck()
    form.get_by_test_id("backtest-submit").click()
    expect(page).to_have_url(re.compile(r"/forecast/backtest/[0-9a-f]{16}$"))
    job = page.get_by_test_id("job")
    expect(job).to_have_attribute("data-status", "succeeded", timeout=60_000)
    table = page.get_by_test_id("backtest-results")
    # naive, the all-history baseline and kde × 4 coverages
    expect(table.locator("tbody tr")).to_have_count(12)
    kde5 = table.locator('tr[data-method="kde"][data-coverage="5"] [data-testid="pai"]')
    assert float(kde5.inner_text().split()[0]) > 1.0
    chart = page.get_by_test_id("pai-chart")
    expect(chart.locator("polyline")).to_have_count(3)  # one line per method
    expect(chart.locator("circle")).to_have_count(9)  # 3 methods × 3 windows
    expect(page.get_by_test_id("backtest-csv")).to_be_visible()
    _snap(page, "4-backtest-results")
    # The fairness audit runs a forecast, so it goes through the gateway: refused (and the
    # refusal shown) while the DPO has not approved forecasting; the feedback simulation on
    # synthetic places is always there.
    page.goto(f"{base}/forecast/fairness")
    expect(page.get_by_test_id("feedback-chart").locator("polyline")).to_have_count(4)
    expect(page.get_by_test_id("assessment-gate")).to_be_visible()
    page.locator("#fa-purpose").select_option(index=1)
    page.locator("#fa-basis").select_option(index=1)
    page.get_by_test_id("fairness-submit").click()
    expect(page.get_by_test_id("denial")).to_be_visible()
    expect(page.get_by_test_id("exposure-table")).to_have_count(0)
    _snap(page, "5-fairness")
    page.goto(f"{base}/forecast/staffing")
    expect(page.get_by_test_id("synthetic-banner")).to_be_visible()
    _snap(page, "6-staffing")
