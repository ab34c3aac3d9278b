"""NENA EIDO export and import: another system can take an incident, and back again."""

from __future__ import annotations

import json

import pytest

from accord.core.errors import ValidationFailed
from accord.dispatch import eido
from accord.dispatch.service import Actor, DispatchService


def test_export_import_round_trip(service: DispatchService, officer: Actor) -> None:
    original = service.create_incident(
        officer, type_code="robbery", lat=60.1712345, lon=24.9412345, language="zh-Hans",
        address="Kaivokatu 1 <station>", source="walk-in", narrative="他抢了我的包 & ran",
        hazards="dog")
    service.add_narrative(officer, original["reference"], "second note")
    document = eido.export(service.incident(original["reference"]))
    text = json.dumps(document)
    assert document["incidentComponent"]["incidentTypeInternalCode"] == "robbery"
    assert document["incidentComponent"]["incidentCommonPriorityNumber"] == 8
    assert "<gml:pos>60.1712345 24.9412345</gml:pos>" in \
        document["locationComponent"][0]["locationByValue"]
    fields = eido.parse(json.loads(text))
    copy = service.create_incident(officer, location_source="import", **fields)
    assert copy["reference"] != original["reference"]
    again = service.incident(original["reference"])
    for key in ("type", "priority", "lat", "lon", "address", "language", "source", "hazards"):
        assert copy[key] == again[key], key
    assert [(n["at"], n["text"]) for n in copy["narrative"]] == \
        [(n["at"], n["text"]) for n in again["narrative"]]
    assert copy["external_id"] == original["reference"]


@pytest.mark.parametrize(("document", "message"), [
    ([], "is a JSON object"),
    ({}, "incidentComponent is missing"),
    ({"incidentComponent": {"incidentTypeInternalCode": "theft"}}, "locationComponent"),
    ({"incidentComponent": {"incidentTypeInternalCode": "theft"},
      "locationComponent": [{"$id": "l", "locationByValue": "<x/>"}]}, "no gml:pos"),
])
def test_malformed_eido_is_refused(document, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as refused:
        eido.parse(document)
    assert message in str(refused.value)


def test_linked_persons_round_trip_with_the_callback_for_the_caller_only(
        service: DispatchService, officer: Actor) -> None:
    original = service.create_incident(officer, type_code="robbery", lat=60.17, lon=24.94)
    ref = original["reference"]
    service.link_person(officer, ref, role="caller", name="Li Wei", contact="+358 40 123 4567")
    service.link_person(officer, ref, role="victim", name="Anna K",
                        description="grey coat, about 70")
    service.link_person(officer, ref, role="suspect", description="tall, red jacket")
    service.link_person(officer, ref, role="witness", name="Kiosk keeper")
    document = eido.export(service.incident(ref))
    roles = [p["personIncidentRoleRegistryText"] for p in document["personComponent"]]
    assert roles == [["Caller"], ["Victim"], ["Suspect"], ["Witness"]]
    # Only the caller carries a call-back number, as a tel: URI.
    [callback] = document["callbackComponent"]
    assert callback["callBackInformationUri"] == ["tel:+358-40-123-4567"]
    assert [("callBackReference" in p) for p in document["personComponent"]] == [
        True, False, False, False]
    assert document["personComponent"][2]["ncPersonComponent"] == {
        "PersonDescriptionText": "tall, red jacket"}

    copy = service.create_incident(officer, location_source="import",
                                   **eido.parse(json.loads(json.dumps(document))))
    stored = service.incident(copy["reference"])["persons"]
    assert [(p["role"], p["name"], p["description"], p["contact"]) for p in stored] == [
        ("caller", "Li Wei", "", "+358-40-123-4567"),
        ("victim", "Anna K", "grey coat, about 70", ""),
        ("suspect", "", "tall, red jacket", ""),
        ("witness", "Kiosk keeper", "", "")]
    # Exported again, the persons come out as they went in.
    again = eido.export(service.incident(copy["reference"]))
    strip = [{k: v for k, v in p.items() if k not in ("$id", "lastUpdateTimestamp",
                                                      "callBackReference")}
             for p in again["personComponent"]]
    assert strip == [{k: v for k, v in p.items() if k not in (
        "$id", "lastUpdateTimestamp", "callBackReference")} for p in document["personComponent"]]
    # The board's log says who was linked by role, never by name.
    assert "Li Wei" not in json.dumps(service.events_after(0))


def test_a_callback_on_anyone_but_the_caller_is_dropped_on_import(
        service: DispatchService, officer: Actor) -> None:
    original = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94)
    service.link_person(officer, original["reference"], role="witness", name="W")
    document = eido.export(service.incident(original["reference"]))
    document["callbackComponent"] = [{"$id": "cb", "callBackInformationUri": ["tel:+3581"]}]
    document["personComponent"][0]["callBackReference"] = {"$ref": "cb"}
    fields = eido.parse(document)
    assert fields["persons"] == [("witness", "W", "", "")]


@pytest.mark.parametrize(("person", "message"), [
    ({"personIncidentRoleRegistryText": ["Bystander"], "ncPersonComponent": {}},
     "is not one of Caller"),
    ({"personIncidentRoleRegistryText": ["Victim"], "ncPersonComponent": {}},
     "give a name or a description"),
    ({"personIncidentRoleRegistryText": ["Victim"],
      "ncPersonComponent": {"PersonName": {"PersonFullName": "X" * 121}}}, "at most 120"),
    ("not an object", "is not an object"),
])
def test_bad_persons_refuse_the_whole_import(  # type: ignore[no-untyped-def]
        service: DispatchService, officer: Actor, person, message) -> None:
    original = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94)
    document = eido.export(service.incident(original["reference"]))
    document["personComponent"] = [person]
    before = len(service.queue())
    with pytest.raises(ValidationFailed, match=message):
        service.create_incident(officer, location_source="import", **eido.parse(document))
    assert len(service.queue()) == before  # nothing half-written
