"""Retention of dispatch incidents: a closed incident past the period is anonymised (persons,
vehicles, narrative, transcripts and address gone, place coarsened, event log scrubbed), an
open one is kept, and the run writes a deletion certificate. The clock is injected."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from accord.core.db import utcnow
from accord.core.gateway.models import LedgerEntry
from accord.core.governance import get_governance
from accord.dispatch.models import (
    DispatchNarrative,
    DispatchPerson,
    DispatchRecording,
    DispatchVehicle,
)
from accord.dispatch.service import Actor, DispatchService
from accord.governance.retention import RetentionService

LAT, LON = 60.1712345, 24.9412345


def _count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def test_closed_incidents_are_anonymised_after_a_year_open_ones_kept(
        service: DispatchService, officer: Actor, database) -> None:  # type: ignore[no-untyped-def]
    closed = service.create_incident(
        officer, type_code="robbery", lat=LAT, lon=LON, language="ru",
        address="Kaivokatu 1", narrative="Анна: he took my bag", hazards="dog",
        device_lat=60.1701, device_lon=24.9401)["reference"]
    service.link_person(officer, closed, role="caller", name="Anna K", contact="+358 40 1")
    service.link_vehicle(officer, closed, plate="ABC-123", make="Toyota")
    service.set_incident_status(officer, closed, "advised", reason="caller: Anna K at home")
    service.set_incident_status(officer, closed, "closed")
    still_open = service.create_incident(officer, type_code="theft", lat=LAT, lon=LON,
                                         address="Kaivokatu 1")["reference"]
    service.link_person(officer, still_open, role="witness", name="Bo")
    with database.session() as session:
        session.add(DispatchRecording(incident_id=int(closed[2:]), status="confirmed",
                                      draft="Анна", confirmed_text="Анна", segments=[]))

    governance = get_governance()
    retention = RetentionService(governance.gateway.database, governance.ledger)
    early = [c.category for c in retention.run(now=utcnow() + timedelta(days=364))]
    assert "dispatch-incidents" not in early
    assert service.incident(closed)["persons"][0]["name"] == "Anna K"

    certificates = {c.category: c for c in retention.run(now=utcnow() + timedelta(days=366))}
    assert certificates["dispatch-incidents"].count == 1
    gone = service.incident(closed)
    assert gone["persons"] == [] and gone["vehicles"] == [] and gone["narrative"] == []
    assert gone["recordings"] == [] and gone["address"] == "" and gone["hazards"] == ""
    assert gone["language"] == "" and gone["device_location"] is None
    assert (gone["lat"], gone["lon"]) == (60.171, 24.941)
    assert (gone["type"], gone["priority"], gone["status"]) == ("robbery", 2, "closed")
    # The event log every board reads holds nothing of it either.
    log = json.dumps([e for e in service.events_after(0) if e.get("incident", {}).get(
        "reference") == closed], ensure_ascii=False)
    assert "Kaivokatu" not in log and "Anna" not in log and "60.1712345" not in log
    assert '"language": "ru"' not in log
    # The open incident is still being worked: untouched.
    kept = service.incident(still_open)
    assert kept["address"] == "Kaivokatu 1" and kept["persons"][0]["name"] == "Bo"
    assert _count(database, DispatchPerson) == 1 and _count(database, DispatchVehicle) == 0
    assert _count(database, DispatchNarrative) == 0 and _count(database, DispatchRecording) == 0
    with database.session() as session:
        body = json.loads(session.get(LedgerEntry,
                                      certificates["dispatch-incidents"].ledger_seq).body)
    assert body["kind"] == "deletion-certificate" and body["count"] == 1
    assert "Kaivokatu" not in json.dumps(body) and closed not in json.dumps(body)
    # Anonymised once: a later run finds nothing more to do.
    later = [c.category for c in retention.run(now=utcnow() + timedelta(days=400))]
    assert "dispatch-incidents" not in later
