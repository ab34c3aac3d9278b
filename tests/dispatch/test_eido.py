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
