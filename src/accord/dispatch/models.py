"""Dispatch tables: incidents, their narrative, units, CAP alerts and the event log.

The event log (``dispatch_events``) is append-only and ordered by its integer id; the live board
and each incident's status timeline read from it, so every app process sees the same history
and a board that reconnects asks for the events after the last id it saw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class DispatchIncident(Base):
    __tablename__ = "dispatch_incidents"
    # Earlier calls and duplicates are looked up by a box around the new call's place: without
    # these indexes every intake would read the whole year of incidents. Duplicates are of one
    # type, so their index leads with it (it serves lookups by type alone as well).
    __table_args__ = (Index("ix_dispatch_incidents_lat_lon", "lat", "lon"),
                      Index("ix_dispatch_incidents_type_code_lat_lon", "type_code", "lat",
                            "lon"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # shown as E-<id>
    type_code: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # phone, walk-in, web, officer
    caller_language: Mapped[str] = mapped_column(String(35), default="")  # BCP 47
    address: Mapped[str] = mapped_column(String(200), default="")
    address_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16))  # caller, map, coordinates
    # A device's location is kept beside the stated one, never over it (the dispatcher may
    # adopt it with a button).
    device_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    device_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    hazards: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    triage_decision_id: Mapped[str] = mapped_column(String(32), default="")
    triage_outcome: Mapped[str] = mapped_column(String(16), default="")  # accepted/overridden
    triage_reason: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str] = mapped_column(String(120), default="")  # EIDO id when imported
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by the retention run: persons, vehicles, narrative and recordings deleted, the address
    # removed and the location coarsened; type, priority and times stay for statistics.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def reference(self) -> str:
        return f"E-{self.id}"


class DispatchNarrative(Base):
    __tablename__ = "dispatch_narrative"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    author: Mapped[str] = mapped_column(String(120), default="")  # name kept for imports
    text: Mapped[str] = mapped_column(Text)


class DispatchUnit(Base):
    __tablename__ = "dispatch_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sign: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="available", index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # interpreter, traffic, …
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # BCP 47
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="SET NULL"), nullable=True, index=True)
    # Optimistic concurrency: every change bumps it, and a dispatch updates only the version it
    # read, so of two dispatchers sending one unit exactly one succeeds.
    version: Mapped[int] = mapped_column(Integer, default=1)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Officer-safety timer: a dispatcher's acknowledgement restarts it like a status update;
    # ``safety_flagged_at`` is set once (by whichever process sees the timer run out first).
    safety_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    safety_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DispatchPerson(Base):
    """A person linked to an incident, minimised: a role, a name if given, a short description
    that lets a unit recognise them, and a call-back number for the caller only."""

    __tablename__ = "dispatch_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # caller, victim, suspect, witness
    name: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(40), default="")
    # Needs the person states (core.needs codes, never free text): the incident page shows the
    # cross-cultural guidance for them (through the core's need_guidance hook).
    stated_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DispatchVehicle(Base):
    """A vehicle linked to an incident, minimised like a person: its role in the incident,
    plate, make and colour only (no owner, no VIN, no driver)."""

    __tablename__ = "dispatch_vehicles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16), default="", index=True)
    make: Mapped[str] = mapped_column(String(40), default="")
    colour: Mapped[str] = mapped_column(String(24), default="")
    role: Mapped[str] = mapped_column(String(16), default="involved", server_default="involved")
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DispatchRecording(Base):
    """A caller's recording attached to an incident and its machine transcript.

    The WAV is held here only until the transcription job has run (then ``audio`` is emptied,
    whatever the outcome). The transcript is a *draft* (``status="draft"``) shown with its
    segment confidences; it reaches the narrative only when a dispatcher confirms it
    (``confirmed_text``, possibly corrected)."""

    __tablename__ = "dispatch_recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True)
    # queued → running → draft | failed; draft → confirmed | discarded
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str] = mapped_column(String(32), default="")
    audio: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    audio_sha256: Mapped[str] = mapped_column(String(64), default="")
    audio_bytes: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(35), default="")  # asked for (BCP 47 or "")
    transcript_language: Mapped[str] = mapped_column(String(35), default="")
    language_source: Mapped[str] = mapped_column(String(16), default="")  # given | suggested
    decision_id: Mapped[str] = mapped_column(String(32), default="")
    draft: Mapped[str] = mapped_column(Text, default="")
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    engine: Mapped[str] = mapped_column(String(120), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    confirmed_text: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DispatchEvent(Base):
    __tablename__ = "dispatch_events"
    __table_args__ = (Index("ix_dispatch_events_incident_id_id", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(120), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DispatchAlert(Base):
    __tablename__ = "dispatch_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="SET NULL"), nullable=True, index=True)
    headline: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    xml: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
