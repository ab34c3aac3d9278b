"""Two-screen conversations (tables ``interpret_conversation*``).

A conversation joins the officer's screen and the person's tablet. Nothing about it lives in a
process's memory, so any number of app processes serve it:

* ``interpret_conversations`` — who started it, for which case or interview report, under which
  purpose and legal basis; the join code and the tablet's token (both kept only as keyed
  digests), the person's chosen language, the officer's PIN (an Argon2 hash) and the PIN's
  failure counter (the rate limit lives here, in the database).
* ``interpret_conversation_turns`` — the bilingual transcript: each utterance in both
  directions with the phrasebook entry that carried it and how it was agreed.
* ``interpret_conversation_events`` — the event log the two screens' server-sent event streams
  read (``Last-Event-ID`` resumes from it). Events hold no words, only what changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, UTCDateTime, utcnow


class Conversation(Base):
    __tablename__ = "interpret_conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                            index=True)
    case_ref: Mapped[str] = mapped_column(String(32), default="", index=True)
    report_ref: Mapped[str] = mapped_column(String(24), default="", index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str] = mapped_column(String(64))
    # "waiting" (code shown, no tablet yet) → "joined" → "ended"
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    code_digest: Mapped[str] = mapped_column(String(64), index=True)
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tablet_digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="")  # the person's own choice
    pin_hash: Mapped[str] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The start form's one-time key: a refreshed or doubled submit finds this conversation
    # instead of starting a second one (NULL for starts without a form, e.g. tests, CLI).
    start_key: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (UniqueConstraint("officer_id", "start_key",
                                       name="uq_interpret_conversations_start_key"),)


class ConversationTurn(Base):
    __tablename__ = "interpret_conversation_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("interpret_conversations.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))  # "person" or "officer": who spoke
    language: Mapped[str] = mapped_column(String(8))  # the person's language at the time
    original_text: Mapped[str] = mapped_column(Text)  # as typed (person's words / officer's zh)
    decision_id: Mapped[str] = mapped_column(String(32), default="")  # the phrase-match call
    # The entries offered: [{id, zh, text (person's language), score, verified}]
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # person: offered → confirmed | none | no-match; officer: offered → sent | no-match
    status: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str] = mapped_column(String(80), default="")
    text_zh: Mapped[str] = mapped_column(Text, default="")
    text_person: Mapped[str] = mapped_column(Text, default="")
    entry_status: Mapped[str] = mapped_column(String(32), default="")
    label: Mapped[str] = mapped_column(String(64), default="")
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationEvent(Base):
    __tablename__ = "interpret_conversation_events"
    __table_args__ = (Index("ix_interpret_conversation_events_conv_id", "conversation_id",
                            "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("interpret_conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    turn_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationJoinFailure(Base):
    """A wrong join code from one client (a keyed digest of its address): counted to
    rate-limit guessing, in the database so every app process sees the same count."""

    __tablename__ = "interpret_conversation_join_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_digest: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
