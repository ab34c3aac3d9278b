"""Interpretation: the capability package's declaration (see ``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from accord.core.contract import (
    CapabilityPackage,
    DashboardCard,
    ObjectKind,
    PhraseText,
    RetentionClass,
    SpeechDraft,
)
from accord.core.i18n import N_
from accord.core.registry import Capability

HERE = Path(__file__).resolve().parent


def _capabilities() -> Iterable[Capability]:
    from accord.interpret.langid import LANGID_CAPABILITY
    from accord.interpret.phrase_match import PHRASE_MATCH_CAPABILITY
    from accord.interpret.speak_capability import SPEAK_CAPABILITY
    from accord.interpret.transcribe_capability import TRANSCRIBE_CAPABILITY
    from accord.interpret.translate import TRANSLATE_CAPABILITY

    return (LANGID_CAPABILITY, TRANSLATE_CAPABILITY, TRANSCRIBE_CAPABILITY, SPEAK_CAPABILITY,
            PHRASE_MATCH_CAPABILITY)


def _routers() -> Iterable[Any]:
    from accord.interpret.routes import (
        conversation,
        interpreters,
        interviews,
        langid,
        phrases,
        speech,
        translation,
    )

    return (langid.router, langid.api_router, translation.router, speech.router, phrases.router,
            conversation.router, conversation.tablet_router, interviews.public_router,
            interviews.router, interpreters.routes)


def _cli(app: Any) -> None:
    from accord.interpret.cli import attach

    attach(app)


def _delete_report(session: Any, record: Any, now: datetime) -> None:
    from accord.interpret.models import InterviewReport

    session.execute(delete(InterviewReport).where(InterviewReport.id == record.id))


def _delete_conversation(session: Any, record: Any, now: datetime) -> None:
    from accord.interpret.conversation_models import (
        Conversation,
        ConversationEvent,
        ConversationTurn,
    )

    # Explicitly, not by the foreign keys' cascade: SQLite enforces it only when told to.
    session.execute(delete(ConversationEvent).where(
        ConversationEvent.conversation_id == record.id))
    session.execute(delete(ConversationTurn).where(
        ConversationTurn.conversation_id == record.id))
    session.execute(delete(Conversation).where(Conversation.id == record.id))


def _retention_classes() -> Iterable[RetentionClass]:
    from accord.interpret.conversation_models import Conversation
    from accord.interpret.models import InterviewReport

    return (RetentionClass(
        category="public-reports", created=InterviewReport.created_at,
        candidates=lambda cutoff: select(InterviewReport).where(
            InterviewReport.created_at < cutoff),
        erase=_delete_report, reference=lambda r: f"public-report:{r.reference}"),
        # A conversation's turns and events go with it; a case under legal hold keeps it
        # (the retention service holds back records whose case_ref is held).
        RetentionClass(
        category="conversations", created=Conversation.created_at,
        candidates=lambda cutoff: select(Conversation).where(Conversation.created_at < cutoff),
        erase=_delete_conversation, reference=lambda r: f"conversation:{r.reference}"))


def _request_exists(session: Any, reference: str) -> bool:
    from accord.interpret.interpreters import request_exists

    return request_exists(session, reference)


def _request_access(session: Any, caller: Any, reference: str) -> bool | None:
    from accord.interpret.interpreters import request_access

    return request_access(session, caller, reference)


def _create_request(caller: Any, fields: Mapping[str, str],
                    within: Any = None) -> str:
    """``ObjectKind.create`` for "interpreter-request": another package (dispatch) asks for a
    human interpreter. The same checks as the request form (role, language, mode)."""
    from accord.config import get_settings
    from accord.core.runtime import get_database
    from accord.interpret.interpreters import Actor, InterpreterService, RequestInput

    service = InterpreterService(get_database(), get_settings().station_timezone)
    row = service.create_request(RequestInput(
        language=fields.get("language", ""), mode=fields.get("mode", "phone"),
        source_kind=fields.get("source_kind", ""), source_ref=fields.get("source_ref", ""),
        notes=fields.get("notes", "")),
        Actor(caller.user_id, frozenset(caller.roles), getattr(caller, "username", "")),
        within=within)
    return row.reference


def _phrase_text(entry_id: str, language: str) -> PhraseText | None:
    """``CapabilityPackage.phrase_text``: a phrasebook sentence and its status."""
    from accord.interpret.phrasebook import get_phrasebook

    entry = get_phrasebook().get(entry_id)
    lang = (language or "").split("-")[0].lower()
    if entry is None or lang not in entry.text:
        return None
    return PhraseText(entry_id=entry.id, language=lang, text=entry.text[lang],
                      status=entry.status.get(lang, "verified" if lang == "zh" else ""),
                      zh=entry.text["zh"])


def _transcribe_speech(caller: Any, wav: bytes, language: str, purpose: str,
                       legal_basis: str) -> SpeechDraft:
    """``CapabilityPackage.transcribe_speech``: another package's recording (a dispatch call)
    through ``interpret.transcribe``. The caller's language is passed when this server has a
    model for it, else Whisper suggests one (marked ``suggested``). The audio is deleted when
    the call ends: only the draft is returned."""
    import math

    from accord.core.governance import get_governance
    from accord.interpret import speech
    from accord.interpret import transcribe_capability as tc

    wanted = (language or "").split("-")[0].lower()
    chosen = wanted if wanted in speech.LANGUAGES else speech.AUTO
    call = tc.transcribe_call(get_governance().gateway, caller, wav, language=chosen,
                              purpose=purpose, legal_basis=legal_basis)
    output = call.result.output
    segments = tuple(
        {**segment, "confidence": round(math.exp(float(segment.get("avg_logprob", 0.0))), 2)}
        for segment in output.get("segments", ()))
    return SpeechDraft(
        decision_id=call.result.decision_id, ledger_seq=call.result.ledger_seq,
        text=str(output.get("transcript", "")), language=str(output.get("language", "")),
        language_source=str(output.get("language_source", "given")), segments=segments,
        seconds=float(output.get("seconds", 0.0)), engine=str(output.get("engine", "")),
        note=tc.DRAFT_NOTE)


def _sees_all_requests(caller: Any) -> bool:
    return "supervisor" in caller.roles


def _objects() -> Iterable[ObjectKind]:
    # An interpreter request: who may open it is decided by interpreters.may_access_request.
    return (ObjectKind("interpreter-request", exists=_request_exists,
                       can_access=_request_access, sees_all=_sees_all_requests,
                       name_zh="译员申请", create=_create_request),)


def _subject_records(session: Any, key: str) -> Iterable[Any]:
    from accord.interpret.subjects import subject_records

    return subject_records(session, key)


PACKAGE = CapabilityPackage(
    name="interpret",
    capabilities=_capabilities,
    table_modules=("accord.interpret.models", "accord.interpret.interpreter_models",
                   "accord.interpret.pack_models", "accord.interpret.phrase_models",
                   "accord.interpret.conversation_models"),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    retention_classes=_retention_classes,
    objects=_objects,
    subject_records=_subject_records,
    phrase_text=_phrase_text,
    transcribe_speech=_transcribe_speech,
    dashboard=(
        DashboardCard(N_("Interpretation"),
                      N_("Guided interviews, notices and translation in many languages."),
                      "/interviews", frozenset({"officer", "interpreter", "supervisor"})),
        DashboardCard(N_("Phrasebook"),
                      N_("Matches what a person says to verified sentences; the person confirms."),
                      "/interpret/phrases", frozenset({"officer", "interpreter", "supervisor"})),
        DashboardCard(N_("Two-screen conversation"),
                      N_("The officer's screen and the person's tablet: the person confirms "
                         "sentences in their own language."),
                      "/interpret/conversations", frozenset({"officer", "interpreter",
                                                             "supervisor"})),
        DashboardCard(N_("Language identification"),
                      N_("Suggests which language a text is in; the person confirms it."),
                      "/interpret/langid", frozenset({"officer", "interpreter", "supervisor"})),
    ),
)
