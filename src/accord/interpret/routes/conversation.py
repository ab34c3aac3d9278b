"""The two-screen conversation: the officer's page and the person's tablet (kiosk mode).

Two routers, one access rule each:

* ``router`` (``/interpret/conversations``) — officers, interpreters and supervisors: start a
  conversation from a case or an interview report they may open (a short join code is shown
  once), see what the person said as the top phrasebook entries in Chinese with similarity (or
  "no close match — ask again or request an interpreter"), type or pick Chinese to show on the
  tablet, end the conversation.
* ``tablet_router`` (``/conversation``) — no log-in: the join page takes the code and puts the
  browser in kiosk mode (cookie :data:`accord.web.deps.KIOSK_COOKIE`); from then on every
  request is resolved through the tablet's token to its one conversation, the signed-in
  application refuses the browser, and only the officer's PIN releases it.

Both screens update live from server-sent event streams that read the database's event table
(several app processes serve one conversation; ``Last-Event-ID`` or ``after`` resumes;
``once=1`` answers the catch-up and ends, for tests). On each event a screen re-reads its panel
(HTML rendered here, escaped by Jinja); forms post and redirect back (post/redirect/get), so the
pages also work without the script.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import AsyncIterator
from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.config import Settings
from accord.core.db import Database
from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.service import GatewayDenied
from accord.core.governance import get_governance
from accord.core.i18n import M_, N_
from accord.core.needs import STATED_NEEDS
from accord.core.roles import Role
from accord.interpret import phrase_service, tts
from accord.interpret.conversation import (
    CODE_MINUTES,
    AlreadyStarted,
    ConversationService,
    ConversationView,
    Started,
    TooManyAttempts,
)
from accord.interpret.kiosk_texts import CLOSE_ENDONYMS, TEXTS, texts_for
from accord.interpret.phrasebook import ENDONYMS, LANGUAGES, RTL, get_phrasebook
from accord.interpret.routes.interviews import NO_LISTEN
from accord.web import uploads
from accord.web.deps import (
    KIOSK_COOKIE,
    Principal,
    db_session,
    get_database,
    get_settings_dep,
    request_language,
    require_roles,
)
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import render

access = require_roles(Role.OFFICER, Role.INTERPRETER, Role.SUPERVISOR)
router = APIRouter(prefix="/interpret/conversations", include_in_schema=False,
                   dependencies=[Depends(access)])
tablet_router = APIRouter(prefix="/conversation", include_in_schema=False)

JOIN_CSRF_COOKIE = "accord_conversation_csrf"
POLL_SECONDS = 0.4
AUDIO_MAX_BYTES = 4_000_000  # two minutes of 16 kHz mono WAV, as the recorder makes it
KEEPALIVE_SECONDS = 15.0
STATUS_WORDS = {
    "offered": N_("waiting for a choice"), "confirmed": N_("phrase confirmed by the person"),
    "none": N_("the person said none of these"), "no-match": N_("no close match"),
    "withdrawn": N_("replaced by a new attempt"),
    "sent": N_("phrase chosen by the officer, shown to the person"),
}
CONVERSATION_STATUS = {"waiting": N_("waiting for the tablet"), "joined": N_("tablet joined"),
                       "ended": N_("ended")}


def _service(database: Database, settings: Settings) -> ConversationService:
    governance = get_governance()
    return ConversationService(database, settings.resolved_secret_key(),
                               gateway=governance.gateway, ledger=governance.ledger)


def service_dep(database: Database = Depends(get_database),
                settings: Settings = Depends(get_settings_dep)) -> ConversationService:
    return _service(database, settings)


@cache
def listen_languages() -> frozenset[str]:
    """Languages whose entries can be read aloud on the tablet (a voice exists, and it does
    not read kanji as "Chinese letter")."""
    return frozenset(lang for lang in tts.VOICES if lang not in NO_LISTEN)


def _frame(event: dict[str, Any]) -> str:
    import json

    return f"id: {event['id']}\nevent: conversation\ndata: {json.dumps(event)}\n\n"


def _stream(request: Request, after: int, once: bool,
            read: Any) -> StreamingResponse:
    """Server-sent events from the conversation's event log. ``read(last)`` returns the events
    after ``last`` or None when the stream must end (the tablet left). Polls the table: no
    state in this process, so any process can serve either screen."""
    header = request.headers.get("last-event-id", "")
    last = int(header) if header.isdigit() else max(0, after)

    async def stream() -> AsyncIterator[str]:
        nonlocal last
        yield "retry: 2000\n\n"
        idle = 0.0
        while True:
            events = await run_in_threadpool(read, last)
            if events is None:
                return
            for event in events:
                last = event["id"]
                yield _frame(event)
            if once or await request.is_disconnected():
                return
            if events:
                idle = 0.0
                continue
            await asyncio.sleep(POLL_SECONDS)
            idle += POLL_SECONDS
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- officer's screen ----------------------------------------------------------------------------
def _officer_sentences() -> list[tuple[str, list[Any]]]:
    """The officer's own sentences, by situation, for picking without typing."""
    book = get_phrasebook()
    groups: dict[str, list[Any]] = {}
    for entry in book.entries:
        if entry.speaker == "officer":
            groups.setdefault(entry.situation, []).append(entry)
    return [(book.titles[s]["zh"], entries) for s, entries in groups.items()]


