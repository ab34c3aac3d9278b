"""Linked persons and vehicles: minimised fields, the incident's access rule, bad input."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from accord.core.errors import Conflict, PermissionDenied, ValidationFailed
from accord.core.roles import Role
from accord.dispatch.service import Actor, DispatchService
from tests.dispatch.conftest import CENTRE
from tests.helpers import login


@pytest.fixture
def incident(service: DispatchService, officer: Actor) -> dict:
    return service.create_incident(officer, type_code="robbery", lat=CENTRE[0], lon=CENTRE[1])


def test_persons_and_vehicles_are_linked_and_listed(
        service: DispatchService, officer: Actor, incident: dict) -> None:
    ref = incident["reference"]
    service.link_person(officer, ref, role="caller", name="Li Wei", contact="+358 40 123 4567")
    service.link_person(officer, ref, role="Suspect", description="tall, red jacket")
    data = service.link_vehicle(officer, ref, plate="abc 123", make="Toyota", colour="blue")
    assert [(p["role"], p["name"], p["description"]) for p in data["persons"]] == [
        ("caller", "Li Wei", ""), ("suspect", "", "tall, red jacket")]
    assert data["persons"][0]["contact"] == "+358 40 123 4567"
    assert [(v["plate"], v["make"], v["colour"]) for v in data["vehicles"]] == [
        ("ABC123", "Toyota", "blue")]
    # The event log reaches every board: roles, never names or plates.
    events = service.events_after(0)
    linked = [e for e in events if e["kind"] in ("person-linked", "vehicle-linked")]
    assert [e.get("role") for e in linked] == ["caller", "suspect", "involved"]
    assert "Li Wei" not in json.dumps(events) and "ABC123" not in json.dumps(events)
    removed = service.unlink(officer, ref, "person", data["persons"][1]["id"])
    assert [p["role"] for p in removed["persons"]] == ["caller"]


@pytest.mark.parametrize("fields, message", [
    ({"role": "neighbour", "name": "X"}, "role must be one of"),
    ({"role": "victim"}, "give a name or a description"),
    ({"role": "victim", "name": "X" * 121}, "at most 120"),
    ({"role": "witness", "name": "Y", "contact": "123456"}, "caller only"),
    ({"role": "caller", "name": "Y", "contact": "call me"}, "contact number holds"),
])
def test_bad_person_input_is_refused_and_nothing_stored(
        service: DispatchService, officer: Actor, incident: dict, fields: dict,
        message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        service.link_person(officer, incident["reference"], **fields)
    assert service.incident(incident["reference"])["persons"] == []


def test_vehicle_input_is_checked(service: DispatchService, officer: Actor,
                                  incident: dict) -> None:
    with pytest.raises(ValidationFailed, match="give a plate"):
        service.link_vehicle(officer, incident["reference"])
    with pytest.raises(ValidationFailed, match="a plate holds"):
        service.link_vehicle(officer, incident["reference"], plate="AB<script>")
    assert service.incident(incident["reference"])["vehicles"] == []


def test_access_follows_the_incident_rule(service: DispatchService, officer: Actor,
                                          incident: dict, make_user) -> None:  # type: ignore[no-untyped-def]
    clerk = make_user("clerk.one", Role.INTERPRETER)  # no dispatch role
    stranger = Actor(clerk.id, clerk.username, frozenset({"interpreter"}))
    with pytest.raises(PermissionDenied):
        service.link_person(stranger, incident["reference"], role="victim", name="Z")
    service.set_incident_status(officer, incident["reference"], "closed")
    with pytest.raises(Conflict, match="closed"):
        service.link_vehicle(officer, incident["reference"], plate="XYZ1")


def test_incident_page_links_a_person_and_refuses_bad_input(
        client: TestClient, service: DispatchService, officer: Actor, incident: dict) -> None:
    csrf = login(client, officer.username)
    ref = incident["reference"]
    done = client.post(f"/dispatch/incidents/{ref}/persons", data={
        "csrf_token": csrf, "role": "witness", "name": "Anna K", "description": "at the kiosk"},
        follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"/dispatch/incidents/{ref}")
    assert "Anna K" in page.text and "at the kiosk" in page.text
    bad = client.post(f"/dispatch/incidents/{ref}/vehicles", data={
        "csrf_token": csrf, "plate": "", "make": "", "colour": ""})
    assert bad.status_code == 422 and "give a plate" in bad.text
    assert service.incident(ref)["vehicles"] == []


def test_cli_links_a_person_and_a_vehicle_and_refuses_bad_input(
        accord_env, service: DispatchService, officer: Actor, incident: dict) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from accord.cli import app

    runner = CliRunner()
    env = {"ACCORD_USER": officer.username}
    ref = incident["reference"]
    done = runner.invoke(app, ["dispatch", "incident", "person", ref, "--role", "victim",
                               "--name", "Wang Fang"], env=env)
    assert done.exit_code == 0, done.output
    assert "1 linked persons" in done.output
    bad = runner.invoke(app, ["dispatch", "incident", "vehicle", ref, "--plate", "A<B"], env=env)
    assert bad.exit_code == 1 and "a plate holds" in bad.output
    assert service.incident(ref)["vehicles"] == []
