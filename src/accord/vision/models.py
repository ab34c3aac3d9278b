"""Vision tables: media items with their custody chain, and consents for 1:1 verification.

An item is one stored file (by SHA-256 in the content-addressed blob store): an original as it
was collected, or a redacted version derived from it. A redacted item records its parent's
digest, the detector version, the gateway decision that proposed its boxes, the boxes as the
reviewer left them, and who approved it; only an approved item can be exported. The custody
chain is append-only; each step re-hashes the stored file.

There is deliberately no table of face templates, embeddings or a gallery: a verification's
two embeddings live in memory for the length of one call (``accord.vision.verify``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class VisionItem(Base):
    __tablename__ = "vision_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), default="", index=True)  # "" while processing
    media_type: Mapped[str] = mapped_column(String(64))  # image/png, video/mp4, …
    filename: Mapped[str] = mapped_column(String(255), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    frames: Mapped[int] = mapped_column(Integer, default=0)  # videos only
    # original | pending-review | approved | processing | cancelled | failed
    status: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("vision_items.id", ondelete="RESTRICT"), nullable=True, index=True)
    parent_sha256: Mapped[str] = mapped_column(String(64), default="")
    detector_version: Mapped[str] = mapped_column(String(120), default="")
    decision_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    mode: Mapped[str] = mapped_column(String(16), default="")  # solid | pixelate
    boxes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    case_ref: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    job_id: Mapped[str] = mapped_column(String(32), default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)


class VisionCustodyEvent(Base):
    """One link in an item's chain of custody. Append-only."""

    __tablename__ = "vision_custody_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("vision_items.id", ondelete="RESTRICT"), index=True)
    # collected | redacted | boxes-edited | approved | exported | draft-copied | cancelled
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    hash_verified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    by_user: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VisionConsent(Base):
    """A person's recorded consent to one 1:1 face verification (who, when, what was explained,
    in which language), with the purpose and the supervisor who approved the check."""

    __tablename__ = "vision_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)  # "FC-…"
    person_label: Mapped[str] = mapped_column(String(200))  # how the person is named on file
    language: Mapped[str] = mapped_column(String(16))  # the language it was explained in
    explanation: Mapped[str] = mapped_column(Text)  # what was explained
    purpose: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str] = mapped_column(String(64), default="")
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_decision_id: Mapped[str] = mapped_column(String(32), default="")  # one check only
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
