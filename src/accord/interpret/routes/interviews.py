"""Guided interviews and notices: the public self-service pages and the officers' pages.

Two routers, one access rule each:

* ``public_router`` — no log-in. A visitor picks one of the content languages, reads notices
  (printable, and read aloud by espeak-ng) and files a guided report (e.g. a lost passport);
  the station receives it as a draft in Chinese. POST forms are protected by a double-submit
  CSRF cookie (as the log-in form is), submissions are rate-limited per client address and
  every field is validated and size-limited. Every text on these pages comes from the content
  files in the visitor's language, not from the zh/en gettext catalogs.
* ``router`` — officers, supervisors and interpreters: the list of submitted reports shown in
  Chinese, one report's Chinese summary, and a guided interview run on the officer's tablet
  (the person answers in their language; the officer sees the Chinese summary after submit).

No AI model is involved: answers are structured, so choices map to Chinese labels and dates,
times and numbers are language-neutral. Free text is kept verbatim and flagged for an
interpreter. The read-aloud audio is espeak-ng, a rule-based synthesiser, run through the
governed gateway (``interpret.speak``) when staff prepare it (``accord speak-notices``); the
public pages only serve the prepared files and run no model for an anonymous visitor.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi import Form as FormField
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from accord.config import Settings
from accord.core.db import Database
from accord.core.errors import AccordError, NotFound
from accord.core.i18n import N_, set_language, translate
from accord.core.roles import Role
from accord.interpret.answers import countries, validate_answers
from accord.interpret.library import LANGUAGES, Form, Library, get_library, pick_language
from accord.interpret.notice_pdf import notice_language, notice_pdf
from accord.interpret.reports import SUBMIT_TOKEN, ReportService, TooManyReports, client_digest
from accord.interpret.speak_capability import NOTICE_CACHE_DIR, prepared_notice_audio
from accord.interpret.tts import QUALITY_NOTES, UnsupportedSpeechLanguage
from accord.web.deps import Principal, get_database, get_settings_dep, require_roles
from accord.web.routes.governance import caller_of
from accord.web.templating import render

PUBLIC_CSRF_COOKIE = "accord_public_csrf"
MAX_FORM_FIELDS = 120  # far more than any form has; more is not a browser
CHANNEL_WORDS = {"public": N_("Public self-service"), "officer": N_("Officer's tablet")}
STATUS_WORDS = {"draft": N_("draft"), "case-opened": N_("case opened")}
TRANSLATION_STATUS_WORDS = {"maintainer-draft": N_("maintainer draft"),
                            "machine-draft": N_("machine draft"), "verified": N_("verified")}
#: The order officers see the case types in; forms not listed follow, by id.
FORM_ORDER = ("lost-passport", "theft-fraud", "traffic-accident", "dispute",
              "accommodation-registration", "detention")

# Validate every content file now: broken content stops the app at start, with the file and
# field named, instead of showing a half-translated form to someone who cannot tell.
get_library()

public_router = APIRouter(prefix="/public", include_in_schema=False)

access = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.INTERPRETER)
router = APIRouter(prefix="/interviews", include_in_schema=False,
                   dependencies=[Depends(access)])


def _service(database: Database) -> ReportService:
    return ReportService(database, get_library())


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- public pages ---------------------------------------------------------------------------------
def _public_context(library: Library, lang: str) -> dict[str, Any]:
    return {
        "lib": library, "lang": lang, "L": LANGUAGES[lang],
        "content_languages": list(LANGUAGES.values()),
        "t": lambda key, **params: library.text(key, lang, **params),
    }


def _public_page(request: Request, template: str, library: Library, lang: str,
                 context: dict[str, Any] | None = None, *, status: int = 200,
                 headers: dict[str, str] | None = None) -> Response:
    values = _public_context(library, lang)
    values.update(context or {})
    response = render(request, template, values, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(request: Request, library: Library, lang: str, key: str, status: int,
             headers: dict[str, str] | None = None, **params: Any) -> Response:
    return _public_page(request, "public/report_message.html", library, lang,
                        {"message": library.text(key, lang, **params), "status": status},
                        status=status, headers=headers)


def _form_page(request: Request, settings: Settings, library: Library, form: Form, lang: str,
               *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               status: int = 200) -> Response:
    token = request.cookies.get(PUBLIC_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = _public_page(request, "public/report_form.html", library, lang, {
        "form": form, "values": values or {}, "errors": errors or {}, "form_csrf": token,
        "submit_token": _submit_token(values),
        "countries": countries(lang), "today": date.today().isoformat(), "show_zh": False,
        "action": f"/public/report/{form.id}",
    }, status=status)
    response.set_cookie(PUBLIC_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/public")
    return response


@public_router.get("/report")
def public_report_start(request: Request, lang: str = "") -> Response:
    """Pick a language (every language names itself), then the kind of report."""
    library = get_library()
    chosen = pick_language(lang) if lang else None
    if chosen is None:
        suggested = pick_language(None, request.headers.get("accept-language", "")) or "en"
        return _public_page(request, "public/report.html", library, suggested,
                            {"picking": True})
    return _public_page(request, "public/report.html", library, chosen,
                        {"picking": False, "forms": _ordered(library.public_forms())})


@public_router.get("/report/{form_id}")
def public_report_form(request: Request, form_id: str, lang: str = "",
                       settings: Settings = Depends(get_settings_dep)) -> Response:
    library = get_library()
    chosen = pick_language(lang)
    if chosen is None:
        return RedirectResponse("/public/report", status_code=303)
    form = library.form(form_id)
    if form is None or not form.public:
        return _message(request, library, chosen, "not_found", 404)
    return _form_page(request, settings, library, form, chosen)


def _as_strings(data: FormData) -> dict[str, str]:
    return {key: value for key, value in data.items() if isinstance(value, str)}


def _submit_token(values: dict[str, str] | None) -> str:
    """The form page's one-time token: kept when the page comes back with errors (it is still
    the same report), new for a fresh page."""
    sent = (values or {}).get("submit_token", "")
    return sent if SUBMIT_TOKEN.fullmatch(sent) else secrets.token_urlsafe(32)


def _received_url(reference: str, lang: str) -> str:
    return f"/public/report/received/{reference}?lang={lang}"


@public_router.post("/report/{form_id}")
async def public_report_submit(request: Request, form_id: str,
                               settings: Settings = Depends(get_settings_dep),
                               database: Database = Depends(get_database)) -> Response:
    library = get_library()
    data = _as_strings(await request.form(max_fields=MAX_FORM_FIELDS, max_files=0))
    lang = pick_language(data.get("lang", "")) or "en"
    form = library.form(form_id)
    if form is None or not form.public:
        return _message(request, library, lang, "not_found", 404)
    cookie = request.cookies.get(PUBLIC_CSRF_COOKIE, "")
    sent = data.get("csrf_token", "")
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        return _message(request, library, lang, "form_expired", 403)
    # The page's one-time token makes a double submit or a refreshed POST file one report. A
    # POST without one (a page cached before tokens existed) still files its report, once per
    # POST; a malformed one did not come from our page.
    token = data.get("submit_token", "")
    if token and not SUBMIT_TOKEN.fullmatch(token):
        return _message(request, library, lang, "form_expired", 403)
    service = _service(database)
    already = await run_in_threadpool(service.by_token, token)
    if already is not None:
        return RedirectResponse(_received_url(already.reference, lang), status_code=303)
    digest = client_digest(settings.resolved_secret_key(), _client_address(request))
    wait = await run_in_threadpool(service.retry_after, digest)
    if wait:
        return _rate_limited(request, library, lang, wait)
    validated = validate_answers(form, data)
    if not validated.ok:
        errors = {qid: e.message(library, lang) for qid, e in validated.errors.items()}
        return _form_page(request, settings, library, form, lang, values=data, errors=errors,
                          status=422)
    try:
        stored = await run_in_threadpool(lambda: service.submit(
            form, lang, validated.values, channel="public", client=digest, token=token))
    except TooManyReports as error:
        return _rate_limited(request, library, lang, error.retry_after)
    # Post/redirect/get: refreshing the confirmation reloads it, it does not send again.
    return RedirectResponse(_received_url(stored.reference, lang), status_code=303)


@public_router.get("/report/received/{reference}")
def public_report_received(request: Request, reference: str, lang: str = "",
                           database: Database = Depends(get_database)) -> Response:
    """The confirmation with the reference. The reference is unguessable (~49 bits), and the
    page shows only it and the kind of report, nothing the person wrote."""
    library = get_library()
    chosen = pick_language(lang, request.headers.get("accept-language", "")) or "en"
    try:
        report = _service(database).get(reference)
    except NotFound:
        return _message(request, library, chosen, "not_found", 404)
    form = library.form(report.form_id)
    if report.channel != "public" or form is None:
        return _message(request, library, chosen, "not_found", 404)
    return _public_page(request, "public/report_received.html", library, chosen,
                        {"form": form, "reference": report.reference})


def _rate_limited(request: Request, library: Library, lang: str, wait: int) -> Response:
    return _message(request, library, lang, "rate_limited", 429,
                    headers={"Retry-After": str(wait)}, minutes=max(1, (wait + 59) // 60))


@public_router.get("/notices")
def public_notices(request: Request, lang: str = "") -> Response:
    library = get_library()
    chosen = pick_language(lang) or pick_language(
        None, request.headers.get("accept-language", "")) or "en"
    return _public_page(request, "public/notices.html", library, chosen,
                        {"notices": list(library.notices.values())})


@public_router.get("/notices/{notice_id}.pdf")
def public_notice_pdf(notice_id: str, lang: str = "") -> Response:
    """Chinese + ``lang`` as a printable PDF; each text's status in every page's footer.
    Declared before ``/notices/{notice_id}``, which would otherwise match ``….pdf``."""
    data = notice_pdf(notice_id, lang)
    return Response(data, media_type="application/pdf", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="notice-{notice_id}-{notice_language(lang)}.pdf"',
    })


#: Languages whose read-aloud is not offered: espeak-ng's Japanese voice reads kanji as
#: "Chinese letter", which is worse than no audio (native review).
NO_LISTEN = frozenset({"ja"})


def _notice_audio(settings: Settings, text: str, lang: str) -> bytes | None:
    if lang in NO_LISTEN:
        return None
    return prepared_notice_audio(settings.state_dir / NOTICE_CACHE_DIR, text, lang)


@public_router.get("/notices/{notice_id}")
def public_notice(request: Request, notice_id: str, lang: str = "",
                  settings: Settings = Depends(get_settings_dep)) -> Response:
    library = get_library()
    chosen = pick_language(lang) or pick_language(
        None, request.headers.get("accept-language", "")) or "en"
    notice = library.notice(notice_id)
    if notice is None:
        return _message(request, library, chosen, "not_found", 404)
    verified = notice.verified(chosen)
    translators = sorted({(t.get(chosen).translator, t.get(chosen).date)
                          for t in notice.texts()}) if verified else []
    return _public_page(request, "public/notices_show.html", library, chosen, {
        "notice": notice, "verified": verified, "translators": translators,
        "zh_verified": notice.verified("zh"),
        "zh_warning": library.text("draft_warning", "zh"),
        "audio_ready": _notice_audio(settings, notice.speech(chosen), chosen) is not None,
    })


@public_router.get("/notices/{notice_id}/audio")
def public_notice_audio(notice_id: str, lang: str = "",
                        settings: Settings = Depends(get_settings_dep)) -> Response:
    """The notice read aloud, as prepared through the gateway by staff (``accord
    speak-notices``); 404 until it has been prepared. No model runs here."""
    if lang not in LANGUAGES:
        raise UnsupportedSpeechLanguage(language=lang[:16] or "—",
                                        supported=", ".join(LANGUAGES))
    notice = get_library().notice(notice_id)
    if notice is None:
        raise NotFound()
    audio = _notice_audio(settings, notice.speech(lang), lang)
    if audio is None:
        raise NotFound()
    return Response(audio, media_type="audio/wav", headers={
        "Cache-Control": "public, max-age=3600",
        "Content-Disposition": f'inline; filename="{notice.id}-{lang}.wav"',
    })


# -- officers' pages ------------------------------------------------------------------------------
def _ordered(forms: Any) -> list[Form]:
    rank = {form_id: index for index, form_id in enumerate(FORM_ORDER)}
    return sorted(forms, key=lambda form: (rank.get(form.id, len(rank)), form.id))


def _officer_context(library: Library) -> dict[str, Any]:
    return {"lib": library, "content_languages": list(LANGUAGES.values()),
            "lib_languages": LANGUAGES,
            "channel_words": CHANNEL_WORDS, "status_words": STATUS_WORDS,
            "translation_status_words": TRANSLATION_STATUS_WORDS,
            "quality_notes": QUALITY_NOTES}


@router.get("")
def interviews_index(request: Request) -> Response:
    library = get_library()
    return render(request, "interpret/interviews/index.html", {
        **_officer_context(library), "forms": _ordered(library.forms.values()),
        "notices": list(library.notices.values())})


@router.post("/detect-language")
def detect_language(request: Request, text: str = FormField(""),
                    principal: Principal = Depends(access)) -> Response:
    """Suggest the person's language from a sentence they typed (a governed gateway call)."""
    from accord.core.gateway.service import GatewayDenied, GatewayRequest
    from accord.core.governance import get_governance
    from accord.web.routes.governance import caller_of, language_of

    context: dict[str, Any] = {"result": None, "error": "",
                               "content_codes": [item.code for item in LANGUAGES.values()]}
    try:
        context["result"] = get_governance().gateway.invoke(caller_of(principal), GatewayRequest(
            capability_id="interpret.langid", purpose="public-service",
            legal_basis="police-law-art-2", inputs={"text": text}))
    except GatewayDenied as denied:
        context["error"] = denied.reasons_in(language_of(request))
    except AccordError as error:
        set_language(language_of(request))
        context["error"] = translate(error.message, error.params)
    return render(request, "interpret/interviews/_langid.html", context)


