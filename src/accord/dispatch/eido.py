"""Incident exchange in NENA EIDO JSON (NENA-STA-021.1a-2022), the subset Accord fills.

Implemented: the EIDO wrapper (``$id``, ``eidoVersion``, ``issuingElementIdentification``,
``lastUpdateTimestamp``, ``updatedByAgencyReference``), ``incidentComponent`` (type internal
code and text, common-registry type text, status internal text, internal id, priority internal
text and common priority number 0-10 with 10 the highest, location and notes references),
``locationComponent`` (location type registry text, the location by value as a PIDF-LO
``gml:Point``, description text), ``notesComponent`` (``notesActionComments`` with its own
``lastUpdateTimestamp``), ``agencyComponent`` (one entry) and an ``additionalDataComponent``
carrying what EIDO has no field for here (caller language, call source, location source),
``personComponent`` (linked persons: ``personIncidentRoleRegistryText`` Caller, Victim, Suspect
or Witness; the NIEM person as ``ncPersonComponent`` holding only ``PersonName.PersonFullName``
and ``PersonDescriptionText``; ``callBackReference`` for the caller only) and
``callbackComponent`` (the caller's call-back number as a ``tel:`` URI in
``callBackInformationUri``; spaces become the RFC 3966 visual separator ``-``), and
``vehicleComponent`` (linked vehicles, the VehicleInformationType of NENA-STA-021.1a section 2.17:
``vehicleRelationshipType`` Involved, Suspect, Victim or Witness, ``vehicleRelationshipTimeStamp``
when it was linked, and the NIEM vehicle as ``ncVehicleComponent`` holding only
``ConveyanceRegistrationPlateIdentification.IdentificationID`` (the plate), ``ItemMakeName`` and
``ItemColorDescriptionText``).
Import applies the same minimisation as linking by hand: other roles are refused, a call-back
number is taken for the caller only (a callback on anyone else is dropped), and nothing of the
NIEM person but the name and description is read, nothing of the NIEM vehicle but plate, make
and colour (an owner, VIN or driver in the document is not taken).
Not implemented: calls, dispatch and resource components, merge/link components, and
checking the common-registry values against NENA's registries. Field names were taken from the
NENA-STA-021 data model (via a public C# model of it); the JSON shape of the NIEM person inside
``ncPersonComponent`` and the name ``callbackComponent`` are Accord's reading, not checked
against NENA's JSON schema. Likewise the vehicle relationship values (the Vehicle Relationship
Type registry, section 3.7, was not available here) and the NIEM names inside
``ncVehicleComponent`` (NIEM core's ``ConveyanceRegistrationPlateIdentification``,
``ItemMakeName``, ``ItemColorDescriptionText``, in the JSON shape used for persons).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

AGENCY = "police.accord.example"
ADDITIONAL_KEY = "urn:accord:dispatch:intake"
MAX_BYTES = 1_000_000
_POS = re.compile(r"<gml:pos>\s*([-0-9.]+)\s+([-0-9.]+)\s*</gml:pos>")


def common_priority(priority: int) -> int:
    """Accord 1 (most urgent) … 5 → EIDO 10 (highest) … 2."""
    return 12 - 2 * priority


def accord_priority(number: int) -> int:
    return min(5, max(1, round((12 - number) / 2)))


def pidf_point(lat: float, lon: float) -> str:
    return ('<presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
            'xmlns:gml="http://www.opengis.net/gml" entity="pres:incident@accord">'
            '<tuple id="loc"><status><gp:geopriv><gp:location-info><gml:Point '
            'srsName="urn:ogc:def:crs:EPSG::4326">'
            f'<gml:pos>{lat:.7f} {lon:.7f}</gml:pos></gml:Point></gp:location-info>'
            '</gp:geopriv></status></tuple></presence>')


def export(incident: dict[str, Any]) -> dict[str, Any]:
    ref = incident["reference"]
    stamp = incident["created_at"]
    agency = {"$ref": f"agency-{AGENCY}"}
    notes = [{"$id": f"note-{ref}-{i}", "lastUpdateTimestamp": n["at"],
              "updatedByAgencyReference": agency,
              "notesActionComments": escape(n["text"]),
              "agentReference": {"$ref": f"agent-{n['author'] or 'unknown'}"}}
             for i, n in enumerate(incident.get("narrative", []), start=1)]
    persons, callbacks = _persons(incident, stamp, agency)
    vehicles = _vehicles(incident, stamp, agency)
    location = {"$id": f"loc-{ref}", "lastUpdateTimestamp": stamp,
                "updatedByAgencyReference": agency,
                "locationTypeDescriptionRegistryText": "CurrentIncident",
                "locationByValue": pidf_point(incident["lat"], incident["lon"]),
                "locationDescriptionText": incident.get("address", "")}
    return {
        "$id": f"urn:accord:eido:{ref}:{incident.get('version', 1)}",
        "eidoVersion": "1.0",
        "issuingElementIdentification": AGENCY,
        "lastUpdateTimestamp": stamp,
        "updatedByAgencyReference": agency,
        "incidentComponent": {
            "$id": f"incident-{ref}", "lastUpdateTimestamp": stamp,
            "updatedByAgencyReference": agency,
            "incidentTypeInternalCode": incident["type"],
            "incidentTypeInternalText": incident.get("type_en", incident["type"]),
            "incidentTypeCommonRegistryText": incident.get("type_en", incident["type"]),
            "incidentStatusInternalText": [incident["status"]],
            "internalIncidentId": ref,
            "incidentPriorityInternalText": str(incident["priority"]),
            "incidentCommonPriorityNumber": common_priority(int(incident["priority"])),
            "locationReference": [{"$ref": location["$id"]}],
            "notesReference": [{"$ref": n["$id"]} for n in notes],
        },
        "locationComponent": [location],
        "notesComponent": notes,
        "personComponent": persons,
        "callbackComponent": callbacks,
        "vehicleComponent": vehicles,
        "agencyComponent": [{"$id": agency["$ref"], "lastUpdateTimestamp": stamp,
                             "updatedByAgencyReference": agency}],
        "additionalDataComponent": [{
            "$id": f"additional-{ref}", "lastUpdateTimestamp": stamp,
            "updatedByAgencyReference": agency,
            "additionalDataByValue": json.dumps({ADDITIONAL_KEY: {
                "callerLanguage": incident.get("language", ""),
                "callSource": incident.get("source", "phone"),
                "locationSource": incident.get("location_source", "coordinates"),
                "hazards": incident.get("hazards", "")}}, ensure_ascii=False)}],
    }


#: Each component's sensitivity when the incident is sent out (issue #18): the narrative is
#: free text that may name or describe people, so an export holding it waits for a
#: supervisor's approval, as does one naming linked persons or a caller's call-back number; the
#: type, place, priority and call facts go out and are logged.
COMPONENT_SENSITIVITY: dict[str, str] = {
    "incidentComponent": "low", "locationComponent": "low", "agencyComponent": "low",
    "additionalDataComponent": "low", "updatedByAgencyReference": "low",
    "notesComponent": "high", "personComponent": "high", "callbackComponent": "high",
    # A plate leads to the keeper of the vehicle: personal data, held like a person.
    "vehicleComponent": "high"}


ROLES = {"caller": "Caller", "victim": "Victim", "suspect": "Suspect", "witness": "Witness"}


def _persons(incident: dict[str, Any], stamp: str,
             agency: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Linked persons as EIDO person components, and the caller's call-back numbers."""
    ref = incident["reference"]
    persons: list[dict[str, Any]] = []
    callbacks: list[dict[str, Any]] = []
    for i, person in enumerate(incident.get("persons", []), start=1):
        nc: dict[str, Any] = {}
        if person.get("name"):
            nc["PersonName"] = {"PersonFullName": person["name"]}
        if person.get("description"):
            nc["PersonDescriptionText"] = person["description"]
        component: dict[str, Any] = {
            "$id": f"person-{ref}-{i}", "lastUpdateTimestamp": person.get("added_at", stamp),
            "updatedByAgencyReference": agency,
            "personIncidentRoleRegistryText": [ROLES[person["role"]]],
            "ncPersonComponent": nc}
        if person["role"] == "caller" and person.get("contact"):
            callback = {"$id": f"callback-{ref}-{i}", "lastUpdateTimestamp": stamp,
                        "updatedByAgencyReference": agency,
                        "callBackInformationUri": ["tel:" + "-".join(person["contact"].split())]}
            callbacks.append(callback)
            component["callBackReference"] = {"$ref": callback["$id"]}
        persons.append(component)
    return persons, callbacks


