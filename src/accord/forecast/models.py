"""Table of patrols that followed a forecast.

Events found on forecast-driven patrols are partly produced by the patrol itself; recording
where and when patrols went because of which forecast lets later training down-weight them and
so damp the feedback loop (see docs/forecast.md).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class ForecastPatrol(Base):
    __tablename__ = "forecast_patrols"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(32), index=True)  # the forecast followed
    dataset: Mapped[str] = mapped_column(String(64), index=True)
    cell_size: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(32), default="")
    start: Mapped[date] = mapped_column(Date)
    stop: Mapped[date] = mapped_column(Date)  # exclusive
    cells: Mapped[list[str]] = mapped_column(JSON)  # grid cell ids, e.g. "r012c034"
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
