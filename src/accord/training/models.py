"""Training tables: passes (lessons, courses, drills) and automation-bias drill runs.

Certificates themselves live in core's ``user_certificates`` (name, issued, expires): that is
the table the gateway reads on every call, so a certificate issued here gates a capability on
the very next call. These tables keep how each one was earned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class TrainingPass(Base):
    """One passed (or failed) assessment: a lesson's, a whole course's, or a drill's."""

    __tablename__ = "training_passes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64), index=True)
    course_version: Mapped[int] = mapped_column(Integer)
    lesson_id: Mapped[str] = mapped_column(String(64), default="")  # "": the whole course
    score: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(16))  # "web" | "cli" | "drill"
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class DrillRun(Base):
    """One trainee's run of a drill, in a cohort (a training intake named by the trainer)."""

    __tablename__ = "training_drill_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    drill_id: Mapped[str] = mapped_column(String(64), index=True)
    drill_version: Mapped[int] = mapped_column(Integer)
    cohort: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DrillAnswer(Base):
    """A trainee's two judgements of one item: before seeing the AI suggestion and after."""

    __tablename__ = "training_drill_answers"
    __table_args__ = (UniqueConstraint("run_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("training_drill_runs.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    seeded_error: Mapped[bool] = mapped_column(Boolean)  # copied from the drill data
    before_choice: Mapped[int] = mapped_column(Integer)
    after_choice: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