@router.get("/reports")
def reports_list(request: Request, principal: Principal = Depends(access),
                 database: Database = Depends(get_database)) -> Response:
    library = get_library()
    service = _service(database)
    rows = []
    # A report that became a case file is listed only for those who may open that case.
    for report in service.readable(service.recent(limit=200), caller_of(principal)):
        form = library.form(report.form_id)
        summary = service.summary(report) if form else None
        rows.append({"report": report, "form": form, "summary": summary})
    return render(request, "interpret/interviews/reports.html",
                  {**_officer_context(library), "rows": rows})


@router.get("/reports/{reference}")
def report_detail(request: Request, reference: str, principal: Principal = Depends(access),
                  database: Database = Depends(get_database)) -> Response:
    library = get_library()
    service = _service(database)
    from accord.interpret.conversation import transcript_lines

    report = service.get_for(reference, caller_of(principal))
    return render(request, "interpret/interviews/report.html", {
        **_officer_context(library), "report": report, "summary": service.summary(report),
        "form": library.form(report.form_id), "person_language": LANGUAGES.get(report.language),
        "conversation_lines": transcript_lines(database, report_ref=report.reference),
        "start_href": f"/interpret/conversations?report={report.reference}",
    })


def _officer_form(request: Request, library: Library, form: Form, lang: str, *,
                  values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                  status: int = 200) -> Response:
    return render(request, "interpret/interviews/form.html", {
        **_officer_context(library), "form": form, "lang": lang, "L": LANGUAGES[lang],
        "t": lambda key, **params: library.text(key, lang, **params),
        "values": values or {}, "errors": errors or {}, "countries": countries(lang),
        "today": date.today().isoformat(), "show_zh": True, "submit_token": _submit_token(values),
        "action": f"/interviews/{form.id}",
    }, status_code=status)