VEHICLE_ROLES = {"involved": "Involved", "suspect": "Suspect", "victim": "Victim",
                 "witness": "Witness"}


def _vehicles(incident: dict[str, Any], stamp: str,
              agency: dict[str, str]) -> list[dict[str, Any]]:
    """Linked vehicles as EIDO vehicle components: the role, when it was linked, and the NIEM
    vehicle holding plate, make and colour only."""
    ref = incident["reference"]
    vehicles: list[dict[str, Any]] = []
    for i, vehicle in enumerate(incident.get("vehicles", []), start=1):
        nc: dict[str, Any] = {}
        if vehicle.get("plate"):
            nc["ConveyanceRegistrationPlateIdentification"] = {
                "IdentificationID": vehicle["plate"]}
        if vehicle.get("make"):
            nc["ItemMakeName"] = vehicle["make"]
        if vehicle.get("colour"):
            nc["ItemColorDescriptionText"] = vehicle["colour"]
        linked = vehicle.get("added_at", stamp)
        vehicles.append({
            "$id": f"vehicle-{ref}-{i}", "lastUpdateTimestamp": linked,
            "updatedByAgencyReference": agency,
            "vehicleRelationshipType": [VEHICLE_ROLES[vehicle.get("role") or "involved"]],
            "vehicleRelationshipTimeStamp": linked, "ncVehicleComponent": nc})
    return vehicles


