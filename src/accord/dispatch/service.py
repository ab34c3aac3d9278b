"""Dispatch services: the only functions that web routes, the CLI and the runners call.

Every change writes its rows and one ``dispatch_events`` row in the same transaction, so the
board, the timeline and the tables cannot disagree. Refusals are :class:`AccordError` subclasses
with the reason a dispatcher needs (422 for bad input, 409 for a conflict), raised before
anything is written.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Float, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from accord.core.db import Database, Prepared, read_together, utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.i18n import M_, N_
from accord.dispatch import states
from accord.dispatch.briefs import address_key, event_body
from accord.dispatch.briefs import incident_brief as _incident_brief
from accord.dispatch.briefs import unit_brief as _unit_brief
from accord.dispatch.models import (
    DispatchAlert,
    DispatchEvent,
    DispatchIncident,
    DispatchNarrative,
    DispatchPerson,
    DispatchUnit,
    DispatchVehicle,
)
from accord.dispatch.notify import committed, notify, notify_cursor
from accord.dispatch.roads import RoadGraph, haversine_m, helsinki
from accord.dispatch.vocabulary import incident_type, incident_types, safety_minutes

SOURCES = ("phone", "walk-in", "web", "officer")
LOCATION_SOURCES = ("caller", "map", "coordinates", "device", "import")
MAX_NARRATIVE = 4000  # characters per entry: a long statement belongs in a case file
MAX_ADDRESS = 200
EARLIER_CALLS_METRES = 50.0
EARLIER_CALLS_DAYS = 365
DUPLICATE_METRES = 150.0
DUPLICATE_MINUTES = 30
NEARBY_LIMIT = 20  # earlier calls, and duplicates, listed at intake (newest first)
METRES_PER_DEGREE = 111_195.0  # of latitude (and of longitude at the equator)
#: Recommendation rules, in seconds of driving time they are worth (see recommend()).
LANGUAGE_BONUS_S = 240.0
SKILL_BONUS_S = 60.0
WORKLOAD_PENALTY_S = 30.0
WORKLOAD_HOURS = 8
#: The ranking's first road search stops at this many seconds of driving (then ×4, then all).
FIRST_SEARCH_S = 600.0
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
CALL_SIGN = re.compile(r"^[A-Za-z0-9-]{1,16}$")


PERSON_ROLES = ("caller", "victim", "suspect", "witness")
MAX_PERSON_NAME = 120
MAX_PERSON_DESCRIPTION = 200
MAX_CONTACT = 40
MAX_LINKED = 20  # persons, and vehicles, per incident: more belongs in a case file
VEHICLE_ROLES = ("involved", "suspect", "victim", "witness")
MAX_MAKE = 40
MAX_COLOUR = 24
PLATE = re.compile(r"^[A-Z0-9\u4e00-\u9fff·-]{1,16}$")
CONTACT = re.compile(r"^[0-9+()\- ]{3,40}$")


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    #: The actor's roles, for the incident's object-access rule (``INCIDENT_KIND``).
    roles: frozenset[str] = frozenset()


def check_person(role: str, name: str = "", description: str = "",
                 contact: str = "") -> tuple[str, str, str, str]:
    """A linked person's fields, normalised, or a 422: one of four roles, a name or a short
    description, and a call-back number for the caller only (minimised: no date of birth,
    identity number or address). Used by linking and by EIDO import alike."""
    role = (role or "").strip().lower()
    if role not in PERSON_ROLES:
        raise ValidationFailed(detail=M_("role must be one of %(person_roles)s",
                                         person_roles=', '.join(PERSON_ROLES)))
    name, description = " ".join((name or "").split()), " ".join((description or "").split())
    contact = (contact or "").strip()
    if len(name) > MAX_PERSON_NAME:
        raise ValidationFailed(detail=M_("a name may hold at most %(max_person_name)s characters",
                                         max_person_name=MAX_PERSON_NAME))
    if len(description) > MAX_PERSON_DESCRIPTION:
        raise ValidationFailed(detail=M_("a description may hold at most "
                                         "%(max_person_description)s characters",
                                         max_person_description=MAX_PERSON_DESCRIPTION))
    if not name and not description:
        raise ValidationFailed(detail=M_("give a name or a description"))
    if contact and role != "caller":
        raise ValidationFailed(detail=M_("a contact number is kept for the caller only"))
    if contact and not CONTACT.match(contact):
        raise ValidationFailed(detail=M_("a contact number holds digits, spaces, +, - and "
                                         "brackets (3-40)"))
    return role, name, description, contact


def check_vehicle(role: str = "involved", plate: str = "", make: str = "",
                  colour: str = "") -> tuple[str, str, str, str]:
    """A linked vehicle's fields, normalised, or a 422: one of four roles (a vehicle involved,
    the suspect's, the victim's, a witness's), a plate, make or colour, nothing else (no owner,
    VIN or driver: those belong in a case file). Used by linking, intake and EIDO import."""
    role = (role or "involved").strip().lower()
    if role not in VEHICLE_ROLES:
        raise ValidationFailed(detail=M_("vehicle role must be one of %(vehicle_roles)s",
                                         vehicle_roles=', '.join(VEHICLE_ROLES)))
    plate = re.sub(r"[\s]+", "", (plate or "")).upper()
    make, colour = " ".join((make or "").split()), " ".join((colour or "").split())
    if plate and not PLATE.match(plate):
        raise ValidationFailed(detail=M_("a plate holds 1-16 letters, digits, hyphens (Chinese "
                                         "province characters allowed)"))
    if len(make) > MAX_MAKE or len(colour) > MAX_COLOUR:
        raise ValidationFailed(detail=M_("make at most %(max_make)s, colour at most "
                                         "%(max_colour)s characters",
                                         max_make=MAX_MAKE, max_colour=MAX_COLOUR))
    if not (plate or make or colour):
        raise ValidationFailed(detail=M_("give a plate, a make or a colour"))
    return role, plate, make, colour


class DispatchConflict(Conflict):
    """Two dispatchers, one unit: the loser is told who has it now."""


def reference_id(reference: str | int) -> int:
    text = str(reference).strip().upper()
    if text.startswith("E-"):
        text = text[2:]
    if not text.isdigit():
        raise NotFound(N_("No incident %(reference)s (incident numbers look like E-1043)."),
                       reference=str(reference))
    return int(text)


def language_tag(value: str) -> str:
    value = (value or "").strip()
    if value and not LANGUAGE_TAG.match(value):
        raise ValidationFailed(detail=M_("caller language %(value)r is not a BCP 47 tag (e.g. "
                                         "ru, zh-Hans, en-GB)", value=value))
    return value


def primary(tag: str) -> str:
    return tag.split("-")[0].lower()


@lru_cache(maxsize=512)
def _spoken(languages: tuple[str, ...]) -> frozenset[str]:
    """The primary language subtags a unit speaks (units share a few language lists)."""
    return frozenset(primary(t) for t in languages)


def duration_text(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _coordinate(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(detail=M_("%(name)s must be a number", name=name)) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ValidationFailed(detail=M_("%(name)s must be between %(low)g and %(high)g",
                                         name=name, low=low, high=high))
    return number


class UnitRow(NamedTuple):
    """What the ranking reads of a unit, loaded as plain columns: building and reading 200 ORM
    objects cost more than the road search on the Helsinki graph."""

    id: int
    call_sign: str
    lat: float
    lon: float
    languages: list[str] | None
    skills: list[str] | None
    version: int


UNIT_ROW = (DispatchUnit.id, DispatchUnit.call_sign, DispatchUnit.lat, DispatchUnit.lon,
            DispatchUnit.languages, DispatchUnit.skills, DispatchUnit.version)


class DispatchService:
    def __init__(self, database: Database | None = None, roads: RoadGraph | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        """``clock`` gives "now" for unit status times and the officer-safety timers (tests
        inject their own; every app process reads the same stored timestamps)."""
        if database is None:
            from accord.core.runtime import get_database

            database = get_database()
        self.database = database
        self._roads = roads
        self.clock = clock

    @property
    def roads(self) -> RoadGraph:
        if self._roads is None:
            self._roads = helsinki()
        return self._roads

    # -- checks --------------------------------------------------------------------------
    def check_location(self, lat: Any, lon: Any) -> tuple[float, float]:
        lat_f = _coordinate(lat, "latitude", -90, 90)
        lon_f = _coordinate(lon, "longitude", -180, 180)
        if not self.roads.covers(lat_f, lon_f):
            s, w, n, e = self.roads.bbox
            raise ValidationFailed(detail=M_("%(lat).5f, %(lon).5f is outside the service "
                                             "area (the road network %(name)s covers "
                                             "%(south).4f–%(north).4f N, "
                                             "%(west).4f–%(east).4f E)",
                                             lat=lat_f, lon=lon_f, name=self.roads.name, south=s,
                                             north=n, west=w, east=e))
        return lat_f, lon_f

    @staticmethod
    def check_narrative(text: str) -> str:
        text = (text or "").strip()
        if len(text) > MAX_NARRATIVE:
            raise ValidationFailed(detail=M_("a narrative entry may hold at most "
                                             "%(max_narrative)s characters (this one has "
                                             "%(count)s)",
                                             max_narrative=MAX_NARRATIVE, count=len(text)))
        return text

    @staticmethod
    def _event(session: Session, kind: str, actor: Actor, *, incident: DispatchIncident | None
               = None, unit: DispatchUnit | None = None, **data: Any) -> None:
        session.add(DispatchEvent(**_event_values(kind, actor, incident=incident, unit=unit,
                                                  **data)))
        notify(session)  # PostgreSQL: wakes every board at commit

    # -- incidents -----------------------------------------------------------------------
    def create_incident(self, actor: Actor, *, type_code: str, lat: Any, lon: Any,
                        source: str = "phone", language: str = "", address: str = "",
                        location_source: str = "coordinates", narrative: str = "",
                        hazards: str = "", priority: int | None = None,
                        device_lat: Any = None, device_lon: Any = None,
                        external_id: str = "", narrative_entries: Iterable[tuple[datetime, str,
                                                                                  str]] = (),
                        persons: Iterable[tuple[str, str, str, str]] = (),
                        vehicles: Iterable[tuple[str, str, str, str]] = ()
                        ) -> dict[str, Any]:
        """A new incident. ``persons`` (role, name, description, contact) and ``vehicles``
        (role, plate, make, colour), from intake or an EIDO import, are checked like linked
        ones and written in the same transaction."""
        kind = incident_type(type_code)
        people = [check_person(*person) for person in persons]
        if len(people) > MAX_LINKED:
            raise ValidationFailed(detail=M_("at most %(max_linked)s persons per incident",
                                             max_linked=MAX_LINKED))
        cars = [check_vehicle(*vehicle) for vehicle in vehicles]
        if len(cars) > MAX_LINKED:
            raise ValidationFailed(detail=M_("at most %(max_linked)s vehicles per incident",
                                             max_linked=MAX_LINKED))
        if source not in SOURCES:
            raise ValidationFailed(detail=M_("source must be one of %(sources)s",
                                             sources=', '.join(SOURCES)))
        if location_source not in LOCATION_SOURCES:
            raise ValidationFailed(detail=M_("location source must be one of %(location_sources)s",
                                             location_sources=', '.join(LOCATION_SOURCES)))
        lat_f, lon_f = self.check_location(lat, lon)
        device: tuple[float, float] | None = None
        if device_lat not in (None, "") and device_lon not in (None, ""):
            device = (_coordinate(device_lat, "device latitude", -90, 90),
                      _coordinate(device_lon, "device longitude", -180, 180))
        address = (address or "").strip()
        if len(address) > MAX_ADDRESS:
            raise ValidationFailed(detail=M_("address longer than %(max_address)s characters",
                                             max_address=MAX_ADDRESS))
        if len(hazards or "") > MAX_NARRATIVE:
            raise ValidationFailed(detail=M_("hazards longer than %(max_narrative)s characters",
                                             max_narrative=MAX_NARRATIVE))
        text = self.check_narrative(narrative)
        entries = [(at, who, self.check_narrative(body)) for at, who, body in narrative_entries]
        if priority is not None and not 1 <= int(priority) <= 5:
            raise ValidationFailed(detail=M_("priority must be 1 (most urgent) to 5"))
        tag = language_tag(language)
        now = utcnow()
        values: dict[str, Any] = {
            "type_code": kind.code, "priority": int(priority or kind.priority),
            "source": source, "caller_language": tag, "address": address,
            "address_key": address_key(address), "lat": lat_f, "lon": lon_f,
            "location_source": location_source,
            "device_lat": device[0] if device else None,
            "device_lon": device[1] if device else None, "hazards": (hazards or "").strip(),
            "status": "new", "version": 1, "triage_decision_id": "", "triage_outcome": "",
            "triage_reason": "", "external_id": external_id, "created_by": actor.user_id,
            "created_at": now, "updated_at": now, "closed_at": None, "anonymised_at": None}
        # Intake is the hot path (issue #19): prebuilt statements run on the driver's cursor
        # in one transaction (BEGIN IMMEDIATE on SQLite, so concurrent intakes queue for the
        # write lock instead of failing), not through the ORM's unit of work nor SQLAlchemy's
        # execution machinery; the rows and the event are those every other change writes
        # (Prepared takes the SQL and each value's conversion from SQLAlchemy itself).
        sql = _intake_statements(self.database.engine.dialect)
        # The neighbourhood first, outside the write transaction (the new incident is not in
        # it yet): SQLite's write lock, one writer at a time, is held only for the inserts.
        with self.database.read_cursor() as cursor:
            nearby = _nearby_lists(
                lambda todo: read_together(cursor, [(getattr(sql, name), params)
                                                    for name, params in todo]),
                lat_f, lon_f, values["address_key"], kind.code, exclude=None, since=now)
        with self.database.write_cursor() as cursor:
            incident_id = int(sql.incident.rows(cursor, values)[0][0])
            incident = DispatchIncident(id=incident_id, **values)  # transient: never added
            notes = [{"incident_id": incident_id, "at": at, "author_id": None, "author": who,
                      "text": body} for at, who, body in entries]
            if text:
                notes.append({"incident_id": incident_id, "at": now,
                              "author_id": actor.user_id, "author": actor.username,
                              "text": text})
            if notes:
                sql.narrative.executemany(cursor, notes)
            events = [_event_values("incident-created", actor, incident=incident)]
            if people:
                sql.person.executemany(cursor, [
                    {"incident_id": incident_id, "role": role, "name": name,
                     "description": description, "contact": contact, "stated_needs": [],
                     "added_by": actor.user_id, "added_at": now}
                    for role, name, description, contact in people])
                events += [_event_values("person-linked", actor, incident=incident, role=role)
                           for role, *_ in people]
            if cars:
                sql.vehicle.executemany(cursor, [
                    {"incident_id": incident_id, "role": role, "plate": plate, "make": make,
                     "colour": colour, "added_by": actor.user_id, "added_at": now}
                    for role, plate, make, colour in cars])
                events += [_event_values("vehicle-linked", actor, incident=incident, role=role)
                           for role, *_ in cars]
            for event in events:  # one by one: the board orders events by id
                sql.event.execute(cursor, {**event, "at": now})
            notify_cursor(cursor, self.database.dialect)  # PostgreSQL: every board, at commit
            # Built from what was just written: a new incident has no units and one timeline
            # entry, so only the neighbourhood (read above) is not in hand.
            data = _incident_full(incident)
            data["narrative"] = [{"at": n["at"].isoformat(), "author": n["author"],
                                  "text": n["text"]}
                                 for n in sorted(notes, key=lambda n: n["at"])]
            data["timeline"] = [{"at": now.isoformat(), "kind": "incident-created",
                                 "actor": actor.username, "status": "new", "unit": ""}]
            data["units"] = []
            data["persons"] = [{"role": role, "name": name, "description": description,
                                "contact": contact} for role, name, description, contact in people]
            data["vehicles"] = [{"role": role, "plate": plate, "make": make, "colour": colour}
                                for role, plate, make, colour in cars]
            data.update(nearby)
        committed()  # this process's boards read the new event now
        return data

    def _get_incident(self, session: Session, reference: str | int) -> DispatchIncident:
        incident = session.get(DispatchIncident, reference_id(reference))
        if incident is None:
            raise NotFound(N_("No incident %(reference)s."), reference=reference)
        return incident

    def incident(self, reference: str | int) -> dict[str, Any]:
        with self.database.session() as session:
            return self._incident_data(session, self._get_incident(session, reference))

    def _incident_data(self, session: Session, incident: DispatchIncident) -> dict[str, Any]:
        data = _incident_full(incident)
        data["narrative"] = [
            {"at": n.at.isoformat(), "author": n.author, "text": n.text}
            for n in session.scalars(select(DispatchNarrative).where(
                DispatchNarrative.incident_id == incident.id).order_by(DispatchNarrative.at,
                                                                       DispatchNarrative.id))]
        data["timeline"] = [
            {"id": e.id, "at": e.at.isoformat(), "kind": e.kind, "actor": e.actor,
             "status": (e.data.get("incident") or {}).get("status", ""),
             "unit": (e.data.get("unit") or {}).get("call_sign", ""),
             "request": str(e.data.get("request", ""))}
            for e in session.scalars(select(DispatchEvent).where(
                DispatchEvent.incident_id == incident.id).order_by(DispatchEvent.id))]
        data["units"] = [_unit_brief(u, incident.reference) for u in session.scalars(
            select(DispatchUnit).where(DispatchUnit.incident_id == incident.id))]
        data["persons"] = [
            {"id": p.id, "role": p.role, "name": p.name, "description": p.description,
             "contact": p.contact, "stated_needs": list(p.stated_needs or []),
             "added_at": p.added_at.isoformat()}
            for p in session.scalars(select(DispatchPerson).where(
                DispatchPerson.incident_id == incident.id).order_by(DispatchPerson.id))]
        data["vehicles"] = [
            {"id": v.id, "role": v.role, "plate": v.plate, "make": v.make,
             "colour": v.colour, "added_at": v.added_at.isoformat()}
            for v in session.scalars(select(DispatchVehicle).where(
                DispatchVehicle.incident_id == incident.id).order_by(DispatchVehicle.id))]
        from accord.dispatch.recordings import recordings_of

        data["recordings"] = recordings_of(session, incident.id)
        data.update(self._nearby(session, incident.lat, incident.lon, incident.address_key,
                                 incident.type_code, exclude=incident.id,
                                 since=incident.created_at))
        if incident.type_code in incident_types():
            data["questions"] = self.intake_questions(incident.type_code,
                                                      incident.caller_language)
        return data

    # -- linked persons and vehicles ----------------------------------------------------------
    @staticmethod
    def _check_access(session: Session, actor: Actor, incident: DispatchIncident) -> None:
        """The incident's one object-access rule (``INCIDENT_KIND.can_access``), so linked
        persons and vehicles are open to exactly those who may open the incident."""
        from accord.dispatch.capability import INCIDENT_KIND

        if not INCIDENT_KIND.can_access(session, actor, incident.reference):
            raise PermissionDenied(N_("No access to incident %(reference)s."),
                                   reference=incident.reference)

    def _open_incident(self, session: Session, actor: Actor,
                       reference: str | int) -> DispatchIncident:
        incident = self._get_incident(session, reference)
        self._check_access(session, actor, incident)
        if incident.status == "closed":
            raise Conflict(detail=M_("%(reference)s is closed", reference=incident.reference))
        return incident

    def link_person(self, actor: Actor, reference: str | int, *, role: str, name: str = "",
                    description: str = "", contact: str = "") -> dict[str, Any]:
        """Link a person in one of four roles. Minimised: no date of birth, no identity
        number, no address; a call-back number only for the caller."""
        role, name, description, contact = check_person(role, name, description, contact)
        with self.database.session() as session:
            incident = self._open_incident(session, actor, reference)
            count = session.scalar(select(func.count()).select_from(DispatchPerson).where(
                DispatchPerson.incident_id == incident.id)) or 0
            if count >= MAX_LINKED:
                raise ValidationFailed(detail=M_("at most %(max_linked)s persons per incident",
                                                 max_linked=MAX_LINKED))
            session.add(DispatchPerson(incident_id=incident.id, role=role, name=name,
                                       description=description, contact=contact,
                                       added_by=actor.user_id))
            incident.updated_at = utcnow()
            # The event reaches every board: it carries the role, never the name.
            self._event(session, "person-linked", actor, incident=incident, role=role)
        return self.incident(reference)

    def state_person_needs(self, actor: Actor, reference: str | int, person_id: int,
                           needs: Sequence[str]) -> dict[str, Any]:
        """Replace the needs a linked person states (codes of ``core.needs.STATED_NEEDS`` only,
        each once; an empty list clears them). What the person says they need — picked from
        the list, never inferred from nationality or religion; the incident page then shows
        the guidance for them. The event log keeps that needs were recorded, not which."""
        from accord.core.needs import STATED_NEEDS

        chosen = [(n or "").strip() for n in needs if (n or "").strip()]
        unknown = sorted(set(chosen) - set(STATED_NEEDS))
        if unknown:
            raise ValidationFailed(detail=M_("stated needs: %(unknown)r is not one of "
                                             "%(stated_needs)s",
                                             unknown=unknown[0],
                                             stated_needs=', '.join(STATED_NEEDS)))
        with self.database.session() as session:
            incident = self._open_incident(session, actor, reference)
            row = session.get(DispatchPerson, int(person_id))
            if row is None or row.incident_id != incident.id:
                raise NotFound(N_("No such person on %(reference)s."),
                               reference=incident.reference)
            row.stated_needs = [n for n in STATED_NEEDS if n in chosen]
            incident.updated_at = utcnow()
            self._event(session, "person-needs", actor, incident=incident, role=row.role)
        return self.incident(reference)

    def link_vehicle(self, actor: Actor, reference: str | int, *, plate: str = "",
                     make: str = "", colour: str = "", role: str = "involved"
                     ) -> dict[str, Any]:
        role, plate, make, colour = check_vehicle(role, plate, make, colour)
        with self.database.session() as session:
            incident = self._open_incident(session, actor, reference)
            count = session.scalar(select(func.count()).select_from(DispatchVehicle).where(
                DispatchVehicle.incident_id == incident.id)) or 0
            if count >= MAX_LINKED:
                raise ValidationFailed(detail=M_("at most %(max_linked)s vehicles per incident",
                                                 max_linked=MAX_LINKED))
            session.add(DispatchVehicle(incident_id=incident.id, plate=plate, make=make,
                                        colour=colour, role=role, added_by=actor.user_id))
            incident.updated_at = utcnow()
            # Like a person's: the board learns the role, never the plate.
            self._event(session, "vehicle-linked", actor, incident=incident, role=role)
        return self.incident(reference)

    def unlink(self, actor: Actor, reference: str | int, what: str,
               item_id: int) -> dict[str, Any]:
        """Remove a linked person or vehicle recorded in error (the event log keeps that it
        was linked and removed, not what it said)."""
        model: type[DispatchPerson] | type[DispatchVehicle]
        if what == "person":
            model = DispatchPerson
        elif what == "vehicle":
            model = DispatchVehicle
        else:
            raise ValidationFailed(detail=M_("remove a person or a vehicle"))
        with self.database.session() as session:
            incident = self._open_incident(session, actor, reference)
            row = session.get(model, int(item_id))
            if row is None or row.incident_id != incident.id:
                raise NotFound(N_("No such person on %(reference)s.") if what == "person"
                               else N_("No such vehicle on %(reference)s."),
                               reference=incident.reference)
            session.delete(row)
            incident.updated_at = utcnow()
            self._event(session, f"{what}-unlinked", actor, incident=incident)
        return self.incident(reference)

    # -- multilingual intake ---------------------------------------------------------------
    @staticmethod
    def intake_questions(type_code: str, language: str = "") -> list[dict[str, Any]]:
        """The type's guided questions in Chinese (and English), each with the caller's
        language version from the phrasebook where one exists and its status (a
        ``maintainer-draft`` is not a verified translation: the page says so)."""
        from accord.core.contract import phrase_text

        kind = incident_type(type_code)
        wanted = primary(language) if language else ""
        questions = []
        for question in kind.questions:
            caller: dict[str, str] | None = None
            if wanted and wanted not in ("zh", "en") and question.phrase:
                found = phrase_text(question.phrase, wanted)
                if found is not None:
                    caller = {"language": found.language, "text": found.text,
                              "status": found.status}
            elif wanted == "en":
                caller = {"language": "en", "text": question.en, "status": "verified"}
            questions.append({"zh": question.zh, "en": question.en, "phrase": question.phrase,
                              "caller": caller})
        return questions

    def request_interpreter(self, actor: Actor, reference: str | int,
                            notes: str = "") -> dict[str, Any]:
        """Ask for a human interpreter in the caller's language, from the incident. The request
        is the interpret package's object (created through ``core.contract.create_object``,
        with its own checks); the incident's log records its reference in the same
        transaction."""
        from accord.core.contract import ObjectKindMissing, create_object

        notes = (notes or "").strip()
        if len(notes) > 500:
            raise ValidationFailed(detail=M_("a note to the interpreter service may hold at most "
                                             "500 characters"))
        with self.database.session() as session:
            incident = self._open_incident(session, actor, reference)
            language, source = incident.caller_language, incident.source
            label = incident.reference
        if not language:
            raise ValidationFailed(detail=M_("record the caller's language first (BCP 47, the "
                                             "caller's own choice)"))
        def record(session: Session, request: str) -> None:
            # In the request's own transaction: the request and the incident's event commit
            # together or not at all (an incident closed meanwhile rolls the request back).
            incident = self._get_incident(session, reference)
            if incident.status == "closed":
                raise Conflict(detail=M_("%(reference)s is closed", reference=incident.reference))
            self._event(session, "interpreter-requested", actor, incident=incident,
                        request=request, language=language)

        try:
            request = create_object("interpreter-request", actor, {
                "language": language, "mode": "in-person" if source == "walk-in" else "phone",
                "source_kind": "dispatch", "source_ref": label,
                "notes": notes or f"Dispatch call {label}"}, within=record)
        except ObjectKindMissing:
            raise Conflict(detail=M_("no interpreter service is installed")) from None
        return {"request": request, "language": language, "incident": label}

    def intake_check(self, lat: Any, lon: Any, address: str = "",
                     type_code: str = "") -> dict[str, Any]:
        """Earlier calls at the place and possible duplicates, shown before creating."""
        lat_f, lon_f = self.check_location(lat, lon)
        with self.database.session() as session:
            return self._nearby(session, lat_f, lon_f, address_key(address or ""), type_code,
                                exclude=None, since=utcnow())

    def _nearby(self, session: Session, lat: float, lon: float, key: str, type_code: str,
                exclude: int | None, since: datetime) -> dict[str, Any]:
        """Earlier calls and duplicate candidates (:func:`_nearby_lists`) read in ``session``."""
        queries = {"earlier_near": _EARLIER_NEAR, "earlier_at_address": _EARLIER_AT_ADDRESS,
                   "duplicates": _DUPLICATES}
        return _nearby_lists(lambda todo: [session.execute(queries[name], params)
                                           for name, params in todo],
                             lat, lon, key, type_code, exclude=exclude, since=since)

    def queue(self, include_closed: bool = False) -> list[dict[str, Any]]:
        """Open incidents, most urgent first, then longest waiting."""
        with self.database.session() as session:
            query = select(DispatchIncident)
            if not include_closed:
                query = query.where(DispatchIncident.status != "closed")
            now = utcnow()
            rows = session.scalars(query.order_by(DispatchIncident.priority,
                                                  DispatchIncident.created_at,
                                                  DispatchIncident.id).limit(500))
            return [{**_incident_full(i), "waiting_seconds": int((now - i.created_at)
                                                                 .total_seconds())}
                    for i in rows]

    def add_narrative(self, actor: Actor, reference: str | int, text: str) -> dict[str, Any]:
        text = self.check_narrative(text)
        if not text:
            raise ValidationFailed(detail=M_("the narrative entry is empty"))
        with self.database.session() as session:
            incident = self._get_incident(session, reference)
            if incident.status == "closed":
                raise Conflict(detail=M_("%(reference)s is closed", reference=incident.reference))
            session.add(DispatchNarrative(incident_id=incident.id, author_id=actor.user_id,
                                          author=actor.username, text=text))
            incident.updated_at = utcnow()
            self._event(session, "narrative-added", actor, incident=incident)
        return self.incident(reference)

    def adopt_device_location(self, actor: Actor, reference: str | int) -> dict[str, Any]:
        """The dispatcher's button: take the device's location as the incident's."""
        with self.database.session() as session:
            incident = self._get_incident(session, reference)
            if incident.device_lat is None or incident.device_lon is None:
                raise Conflict(detail=M_("%(reference)s has no device location",
                                         reference=incident.reference))
            lat, lon = self.check_location(incident.device_lat, incident.device_lon)
            previous = (incident.lat, incident.lon, incident.location_source)
            incident.lat, incident.lon, incident.location_source = lat, lon, "device"
            incident.version += 1
            self._event(session, "location-changed", actor, incident=incident,
                        previous={"lat": previous[0], "lon": previous[1],
                                  "source": previous[2]})
        return self.incident(reference)

    def set_incident_status(self, actor: Actor, reference: str | int, status: str,
                            reason: str = "") -> dict[str, Any]:
        with self.database.session() as session:
            incident = self._get_incident(session, reference)
            states.check_transition(states.INCIDENT_TRANSITIONS, incident.reference,
                                    incident.status, status)
            if status in ("closed", "new", "advised"):
                busy = session.scalars(select(DispatchUnit.call_sign).where(
                    DispatchUnit.incident_id == incident.id,
                    DispatchUnit.status.in_(states.COMMITTED))).all()
                if busy:
                    raise Conflict(detail=M_("%(reference)s still has units assigned (%(busy)s): "
                                             "clear or cancel them first",
                                             reference=incident.reference, busy=', '.join(busy)))
            incident.status = status
            incident.version += 1
            incident.updated_at = utcnow()
            if status == "closed":
                incident.closed_at = utcnow()
            self._event(session, "incident-status", actor, incident=incident,
                        reason=reason[:500])
        return self.incident(reference)

    def record_triage(self, actor: Actor, reference: str | int, *, decision_id: str,
                      suggestion: dict[str, Any], accept: bool, type_code: str = "",
                      priority: int | None = None, reason: str = "",
                      ledger: Any = None) -> dict[str, Any]:
        """The dispatcher's answer to a triage suggestion: accepted as is, or overridden with
        a reason. Both go to the ledger, in the same transaction as the incident's change."""
        reason = (reason or "").strip()
        if accept:
            type_code, priority = suggestion["type"], int(suggestion["priority"])
        else:
            if not reason:
                raise ValidationFailed(detail=M_("an override needs a reason"))
            if len(reason) > 1000:
                raise ValidationFailed(detail=M_("the reason may hold at most 1000 characters"))
            incident_type(type_code)
            if priority is None or not 1 <= int(priority) <= 5:
                raise ValidationFailed(detail=M_("priority must be 1 (most urgent) to 5"))
        outcome = "accepted" if accept else "overridden"
        if ledger is None:
            from accord.core.governance import get_governance

            ledger = get_governance().ledger
        with self.database.write_session() as session:
            incident = self._get_incident(session, reference)
            if incident.status == "closed":
                raise Conflict(detail=M_("%(reference)s is closed", reference=incident.reference))
            incident.type_code, incident.priority = type_code, int(priority or 3)
            incident.triage_decision_id, incident.triage_outcome = decision_id, outcome
            incident.triage_reason = reason
            incident.version += 1
            self._event(session, "triage-" + outcome, actor, incident=incident,
                        decision_id=decision_id, reason=reason)
            ledger.append(session, "dispatch.triage-outcome", {
                "actor": actor.username, "decision_id": decision_id, "outcome": outcome,
                "incident": incident.reference,
                "suggested": {"type": suggestion.get("type"),
                              "priority": suggestion.get("priority")},
                "chosen": {"type": type_code, "priority": int(priority or 3)},
                "reason": reason})
        return self.incident(reference)

    def override_rate(self) -> dict[str, Any]:
        """Share of triage suggestions the dispatchers overrode (automation-bias monitor)."""
        with self.database.session() as session:
            rows = dict(session.execute(select(DispatchIncident.triage_outcome, func.count())
                                        .where(DispatchIncident.triage_outcome != "")
                                        .group_by(DispatchIncident.triage_outcome)).all())
        total = sum(rows.values())
        return {"answered": total, "overridden": rows.get("overridden", 0),
                "rate": (rows.get("overridden", 0) / total) if total else None}

    # -- units ---------------------------------------------------------------------------
    def create_unit(self, actor: Actor, call_sign: str, lat: Any, lon: Any,
                    skills: Iterable[str] = (), languages: Iterable[str] = ()) -> dict[str, Any]:
        call_sign = call_sign.strip()
        if not CALL_SIGN.match(call_sign):
            raise ValidationFailed(detail=M_("a call sign is 1-16 letters, digits or hyphens"))
        lat_f, lon_f = self.check_location(lat, lon)
        tags = [language_tag(t) for t in languages if t.strip()]
        with self.database.session() as session:
            if session.scalar(select(DispatchUnit.id).where(DispatchUnit.call_sign
                                                            == call_sign)):
                raise Conflict(detail=M_("unit %(call_sign)s exists", call_sign=call_sign))
            unit = DispatchUnit(call_sign=call_sign, lat=lat_f, lon=lon_f,
                                skills=sorted({s.strip().lower() for s in skills if s.strip()}),
                                languages=tags, status="available")
            session.add(unit)
            session.flush()
            self._event(session, "unit-created", actor, unit=unit)
            return _unit_brief(unit, None)

    def units(self) -> list[dict[str, Any]]:
        with self.database.session() as session:
            refs = dict(session.execute(select(DispatchIncident.id, DispatchIncident.id)).all())
            return [_unit_brief(u, f"E-{refs[u.incident_id]}" if u.incident_id in refs else None)
                    for u in session.scalars(select(DispatchUnit).order_by(
                        DispatchUnit.call_sign))]

    def _get_unit(self, session: Session, call_sign: str) -> DispatchUnit:
        unit = session.scalar(select(DispatchUnit).where(DispatchUnit.call_sign
                                                         == call_sign.strip()))
        if unit is None:
            raise NotFound(N_("No unit %(call_sign)s."), call_sign=call_sign)
        return unit

    def set_unit_status(self, actor: Actor, call_sign: str, status: str,
                        expected_version: int | None = None, lat: Any = None,
                        lon: Any = None) -> dict[str, Any]:
        if status == "dispatched":
            raise ValidationFailed(detail=M_("dispatch a unit to an incident (DU unit incident)"))
        with self.database.write_session() as session:
            unit = self._get_unit(session, call_sign)
            states.check_transition(states.UNIT_TRANSITIONS,
                                    M_("unit %(call_sign)s", call_sign=unit.call_sign),
                                    unit.status, status)
            version = unit.version if expected_version is None else int(expected_version)
            incident = (session.get(DispatchIncident, unit.incident_id)
                        if unit.incident_id is not None else None)
            values: dict[str, Any] = {"status": status, "version": version + 1,
                                      "status_at": self.clock(),
                                      # A status update restarts the officer-safety timer.
                                      "safety_checked_at": None, "safety_flagged_at": None}
            if lat not in (None, "") and lon not in (None, ""):
                values["lat"], values["lon"] = self.check_location(lat, lon)
            if status in ("available", "out-of-service"):
                values["incident_id"] = None
            changed = session.execute(update(DispatchUnit).where(
                DispatchUnit.id == unit.id, DispatchUnit.version == version,
                DispatchUnit.status == unit.status).values(**values)).rowcount
            if changed != 1:
                raise self._lost(session, unit.call_sign)
            session.refresh(unit)
            if incident is not None:
                self._follow_unit(session, incident, unit, status)
            self._event(session, "unit-status", actor, incident=incident, unit=unit)
            return _unit_brief(unit, incident.reference if incident is not None
                               and unit.incident_id == incident.id else None)

    def _follow_unit(self, session: Session, incident: DispatchIncident, unit: DispatchUnit,
                     status: str) -> None:
        """Incident status follows its units: first on scene → on-scene; last one cancelled
        before arriving → back in the queue."""
        if status == "on-scene" and incident.status == "dispatched":
            incident.status = "on-scene"
            incident.version += 1
        elif status == "available" and incident.status == "dispatched":
            left = session.scalar(select(func.count()).select_from(DispatchUnit).where(
                DispatchUnit.incident_id == incident.id,
                DispatchUnit.status.in_(states.COMMITTED)))
            if not left:
                incident.status = "new"
                incident.version += 1

    def dispatch(self, actor: Actor, call_sign: str, reference: str | int,
                 expected_version: int | None = None) -> dict[str, Any]:
        """Send a unit. Of two dispatchers sending one unit, exactly one wins: the UPDATE only
        applies to the version (and an assignable status) read; the other gets a 409 that
        says where the unit went and who sent it."""
        # A serialised writer on SQLite (BEGIN IMMEDIATE), so a second dispatcher reads after
        # the first one's commit instead of failing on a lock; on PostgreSQL the conditional
        # UPDATE waits for the first transaction's row lock and then matches nothing.
        with self.database.write_session() as session:
            incident = self._get_incident(session, reference)
            unit = self._get_unit(session, call_sign)
            if incident.status in ("closed", "advised"):
                raise Conflict(detail=M_("%(reference)s is %(status)s; reopen it before "
                                         "dispatching",
                                         reference=incident.reference, status=incident.status))
            if unit.status not in states.ASSIGNABLE:
                if unit.status in states.COMMITTED:
                    raise self._lost(session, unit.call_sign)
                states.check_transition(states.UNIT_TRANSITIONS,
                                        M_("unit %(call_sign)s", call_sign=unit.call_sign),
                                        unit.status, "dispatched")
            version = unit.version if expected_version is None else int(expected_version)
            changed = session.execute(update(DispatchUnit).where(
                DispatchUnit.id == unit.id, DispatchUnit.version == version,
                DispatchUnit.status.in_(states.ASSIGNABLE)).values(
                status="dispatched", incident_id=incident.id, version=version + 1,
                status_at=self.clock(), safety_checked_at=None,
                safety_flagged_at=None)).rowcount
            if changed != 1:
                raise self._lost(session, unit.call_sign)
            session.refresh(unit)
            if incident.status == "new":
                incident.status = "dispatched"
                incident.version += 1
            incident.updated_at = utcnow()
            self._event(session, "unit-dispatched", actor, incident=incident, unit=unit)
            return _unit_brief(unit, incident.reference)

    @staticmethod
    def _lost(session: Session, call_sign: str) -> DispatchConflict:
        """Why a conditional update found nothing to change: what the unit is now, where, and
        who changed it last (read again, not from the stale copy)."""
        unit = session.scalar(select(DispatchUnit).where(DispatchUnit.call_sign == call_sign)
                              .execution_options(populate_existing=True))
        assert unit is not None
        last = session.scalar(select(DispatchEvent).where(DispatchEvent.unit_id == unit.id)
                              .order_by(DispatchEvent.id.desc()).limit(1))
        where = M_(" to E-%(incident)s", incident=unit.incident_id) if unit.incident_id else ""
        who = (M_(" by %(actor)s at %(time)s UTC", actor=last.actor, time=f"{last.at:%H:%M:%S}")
               if last is not None else "")
        return DispatchConflict(detail=M_("unit %(call_sign)s changed since you looked: it is "
                                          "now %(status)s%(where)s%(who)s. Nothing was changed; "
                                          "choose again.",
                                          call_sign=unit.call_sign, status=unit.status,
                                          where=where, who=who))

    # -- officer-safety timers ------------------------------------------------------------
    def safety_timers(self) -> list[dict[str, Any]]:
        """Every unit on scene with its timer: when it started (the last status update or
        acknowledgement), its length for the incident's type, when it runs out, and whether
        it has. Computed from stored timestamps, so every app process agrees."""
        now = self.clock()
        with self.database.session() as session:
            rows = session.execute(select(DispatchUnit, DispatchIncident.type_code).join(
                DispatchIncident, DispatchIncident.id == DispatchUnit.incident_id).where(
                DispatchUnit.status == "on-scene").order_by(DispatchUnit.call_sign)).all()
            timers = []
            for unit, type_code in rows:
                minutes = safety_minutes(type_code)
                since = max(t for t in (unit.status_at, unit.safety_checked_at) if t)
                due = since + timedelta(minutes=minutes)
                timers.append({"call_sign": unit.call_sign, "incident": f"E-{unit.incident_id}",
                               "minutes": minutes, "since": since.isoformat(),
                               "due": due.isoformat(), "overdue": now >= due,
                               "flagged": unit.safety_flagged_at is not None,
                               "overdue_seconds": max(0, int((now - due).total_seconds()))})
            return timers

    def check_safety_timers(self) -> list[str]:
        """Flag each unit whose timer has run out and write one ``safety-timer`` event, so
        every board shows it. Several processes may run this at once: the flag is set by a
        conditional UPDATE (not yet flagged, still on scene, not updated since), so exactly
        one of them writes the event. Returns the call signs flagged by this call."""
        now = self.clock()
        flagged = []
        for timer in self.safety_timers():
            if not timer["overdue"] or timer["flagged"]:
                continue
            cutoff = now - timedelta(minutes=timer["minutes"])
            with self.database.session() as session:
                unit = self._get_unit(session, timer["call_sign"])
                changed = session.execute(update(DispatchUnit).where(
                    DispatchUnit.id == unit.id, DispatchUnit.status == "on-scene",
                    DispatchUnit.safety_flagged_at.is_(None), DispatchUnit.status_at <= cutoff,
                    or_(DispatchUnit.safety_checked_at.is_(None),
                        DispatchUnit.safety_checked_at <= cutoff)).values(
                    safety_flagged_at=now)).rowcount
                if changed != 1:
                    continue
                session.refresh(unit)
                incident = session.get(DispatchIncident, unit.incident_id)
                self._event(session, "safety-timer", Actor(None, "system"), incident=incident,
                            unit=unit, minutes=timer["minutes"], since=timer["since"])
                flagged.append(unit.call_sign)
        return flagged

    def acknowledge_safety(self, actor: Actor, call_sign: str) -> dict[str, Any]:
        """The dispatcher has checked on the unit: the timer starts again from now."""
        with self.database.session() as session:
            unit = self._get_unit(session, call_sign)
            if unit.status != "on-scene":
                raise Conflict(detail=M_("unit %(call_sign)s is %(status)s; the safety timer "
                                         "runs only while a unit is on scene",
                                         call_sign=unit.call_sign, status=unit.status))
            unit.safety_checked_at = self.clock()
            unit.safety_flagged_at = None
            incident = (session.get(DispatchIncident, unit.incident_id)
                        if unit.incident_id is not None else None)
            self._event(session, "safety-acknowledged", actor, incident=incident, unit=unit)
            return _unit_brief(unit, incident.reference if incident is not None else None)

    # -- recommendation ------------------------------------------------------------------
    def recommend(self, reference: str | int, limit: int = 5,
                  engine: str = "auto") -> dict[str, Any]:
        with self.database.session() as session:
            incident = self._get_incident(session, reference)
            units = [UnitRow(*row) for row in session.execute(select(*UNIT_ROW).where(
                DispatchUnit.status.in_(states.ASSIGNABLE)).order_by(DispatchUnit.call_sign))]
            since = utcnow() - timedelta(hours=WORKLOAD_HOURS)
            workload = dict(session.execute(
                select(DispatchEvent.unit_id, func.count()).where(
                    DispatchEvent.kind == "unit-dispatched", DispatchEvent.at >= since)
                .group_by(DispatchEvent.unit_id)).all())
            target = (incident.lat, incident.lon, incident.caller_language, incident.type_code)
        return self.rank(target, units, workload, limit=limit, engine=engine,
                         reference=f"E-{reference_id(reference)}")

    def rank(self, target: tuple[float, float, str, str], units: Sequence[UnitRow],
             workload: dict[int, int], limit: int = 5, engine: str = "auto",
             reference: str = "") -> dict[str, Any]:
        """Rank units by driving time adjusted by stated rules: a unit that speaks a
        foreign-language caller's language counts as 4 min closer, each useful skill 1 min,
        each dispatch in the last 8 hours 30 s farther. The reasons say which applied.

        Only the first ``limit`` units are answered, so the road search is bounded: it stops
        at :data:`FIRST_SEARCH_S` and widens (×4, then complete) until no unit beyond the bound
        could still beat the last of them even with its bonuses; the answer is the same as
        with a complete search (tests/dispatch/test_roads.py compares them). Reasons are
        written for the answered units only."""
        lat, lon, language, type_code = target
        kind = incident_type(type_code)
        wanted_language = primary(language) if language else ""
        local = wanted_language in ("", "fi", "sv", "en")
        wanted_skills = frozenset(kind.skills)
        rows, origins = [], []  # what the rules need, worked out once per unit
        for unit in units:
            unit_skills = unit.skills or ()
            speaks = bool(wanted_language) and wanted_language in _spoken(
                tuple(unit.languages or ()))
            matched = wanted_skills.intersection(unit_skills)
            if not local and not speaks and "interpreter" in unit_skills:
                matched = matched | {"interpreter"}
            jobs = int(workload.get(unit.id, 0))
            rows.append((unit, speaks, sorted(matched), jobs))
            origins.append((unit.lat, unit.lon))
        limit = max(0, limit)
        within = FIRST_SEARCH_S if self.roads.engine_for(engine) == "scipy" else math.inf
        while True:
            times = self.roads.times_to(lat, lon, origins, engine=engine, within=within)
            keys, beyond = [], math.inf
            for i, ((seconds, how), (unit, speaks, matched, jobs)) in enumerate(
                    zip(times, rows, strict=True)):
                score = seconds
                if speaks and not local:
                    score -= LANGUAGE_BONUS_S
                if matched:
                    score -= SKILL_BONUS_S * len(matched)
                if jobs:
                    score += WORKLOAD_PENALTY_S * jobs
                if how == "beyond":  # ``seconds`` is a lower bound: so is the score
                    beyond = min(beyond, round(score, 1))
                else:
                    keys.append((round(score, 1), unit.call_sign, i, seconds, how))
            keys.sort()
            if math.isinf(beyond) or limit == 0 or (len(keys) >= limit
                                                    and keys[limit - 1][0] < beyond):
                break
            within = within * 4 if within < FIRST_SEARCH_S * 16 else math.inf
        ranked = []
        for score, call_sign, i, seconds, how in keys[:limit]:
            unit, speaks, matched, jobs = rows[i]
            reasons = [f"{duration_text(seconds)} by road" if how == "road"
                       else f"{duration_text(seconds)} straight-line estimate (no road path)"]
            if speaks and not local:
                reasons.append(f"speaks the caller's language ({language})")
            elif wanted_language and not local:
                reasons.append(f"does not speak {language}")
            if matched:
                reasons.append("skills: " + ", ".join(matched))
            if jobs:
                reasons.append(f"{jobs} dispatch{'es' if jobs > 1 else ''} in the last "
                               f"{WORKLOAD_HOURS} h")
            ranked.append({"call_sign": call_sign, "unit_version": unit.version,
                           "seconds": round(seconds, 1), "estimate": how,
                           "score": score, "speaks_caller_language": speaks,
                           "skills_matched": matched, "workload": jobs,
                           "reasons": reasons,
                           "summary": f"Unit {call_sign}: " + ", ".join(reasons)})
        return {"incident": reference, "units": ranked, "considered": len(units),
                "network": self.roads.name, "attribution": self.roads.attribution,
                "engine": self.roads.engine_for(engine), "method": "rules over road time"}

    # -- event log -----------------------------------------------------------------------
    def events_after(self, last_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The events after ``last_id`` in id order, stopping before a fresh gap.

        Boards resume from the last id they saw, so an event must never appear below an id
        already handed out. On PostgreSQL two transactions can commit out of id order (id 11
        visible while id 10 is still being committed); handing out 11 would lose 10 for good.
        So the list ends before a missing id while the event after it is younger than
        :data:`EVENT_GAP_WAIT`; an older gap is a rolled-back write (or retention) and is
        passed. A transaction slower than that between writing its event and committing it
        could still be passed over: the board's page load reads the tables and shows it."""
        now = utcnow()
        events: list[dict[str, Any]] = []
        with self.database.session() as session:
            previous = last_id
            for e in session.scalars(select(DispatchEvent).where(
                    DispatchEvent.id > last_id).order_by(DispatchEvent.id).limit(limit)):
                at = e.at if e.at.tzinfo is not None else e.at.replace(tzinfo=UTC)
                if e.id != previous + 1 and now - at < EVENT_GAP_WAIT:
                    break
                events.append({"id": e.id, "at": e.at.isoformat(), "kind": e.kind,
                               "actor": e.actor, **e.data})
                previous = e.id
        return events

    def last_event_id(self) -> int:
        with self.database.session() as session:
            return int(session.scalar(select(func.max(DispatchEvent.id))) or 0)

    # -- alerts --------------------------------------------------------------------------
    def save_alert(self, actor: Actor, incident_id: int | None, identifier: str,
                   headline: str, languages: list[str], xml: str) -> dict[str, Any]:
        with self.database.session() as session:
            alert = DispatchAlert(identifier=identifier, incident_id=incident_id,
                                  headline=headline, languages=languages, xml=xml,
                                  created_by=actor.user_id)
            session.add(alert)
            session.flush()
            incident = session.get(DispatchIncident, incident_id) if incident_id else None
            self._event(session, "alert-published", actor, incident=incident,
                        identifier=identifier)
            return {"id": alert.id, "identifier": identifier}

    def alert(self, alert_id: int) -> dict[str, Any]:
        with self.database.session() as session:
            alert = session.get(DispatchAlert, alert_id)
            if alert is None:
                raise NotFound(N_("No alert %(alert_id)s."), alert_id=str(alert_id))
            return _alert_dict(alert)

    def alerts(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.database.session() as session:
            return [_alert_dict(a) for a in session.scalars(
                select(DispatchAlert).order_by(DispatchAlert.id.desc()).limit(limit))]


def _alert_dict(alert: DispatchAlert) -> dict[str, Any]:
    return {"id": alert.id, "identifier": alert.identifier, "headline": alert.headline,
            "languages": list(alert.languages), "xml": alert.xml,
            "created_at": alert.created_at, "incident": f"E-{alert.incident_id}"
            if alert.incident_id else ""}


_INCIDENTS = DispatchIncident.__table__
# Core statements for the intake path (built once; see create_incident).
_INSERT_INCIDENT = insert(_INCIDENTS)
_INSERT_NARRATIVE = insert(DispatchNarrative.__table__)
_INSERT_PERSON = insert(DispatchPerson.__table__)
_INSERT_VEHICLE = insert(DispatchVehicle.__table__)
_INSERT_EVENT = insert(DispatchEvent.__table__)


def _nearby_query(*, at_address: bool, duplicates: bool) -> Any:
    """Incidents near a point, newest first, at most :data:`NEARBY_LIMIT`: earlier calls
    (within the radius or, ``at_address``, with the same address key) or, ``duplicates``,
    open incidents of one type. Built once with bound parameters (intake runs it twice per
    request). The distance is bounded in SQL by a box (indexable) and by the equirectangular
    distance (within centimetres of the great-circle one at these ranges), so each list gets
    exactly its own rows, however crowded the area."""
    i = _INCIDENTS.c
    north = (i.lat - bindparam("lat", type_=Float)) * METRES_PER_DEGREE
    east = (i.lon - bindparam("lon", type_=Float)) * bindparam("east", type_=Float)
    near = and_(i.lat.between(bindparam("lat_lo", type_=Float), bindparam("lat_hi", type_=Float)),
                i.lon.between(bindparam("lon_lo", type_=Float), bindparam("lon_hi", type_=Float)),
                north * north + east * east <= bindparam("r2", type_=Float))
    query = select(i.id, i.type_code, i.priority, i.status, i.lat, i.lon, i.address,
                   i.caller_language, i.address_key, i.created_at).where(
        or_(i.address_key == bindparam("key"), near) if at_address else near,
        i.created_at >= bindparam("since"), i.created_at <= bindparam("until"),
        i.id != bindparam("exclude"))
    if duplicates:
        query = query.where(i.type_code == bindparam("type_code"), i.status != "closed")
    # The rows are found in a subquery and only then sorted: with the ORDER BY ... LIMIT on
    # the same level, PostgreSQL's plan for the prepared statement (made without the values)
    # walks the created_at index backwards from now and filters every incident of the period
    # by place: at 5,000 incidents in one district, 1.5 ms of the database's time per intake,
    # growing with each one. OFFSET 0 keeps the subquery from being merged back.
    found = query.offset(0).subquery("nearby")
    return (select(*found.c).order_by(found.c.created_at.desc(), found.c.id.desc())
            .limit(NEARBY_LIMIT))


_EARLIER_NEAR = _nearby_query(at_address=False, duplicates=False)
_EARLIER_AT_ADDRESS = _nearby_query(at_address=True, duplicates=False)
_DUPLICATES = _nearby_query(at_address=False, duplicates=True)


def _nearby_lists(run: Callable[[list[tuple[str, dict[str, Any]]]],
                                Sequence[Iterable[Sequence[Any]]]], lat: float,
                  lon: float, key: str, type_code: str, *, exclude: int | None,
                  since: datetime) -> dict[str, Any]:
    """Earlier calls (same address text or within 50 m, past year; newest 20) and duplicate
    candidates (same type within 150 m and 30 minutes, not closed; newest 20). Never merged:
    only listed. ``run([(name, parameters), ...])`` runs the queries named (``earlier_near``,
    ``earlier_at_address`` or ``duplicates``: see :func:`_nearby_query` for how the rows are
    bounded) and returns their rows, in order: all at once, so a pipelining database reads
    both lists in one round trip."""
    scale = max(0.1, math.cos(math.radians(lat)))
    until = since + timedelta(seconds=1)

    def parameters(metres: float, **params: Any) -> dict[str, Any]:
        dlat = metres / METRES_PER_DEGREE
        return {"lat": lat, "lon": lon, "east": METRES_PER_DEGREE * scale,
                "lat_lo": lat - dlat, "lat_hi": lat + dlat,
                "lon_lo": lon - dlat / scale, "lon_hi": lon + dlat / scale,
                "r2": metres * metres, "until": until,
                "exclude": exclude if exclude is not None else 0, **params}

    def briefs(rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
        return [{"reference": f"E-{id_}", "type": type_, "priority": priority,
                 "status": status, "lat": other_lat, "lon": other_lon, "address": address,
                 "language": language, "metres": round(haversine_m(lat, lon, other_lat,
                                                                   other_lon)),
                 "created_at": created_at.isoformat()}
                for (id_, type_, priority, status, other_lat, other_lon, address, language,
                     _key, created_at) in rows]

    queries = [("earlier_at_address" if key else "earlier_near",
                parameters(EARLIER_CALLS_METRES, key=key,
                           since=since - timedelta(days=EARLIER_CALLS_DAYS)))]
    if type_code:
        queries.append(("duplicates", parameters(
            DUPLICATE_METRES, type_code=type_code,
            since=since - timedelta(minutes=DUPLICATE_MINUTES))))
    results = run(queries)
    return {"earlier_calls": briefs(results[0]),
            "duplicates": briefs(results[1]) if type_code else []}


@dataclass(frozen=True)
class _IntakeStatements:
    """The intake's statements compiled for one database (see create_incident)."""

    incident: Prepared
    narrative: Prepared
    person: Prepared
    vehicle: Prepared
    event: Prepared
    earlier_near: Prepared
    earlier_at_address: Prepared
    duplicates: Prepared


_INTAKE_STATEMENTS: weakref.WeakKeyDictionary[Dialect, _IntakeStatements] = (
    weakref.WeakKeyDictionary())


def _intake_statements(dialect: Dialect) -> _IntakeStatements:
    """Compiled once per database engine (its dialect), on first use."""
    found = _INTAKE_STATEMENTS.get(dialect)
    if found is None:
        def columns(table: Any) -> list[str]:
            return [c.key for c in table.c if c.key != "id"]

        found = _IntakeStatements(
            incident=Prepared(_INSERT_INCIDENT.returning(_INCIDENTS.c.id), dialect,
                              columns(_INCIDENTS)),
            narrative=Prepared(_INSERT_NARRATIVE, dialect,
                               columns(DispatchNarrative.__table__)),
            person=Prepared(_INSERT_PERSON, dialect, columns(DispatchPerson.__table__)),
            vehicle=Prepared(_INSERT_VEHICLE, dialect, columns(DispatchVehicle.__table__)),
            event=Prepared(_INSERT_EVENT, dialect, columns(DispatchEvent.__table__)),
            earlier_near=Prepared(_EARLIER_NEAR, dialect),
            earlier_at_address=Prepared(_EARLIER_AT_ADDRESS, dialect),
            duplicates=Prepared(_DUPLICATES, dialect))
        _INTAKE_STATEMENTS[dialect] = found
    return found


#: How long a missing event id holds back the events after it (see ``events_after``).
EVENT_GAP_WAIT = timedelta(seconds=2)


def _event_values(kind: str, actor: Actor, *, incident: DispatchIncident | None = None,
                  unit: DispatchUnit | None = None, **data: Any) -> dict[str, Any]:
    """One ``dispatch_events`` row: the incident's and unit's briefs travel in it, so a board
    draws the change without reading the tables."""
    body = event_body(incident, unit, data)
    return {"kind": kind, "actor": actor.username,
            "incident_id": incident.id if incident is not None else None,
            "unit_id": unit.id if unit is not None else None, "data": body}


def _incident_full(incident: DispatchIncident) -> dict[str, Any]:
    kind = incident_types().get(incident.type_code)
    return {**_incident_brief(incident), "id": incident.id, "source": incident.source,
            "type_en": kind.en if kind else incident.type_code,
            "type_zh": kind.zh if kind else incident.type_code,
            "location_source": incident.location_source,
            "device_location": ({"lat": incident.device_lat, "lon": incident.device_lon}
                                if incident.device_lat is not None else None),
            "hazards": incident.hazards, "version": incident.version,
            "triage": {"decision_id": incident.triage_decision_id,
                       "outcome": incident.triage_outcome, "reason": incident.triage_reason},
            "external_id": incident.external_id,
            "created_at": incident.created_at.isoformat(),
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None}


