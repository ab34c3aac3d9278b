"""Confirmed phrasebook matches (table ``interpret_phrase_confirmations``).

A match offered by ``interpret.phrase_match`` is only a candidate; a row here is written when
the person taps the entry that says what they meant ("Is this what you mean?"). The row keeps
the person's own words beside the confirmed entry's texts — the Chinese interpretation and the
sentence the person read — with the phrasebook version, so the record shows exactly which
wording was agreed, and points at the gateway decision and the ledger entry of the confirmation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow

LABEL = "phrase confirmed by the person"


class PhraseConfirmation(Base):
    __tablename__ = "interpret_phrase_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(32), unique=True)
    entry_id: Mapped[str] = mapped_column(String(80))
    phrasebook_version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    original_text: Mapped[str] = mapped_column(Text)  # the person's own words
    person_text: Mapped[str] = mapped_column(Text)  # the entry as the person read it
    interpretation_zh: Mapped[str] = mapped_column(Text)  # the entry's Chinese text
    entry_status: Mapped[str] = mapped_column(String(32))  # e.g. "maintainer-draft"
    label: Mapped[str] = mapped_column(String(64), default=LABEL)
    case_ref: Mapped[str] = mapped_column(String(32), default="", index=True)
    confirmed_by: Mapped[int] = mapped_column(Integer)  # the officer's user id at the desk
    ledger_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
