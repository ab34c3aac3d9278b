"""The model registry for operator-installed translation packs (table ``translation_packs``).

One row per installed pack version. A pair is offered to officers only through a pack whose
measured quality (chrF2 on FLORES-200 devtest, measured at install time) reaches the bar;
others are kept as ``advisory``. Rows are never overwritten: a new version is a new row, so an
older pack that passed keeps serving until a newer one passes too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class TranslationPack(Base):
    """A CTranslate2 model pack installed from a file, with its provenance and measured quality."""

    __tablename__ = "translation_packs"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_translation_packs_name_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    source_language: Mapped[str] = mapped_column(String(8), index=True)
    target_language: Mapped[str] = mapped_column(String(8), index=True)
    engine: Mapped[str] = mapped_column(String(16))
    licence: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(Text)  # URL or provenance text from the manifest
    directory: Mapped[str] = mapped_column(String(200))  # relative to <state_dir>/models
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # "offered" | "advisory"
    chrf: Mapped[float] = mapped_column(Float)
    bleu: Mapped[float] = mapped_column(Float)
    sentences: Mapped[int] = mapped_column(Integer)
    measured_command: Mapped[str] = mapped_column(String(200))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    installed_by: Mapped[str] = mapped_column(String(64), default="")
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