def _officer_context(request: Request, view: ConversationView) -> dict[str, Any]:
    return {
        **common_context(request), "conv": view, "endonyms": ENDONYMS,
        "status_words": STATUS_WORDS, "conversation_status": CONVERSATION_STATUS,
        "person_rtl": view.language in RTL,
    }


def _officer_page(request: Request, principal: Principal, service: ConversationService,
                  reference: str, *, started: Started | None = None,
                  error: AccordError | None = None, status: int = 200) -> Response:
    view = service.view_for_officer(caller_of(principal), reference)
    return render(request, "interpret/conversation/officer.html", {
        **_officer_context(request, view), "started": started, "error": error,
        "needs_guidance": service.needs_guidance(
            caller_of(principal), view, "zh" if language_of(request).startswith("zh") else "en"),
        "need_labels": STATED_NEEDS,
        "officer_sentences": _officer_sentences(), "code_minutes": CODE_MINUTES,
        "join_url": str(request.base_url).rstrip("/") + "/conversation",
    }, status_code=status)


def _index(request: Request, principal: Principal, service: ConversationService, *,
           form: dict[str, str] | None = None, error: AccordError | None = None,
           status: int = 200) -> Response:
    capability = get_governance().registry.get(phrase_service.CAPABILITY_ID)
    if form is None:
        default = principal.user.default_purpose
        form = {"case_ref": request.query_params.get("case", "")[:32],
                "report_ref": request.query_params.get("report", "")[:24],
                "purpose": default if default in capability.purposes else "",
                "legal_basis": ""}
    return render(request, "interpret/conversation/index.html", {
        **common_context(request), "capability": capability,
        "purposes": sorted(capability.purposes), "legal_bases": sorted(capability.legal_bases),
        "form": form, "error": error, "mine": service.mine(caller_of(principal)),
        # One key per rendered form: sent twice, it starts one conversation.
        "start_key": secrets.token_urlsafe(24),
        "conversation_status": CONVERSATION_STATUS,
    }, status_code=status)


@router.get("")
def conversations_index(request: Request, principal: Principal = Depends(access),
                        service: ConversationService = Depends(service_dep)) -> Response:
    return _index(request, principal, service)


