"""Tables of public accountability: rights requests and appeals (with their event history), the
breach register, and impact assessments / ethics-review approvals per capability.

Personal data here is limited to what a rights request needs: the contact the one-time code is
sent to, the free-text details the person wrote and, once the DPO releases it, a snapshot of
their access report. The identity document number is never stored in clear — only its keyed
digest (the same ``subject_key`` the gateway stores on decisions) and a masked form. Codes and
download tokens are stored as keyed digests only.

These tables are imported by :mod:`accord.core.models` (for Alembic) once wired in; tests create
them with ``Base.metadata.create_all(engine, tables=RIGHTS_TABLES)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class RightsRequest(Base):
    """One request from a member of the public: access, correction, deletion, objection, or an
    appeal against an AI output. It never vanishes: closing it only changes its state."""

    __tablename__ = "rights_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # "RR-" + 12 base32 chars
    kind: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True, default="received")
    ui_language: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    preferred_language: Mapped[str] = mapped_column(String(8), default="")
    # Keyed digest of the normalised document number (as Decision.subject_key) and a mask.
    subject_key: Mapped[str] = mapped_column(String(64), index=True)
    document_masked: Mapped[str] = mapped_column(String(40))
    contact_kind: Mapped[str] = mapped_column(String(8))  # "email" | "phone"
    contact: Mapped[str] = mapped_column(String(254))
    contact_masked: Mapped[str] = mapped_column(String(254))
    decision_ref: Mapped[str] = mapped_column(String(32), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Identity verification.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_via: Mapped[str] = mapped_column(String(8), default="")  # "code" | "counter"
    verified_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # The current one-time code (keyed digest only), what it is for, and the lockout counter.
    code_digest: Mapped[str] = mapped_column(String(64), default="")
    code_purpose: Mapped[str] = mapped_column(String(16), default="")  # "verify" | "download"
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    code_failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The access report the DPO released, and the requester's short-lived download grant.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    report_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_released_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    report_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    download_digest: Mapped[str] = mapped_column(String(64), default="")
    download_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Outcome.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    appeal_outcome: Mapped[str] = mapped_column(String(16), default="")  # upheld | overturned
    appeal_reason: Mapped[str] = mapped_column(Text, default="")
    outcome_ledger_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RightsEvent(Base):
    """One step in a request's history: every state change, with time, actor and a note.

    ``public`` events are shown to the requester on the status page; internal notes are not.
    """

    __tablename__ = "rights_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # the request's state after this event
    actor: Mapped[str] = mapped_column(String(32), default="")  # requester | user:17 | system
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=True)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Breach(Base):
    """A personal-data breach, with the 72-hour clock to notify the supervisory authority."""

    __tablename__ = "dpo_breaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(8), default="medium")  # low | medium | high
    affected_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    measures: Mapped[str] = mapped_column(Text, default="")
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    authority: Mapped[str] = mapped_column(String(200), default="")
    late_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Assessment(Base):
    """An impact assessment (DPIA, fundamental-rights impact) or an ethics-review decision for
    one version of a capability. High-risk capabilities need approved ones to run."""

    __tablename__ = "dpo_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    capability_id: Mapped[str] = mapped_column(String(64), index=True)
    capability_version: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # dpia | fria | ethics-review
    outcome: Mapped[str] = mapped_column(String(16))  # approved | rejected
    summary: Mapped[str] = mapped_column(Text, default="")
    document_ref: Mapped[str] = mapped_column(String(200), default="")
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


#: Every table of this module, in creation order (for tests and the lead's migration).
RIGHTS_TABLES = [RightsRequest.__table__, RightsEvent.__table__, Breach.__table__,
                 Assessment.__table__]

__all__ = ["RIGHTS_TABLES", "Assessment", "Breach", "RightsEvent", "RightsRequest"]