@router.get("/{form_id}")
def officer_interview(request: Request, form_id: str, lang: str = "") -> Response:
    library = get_library()
    form = library.form(form_id)
    if form is None:
        raise NotFound()
    chosen = pick_language(lang)
    if chosen is None:
        return render(request, "interpret/interviews/choose_language.html",
                      {**_officer_context(library), "form": form})
    return _officer_form(request, library, form, chosen)


@router.post("/{form_id}")
async def officer_interview_submit(request: Request, form_id: str,
                                   principal: Principal = Depends(access),
                                   database: Database = Depends(get_database)) -> Response:
    library = get_library()
    form = library.form(form_id)
    if form is None:
        raise NotFound()
    data = _as_strings(await request.form(max_fields=MAX_FORM_FIELDS, max_files=0))
    lang = pick_language(data.get("lang", "")) or "en"
    validated = validate_answers(form, data)
    if not validated.ok:
        errors = {qid: e.message(library, lang) for qid, e in validated.errors.items()}
        return _officer_form(request, library, form, lang, values=data, errors=errors,
                             status=422)
    token = data.get("submit_token", "")
    if token and not SUBMIT_TOKEN.fullmatch(token):
        token = ""
    service = _service(database)
    stored = await run_in_threadpool(lambda: service.submit(
        form, lang, validated.values, channel="officer", created_by=principal.user.id,
        token=token))
    return RedirectResponse(f"/interviews/reports/{stored.reference}", status_code=303)
