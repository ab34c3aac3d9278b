"""The live dispatch board in real headless Chromium, across two server processes: a
dispatcher watching the board on one process sees a unit dispatched through the browser command
line on another process (the event log in the database is the only thing they share)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.core.roles import Role
from accord.dispatch.service import Actor, DispatchService
from tests.browser.conftest import running_server
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def second_server(accord_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """Another `accord serve` process on the same database."""
    with running_server(accord_env, tmp_path / "server-2.log", "second server",
                        ACCORD_EMBEDDED_WORKER="false") as base:
        yield base


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def test_board_on_one_process_sees_a_dispatch_made_on_another(
        server: str, second_server: str, browser: Browser, make_user, database) -> None:  # type: ignore[no-untyped-def]
    watcher = make_user("dana.watch", Role.OFFICER, language="en")
    make_user("dan.send", Role.SUPERVISOR, language="en")
    service = DispatchService(database)
    actor = Actor(watcher.id, watcher.username)
    service.create_unit(actor, "12", 60.1672, 24.9450, [], ["fi", "ru"])
    incident = service.create_incident(actor, type_code="theft", lat=60.17, lon=24.94)

    first = browser.new_context(locale="en-GB")
    second = browser.new_context(locale="en-GB")
    try:
        board = first.new_page()
        board.set_default_timeout(20_000)
        _log_in(board, server, "dana.watch")
        board.goto(f"{server}/dispatch/board")
        expect(board.get_by_test_id("board-state")).to_have_text("live")
        unit_row = board.locator('#board-units li[data-unit="12"]')
        expect(unit_row).to_contain_text("available")
        expect(board.locator("#board-map .leaflet-control-attribution")).to_contain_text(
            "OpenStreetMap contributors")

        desk = second.new_page()
        desk.set_default_timeout(20_000)
        _log_in(desk, second_server, "dan.send")
        desk.goto(f"{second_server}/dispatch/units")
        desk.get_by_test_id("command-line").fill(f"DU 12 {incident['reference']}")
        desk.get_by_role("button", name="Run").click()
        expect(desk.get_by_test_id("command-done")).to_contain_text(
            f"unit 12 dispatched to {incident['reference']}")

        expect(unit_row).to_contain_text(f"dispatched {incident['reference']}")
        expect(board.locator(f'#board-incidents li[data-ref="{incident["reference"]}"]')
               ).to_contain_text("dispatched")
    finally:
        first.close()
        second.close()
