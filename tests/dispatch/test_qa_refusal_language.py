"""A refused suggestion on the incident page is explained in the page's language (found in a QA
walk: the Chinese page showed the policy's English reason, because dispatch passed "zh" where
the gateway's refusal expects the catalogue's "zh_Hans")."""

from __future__ import annotations

import html
import json
import re

from fastapi.testclient import TestClient

from accord.dispatch.service import Actor, DispatchService
from tests.helpers import login


def test_refusal_reason_is_in_chinese_on_the_chinese_page(
        client: TestClient, service: DispatchService, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    csrf = login(client, officer.username)
    assert client.post("/account/language", data={"csrf_token": csrf, "language": "zh_Hans"},
                       follow_redirects=False).status_code == 303
    incident = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94,
                                       source="phone", language="zh", address="A",
                                       location_source="caller", narrative="")
    page = client.get(f"/dispatch/incidents/{incident['reference']}")
    assert page.status_code == 200
    # No assessment approved: the recommendation is refused, with the policy's Chinese reason.
    assert "须先由数据保护官批准" in page.text
    assert "the data-protection officer must approve them first" not in page.text


def test_eido_export_from_the_incident_page_names_a_recipient_and_lands_on_the_held_share(
        client: TestClient, service: DispatchService, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    """Found in the same walk: the page offered only a bare link, which (the incident having
    a narrative) answered a browser with raw JSON and logged the recipient as "not named"."""
    login(client, officer.username)
    incident = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94,
                                       source="phone", language="en", address="A",
                                       location_source="caller", narrative="a wallet taken")
    url = f"/dispatch/incidents/{incident['reference']}/eido.json"
    page = client.get(f"/dispatch/incidents/{incident['reference']}").text
    assert 'data-testid="eido-send"' in page and 'name="recipient"' in page
    held = client.get(url, params={"recipient": "Regional PSAP"},
                      headers={"accept": "text/html,application/xhtml+xml"},
                      follow_redirects=False)
    assert held.status_code == 303 and held.headers["location"].startswith("/knowledge/shares/")
    share_page = client.get(held.headers["location"]).text
    assert "Regional PSAP" in share_page and 'data-status="awaiting-approval"' in share_page
    # An API client still gets the 202 with the held share.
    api = client.get(url, params={"recipient": "Regional PSAP"})
    assert api.status_code == 202 and api.json()["status"] == "awaiting-approval"


def test_incident_page_names_source_and_location_source_in_words(
        client: TestClient, service: DispatchService, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    """The intake facts showed the stored codes ("phone", "caller") even on the Chinese page."""
    csrf = login(client, officer.username)
    client.post("/account/language", data={"csrf_token": csrf, "language": "zh_Hans"})
    incident = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94,
                                       source="phone", language="zh", address="A",
                                       location_source="caller", narrative="")
    page = client.get(f"/dispatch/incidents/{incident['reference']}").text
    assert 'data-testid="intake-source">电话<' in page
    assert 'data-source="caller">报警人所述<' in page


def test_statuses_are_words_in_the_chinese_ui_and_the_form_still_posts_the_code(
        client: TestClient, service: DispatchService, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    """Incident and unit statuses showed as stored codes ("new", "available") on the Chinese
    queue, units, incident and board pages."""
    csrf = login(client, officer.username)
    client.post("/account/language", data={"csrf_token": csrf, "language": "zh_Hans"})
    incident = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94,
                                       source="phone", language="zh", address="A",
                                       location_source="caller", narrative="")
    queue = client.get("/dispatch").text
    assert "<td>新警情</td>" in queue and "<td>new</td>" not in queue
    unit_page = client.get("/dispatch/units").text
    assert 'data-status="available">待命' in unit_page
    assert 'value="out-of-service">暂停勤务</button>' in unit_page
    page = client.get(f"/dispatch/incidents/{incident['reference']}").text
    assert '<option value="advised">已告知（未派警）</option>' in page
    board = client.get("/dispatch/board").text
    words = re.search(r'data-status-words="([^"]*)"', board)
    assert words is not None  # what the live board's script shows for each status
    assert json.loads(html.unescape(words.group(1)))["available"] == "待命"
    assert 'data-live="实时"' in board
    # The translated option still posts the code: the incident becomes "advised".
    changed = client.post(f"/dispatch/incidents/{incident['reference']}/status",
                          data={"csrf_token": csrf, "status": "advised"}, follow_redirects=False)
    assert changed.status_code in (303, 200)
    assert service.incident(incident["reference"])["status"] == "advised"


def test_timeline_and_alert_form_are_words_in_the_chinese_ui(
        client: TestClient, service: DispatchService, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    """The timeline showed event codes ("incident-created") and UTC times; the alert form the
    CAP values in English."""
    csrf = login(client, officer.username)
    client.post("/account/language", data={"csrf_token": csrf, "language": "zh_Hans"})
    incident = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94,
                                       source="phone", language="zh", address="A",
                                       location_source="caller", narrative="")
    page = client.get(f"/dispatch/incidents/{incident['reference']}").text
    timeline = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert "接报立警" in timeline and "incident-created<" not in timeline
    assert "+08:00" in timeline  # station time with its offset
    assert '<option value="Immediate" >立即：须立即行动</option>' in page
    assert '<option value="Moderate" selected>中等：可能威胁生命或财产</option>' in page
