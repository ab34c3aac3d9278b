"""Speech pages: transcribe a recording (microphone or file) and read a text aloud.

``POST /interpret/speech/audio`` takes a WAV recording — recorded in the browser by
``static/js/recorder.js`` or uploaded — and transcribes it through the governed gateway
(:mod:`accord.interpret.transcribe_capability`). The path ends in ``/audio`` so the larger
upload limit applies. With a case reference the transcript is saved to that case as a
statement (``origin="transcribed"``) and the audio is kept with it; otherwise the audio is
deleted after the call. ``POST /interpret/speech/speak`` returns the text read aloud as WAV,
also through the gateway (:mod:`accord.interpret.speak_capability`, ``interpret.speak``) with
the purpose chosen (default: the user's default purpose); the audio is not kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.config import Settings
from accord.core.contract import object_kind
from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.service import GatewayDenied, GatewayResult
from accord.core.governance import Governance, get_governance
from accord.core.i18n import M_, N_
from accord.core.roles import Role
from accord.interpret import speech, tts
from accord.interpret import transcribe_capability as tc
from accord.interpret.langid import language_name
from accord.interpret.piper_voice import ENGINES
from accord.interpret.routes.langid import _denial
from accord.interpret.speak_capability import speak_call
from accord.web import uploads
from accord.web.deps import Principal, db_session, get_settings_dep, require_roles
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import render

INTERPRETER_REQUEST = "/interpreters/requests/new?language={code}"
#: Read-aloud on the page uses the user's default purpose and this legal basis, as the CLI does.
SPEAK_LEGAL_BASIS = "police-law-art-2"
CASE_HIDDEN = N_("Only the case officer and supervisors may save to this case.")

access = require_roles(Role.OFFICER, Role.INTERPRETER, Role.SUPERVISOR)
router = APIRouter(prefix="/interpret", include_in_schema=False, dependencies=[Depends(access)])


def _governance() -> Governance:
    return get_governance()


def _page(
    request: Request,
    principal: Principal,
    governance: Governance,
    *,
    form: dict[str, str] | None = None,
    result: GatewayResult | None = None,
    saved: dict[str, Any] | None = None,
    held: dict[str, Any] | None = None,
    denial: dict[str, Any] | None = None,
    error: AccordError | None = None,
    speak_error: AccordError | None = None,
    status: int = 200,
) -> Response:
    capability = governance.registry.get(tc.CAPABILITY_ID)
    zh = language_of(request) == "zh_Hans"
    if form is None:
        default = principal.user.default_purpose
        form = {
            "language": "en",
            "purpose": default if default in capability.purposes else "",
            "legal_basis": "",
            "case_ref": "",
            "speak_text": "",
            "speak_lang": "en",
            "speak_purpose": default if default in capability.purposes else "",
        }
    code = form.get("language") or "en"
    return render(
        request,
        "interpret/speech.html",
        {
            **common_context(request),
            "capability": capability,
            "purposes": sorted(capability.purposes),
            "legal_bases": sorted(capability.legal_bases),
            "stt_languages": [
                (c, language_name(c)["zh" if zh else "en"]) for c in speech.LANGUAGES
            ],
            "tts_languages": [(c, language_name(c)["zh" if zh else "en"]) for c in tts.VOICES],
            "max_seconds": int(speech.MAX_SECONDS),
            "suspension": governance.gateway.suspension(capability.id),
            "form": form,
            "result": result,
            "saved": saved,
            "held": held,
            "denial": denial,
            "error": error,
            "speak_error": speak_error,
            "interpreter_url": INTERPRETER_REQUEST.format(code=quote(code[:16])),
        },
        status_code=status,
    )


@router.get("/speech")
def speech_page(
    request: Request,
    principal: Principal = Depends(access),
    governance: Governance = Depends(_governance),
) -> Response:
    return _page(request, principal, governance)


@router.post("/speech/audio", openapi_extra=uploads.accepts_files())
async def speech_audio(
    request: Request,
    audio: UploadFile | None = File(None),
    language: str = Form("en"),
    purpose: str = Form(""),
    legal_basis: str = Form(""),
    case_ref: str = Form(""),
    principal: Principal = Depends(access),
    governance: Governance = Depends(_governance),
    session: Session = Depends(db_session),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    form = {
        "language": language,
        "purpose": purpose,
        "legal_basis": legal_basis,
        "case_ref": case_ref.strip(),
        "speak_text": "",
        "speak_lang": "en",
        "speak_purpose": purpose,
    }
    try:
        data = await audio.read() if audio is not None and audio.filename else b""
        if not data:
            raise ValidationFailed(detail=M_("audio: record or choose a WAV file"))
        if len(data) > settings.upload_max_bytes:
            raise ValidationFailed(detail=M_("audio: larger than %(upload_max_bytes)s bytes",
                                             upload_max_bytes=settings.upload_max_bytes))
        hold = False
        if form["case_ref"]:
            # Case files belong to another package: reached through the contract's object
            # kind, with the same access rule the case pages use.
            cases = object_kind("case")
            if cases is None or cases.add_statement is None:
                raise ValidationFailed(detail=M_("case_ref: case files are not installed here"))
            allowed = cases.can_access(session, caller_of(principal), form["case_ref"])
            if allowed is None:
                raise NotFound(N_("No case with reference %(reference)s."),
                               reference=form["case_ref"])
            if not allowed:
                raise PermissionDenied(CASE_HIDDEN)
            # The draft is not saved: the recording is held until the person or an
            # interpreter confirms the (corrected) text on the next step (/speech/confirm).
            hold = True
            # End this read transaction now: the gateway commits its decision from another
            # connection, and an SQLite reader whose snapshot predates that commit could not
            # read it afterwards (SQLITE_BUSY_SNAPSHOT).
            session.commit()

        # Decoding takes seconds (up to about a minute for two minutes of audio): run it in the
        # thread pool so this async route never blocks the event loop.
        call = await run_in_threadpool(
            tc.transcribe_call,
            governance.gateway,
            caller_of(principal),
            data,
            language=language,
            purpose=purpose,
            legal_basis=legal_basis,
            case_ref=form["case_ref"],
            hold=hold,
            state_dir=settings.state_dir,
        )
    except GatewayDenied as denied:
        return _page(
            request,
            principal,
            governance,
            form=form,
            denial=_denial(denied, language_of(request)),
            status=403,
        )
    except AccordError as failed:
        session.rollback()
        return _page(request, principal, governance, form=form, error=failed, status=failed.status)
    held = {"case_ref": form["case_ref"].upper()} if hold else None
    return _page(request, principal, governance, form=form, result=call.result, held=held)


@router.post("/speech/confirm")
def speech_confirm(
    request: Request,
    decision_id: str = Form(""),
    case_ref: str = Form(""),
    text: str = Form(""),
    confirmed_by: str = Form(""),
    principal: Principal = Depends(access),
    governance: Governance = Depends(_governance),
    session: Session = Depends(db_session),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    """Save the draft as confirmed with the person (or an interpreter) to the case."""
    reference = case_ref.strip()
    form = {"language": "en", "purpose": "", "legal_basis": "", "case_ref": reference,
            "speak_text": "", "speak_lang": "en", "speak_purpose": ""}
    try:
        cases = object_kind("case")
        if cases is None or cases.add_statement is None:
            raise ValidationFailed(detail=M_("case_ref: case files are not installed here"))
        allowed = cases.can_access(session, caller_of(principal), reference)
        if allowed is None:
            raise NotFound(N_("No case with reference %(reference)s."), reference=reference)
        if not allowed:
            raise PermissionDenied(CASE_HIDDEN)
        session.commit()
        add_statement = cases.add_statement

        def save(db: Session, confirmed: str, language: str, sha256: str) -> int:
            return add_statement(db, principal.user.id, reference, confirmed, language,
                                 "transcribed", sha256)

        statement_id = tc.confirm_transcript(
            caller_of(principal), decision_id, text=text, confirmed_by=confirmed_by,
            add_statement=save, state_dir=settings.state_dir)
    except AccordError as failed:
        session.rollback()
        return _page(request, principal, governance, form=form, error=failed,
                     status=failed.status)
    saved = {"case_ref": reference.upper(), "statement_id": statement_id,
             "confirmed_by": confirmed_by}
    return _page(request, principal, governance, form=form, saved=saved)


@router.post("/speech/speak")
def speech_speak(
    request: Request,
    speak_text: str = Form(""),
    speak_lang: str = Form("en"),
    engine: str = Form("auto"),
    speak_purpose: str = Form(""),
    principal: Principal = Depends(access),
    governance: Governance = Depends(_governance),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    """Read the text aloud through the governed gateway (``interpret.speak``, ledgered) for the
    purpose chosen (default: the user's default purpose); a refusal (suspended, wrong role or
    purpose) is shown with its reasons."""
    purpose = speak_purpose.strip() or principal.user.default_purpose
    form = {
        "language": "en",
        "purpose": "",
        "legal_basis": "",
        "case_ref": "",
        "speak_text": speak_text,
        "speak_lang": speak_lang,
        "speak_purpose": purpose,
    }
    try:
        if not speak_text.strip():
            raise ValidationFailed(detail=M_("speak_text: type the text to read aloud"))
        if len(speak_text) > tts.MAX_TEXT_CHARS:
            raise ValidationFailed(detail=M_("speak_text: at most %(max_text_chars)s characters",
                                             max_text_chars=tts.MAX_TEXT_CHARS))
        if engine not in ENGINES:
            raise ValidationFailed(detail=M_("engine: one of %(engines)s",
                                             engines=', '.join(ENGINES)))
        spoken = speak_call(
            governance.gateway,
            caller_of(principal),
            speak_text,
            language=speak_lang,
            engine=engine,
            purpose=purpose,
            legal_basis=SPEAK_LEGAL_BASIS,
            state_dir=settings.state_dir,
        )
    except GatewayDenied as denied:
        return _page(
            request,
            principal,
            governance,
            form=form,
            denial=_denial(denied, language_of(request)),
            status=403,
        )
    except AccordError as failed:
        return _page(
            request, principal, governance, form=form, speak_error=failed, status=failed.status
        )
    return Response(
        spoken.audio,
        media_type="audio/wav",
        headers={
            "Content-Disposition": f'inline; filename="speech-{speak_lang[:8]}.wav"',
            "X-Speech-Engine": spoken.engine,
            "X-Ledger-Seq": str(spoken.result.ledger_seq),
            "Cache-Control": "no-store",
        },
    )
