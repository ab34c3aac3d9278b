"""Tables of the case workspace: cases, persons and their documents, events, statements,
evidence with its chain of custody, and tasks.

Times are stored in UTC (``UTCDateTime``); the deadline engine and the UI convert to the
station's time zone. Document numbers and names are personal data: they live only here, never in
the ledger (the gateway keeps keyed digests). Deleting a case cascades to everything it owns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.core.db import Base, UTCDateTime, utcnow


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)  # e.g. "FR-2026-000123"
    case_type: Mapped[str] = mapped_column(String(40), index=True)  # accord.cases.vocab.CASE_TYPES
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    # The police station the case belongs to (accord.cases.stations; "" = not recorded).
    station: Mapped[str] = mapped_column(String(40), default="", server_default="", index=True)
    # The interview report from the public page or a tablet that opened this case, if any.
    source_report: Mapped[str] = mapped_column(String(24), default="")
    # Guidance checklist version the case follows (e.g. "detention@3").
    guidance_version: Mapped[str] = mapped_column(String(40), default="")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    officer_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    persons: Mapped[list[Person]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Person.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.occurred_at"
    )
    statements: Mapped[list[Statement]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Statement.id"
    )
    evidence: Mapped[list[EvidenceItem]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="EvidenceItem.id"
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Task.id"
    )

    @property
    def case_ref(self) -> str:
        """The name legal holds and gateway decisions use for this case."""
        return self.reference


class Person(Base):
    __tablename__ = "case_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(24))  # accord.cases.vocab.PERSON_ROLES
    full_name: Mapped[str] = mapped_column(String(200))
    nationality: Mapped[str] = mapped_column(String(3), default="")  # ISO 3166-1 alpha-3
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # BCP 47, preferred first
    speaks_chinese: Mapped[bool] = mapped_column(Boolean, default=False)
    sex: Mapped[str] = mapped_column(String(1), default="")  # "F" | "M" | "X" | "" as in the MRZ
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    # Needs the person states (accord.cases.vocab.STATED_NEEDS codes only): the case page shows
    # the cross-cultural guidance for each. Minimised: codes, no free text, no reasons.
    stated_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="persons")
    documents: Mapped[list[IdentityDocument]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="IdentityDocument.id"
    )


class IdentityDocument(Base):
    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("case_persons.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))  # accord.cases.vocab.DOCUMENT_KINDS
    number: Mapped[str] = mapped_column(String(40), index=True)
    issuing_state: Mapped[str] = mapped_column(String(3), default="")  # alpha-3 as in the MRZ
    expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    # True only when read from an MRZ whose check digits all passed and an officer confirmed it.
    mrz_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    mrz_decision_id: Mapped[str] = mapped_column(String(32), default="")
    image_sha256: Mapped[str] = mapped_column(String(64), default="")  # blob store
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="documents")


class CaseEvent(Base):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("case_persons.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(40), index=True)  # accord.cases.vocab.EVENT_KINDS
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")


class Statement(Base):
    """A statement in the person's own language, with its translation linked to it."""

    __tablename__ = "case_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("case_persons.id", ondelete="SET NULL"), nullable=True
    )
    language: Mapped[str] = mapped_column(String(16))  # BCP 47 of the original
    text: Mapped[str] = mapped_column(Text)  # verbatim original
    # "typed" | "transcribed" (speech-to-text through the gateway) | "written" (by the person)
    origin: Mapped[str] = mapped_column(String(16), default="typed")
    translation: Mapped[str] = mapped_column(Text, default="")
    translation_language: Mapped[str] = mapped_column(String(16), default="")
    translation_source: Mapped[str] = mapped_column(String(16), default="")  # vocab keys
    translation_decision_id: Mapped[str] = mapped_column(String(32), default="")
    translation_reviewed_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    interpreter: Mapped[str] = mapped_column(String(200), default="")  # name and register id
    # Entities the officer confirmed (after extraction suggested them), e.g.
    # [{"kind": "time", "text": "21:30", "value": "21:30"}].
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    entities_confirmed_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    taken_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    audio_sha256: Mapped[str] = mapped_column(String(64), default="")  # kept only if saved

    case: Mapped[Case] = relationship(back_populates="statements")


class EvidenceItem(Base):
    __tablename__ = "case_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(40))  # e.g. "E-3"
    description: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), default="", index=True)  # "" for physical
    filename: Mapped[str] = mapped_column(String(255), default="")
    media_type: Mapped[str] = mapped_column(String(100), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    collected_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    case: Mapped[Case] = relationship(back_populates="evidence")
    custody: Mapped[list[CustodyEvent]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="CustodyEvent.id"
    )


class CustodyEvent(Base):
    """One link in the chain of custody. Append-only; the stored file is re-hashed each time."""

    __tablename__ = "case_custody_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("case_evidence.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))  # accord.cases.vocab.CUSTODY_ACTIONS
    from_holder: Mapped[str] = mapped_column(String(200), default="")
    to_holder: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Result of re-hashing the stored file at this step: True, False, or None for physical items.
    hash_verified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_user: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    item: Mapped[EvidenceItem] = relationship(back_populates="custody")


class Task(Base):
    __tablename__ = "case_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    guidance_step: Mapped[str] = mapped_column(String(80), default="")  # step id, if from guidance
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="tasks")
