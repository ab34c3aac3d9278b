"""Tables of AI-drafted case reports: one report per case, and every version of its text.

Versions are append-only: the first AI draft stays next to the final text for as long as the
case exists (California SB 524 asks that the first draft be kept as long as the final report).
The service has no update path, and an ORM guard refuses any UPDATE of a version row, so a
mistake in later code fails loudly instead of silently rewriting history. Versions disappear only
with their case (foreign-key cascade, e.g. under a retention rule).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.core.db import Base, UTCDateTime, utcnow


class CaseReport(Base):
    __tablename__ = "case_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)  # draft|submitted
    language: Mapped[str] = mapped_column(String(16), default="zh")  # framing language: zh | en
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attestation: Mapped[str] = mapped_column(Text, default="")  # the sentence the officer typed
    # The version the officer attested; later versions cannot exist (submitted is final).
    submitted_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    versions: Mapped[list[CaseReportVersion]] = relationship(
        back_populates="report", order_by="CaseReportVersion.number", passive_deletes=True
    )


class CaseReportVersion(Base):
    """One full text of the report. ``spans`` say which characters the AI wrote and from where.

    ``spans`` cover the text without gaps: ``[{"start", "end", "origin": "ai"|"officer",
    "source": "S12:0-83" | "E5" | "P3" | ""}]``; ``source`` is the cited passage (statement id and
    character span of its original text), event or person record, or "" for officer text.
    """

    __tablename__ = "case_report_versions"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("case_reports.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … per report
    text: Mapped[str] = mapped_column(Text)
    spans: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    author_kind: Mapped[str] = mapped_column(String(8))  # "ai" | "officer"
    author_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decision_id: Mapped[str] = mapped_column(String(32), default="")  # gateway decision (AI)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[CaseReport] = relationship(back_populates="versions")


class VersionImmutable(RuntimeError):
    """Raised when code tries to change a stored report version."""


@event.listens_for(CaseReportVersion, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: CaseReportVersion) -> None:
    raise VersionImmutable(f"report version {target.id} is append-only; add a new version")
