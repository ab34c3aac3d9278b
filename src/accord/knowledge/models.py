"""Tables of the knowledge base: passages (with their sentence vectors) and legal questions.

A passage is one verbatim piece of a source in one language. Passages that are the same piece
in several languages share a ``key`` ("fact:eeal-39"): retrieval ranks keys and shows the
version in the asker's language. The vector sits in the passage row so that one database holds
everything and brute-force cosine needs no second store (a few thousand passages at most).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class Passage(Base):
    __tablename__ = "knowledge_passages"
    __table_args__ = (UniqueConstraint("key", "language", name="uq_knowledge_passages_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the passage number
    key: Mapped[str] = mapped_column(String(160), index=True)  # "fact:eeal-39"
    kind: Mapped[str] = mapped_column(String(24))  # legal-fact | guidance | caution | …
    origin: Mapped[str] = mapped_column(String(16))  # bundled | imported | answer
    document: Mapped[str] = mapped_column(String(300))
    section: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[str] = mapped_column(String(64), default="")
    effective_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    language: Mapped[str] = mapped_column(String(12))
    citation: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16))  # verified | unverified
    status_note: Mapped[str] = mapped_column(Text, default="")
    source_link: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))  # of everything above: changes re-index
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # float32
    vector_model: Mapped[str] = mapped_column(String(64), default="")
    # The same text under multilingual-e5-small ("passage: " prefix), float32 × 384.
    vector_e5: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    retired: Mapped[bool] = mapped_column(default=False)  # gone from its source: not searched
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    verified_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LegalQuestion(Base):
    """A question the base could not answer, waiting in the legal officers' queue."""

    __tablename__ = "knowledge_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(12))
    asked_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decision_id: Mapped[str] = mapped_column(String(32), default="")  # the lookup that failed
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|answered
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    passage_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_passages.id", ondelete="SET NULL"), nullable=True)


class KnowledgeSync(Base):
    """Digest of the bundled sources last indexed, so a query re-indexes only after a change."""

    __tablename__ = "knowledge_sync"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KnowledgeShare(Base):
    """One outbound share (a cooperation request or notification): exactly which fields, to
    whom, on what legal basis, who approved it; ledgered. Listed in the person's access report
    through their subject keys."""

    __tablename__ = "knowledge_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str] = mapped_column(String(24), index=True)
    recipient: Mapped[str] = mapped_column(String(300))
    fields: Mapped[list[str]] = mapped_column(JSON)  # the field names shared, nothing else
    values: Mapped[dict[str, str]] = mapped_column(JSON)  # what the letter carries
    legal_basis: Mapped[str] = mapped_column(String(400))
    sensitivity: Mapped[str] = mapped_column(String(8))  # low | high
    status: Mapped[str] = mapped_column(String(20), index=True)
    # letters: awaiting-approval | released | refused; exports: exported | awaiting-approval |
    # approved | refused
    subject_keys: Mapped[list[str]] = mapped_column(JSON)
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    approved_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The supervisor's reason (required for a refusal); approved_by/at is whoever decided.
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # An export held for approval: where its requester fetches the bytes once approved.
    download: Mapped[str] = mapped_column(String(300), default="")
    # A recorded legal decision that keeps this share out of the person's access report (shown
    # there only as existing): its reference and grounds, who recorded it and when. Empty: the
    # report lists the share in full.
    withheld_decision: Mapped[str] = mapped_column(String(400), default="")
    withheld_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    withheld_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