@router.post("")
def conversations_start(request: Request, case_ref: str = Form(""), report_ref: str = Form(""),
                        purpose: str = Form(""), legal_basis: str = Form(""),
                        pin: str = Form(""), start_key: str = Form(""),
                        principal: Principal = Depends(access),
                        service: ConversationService = Depends(service_dep)) -> Response:
    form = {"case_ref": case_ref[:32], "report_ref": report_ref[:24], "purpose": purpose,
            "legal_basis": legal_basis}
    try:
        started = service.start(caller_of(principal), case_ref=case_ref, report_ref=report_ref,
                                purpose=purpose, legal_basis=legal_basis, pin=pin,
                                start_key=start_key)
    except AlreadyStarted as earlier:  # the form sent again after a tablet joined
        return RedirectResponse(f"/interpret/conversations/{earlier.reference}",
                                status_code=303)
    except AccordError as failed:
        return _index(request, principal, service, form=form, error=failed,
                      status=failed.status)
    # The code is shown on this one response (only its digest is stored): no redirect.
    response = _officer_page(request, principal, service, started.reference, started=started,
                             status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{reference}")
def conversation_page(request: Request, reference: str, principal: Principal = Depends(access),
                      service: ConversationService = Depends(service_dep)) -> Response:
    return _officer_page(request, principal, service, reference)


@router.post("/{reference}/code")
def conversation_new_code(request: Request, reference: str,
                          principal: Principal = Depends(access),
                          service: ConversationService = Depends(service_dep)) -> Response:
    try:
        started = service.new_code(caller_of(principal), reference)
    except NotFound:
        raise
    except AccordError as failed:
        return _officer_page(request, principal, service, reference, error=failed,
                             status=failed.status)
    response = _officer_page(request, principal, service, reference, started=started)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{reference}/panel")
def conversation_panel(request: Request, reference: str, principal: Principal = Depends(access),
                       service: ConversationService = Depends(service_dep)) -> Response:
    view = service.view_for_officer(caller_of(principal), reference)
    return render(request, "interpret/conversation/_officer_panel.html",
                  _officer_context(request, view), headers={"Cache-Control": "no-store"})


@router.get("/{reference}/events")
async def conversation_events(request: Request, reference: str, after: int = 0,
                              once: bool = False, principal: Principal = Depends(access),
                              service: ConversationService = Depends(service_dep),
                              session: Session = Depends(db_session)) -> Response:
    """The officer's live stream (``once=1``: the catch-up only)."""
    # The request's own session would keep a pooled connection for the stream's lifetime.
    session.close()
    caller = caller_of(principal)
    await run_in_threadpool(service.conversation_id_for_officer, caller, reference)  # 404

    def read(last: int) -> list[dict[str, Any]]:
        return service.events_for_officer(caller, reference, last)

    return _stream(request, after, once, read)


def _after_action(reference: str) -> Response:
    return RedirectResponse(f"/interpret/conversations/{reference}", status_code=303)


@router.post("/{reference}/say")
def conversation_say(request: Request, reference: str, text: str = Form(""),
                     principal: Principal = Depends(access),
                     service: ConversationService = Depends(service_dep)) -> Response:
    try:
        service.officer_say(caller_of(principal), reference, text)
    except NotFound:
        raise
    except AccordError as failed:
        return _officer_page(request, principal, service, reference, error=failed,
                             status=failed.status)
    return _after_action(reference)


@router.post("/{reference}/send")
def conversation_send(request: Request, reference: str, entry_id: str = Form(""),
                      turn_id: str = Form(""), principal: Principal = Depends(access),
                      service: ConversationService = Depends(service_dep)) -> Response:
    try:
        service.officer_send(caller_of(principal), reference, entry_id.strip()[:80],
                             int(turn_id) if turn_id.isdigit() else None)
    except NotFound:
        raise
    except AccordError as failed:
        return _officer_page(request, principal, service, reference, error=failed,
                             status=failed.status)
    return _after_action(reference)


@router.post("/{reference}/end")
def conversation_end(reference: str, principal: Principal = Depends(access),
                     service: ConversationService = Depends(service_dep)) -> Response:
    service.end(caller_of(principal), reference)
    return _after_action(reference)


# -- the person's tablet -------------------------------------------------------------------------
def _tablet_language(request: Request) -> None:
    """The officer-facing bits of the tablet (join, PIN) follow the browser's zh/en."""
    request.state.principal = None
    request.state.language = request_language(request, None)


def _token(request: Request) -> str:
    return request.cookies.get(KIOSK_COOKIE, "")[:64]


def _check_tablet_csrf(service: ConversationService, token: str, sent: str) -> None:
    if not token or not hmac.compare_digest(sent.encode(), service.tablet_csrf(token).encode()):
        raise PermissionDenied(N_("The form has expired or did not come from Accord. Reload "
                                  "the page and try again."))


def _suggested(request: Request) -> str:
    """The browser's language as a suggestion on the chooser; the person's tap decides."""
    accept = request.headers.get("accept-language", "")
    for part in accept.split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LANGUAGES:
            return code
    return ""


def _tablet_context(service: ConversationService, token: str,
                    view: ConversationView) -> dict[str, Any]:
    lang = view.language or "en"
    return {"conv": view, "lang": lang, "rtl": lang in RTL, "t": texts_for(lang),
            "tablet_csrf": service.tablet_csrf(token), "endonyms": ENDONYMS,
            "languages": LANGUAGES, "can_listen": lang in listen_languages(),
            "choose_all": TEXTS["choose_language"]}


def _leave_kiosk(response: Response, settings: Settings) -> Response:
    response.delete_cookie(KIOSK_COOKIE, path="/", secure=settings.secure_cookies,
                           httponly=True, samesite="strict")
    return response


def _join_page(request: Request, settings: Settings, *, error: AccordError | None = None,
               status: int = 200, headers: dict[str, str] | None = None) -> Response:
    _tablet_language(request)
    csrf = request.cookies.get(JOIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "interpret/conversation/join.html", {
        "error": error, "join_csrf": csrf, "endonyms": ENDONYMS,
    }, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(JOIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/conversation")
    return response


@tablet_router.get("")
def tablet_join_page(request: Request, settings: Settings = Depends(get_settings_dep)
                     ) -> Response:
    if _token(request):
        return RedirectResponse("/conversation/tablet", status_code=303)
    return _join_page(request, settings)


@tablet_router.post("/join")
def tablet_join(request: Request, code: str = Form(""), csrf_token: str = Form(""),
                settings: Settings = Depends(get_settings_dep),
                service: ConversationService = Depends(service_dep)) -> Response:
    if _token(request):
        try:  # a tablet already in a conversation stays in it: only the PIN releases it
            service.tablet_view(_token(request))
            return RedirectResponse("/conversation/tablet", status_code=303)
        except NotFound:
            pass
    cookie = request.cookies.get(JOIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return _join_page(request, settings, error=PermissionDenied(N_(
            "The form has expired or did not come from Accord. Reload the page and try "
            "again.")), status=403)
    address = request.client.host if request.client else "unknown"
    try:
        token = service.join(code[:32], service.client_digest(address))
    except TooManyAttempts as failed:
        return _join_page(request, settings, error=failed, status=429,
                          headers={"Retry-After": str(failed.retry_after)})
    except AccordError as failed:
        return _join_page(request, settings, error=failed, status=failed.status)
    response = RedirectResponse("/conversation/tablet", status_code=303)
    response.set_cookie(KIOSK_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/")
    return response


def _tablet_or_join(request: Request, service: ConversationService,
                    settings: Settings) -> tuple[str, ConversationView] | Response:
    """The tablet's conversation, or a redirect to the join page (clearing a stale cookie)."""
    token = _token(request)
    try:
        return token, service.tablet_view(token)
    except NotFound:
        return _leave_kiosk(RedirectResponse("/conversation", status_code=303), settings)


@tablet_router.get("/tablet")
def tablet_page(request: Request, settings: Settings = Depends(get_settings_dep),
                service: ConversationService = Depends(service_dep)) -> Response:
    found = _tablet_or_join(request, service, settings)
    if isinstance(found, Response):
        return found
    token, view = found
    _tablet_language(request)
    template = ("interpret/conversation/tablet.html" if view.language
                else "interpret/conversation/choose_language.html")
    return render(request, template, {
        **_tablet_context(service, token, view), "suggested": _suggested(request),
        "error": request.query_params.get("error", "")[:32],
        "switch": _switch_suggestion(request, view.language),
    }, headers={"Cache-Control": "no-store"})


def _switch_suggestion(request: Request, chosen: str) -> dict[str, Any] | None:
    """The language-ID suggestion named in the query (after the person typed), in the chosen
    language and in the suggested one; anything but a phrasebook language other than the
    chosen one shows nothing."""
    suggested = request.query_params.get("suggest", "")
    if not chosen or suggested not in LANGUAGES or suggested == chosen:
        return None
    also = [CLOSE_ENDONYMS[c] for c in request.query_params.get("also", "")[:40].split(",")
            if c in CLOSE_ENDONYMS]
    lines = []
    for lang in (chosen, suggested):
        t = texts_for(lang)
        lines.append({"lang": lang, "rtl": lang in RTL,
                      "text": t["looks_like"].format(name=ENDONYMS[suggested]),
                      "also": t["may_also_be"].format(names=", ".join(also)) if also else ""})
    return {"language": suggested, "endonym": ENDONYMS[suggested],
            "chosen_endonym": ENDONYMS[chosen], "lines": lines}


@tablet_router.get("/tablet/panel")
def tablet_panel(request: Request, settings: Settings = Depends(get_settings_dep),
                 service: ConversationService = Depends(service_dep)) -> Response:
    found = _tablet_or_join(request, service, settings)
    if isinstance(found, Response):
        return found
    token, view = found
    _tablet_language(request)
    return render(request, "interpret/conversation/_tablet_panel.html",
                  _tablet_context(service, token, view), headers={"Cache-Control": "no-store"})


@tablet_router.get("/tablet/events")
async def tablet_events(request: Request, after: int = 0, once: bool = False,
                        service: ConversationService = Depends(service_dep)) -> Response:
    """The tablet's live stream: only its own conversation's events (ends when it leaves)."""
    token = _token(request)
    if await run_in_threadpool(service.events_for_tablet, token, 0, 1) is None:
        return Response("not in a conversation\n", status_code=404, media_type="text/plain")

    def read(last: int) -> list[dict[str, Any]] | None:
        return service.events_for_tablet(token, last)

    return _stream(request, after, once, read)


def _back(error: str = "") -> Response:
    return RedirectResponse("/conversation/tablet" + (f"?error={error}" if error else ""),
                            status_code=303)


def _tablet_action(request: Request, csrf_token: str, service: ConversationService,
                   settings: Settings) -> str | Response:
    token = _token(request)
    try:
        service.tablet_view(token)
    except NotFound:
        return _leave_kiosk(RedirectResponse("/conversation", status_code=303), settings)
    _check_tablet_csrf(service, token, csrf_token)
    return token


@tablet_router.post("/tablet/language")
def tablet_language(request: Request, language: str = Form(""), csrf_token: str = Form(""),
                    settings: Settings = Depends(get_settings_dep),
                    service: ConversationService = Depends(service_dep)) -> Response:
    token = _tablet_action(request, csrf_token, service, settings)
    if isinstance(token, Response):
        return token
    service.choose_language(token, language)
    return _back()


@tablet_router.post("/tablet/say")
def tablet_say(request: Request, text: str = Form(""), csrf_token: str = Form(""),
               settings: Settings = Depends(get_settings_dep),
               service: ConversationService = Depends(service_dep)) -> Response:
    token = _tablet_action(request, csrf_token, service, settings)
    if isinstance(token, Response):
        return token
    try:
        service.person_say(token, text)
    except GatewayDenied:
        return _back("refused")  # the officer's screen shows the gateway's reasons on retry
    except AccordError as failed:
        if failed.status == 422:
            return _back("empty")
        raise
    suggestion = service.suggest_language(token, text)
    if suggestion is None:
        return _back()
    # Only a question on the person's own screen (the langid call itself is ledgered): the
    # page shows it once, and only a tap on a language name changes anything.
    query = f"suggest={suggestion.language}"
    if suggestion.also:
        query += "&also=" + ",".join(suggestion.also)
    return RedirectResponse(f"/conversation/tablet?{query}", status_code=303)


@tablet_router.post("/tablet/confirm")
def tablet_confirm(request: Request, turn_id: str = Form(""), entry_id: str = Form(""),
                   csrf_token: str = Form(""), settings: Settings = Depends(get_settings_dep),
                   service: ConversationService = Depends(service_dep)) -> Response:
    token = _tablet_action(request, csrf_token, service, settings)
    if isinstance(token, Response):
        return token
    if not turn_id.isdigit():
        raise NotFound(N_("No such turn in this conversation."))
    service.person_confirm(token, int(turn_id), entry_id.strip()[:80])
    return _back()


@tablet_router.post("/tablet/none")
def tablet_none(request: Request, turn_id: str = Form(""), csrf_token: str = Form(""),
                settings: Settings = Depends(get_settings_dep),
                service: ConversationService = Depends(service_dep)) -> Response:
    token = _tablet_action(request, csrf_token, service, settings)
    if isinstance(token, Response):
        return token
    if not turn_id.isdigit():
        raise NotFound(N_("No such turn in this conversation."))
    service.person_none(token, int(turn_id))
    return _back()


@tablet_router.get("/tablet/audio")
def tablet_audio(request: Request, turn: int = 0,
                 service: ConversationService = Depends(service_dep)) -> Response:
    """What the officer showed, read aloud in the person's language through the gateway
    (``interpret.speak`` on the officer's account; ledgered; the audio is not kept)."""
    from accord.interpret.speak_capability import speak_call

    token = _token(request)
    found = service.turn_for_tablet(token, turn)  # 404 outside this tablet's conversation
    if found.direction != "officer" or found.status != "sent" or \
            found.language not in listen_languages():
        raise NotFound(N_("Nothing to read aloud here."))
    officer, view = service.officer_of_tablet(token)
    spoken = speak_call(get_governance().gateway, officer, found.text_person,
                        language=found.language, purpose=view.purpose,
                        legal_basis=view.legal_basis, case_ref=view.case_ref)
    return Response(spoken.audio, media_type="audio/wav", headers={"Cache-Control": "no-store"})


@tablet_router.post("/tablet/audio", openapi_extra=uploads.accepts_files(AUDIO_MAX_BYTES))
async def tablet_speech(request: Request, audio: UploadFile | None = File(None),
                        csrf_token: str = Form(""),
                        settings: Settings = Depends(get_settings_dep),
                        service: ConversationService = Depends(service_dep)) -> Response:
    """The person spoke: a draft transcript (``interpret.transcribe`` through the gateway, on
    the officer's account; the audio is deleted after the call) is put into the text box for
    the person to check and correct before sending. Nothing is matched or stored from it."""
    from accord.interpret import transcribe_capability as tc

    token = await run_in_threadpool(_tablet_action, request, csrf_token, service, settings)
    if isinstance(token, Response):
        return token
    data = await audio.read(AUDIO_MAX_BYTES + 1) if audio is not None else b""
    officer, view = await run_in_threadpool(service.officer_of_tablet, token)
    draft, failed = "", ""
    try:
        if not view.language:
            raise ValidationFailed(detail=M_("language: choose your language first"))
        call = await run_in_threadpool(
            tc.transcribe_call, get_governance().gateway, officer, data,
            language=view.language, purpose=view.purpose, legal_basis=view.legal_basis,
            case_ref=view.case_ref, state_dir=settings.state_dir)
        draft = str(call.result.output.get("transcript", ""))[:500]
    except AccordError:
        failed = "not_heard"
    found = await run_in_threadpool(_tablet_or_join, request, service, settings)
    if isinstance(found, Response):
        return found
    token, view = found
    _tablet_language(request)
    return render(request, "interpret/conversation/tablet.html", {
        **_tablet_context(service, token, view), "suggested": "", "error": failed,
        "draft": draft}, status_code=422 if failed else 200,
        headers={"Cache-Control": "no-store"})


@tablet_router.post("/tablet/leave")
def tablet_leave(request: Request, pin: str = Form(""), csrf_token: str = Form(""),
                 settings: Settings = Depends(get_settings_dep),
                 service: ConversationService = Depends(service_dep)) -> Response:
    """The officer's PIN ends kiosk mode on this browser (and the conversation)."""
    token = _tablet_action(request, csrf_token, service, settings)
    if isinstance(token, Response):
        return token
    try:
        service.leave(token, pin)
    except TooManyAttempts as failed:
        return _leave_refused(request, service, token, failed, 429,
                              {"Retry-After": str(failed.retry_after)})
    except AccordError as failed:
        return _leave_refused(request, service, token, failed, failed.status, None)
    return _leave_kiosk(RedirectResponse("/", status_code=303), settings)


def _leave_refused(request: Request, service: ConversationService, token: str,
                   error: AccordError, status: int, headers: dict[str, str] | None) -> Response:
    view = service.tablet_view(token)
    _tablet_language(request)
    template = ("interpret/conversation/tablet.html" if view.language
                else "interpret/conversation/choose_language.html")
    return render(request, template, {
        **_tablet_context(service, token, view), "suggested": "", "error": "",
        "pin_error": error}, status_code=status, headers=headers)