def _parse_vehicles(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(role, plate, make, colour) of each vehicle component, or a 422 naming the first bad
    one; the service then checks them as it checks vehicles linked by hand."""
    components = document.get("vehicleComponent") or []
    if not isinstance(components, list):
        raise ValidationFailed(detail=M_("EIDO vehicleComponent is not a list"))
    vehicles: list[tuple[str, str, str, str]] = []
    for number, item in enumerate(components, start=1):
        known = _component_roles(item, f"vehicleComponent {number}",
                                 "vehicleRelationshipType", "relationship", VEHICLE_ROLES)
        nc = item.get("ncVehicleComponent") or {}
        if not isinstance(nc, dict):
            raise ValidationFailed(detail=M_("EIDO vehicleComponent %(number)s: "
                                             "ncVehicleComponent is not an object", number=number))
        plate_part = nc.get("ConveyanceRegistrationPlateIdentification") or {}
        plate = (str(plate_part.get("IdentificationID") or "")
                 if isinstance(plate_part, dict) else "")
        vehicles.append((known[0], plate, str(nc.get("ItemMakeName") or ""),
                         str(nc.get("ItemColorDescriptionText") or "")))
    return vehicles


def _component_roles(item: Any, where: str, field: str, what: str,
                     names: dict[str, str]) -> list[str]:
    """Our codes for the EIDO role texts in ``item[field]`` (one text or a list), refusing a
    component that is not an object or names none we know."""
    if not isinstance(item, dict):
        raise ValidationFailed(detail=M_("EIDO %(where)s is not an object", where=where))
    by_text = {v.lower(): k for k, v in names.items()}
    roles = item.get(field) or []
    texts = [str(r).lower() for r in (roles if isinstance(roles, list) else [roles])]
    known = [by_text[t] for t in texts if t in by_text]
    if not known:
        raise ValidationFailed(detail=M_("EIDO %(where)s: %(what)s %(value)s is not one of "
                                         "%(names)s",
                                         where=where, what=what,
                                         value=', '.join(texts) or M_("missing"),
                                         names=', '.join(names.values())))
    return known


def _parse_persons(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(role, name, description, contact) of each person component; the service checks
    them as it checks persons linked by hand."""
    callbacks = {c.get("$id"): c for c in document.get("callbackComponent") or []
                 if isinstance(c, dict)}
    persons: list[tuple[str, str, str, str]] = []
    for number, item in enumerate(document.get("personComponent") or [], start=1):
        known = _component_roles(item, f"personComponent {number}",
                                 "personIncidentRoleRegistryText", "role", ROLES)
        role = "caller" if "caller" in known else known[0]
        nc = item.get("ncPersonComponent") or {}
        if not isinstance(nc, dict):
            raise ValidationFailed(detail=M_("EIDO personComponent %(number)s: ncPersonComponent "
                                             "is not an object", number=number))
        name_part = nc.get("PersonName") or {}
        name = str(name_part.get("PersonFullName") or "") if isinstance(name_part, dict) else ""
        description = str(nc.get("PersonDescriptionText") or "")
        contact = ""
        if role == "caller":  # a call-back number is kept for the caller only
            reference = item.get("callBackReference") or {}
            callback = callbacks.get(reference.get("$ref")) if isinstance(reference, dict) \
                else None
            uris = (callback or {}).get("callBackInformationUri") or []
            tel = next((str(u) for u in uris if str(u).startswith("tel:")), "")
            contact = tel.removeprefix("tel:")
        persons.append((role, name, description, contact))
    return persons


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes whose digest the share log keeps: sorted keys, UTF-8."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _outbound(incident: dict[str, Any], document: dict[str, Any], *, recipient: str,
              user_id: int | None, legal_basis: str) -> Any:
    from accord.core.contract import OutboundShare

    return OutboundShare(
        kind="eido", reference=str(incident["reference"]),
        recipient=" ".join((recipient or "").split())[:300] or "not named",
        # The components it holds: an empty one (no narrative yet) shares nothing.
        fields=tuple(sorted(k for k, v in document.items() if not k.startswith("$")
                            and isinstance(v, (dict, list)) and v)),
        legal_basis=legal_basis, user_id=user_id, sensitivities=COMPONENT_SENSITIVITY,
        download=f"/dispatch/incidents/{incident['reference']}/eido.json?share={{share}}")


