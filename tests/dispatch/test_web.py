"""Dispatch pages, API, command line, live board stream and public alerts."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from accord.core.roles import Role
from accord.dispatch import cap
from accord.dispatch.service import Actor, DispatchService
from tests.dispatch.conftest import approve_assessments
from tests.helpers import login


@pytest.fixture
def desk(client: TestClient, make_user, service: DispatchService, officer: Actor, units):  # type: ignore[no-untyped-def]
    """An officer signed in, with three units on the map."""
    csrf = login(client, officer.username)
    return client, csrf


def _events(client: TestClient, **headers: str) -> list[dict]:
    response = client.get("/dispatch/board/events?once=1", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in response.text.split("\n\n") if f.startswith("id: ")]
    return [json.loads(f.split("data: ", 1)[1]) for f in frames]


def test_intake_form_creates_an_incident_with_triage_and_recommendation(
        desk, make_user, service: DispatchService) -> None:  # type: ignore[no-untyped-def]
    client, csrf = desk
    approve_assessments(make_user)
    response = client.post("/dispatch/incidents", data={
        "csrf_token": csrf, "type": "theft", "lat": "60.17", "lon": "24.94",
        "language": "ru", "address": "Mannerheimintie 1", "source": "phone",
        "location_source": "caller", "narrative": "У меня украли паспорт", "weapon": "yes"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    target = response.headers["location"]
    assert "?triage=" in target
    page = client.get(target)
    assert page.status_code == 200
    assert "caller reports a weapon → priority 1" in page.text
    assert "Unit 12: " in page.text and "speaks the caller&#39;s language (ru)" in page.text
    assert "OpenStreetMap contributors" in page.text
    reference = target.split("/")[-1].split("?")[0]
    decision = target.split("triage=")[1]
    # Override without a reason: refused, nothing changed.
    refused = client.post(f"/dispatch/incidents/{reference}/triage", data={
        "csrf_token": csrf, "decision_id": decision, "answer": "override", "type": "theft",
        "priority": "2", "reason": ""})
    assert refused.status_code == 422 and "an override needs a reason" in refused.text
    done = client.post(f"/dispatch/incidents/{reference}/triage", data={
        "csrf_token": csrf, "decision_id": decision, "answer": "override", "type": "theft",
        "priority": "2", "reason": "the knife was seen an hour ago"}, follow_redirects=False)
    assert done.status_code == 303
    incident = service.incident(reference)
    assert (incident["priority"], incident["triage"]["outcome"]) == (2, "overridden")
    assert service.override_rate()["overridden"] == 1
    from accord.core.governance import get_governance

    with get_governance().ledger.database.session() as session:
        from sqlalchemy import text

        kinds = session.execute(text("SELECT kind FROM ledger_entries ORDER BY seq")).scalars()
        assert "dispatch.triage-outcome" in list(kinds)


def test_intake_shows_earlier_calls_and_refuses_bad_places(
        desk, service: DispatchService, officer: Actor) -> None:  # type: ignore[no-untyped-def]
    client, csrf = desk
    first = service.create_incident(officer, type_code="noise", lat=60.17, lon=24.94)
    form = {"csrf_token": csrf, "type": "noise", "lat": "60.17001", "lon": "24.94001"}
    shown = client.post("/dispatch/incidents", data=form)
    assert shown.status_code == 200 and "Possible duplicates" in shown.text
    assert first["reference"] in shown.text
    assert len(service.queue()) == 1  # nothing created yet
    created = client.post("/dispatch/incidents", data={**form, "confirm": "1"},
                          follow_redirects=False)
    assert created.status_code == 303 and len(service.queue()) == 2
    outside = client.post("/dispatch/incidents", data={
        "csrf_token": csrf, "type": "theft", "lat": "60.5", "lon": "24.94"})
    assert outside.status_code == 422 and "outside the service area" in outside.text
    assert len(service.queue()) == 2


def test_command_line_dispatches_and_a_second_dispatcher_gets_409(
        desk, service: DispatchService, officer: Actor) -> None:  # type: ignore[no-untyped-def]
    client, csrf = desk
    a = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94)
    b = service.create_incident(officer, type_code="theft", lat=60.171, lon=24.941)
    ok = client.post("/dispatch/command", data={"csrf_token": csrf,
                                                "line": f"DU 12 {a['reference']}"})
    assert ok.status_code == 200 and f"unit 12 dispatched to {a['reference']}" in ok.text
    # A second dispatcher's page still shows 12 at its old version: their click loses.
    stale = client.post(f"/dispatch/incidents/{b['reference']}/dispatch", data={
        "csrf_token": csrf, "call_sign": "12", "version": "1"})
    assert stale.status_code == 409
    assert f"it is now dispatched to {a['reference']}" in stale.text
    bad = client.post("/dispatch/command", data={"csrf_token": csrf, "line": "XX what"})
    assert bad.status_code == 422 and "commands are DU unit incident" in bad.text
    step = client.post("/dispatch/units/12/status", data={"csrf_token": csrf,
                                                          "status": "on-scene"},
                       follow_redirects=False)
    assert step.status_code == 303
    wrong = client.post("/dispatch/units/12/status", data={"csrf_token": csrf,
                                                           "status": "dispatched"})
    assert wrong.status_code == 422
    assert client.get("/dispatch/units").text.count("on-scene") >= 1


def test_board_stream_catches_up_from_last_event_id(desk, service: DispatchService,
                                                    officer: Actor) -> None:  # type: ignore[no-untyped-def]
    client, _ = desk
    before = _events(client)
    assert [e["kind"] for e in before] == ["unit-created"] * 3
    incident = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94)
    service.dispatch(officer, "7", incident["reference"])
    resumed = _events(client, **{"Last-Event-ID": str(before[-1]["id"])})
    assert [e["kind"] for e in resumed] == ["incident-created", "unit-dispatched"]
    assert resumed[1]["unit"]["status"] == "dispatched"
    assert _events(client, **{"Last-Event-ID": str(resumed[-1]["id"])}) == []
    page = client.get("/dispatch/board")
    assert page.status_code == 200 and "OpenStreetMap contributors" in page.text
    # Every listed incident and unit carries its place, so the map shows them from the start.
    row = f'data-ref="{incident["reference"]}" data-lat="{incident["lat"]}" '
    assert row in page.text and 'data-unit="7" data-lat="' in page.text
    # Incident types in the reader's language, in the rows and for the rows events draw.
    client.post("/account/language", data={"csrf_token": desk[1], "language": "zh_Hans",
                                           "next": "/"})
    chinese = client.get("/dispatch/board").text
    assert f"{incident['reference']} P3 盗窃 ·" in chinese
    words = re.search(r'data-type-words="([^"]*)"', chinese)
    assert words is not None and json.loads(html.unescape(words.group(1)))["theft"] == "盗窃"
    exported = client.get(f"/dispatch/incidents/{incident['reference']}/eido.json")
    assert exported.status_code == 200
    assert exported.json()["incidentComponent"]["internalIncidentId"] == incident["reference"]


def test_api_intake_and_queue(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    from accord.core.accounts import AccountService
    from accord.core.runtime import get_database

    user = make_user("api.officer", Role.OFFICER)
    with get_database().session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.find_user(user.username), "test").token
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/dispatch/incidents", headers=headers,
                          json={"type": "theft", "lat": 60.17, "lon": 24.94, "language": "ru"})
    assert created.status_code == 201, created.text
    assert created.json()["reference"].startswith("E-")
    unknown = client.post("/api/v1/dispatch/incidents", headers=headers,
                          json={"type": "ufo", "lat": 60.17, "lon": 24.94})
    assert unknown.status_code == 422 and "unknown incident type" in unknown.json()["detail"]
    huge = client.post("/api/v1/dispatch/incidents", headers=headers,
                       json={"type": "theft", "lat": 60.17, "lon": 24.94,
                             "narrative": "x" * 5000})
    assert huge.status_code == 422
    queue = client.get("/api/v1/dispatch/queue", headers=headers)
    assert [i["type"] for i in queue.json()] == ["theft"]
    analyst = make_user("api.analyst", Role.ANALYST)
    with get_database().session() as session:
        accounts = AccountService(session)
        other = accounts.issue_token(accounts.find_user(analyst.username), "test").token
    assert client.get("/api/v1/dispatch/queue",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 403


def test_published_alert_is_public_and_in_the_atom_feed(desk, service: DispatchService,
                                                        officer: Actor) -> None:  # type: ignore[no-untyped-def]
    client, csrf = desk
    incident = service.create_incident(officer, type_code="robbery", lat=60.17, lon=24.94,
                                       address="Kaivokatu 1")
    malformed = client.post(f"/dispatch/incidents/{incident['reference']}/alert", data={
        "csrf_token": csrf, "languages": ["en"], "urgency": "Whenever"})
    assert malformed.status_code == 422 and "urgency" in malformed.text
    assert service.alerts() == []
    published = client.post(f"/dispatch/incidents/{incident['reference']}/alert", data={
        "csrf_token": csrf, "languages": ["zh", "en"], "urgency": "Immediate",
        "severity": "Moderate", "certainty": "Observed", "other_language": "ru",
        "other_headline": "Ограбление на Kaivokatu", "other_description": "Избегайте района."},
        follow_redirects=False)
    assert published.status_code == 303, published.text
    url = published.headers["location"]
    client.cookies.clear()  # the public, not signed in
    xml = client.get(url)
    assert xml.status_code == 200 and xml.headers["content-type"] == "application/cap+xml"
    assert cap.validate(xml.content) == []
    feed = etree.fromstring(client.get("/alerts.atom").content)
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.find(f"{atom}entry/{atom}link").get("href").endswith(url)
