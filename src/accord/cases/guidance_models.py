"""Tables of the guidance engine: legal officers' confirmations of legal facts, the rights
notices given in a case, and consular notification letters.

A confirmation is bound to a digest of the fact's text as it stood when the legal officer read
it, so editing the YAML silently invalidates it (the fact shows unverified again) rather than
carrying a confirmation over to words nobody confirmed. Notices and letters are evidence that a
duty was met: who gave which notice, when, in which language, through which interpreter; when a
letter was generated and when and how it was sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class LegalFactConfirmation(Base):
    """A legal officer's verdict on one fact's exact text (append-only; the latest counts)."""

    __tablename__ = "legal_fact_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fact_id: Mapped[str] = mapped_column(String(80), index=True)
    fact_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the fact as confirmed
    status: Mapped[str] = mapped_column(String(16))  # "confirmed" | "disputed"
    note: Mapped[str] = mapped_column(Text, default="")
    by_user: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseNotice(Base):
    """A rights notice given to a person: which notice, when, in which language, how, by whom."""

    __tablename__ = "case_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("case_persons.id", ondelete="SET NULL"), nullable=True
    )
    notice_id: Mapped[str] = mapped_column(String(48))  # content library notice id
    notice_version: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(16))  # content language code, e.g. "en"
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    given_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    interpreter_name: Mapped[str] = mapped_column(String(200), default="")
    interpreter_register_id: Mapped[str] = mapped_column(String(64), default="")
    mode: Mapped[str] = mapped_column(String(16))  # accord.cases.notices.NOTICE_MODES
    note: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("case_events.id", ondelete="SET NULL"), nullable=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsularLetter(Base):
    """A consular notification letter: generated (PDF kept in the blob store), then sent."""

    __tablename__ = "consular_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("case_persons.id", ondelete="SET NULL"), nullable=True
    )
    nationality: Mapped[str] = mapped_column(String(3))  # alpha-3 as in the MRZ
    consulate: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["zh", "en"]
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")  # blob store
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    generated_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    sent_via: Mapped[str] = mapped_column(String(40), default="")  # accord.cases.notices
    reference: Mapped[str] = mapped_column(String(120), default="")  # e.g. fax or note number
    event_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("case_events.id", ondelete="SET NULL"), nullable=True
    )
