"""Every page shows times in the station's zone, with the offset; times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.config import reset_settings_cache
from accord.core.roles import Role
from accord.governance.models import Breach
from accord.interpret.models import InterviewReport
from accord.web.templating import station_date, station_time
from tests.helpers import login

LATE_EVENING_UTC = datetime(2026, 11, 23, 23, 32, tzinfo=UTC)


def test_a_utc_time_reads_as_station_time_with_the_offset() -> None:
    assert station_time(LATE_EVENING_UTC) == "2026-11-24 07:32 +08:00"  # Asia/Shanghai default
    assert station_time(LATE_EVENING_UTC.replace(tzinfo=None)) == "2026-11-24 07:32 +08:00"
    assert station_date(LATE_EVENING_UTC) == "2026-11-24"  # already the next day at the station
    assert station_date(date(2026, 11, 23)) == "2026-11-23"
    assert station_time(None) == "—"


def test_the_zone_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_STATION_TIMEZONE", "America/New_York")
    reset_settings_cache()
    try:
        assert station_time(LATE_EVENING_UTC) == "2026-11-23 18:32 -05:00"
    finally:
        monkeypatch.delenv("ACCORD_STATION_TIMEZONE")
        reset_settings_cache()


def test_interview_report_page_shows_station_time(client: TestClient, database,  # type: ignore[no-untyped-def]
                                                  make_user) -> None:
    with database.write_session() as session:
        session.add(InterviewReport(
            reference="RPT-TIMEZONE22", form_id="lost-passport", form_version=1,
            language="en", channel="public", status="draft",
            answers={"what_happened": "lost", "full_name": "A B"}, content_statuses=[],
            created_at=LATE_EVENING_UTC))
    make_user("officer.t", Role.OFFICER)
    login(client, "officer.t")
    page = client.get("/interviews/reports/RPT-TIMEZONE22")
    assert page.status_code == 200
    assert "2026-11-24 07:32 +08:00" in page.text and "23:32" not in page.text
    listing = client.get("/interviews/reports")
    assert "2026-11-24 07:32 +08:00" in listing.text


def test_breach_form_times_are_station_time(client: TestClient, database,  # type: ignore[no-untyped-def]
                                            make_user) -> None:
    make_user("dpo.t", Role.DPO)
    csrf = login(client, "dpo.t")
    sent = client.post("/dpo/breaches", data={
        "csrf_token": csrf, "title": "USB stick lost", "detected_at": "2026-01-10T07:32",
        "severity": "low"}, follow_redirects=False)
    assert sent.status_code == 303, sent.text[:300]
    with database.session() as session:
        stored = session.scalar(select(Breach.detected_at))
    assert stored == datetime(2026, 1, 9, 23, 32, tzinfo=UTC)  # stored in UTC
    assert "2026-01-10 07:32 +08:00" in client.get("/dpo/breaches").text
