"""What a dispatch event carries about its incident and unit, and the address key.

Kept apart from :mod:`accord.dispatch.service` (which loads the road graph's libraries) so the
demo data writes event-log rows of exactly the shape the services write, without importing
networkx and scipy: a board draws a change from the event alone, whoever wrote it.
"""

from __future__ import annotations

import re
from typing import Any

from accord.dispatch.models import DispatchIncident, DispatchUnit


def address_key(address: str) -> str:
    """The address as earlier calls at the same place are matched on."""
    return re.sub(r"[^\w]+", " ", address.lower()).strip()


def incident_brief(incident: DispatchIncident) -> dict[str, Any]:
    return {"reference": incident.reference, "type": incident.type_code,
            "priority": incident.priority, "status": incident.status,
            "lat": incident.lat, "lon": incident.lon, "address": incident.address,
            "language": incident.caller_language}


def unit_brief(unit: DispatchUnit, incident_ref: str | None) -> dict[str, Any]:
    return {"call_sign": unit.call_sign, "status": unit.status, "lat": unit.lat,
            "lon": unit.lon, "skills": list(unit.skills or ()),
            "languages": list(unit.languages or ()), "version": unit.version,
            "incident": incident_ref or (f"E-{unit.incident_id}" if unit.incident_id else None),
            "status_at": unit.status_at.isoformat() if unit.status_at else None,
            "safety_flagged": unit.safety_flagged_at is not None}


def event_body(incident: DispatchIncident | None, unit: DispatchUnit | None,
               data: dict[str, Any]) -> dict[str, Any]:
    """An event's data with the briefs of its incident and unit (the unit's incident named
    only when it is this incident)."""
    body: dict[str, Any] = dict(data)
    if incident is not None:
        body["incident"] = incident_brief(incident)
    if unit is not None:
        body["unit"] = unit_brief(unit, incident.reference if incident is not None
                                  and unit.incident_id == incident.id else None)
    return body
