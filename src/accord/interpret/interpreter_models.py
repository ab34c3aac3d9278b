"""Tables for human interpreters: the roster, requests (bookings), corrections of machine
translations, and translators' verifications of content texts.

Why these are separate from the gateway's decisions: an interpreter is a person, not a model.
Their work is recorded beside the machine output (never over it), so a later reader can see
both what the machine said and what the interpreter made of it (PACE Code C 13.4 keeps the
person's own words and the translation linked; CPL Art. 32 makes interpreters subject to
recusal, so every assignment stores the independence check that allowed it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class Interpreter(Base):
    """One person on the roster: a staff or contract interpreter, or a volunteer."""

    __tablename__ = "interpreters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The official register (e.g. a translators' association or court list) number.
    register_id: Mapped[str] = mapped_column(String(64), unique=True)
    # [{"language": "ar", "dialect": "Levantine", "proficiency": 5}, …] — BCP 47 tags.
    languages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Subset of accord.interpret.interpreters.MODES.
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    clearance: Mapped[str] = mapped_column(String(24), default="none")
    availability: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")  # shown to supervisors only
    volunteer: Mapped[bool] = mapped_column(Boolean, default=False)
    certified_translator: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_id: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # The interpreter's own Accord account (role interpreter), if they have one.
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InterpreterRequest(Base):
    """A request for a human interpreter, from a conversation, interview, case or translation."""

    __tablename__ = "interpreter_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)  # e.g. "IR-2026-0001"
    language: Mapped[str] = mapped_column(String(35), index=True)  # BCP 47
    dialect: Mapped[str] = mapped_column(String(64), default="")
    mode: Mapped[str] = mapped_column(String(24))
    case_ref: Mapped[str] = mapped_column(String(64), default="", index=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(64), default="")
    requested_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    interpreter_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("interpreters.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Names of the parties the requester listed (beyond the case's persons).
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The last independence check: {"checks": [...], "result": "passed" | "failed", ...}.
    independence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scheduled_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class InterpretationCorrection(Base):
    """An interpreter's confirmation or correction of one machine translation. Append-only."""

    __tablename__ = "interpretation_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("interpreter_requests.id", ondelete="CASCADE"), index=True
    )
    # The interpret.translate gateway decision, or "" for text pasted by the interpreter.
    decision_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    source_text: Mapped[str] = mapped_column(Text)
    machine_text: Mapped[str] = mapped_column(Text, default="")
    corrected_text: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))  # "confirmed" | "corrected"
    by_user: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContentVerification(Base):
    """A certified translator's verdict on one form or notice in one language. Append-only.

    ``text_digest`` is the SHA-256 of the exact texts reviewed, so an edit to the content file
    after the review visibly voids it instead of silently inheriting "verified".
    """

    __tablename__ = "content_verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_kind: Mapped[str] = mapped_column(String(16))  # "form" | "notice"
    content_id: Mapped[str] = mapped_column(String(48), index=True)
    language: Mapped[str] = mapped_column(String(8))  # content language key, e.g. "ar"
    text_digest: Mapped[str] = mapped_column(String(64))
    translator_name: Mapped[str] = mapped_column(String(200))
    certificate_id: Mapped[str] = mapped_column(String(64))
    verified_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16))  # "verified" | "rejected"
    note: Mapped[str] = mapped_column(Text, default="")
