"""Tables of the governance spine: ledger, checkpoints, witness events, decisions, reviews,
capability state (stop control) and training certificates.

The ledger tables hold no personal data: entries carry references (``user:17``,
``decision:…``) and salted digests. Personal data lives in ``decisions`` (inputs, outputs) and
can be erased there without touching the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    # INTEGER on SQLite makes the sequence number the table's rowid (no separate key index to
    # write on every append); BIGINT elsewhere.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                     primary_key=True, autoincrement=False)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # RFC 8785 canonical JSON, exactly as hashed
    kind: Mapped[str] = mapped_column(String(32), index=True)
    capability_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    actor: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)  # signed note; witness cosignatures appended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WitnessEvent(Base):
    """Every witness decision, including refusals, so a refused head is visible."""

    __tablename__ = "witness_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    witness: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # "cosigned" | "refused"
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Decision(Base):
    """One gateway call: what was asked, by whom, for what, and what came back.

    ``inputs`` and ``output`` may hold personal data and are subject to retention and erasure;
    ``salt`` keys the digests in the ledger, so erasing it makes them unlinkable.
    """

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    capability_id: Mapped[str] = mapped_column(String(64), index=True)
    capability_version: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(128), default="")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_role: Mapped[str] = mapped_column(String(32), default="")
    purpose: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str] = mapped_column(String(64), default="", index=True)
    # Keyed digest of the affected person's identity document number, so a rights request can
    # find "the AI decisions about me" without the number being stored in clear. The first key
    # only; every key of every person concerned is in ``decision_subjects``.
    subject_key: Mapped[str] = mapped_column(String(64), default="", index=True)
    status: Mapped[str] = mapped_column(String(16))  # completed | denied | failed
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    explanation: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    policy_version: Mapped[str] = mapped_column(String(80), default="")
    policy_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_status: Mapped[str] = mapped_column(String(16), default="not-required")
    salt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DecisionSubject(Base):
    """A person a decision concerns, as a keyed digest (``accord.core.subjects``).

    One decision may concern several persons (an inconsistency hint between two people's
    statements, a draft report on a case with four persons), and one person may be known by
    two keys (document number; name + date of birth + nationality). Deleting the rows unlinks
    the decision from the person; nothing here is in the ledger.
    """

    __tablename__ = "decision_subjects"

    decision_id: Mapped[str] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    subject_key: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class LegalHold(Base):
    """A case whose data must not be erased (litigation, investigation, appeal)."""

    __tablename__ = "legal_holds"

    case_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[str] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), unique=True
    )
    capability_id: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[str] = mapped_column(String(128), default="")
    required_role: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    edited_output: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CapabilityState(Base):
    """Stop control: a suspended capability refuses every call until resumed."""

    __tablename__ = "capability_states"

    capability_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UserCertificate(Base):
    """A training certificate (e.g. "biometrics") that policies may require."""

    __tablename__ = "user_certificates"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
