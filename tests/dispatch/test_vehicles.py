"""Linked vehicles: a role, plate, make and colour, minimised like persons; at intake (API),
on the incident page, on the command line, and in NENA EIDO (``vehicleComponent``) both ways."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from accord.core.errors import ValidationFailed
from accord.core.roles import Role
from accord.dispatch import eido
from accord.dispatch.service import Actor, DispatchService
from tests.dispatch.conftest import CENTRE
from tests.helpers import login


@pytest.fixture
def incident(service: DispatchService, officer: Actor) -> dict:
    return service.create_incident(officer, type_code="robbery", lat=CENTRE[0], lon=CENTRE[1])


def test_vehicles_round_trip_through_eido_with_their_roles(
        service: DispatchService, officer: Actor, incident: dict) -> None:
    ref = incident["reference"]
    service.link_vehicle(officer, ref, role="suspect", plate="abc 123", make="Toyota",
                         colour="blue")
    service.link_vehicle(officer, ref, role="witness", colour="white")
    service.link_vehicle(officer, ref, plate="京A·12345")  # involved, by default
    document = eido.export(service.incident(ref))
    components = document["vehicleComponent"]
    assert [c["vehicleRelationshipType"] for c in components] == [
        ["Suspect"], ["Witness"], ["Involved"]]
    assert components[0]["ncVehicleComponent"] == {
        "ConveyanceRegistrationPlateIdentification": {"IdentificationID": "ABC123"},
        "ItemMakeName": "Toyota", "ItemColorDescriptionText": "blue"}
    assert components[1]["ncVehicleComponent"] == {"ItemColorDescriptionText": "white"}
    assert all(c["vehicleRelationshipTimeStamp"] for c in components)
    # A plate leads to a keeper: an export holding vehicles waits like one holding persons.
    assert eido.COMPONENT_SENSITIVITY["vehicleComponent"] == "high"

    copy = service.create_incident(officer, location_source="import",
                                   **eido.parse(json.loads(json.dumps(document))))
    stored = service.incident(copy["reference"])["vehicles"]
    assert [(v["role"], v["plate"], v["make"], v["colour"]) for v in stored] == [
        ("suspect", "ABC123", "Toyota", "blue"), ("witness", "", "", "white"),
        ("involved", "京A·12345", "", "")]
    again = eido.export(service.incident(copy["reference"]))
    keep = ("vehicleRelationshipType", "ncVehicleComponent")
    assert [{k: c[k] for k in keep} for c in again["vehicleComponent"]] == [
        {k: c[k] for k in keep} for c in components]
    # Import takes plate, make and colour only: an owner or VIN in the document is not kept.
    document["vehicleComponent"][0]["ncVehicleComponent"]["VehicleIdentification"] = {
        "IdentificationID": "VIN123"}
    assert eido.parse(document)["vehicles"][0] == ("suspect", "ABC123", "Toyota", "blue")
    # The board's log carries the role, never the plate.
    assert "ABC123" not in json.dumps(service.events_after(0))


@pytest.mark.parametrize(("vehicle", "message"), [
    ({"vehicleRelationshipType": ["Getaway"], "ncVehicleComponent": {"ItemMakeName": "VW"}},
     "relationship getaway is not one of Involved"),
    ({"vehicleRelationshipType": [], "ncVehicleComponent": {"ItemMakeName": "VW"}},
     "relationship missing"),
    ({"vehicleRelationshipType": ["Suspect"], "ncVehicleComponent": {}},
     "give a plate, a make or a colour"),
    ({"vehicleRelationshipType": ["Suspect"], "ncVehicleComponent": {
        "ConveyanceRegistrationPlateIdentification": {"IdentificationID": "X" * 17}}},
     "a plate holds"),
    ({"vehicleRelationshipType": ["Victim"], "ncVehicleComponent": {"ItemMakeName": "M" * 41}},
     "make at most 40"),
    ({"vehicleRelationshipType": ["Victim"], "ncVehicleComponent": "red car"},
     "ncVehicleComponent is not an object"),
    ("not an object", "is not an object"),
])
def test_bad_vehicles_refuse_the_whole_import(  # type: ignore[no-untyped-def]
        service: DispatchService, officer: Actor, incident: dict, vehicle, message) -> None:
    document = eido.export(service.incident(incident["reference"]))
    document["vehicleComponent"] = [vehicle]
    before = len(service.queue())
    with pytest.raises(ValidationFailed, match=message):
        service.create_incident(officer, location_source="import", **eido.parse(document))
    assert len(service.queue()) == before  # nothing half-written


def test_too_many_vehicles_refuse_the_import(service: DispatchService, officer: Actor,
                                             incident: dict) -> None:
    document = eido.export(service.incident(incident["reference"]))
    document["vehicleComponent"] = [
        {"vehicleRelationshipType": ["Involved"], "ncVehicleComponent": {"ItemMakeName": "VW"}}
    ] * 21
    before = len(service.queue())
    with pytest.raises(ValidationFailed, match="at most 20 vehicles"):
        service.create_incident(officer, location_source="import", **eido.parse(document))
    assert len(service.queue()) == before


def test_unknown_vehicle_role_is_refused_when_linking(service: DispatchService, officer: Actor,
                                                      incident: dict) -> None:
    with pytest.raises(ValidationFailed, match="vehicle role must be one of involved"):
        service.link_vehicle(officer, incident["reference"], role="getaway", make="VW")
    assert service.incident(incident["reference"])["vehicles"] == []


def test_incident_page_links_a_vehicle_with_its_role(client: TestClient, officer: Actor,  # type: ignore[no-untyped-def]
                                                     service: DispatchService,
                                                     incident: dict) -> None:
    csrf = login(client, officer.username)
    ref = incident["reference"]
    page = client.get(f"/dispatch/incidents/{ref}")
    assert '<option value="suspect">suspect\'s vehicle</option>' in page.text
    done = client.post(f"/dispatch/incidents/{ref}/vehicles", data={
        "csrf_token": csrf, "role": "suspect", "plate": "XYZ-9", "colour": "red"},
        follow_redirects=False)
    assert done.status_code == 303, done.text
    assert "suspect's vehicle: XYZ-9" in client.get(f"/dispatch/incidents/{ref}").text
    bad = client.post(f"/dispatch/incidents/{ref}/vehicles", data={
        "csrf_token": csrf, "role": "getaway", "plate": "XYZ-8"})
    assert bad.status_code == 422 and "vehicle role must be one of" in bad.text
    assert [v["plate"] for v in service.incident(ref)["vehicles"]] == ["XYZ-9"]


def test_queue_intake_form_links_a_vehicle_and_refuses_a_bad_plate(  # type: ignore[no-untyped-def]
        client: TestClient, officer: Actor, service: DispatchService) -> None:
    """The queue page's intake form takes a vehicle as the API does: same checks, same rows,
    in the incident's own transaction; a bad plate is a 422 naming the rule, nothing stored,
    and the form comes back with what was typed."""
    csrf = login(client, officer.username)
    page = client.get("/dispatch")
    assert 'name="vehicle_plate"' in page.text
    assert '<option value="suspect" >suspect\'s vehicle</option>' in page.text
    base = {"csrf_token": csrf, "type": "robbery", "lat": str(CENTRE[0]),
            "lon": str(CENTRE[1]), "source": "phone", "location_source": "caller"}
    bad = client.post("/dispatch/incidents", data={
        **base, "vehicle_role": "suspect", "vehicle_plate": "ABC/123", "vehicle_make": "Saab"})
    assert bad.status_code == 422
    assert "a plate holds 1-16 letters, digits, hyphens" in bad.text
    assert 'value="ABC/123"' in bad.text and 'value="Saab"' in bad.text
    assert '<option value="suspect" selected>' in bad.text
    assert service.queue() == []
    unknown = client.post("/dispatch/incidents", data={
        **base, "vehicle_role": "getaway", "vehicle_colour": "red"})
    assert unknown.status_code == 422 and "vehicle role must be one of" in unknown.text
    assert service.queue() == []
    created = client.post("/dispatch/incidents", data={
        **base, "vehicle_role": "suspect", "vehicle_plate": "abc 123", "vehicle_make": "Saab",
        "vehicle_colour": "blue"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    reference = created.headers["location"].split("/")[-1].split("?")[0]
    incident = service.incident(reference)
    assert [(v["role"], v["plate"], v["make"], v["colour"]) for v in incident["vehicles"]] == [
        ("suspect", "ABC123", "Saab", "blue")]
    assert "vehicle-linked" in [e["kind"] for e in incident["timeline"]]
    assert "suspect's vehicle: ABC123" in client.get(f"/dispatch/incidents/{reference}").text
    # Without plate, make or colour no vehicle is linked (the role alone is not a vehicle).
    plain = client.post("/dispatch/incidents", data={**base, "vehicle_role": "witness",
                                                     "confirm": "1"}, follow_redirects=False)
    assert plain.status_code == 303
    plain_ref = plain.headers["location"].split("/")[-1].split("?")[0]
    assert service.incident(plain_ref)["vehicles"] == []


def test_api_intake_links_vehicles_and_refuses_bad_ones(client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                                       service: DispatchService) -> None:
    from accord.core.accounts import AccountService
    from accord.core.runtime import get_database

    user = make_user("api.dispatcher", Role.DISPATCHER)
    with get_database().session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.find_user(user.username), "test").token
    headers = {"Authorization": f"Bearer {token}"}
    base = {"type": "traffic-collision", "lat": CENTRE[0], "lon": CENTRE[1]}
    created = client.post("/api/v1/dispatch/incidents", headers=headers, json={
        **base, "vehicles": [{"role": "involved", "plate": "abc-1", "make": "Volvo"},
                             {"role": "victim", "colour": "grey"}]})
    assert created.status_code == 201, created.text
    assert [(v["role"], v["plate"]) for v in created.json()["vehicles"]] == [
        ("involved", "ABC-1"), ("victim", "")]
    stored = service.incident(created.json()["reference"])["vehicles"]
    assert [(v["role"], v["plate"], v["make"]) for v in stored] == [
        ("involved", "ABC-1", "Volvo"), ("victim", "", "")]
    for vehicle, message in (({"role": "getaway", "make": "VW"}, "vehicle role must be one of"),
                             ({"role": "suspect"}, "give a plate")):
        refused = client.post("/api/v1/dispatch/incidents", headers=headers,
                              json={**base, "vehicles": [vehicle]})
        assert refused.status_code == 422 and message in refused.json()["detail"]
    oversize = client.post("/api/v1/dispatch/incidents", headers=headers,
                           json={**base, "vehicles": [{"plate": "P" * 21}]})
    assert oversize.status_code == 422
    assert len(service.queue()) == 1  # only the good one


def test_cli_links_a_vehicle_with_a_role_and_refuses_an_unknown_one(  # type: ignore[no-untyped-def]
        accord_env, service: DispatchService, officer: Actor, incident: dict) -> None:
    from typer.testing import CliRunner

    from accord.cli import app

    runner = CliRunner()
    env = {"ACCORD_USER": officer.username}
    ref = incident["reference"]
    done = runner.invoke(app, ["dispatch", "incident", "vehicle", ref, "--role", "suspect",
                               "--plate", "CLI-1"], env=env)
    assert done.exit_code == 0, done.output
    bad = runner.invoke(app, ["dispatch", "incident", "vehicle", ref, "--role", "getaway",
                              "--plate", "CLI-2"], env=env)
    assert bad.exit_code == 1 and "vehicle role must be one of" in bad.output
    assert [(v["role"], v["plate"]) for v in service.incident(ref)["vehicles"]] == [
        ("suspect", "CLI-1")]


def test_cli_import_refuses_an_unknown_vehicle_relationship(  # type: ignore[no-untyped-def]
        accord_env, service: DispatchService, officer: Actor, incident: dict, tmp_path) -> None:
    from typer.testing import CliRunner

    from accord.cli import app

    document = eido.export(service.incident(incident["reference"]))
    document["vehicleComponent"] = [{"vehicleRelationshipType": ["Getaway"],
                                     "ncVehicleComponent": {"ItemMakeName": "VW"}}]
    path = tmp_path / "eido.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = len(service.queue())
    refused = CliRunner().invoke(app, ["dispatch", "import", str(path), "--user",
                                       officer.username])
    assert refused.exit_code == 1
    assert "relationship getaway is not one of Involved" in refused.stderr
    assert len(service.queue()) == before
    document["vehicleComponent"][0]["vehicleRelationshipType"] = ["Witness"]
    path.write_text(json.dumps(document), encoding="utf-8")
    taken = CliRunner().invoke(app, ["dispatch", "import", str(path), "--json", "--user",
                                     officer.username])
    assert taken.exit_code == 0, taken.output
    assert [(v["role"], v["make"]) for v in json.loads(taken.stdout)["vehicles"]] == [
        ("witness", "VW")]