def export_shared(incident: dict[str, Any], *, recipient: str, user_id: int | None,
                  legal_basis: str = "police-law-art-2") -> tuple[Any, bytes | None]:
    """:func:`export` under the share rule (through the core hook: dispatch does not import
    the package that keeps the share log): ``(state, canonical JSON)`` when it went out and
    was logged with its digest, ``(state, None)`` when a component above the sensitivity
    level holds it for a supervisor's approval (then fetch it with :func:`export_released`)."""
    from accord.core.contract import share_out

    document = export(incident)
    return share_out(_outbound(incident, document, recipient=recipient, user_id=user_id,
                               legal_basis=legal_basis), lambda: canonical(document))


def export_released(incident: dict[str, Any], share_id: int, *, user_id: int | None) -> bytes:
    """The canonical JSON of an approved held export, for the officer who asked (404 another
    incident's share, 403 another officer, 409 awaiting approval or refused); each fetch is
    ledgered with its digest."""
    from accord.core.contract import release_share

    _, body = release_share(share_id, kind="eido", reference=str(incident["reference"]),
                            user_id=user_id, produce=lambda: canonical(export(incident)))
    return body


def parse(document: Any) -> dict[str, Any]:
    """What :meth:`DispatchService.create_incident` needs from an EIDO document, or a 422
    naming the first missing or malformed field."""
    if not isinstance(document, dict):
        raise ValidationFailed(detail=M_("an EIDO document is a JSON object"))
    incident = document.get("incidentComponent")
    if isinstance(incident, list):
        incident = incident[0] if incident else None
    if not isinstance(incident, dict):
        raise ValidationFailed(detail=M_("EIDO incidentComponent is missing"))
    type_code = incident.get("incidentTypeInternalCode") or ""
    if not isinstance(type_code, str) or not type_code:
        raise ValidationFailed(detail=M_("EIDO incidentTypeInternalCode is missing"))
    priority: int | None = None
    raw = incident.get("incidentPriorityInternalText")
    if isinstance(raw, str) and raw.isdigit():
        priority = int(raw)
    elif isinstance(incident.get("incidentCommonPriorityNumber"), int):
        priority = accord_priority(incident["incidentCommonPriorityNumber"])
    locations = {loc.get("$id"): loc for loc in document.get("locationComponent") or []
                 if isinstance(loc, dict)}
    refs = [r.get("$ref") for r in incident.get("locationReference") or []
            if isinstance(r, dict)]
    location = next((locations[r] for r in refs if r in locations),
                    next(iter(locations.values()), None))
    if location is None:
        raise ValidationFailed(detail=M_("EIDO locationComponent is missing"))
    match = _POS.search(str(location.get("locationByValue") or ""))
    if match is None:
        raise ValidationFailed(detail=M_("EIDO locationByValue has no gml:pos coordinates"))
    extra: dict[str, Any] = {}
    for item in document.get("additionalDataComponent") or []:
        try:
            value = json.loads(item.get("additionalDataByValue") or "{}")
        except (ValueError, AttributeError):
            continue
        if isinstance(value, dict) and isinstance(value.get(ADDITIONAL_KEY), dict):
            extra = value[ADDITIONAL_KEY]
    notes = []
    for note in document.get("notesComponent") or []:
        if not isinstance(note, dict) or not note.get("notesActionComments"):
            continue
        try:
            at = datetime.fromisoformat(str(note.get("lastUpdateTimestamp")))
        except ValueError:
            raise ValidationFailed(
                detail=M_("EIDO note lastUpdateTimestamp is not ISO 8601")) from None
        author = str((note.get("agentReference") or {}).get("$ref", "")).removeprefix("agent-")
        notes.append((at, author[:120], _unescape(str(note["notesActionComments"]))))
    return {"type_code": type_code, "priority": priority,
            "lat": float(match.group(1)), "lon": float(match.group(2)),
            "address": str(location.get("locationDescriptionText") or ""),
            "language": str(extra.get("callerLanguage") or ""),
            "source": str(extra.get("callSource") or "phone"),
            "hazards": str(extra.get("hazards") or ""),
            "external_id": str(incident.get("internalIncidentId")
                               or document.get("$id") or "")[:120],
            "narrative_entries": notes, "persons": _parse_persons(document),
            "vehicles": _parse_vehicles(document)}


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
