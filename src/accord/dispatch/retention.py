"""Retention of dispatch incidents (category ``dispatch-incidents`` in ``core/retention.yaml``).

A closed (or advised) incident older than the period is **anonymised**, not deleted: its
linked persons (names, descriptions, the caller's call-back number), vehicles, narrative and
recordings are deleted; the address, hazards, the caller's language, the device location and
the triage reason are erased; the location is coarsened to three decimals (about 110 m north
to south, 55 m east to west in Helsinki), and the same is done to the incident's rows in the
event log, which every board reads. What stays (type, priority, coarse place, times, statuses,
units sent) is what call statistics and a hotspot forecast need, with nothing that names or
reaches a person. An incident still open is never erased: it is still being worked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from accord.core.contract import RetentionClass
from accord.dispatch.models import (
    DispatchEvent,
    DispatchIncident,
    DispatchNarrative,
    DispatchPerson,
    DispatchRecording,
    DispatchVehicle,
)

CATEGORY = "dispatch-incidents"
ENDED = ("closed", "advised")
COARSE_DECIMALS = 3
#: Keys of an event's data kept when its incident is anonymised (the rest may hold free text).
EVENT_KEYS = ("incident", "unit", "role", "recording", "decision_id", "minutes")


def coarse(value: float | None) -> float | None:
    return None if value is None else round(float(value), COARSE_DECIMALS)


def candidates(cutoff: datetime) -> Any:
    return select(DispatchIncident).where(
        DispatchIncident.status.in_(ENDED), DispatchIncident.anonymised_at.is_(None),
        DispatchIncident.created_at < cutoff).order_by(DispatchIncident.id)


def anonymise(session: Any, incident: DispatchIncident, now: datetime) -> None:
    """Delete what names or reaches a person, coarsen the place (the incident and its events).
    Explicit deletes, not the foreign keys' cascade: SQLite enforces it only when told to."""
    for model in (DispatchPerson, DispatchVehicle, DispatchNarrative, DispatchRecording):
        session.execute(delete(model).where(model.incident_id == incident.id))
    incident.address = incident.address_key = incident.hazards = ""
    incident.caller_language = incident.triage_reason = ""
    incident.device_lat = incident.device_lon = None
    incident.lat, incident.lon = coarse(incident.lat), coarse(incident.lon)
    incident.anonymised_at = now
    for event in session.scalars(select(DispatchEvent).where(
            DispatchEvent.incident_id == incident.id)):
        data = {k: v for k, v in (event.data or {}).items() if k in EVENT_KEYS}
        brief = dict(data.get("incident") or {})
        if brief:
            brief.update(address="", language="", lat=coarse(brief.get("lat")),
                         lon=coarse(brief.get("lon")))
            data["incident"] = brief
        event.data = data


def retention_classes() -> tuple[RetentionClass, ...]:
    return (RetentionClass(category=CATEGORY, created=DispatchIncident.created_at,
                           candidates=candidates, erase=anonymise,
                           reference=lambda incident: f"incident:E-{incident.id}"),)
