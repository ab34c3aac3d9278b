"""Microphone capture in real headless Chromium: record → WAV encoded in the page → transcribe.

Chromium's fake capture device (``--use-fake-device-for-media-stream``, permission granted by
``--use-fake-ui-for-media-stream``, both set for every browser test in conftest.py)
plays a beep tone, not speech. What this shows that no
unit test can: recorder.js gets PCM from getUserMedia, encodes a WAV the server accepts, puts
it into the form's file input, and the page comes back with either a transcript or the clear
"no speech detected" message — never a server error or "not a WAV file".
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accord.core.roles import Role
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

def test_record_with_the_microphone_and_transcribe(
    server: str, page: Page, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("sp.browser", Role.OFFICER, language="en")
    page.set_default_timeout(60_000)
    page.goto(f"{server}/login")
    page.get_by_label("User name").fill("sp.browser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.goto(f"{server}/interpret/speech")

    page.get_by_test_id("record-start").click()
    expect(page.get_by_test_id("record-status")).to_contain_text("Recording")
    page.wait_for_timeout(2500)
    page.get_by_test_id("record-stop").click()
    expect(page.get_by_test_id("record-status")).to_contain_text("Recorded")
    assert (
        page.get_by_test_id("audio-file").evaluate("input => input.files[0].name")
        == "recording.wav"
    )

    form = page.get_by_test_id("speech-form")  # the read-aloud form has its own purpose
    form.get_by_label("Purpose").select_option("victim-assistance")
    form.get_by_label("Legal basis").select_option("police-law-art-2")
    page.get_by_test_id("speech-submit").click()
    outcome = page.locator('[data-testid="transcript-result"], [data-testid="form-error"]')
    expect(outcome.first).to_be_visible()
    if page.get_by_test_id("form-error").count():
        expect(page.get_by_test_id("form-error")).to_contain_text("No speech detected")
    else:
        expect(page.get_by_test_id("retention")).to_contain_text("ai-decision-content")
        expect(page.get_by_test_id("audio-status")).to_contain_text("Deleted")
