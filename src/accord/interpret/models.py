"""Tables for interpretation: reports made through guided interviews.

``interpret_reports`` holds what a person answered, in a language-neutral form (choice ids,
ISO dates, numbers, verbatim free text), so it can be shown to officers in Chinese at any
time. The migration is added by the maintainers (``accord.core.models`` imports this module).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class InterviewReport(Base):
    """A report from the public self-service page, or an interview on an officer's tablet."""

    __tablename__ = "interpret_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    form_id: Mapped[str] = mapped_column(String(48), index=True)
    form_version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))  # the person's content language
    channel: Mapped[str] = mapped_column(String(16), index=True)  # "public" | "officer"
    status: Mapped[str] = mapped_column(String(16), default="draft")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Translation statuses of the texts the person saw, e.g. ["maintainer-draft"].
    content_statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Keyed digest of the client address (public channel only), for rate limiting.
    client_digest: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The one-time token of the form page the report was sent from: sending the same form again
    # (a double click, a refresh of the POST) finds this report instead of filing a new one.
    submit_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    # The case opened from this report ("" while it is a draft): from then on the report
    # follows that case's access rule.
    case_reference: Mapped[str] = mapped_column(String(24), default="", index=True)
