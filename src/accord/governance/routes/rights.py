"""The public rights and appeals portal (no log-in) at ``/rights``.

* ``GET/POST /rights`` — the request form (access, correction, deletion, objection, appeal);
* ``GET /rights/status`` — look a request up by its reference;
* ``/rights/status/{reference}`` — its history, identity verification with the one-time code,
  and, once the DPO released an access report, the download (code → short-lived cookie →
  HTML, JSON or PDF).

Abuse controls without CAPTCHA: a per-address sliding-window rate limit on submitting, entering
and re-sending codes, and viewing statuses (429 with ``Retry-After``); field size limits; and a
double-submit-cookie CSRF token on every form (as the log-in form does), since visitors have no
session.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from accord.config import Settings
from accord.core.errors import AccordError
from accord.core.i18n import N_
from accord.governance.rights import (
    ACTION_LABELS,
    KIND_LABELS,
    KIND_SHORT,
    KINDS,
    MAX_CONTACT,
    MAX_DETAILS,
    OUTCOME_LABELS,
    PREFERRED_LANGUAGES,
    REVIEW_STATUS_LABELS,
    STATE_LABELS,
    STATES,
    RateLimited,
    RateLimiter,
    RightsService,
    RightsSettings,
    Submission,
    normalise_reference,
    report_pdf,
)
from accord.web.deps import CsrfFailed, Principal, get_settings_dep, optional_principal
from accord.web.templating import render

CSRF_COOKIE = "accord_rights_csrf"
DOWNLOAD_COOKIE = "accord_rights_download"
NOTICES = {
    "submitted": N_("Your request was received. We sent a six-digit code to the contact you "
                    "gave: enter it below to confirm it is you."),
    "code-sent": N_("A new code was sent. Earlier codes no longer work."),
    "verified": N_("Thank you: your identity is verified. The data-protection officer will "
                   "handle your request."),
    "download-code-sent": N_("A download code was sent to the contact you gave."),
}
public_router = APIRouter(prefix="/rights", include_in_schema=False)


# -- shared plumbing -----------------------------------------------------------------------------
def rights_settings(request: Request) -> RightsSettings:
    settings = getattr(request.app.state, "rights_settings", None)
    if settings is None:
        settings = request.app.state.rights_settings = RightsSettings()
    return settings


def rate_limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "rights_limiter", None)
    if limiter is None:
        limiter = request.app.state.rights_limiter = RateLimiter()
    return limiter


def rights_service(settings: RightsSettings = Depends(rights_settings)) -> RightsService:
    return RightsService.from_governance(settings=settings)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limit(request: Request, action: str) -> None:
    settings = rights_settings(request)
    limit, window = {
        "submit": (settings.submit_limit, settings.submit_window_seconds),
        "code": (settings.verify_limit, settings.verify_window_seconds),
        "status": (settings.status_limit, settings.status_window_seconds),
    }[action]
    rate_limiter(request).hit(action, client_address(request), limit, window)


def _csrf_token(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def _check_csrf(request: Request, sent: str) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        raise CsrfFailed()


def _page(request: Request, name: str, context: dict[str, Any], settings: Settings, *,
          status: int = 200, headers: dict[str, str] | None = None) -> Response:
    token = _csrf_token(request)
    response = render(request, name, {**labels(), **context, "rights_csrf": token},
                      status_code=status,
                      headers={"Cache-Control": "no-store", **(headers or {})})
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/rights")
    return response


def labels() -> dict[str, Any]:
    return {"kinds": KINDS, "kind_labels": KIND_LABELS, "kind_short": KIND_SHORT,
            "state_labels": STATE_LABELS, "states": STATES, "action_labels": ACTION_LABELS,
            "outcome_labels": OUTCOME_LABELS, "preferred_languages": PREFERRED_LANGUAGES,
            "review_status_labels": REVIEW_STATUS_LABELS,
            "max_details": MAX_DETAILS, "max_contact": MAX_CONTACT}


def _retry_headers(error: AccordError) -> dict[str, str]:
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after)}
    return {}


# -- the request form ----------------------------------------------------------------------------
def _form_page(request: Request, settings: Settings, rights: RightsSettings, *,
               form: dict[str, str] | None = None, error: AccordError | None = None,
               status: int = 200) -> Response:
    return _page(request, "rights/form.html", {
        "form": form or {"kind": request.query_params.get("kind", ""),
                         "contact_kind": "email",
                         "preferred_language": "zh" if request.state.language == "zh_Hans"
                         else "en"},
        "error": error, "error_field": getattr(error, "field", ""),
        "deadline_days": {k: rights.deadline_days(k) for k in KINDS},
        "code_minutes": rights.code_minutes,
    }, settings, status=status, headers=_retry_headers(error) if error else None)


@public_router.get("")
def rights_form(request: Request, _principal: Principal | None = Depends(optional_principal),
                settings: Settings = Depends(get_settings_dep),
                rights: RightsSettings = Depends(rights_settings)) -> Response:
    return _form_page(request, settings, rights)


@public_router.post("")
def submit_request(
    request: Request,
    kind: str = Form(""),
    document_number: str = Form(""),
    contact_kind: str = Form(""),
    contact: str = Form(""),
    preferred_language: str = Form(""),
    decision_ref: str = Form(""),
    details: str = Form(""),
    csrf_token: str = Form(""),
    _principal: Principal | None = Depends(optional_principal),
    settings: Settings = Depends(get_settings_dep),
    rights: RightsSettings = Depends(rights_settings),
    service: RightsService = Depends(rights_service),
) -> Response:
    _check_csrf(request, csrf_token)
    # Echo what was typed back into the form (escaped by the template), never the document
    # number, and never more than the fields allow.
    form = {"kind": kind[:16], "contact_kind": contact_kind[:8],
            "contact": contact[:MAX_CONTACT + 1],
            "preferred_language": preferred_language[:8], "decision_ref": decision_ref[:64],
            "details": details[:MAX_DETAILS + 1]}
    try:
        _limit(request, "submit")
        created = service.submit(Submission(
            kind=kind, document_number=document_number, contact_kind=contact_kind,
            contact=contact, preferred_language=preferred_language, details=details,
            decision_ref=decision_ref, ui_language=request.state.language))
    except AccordError as error:
        return _form_page(request, settings, rights, form=form, error=error,
                          status=error.status)
    return RedirectResponse(f"/rights/status/{created.reference}?notice=submitted",
                            status_code=303)


# -- looking a request up ------------------------------------------------------------------------
@public_router.get("/status")
def lookup(request: Request, reference: str = "",
           _principal: Principal | None = Depends(optional_principal),
           settings: Settings = Depends(get_settings_dep)) -> Response:
    if reference:
        normalised = normalise_reference(reference[:40])
        if normalised:
            return RedirectResponse(f"/rights/status/{normalised}", status_code=303)
    return _page(request, "rights/lookup.html", {"reference": reference[:40],
                                                 "invalid": bool(reference)}, settings,
                 status=422 if reference else 200)


def _status_page(request: Request, reference: str, service: RightsService, settings: Settings,
                 *, error: AccordError | None = None, status: int = 200,
                 notice: str = "") -> Response:
    view = service.public_status(reference)
    current = {"submitted": view.state == "received", "code-sent": view.state == "received",
               "verified": view.state == "verified",
               "download-code-sent": view.report_available}
    if not current.get(notice):
        notice = ""  # a reloaded or bookmarked link must not show a stale message
    return _page(request, "rights/status.html", {
        "view": view, "error": error, "notice": NOTICES.get(notice, ""),
        "code_minutes": service.settings.code_minutes,
    }, settings, status=status, headers=_retry_headers(error) if error else None)


@public_router.get("/status/{reference}")
def status_page(request: Request, reference: str, notice: str = "",
                _principal: Principal | None = Depends(optional_principal),
                settings: Settings = Depends(get_settings_dep),
                service: RightsService = Depends(rights_service)) -> Response:
    try:
        _limit(request, "status")
    except RateLimited as error:
        return _page(request, "rights/lookup.html", {"reference": "", "error": error},
                     settings, status=429, headers=_retry_headers(error))
    return _status_page(request, reference, service, settings, notice=notice)


def _code_action(request: Request, reference: str, csrf_token: str, service: RightsService,
                 settings: Settings, action: Any, success: str) -> Response:
    _check_csrf(request, csrf_token)
    view = service.public_status(reference)  # 404 for an unknown reference
    try:
        _limit(request, "code")
        result = action(view.reference)
    except AccordError as error:
        return _status_page(request, view.reference, service, settings, error=error,
                            status=error.status)
    if isinstance(result, Response):
        return result
    return RedirectResponse(f"/rights/status/{view.reference}?notice={success}",
                            status_code=303)


@public_router.post("/status/{reference}/verify")
def verify(request: Request, reference: str, code: str = Form(""), csrf_token: str = Form(""),
           _principal: Principal | None = Depends(optional_principal),
           settings: Settings = Depends(get_settings_dep),
           service: RightsService = Depends(rights_service)) -> Response:
    return _code_action(request, reference, csrf_token, service, settings,
                        lambda ref: service.verify_code(ref, code[:12]), "verified")


@public_router.post("/status/{reference}/resend")
def resend(request: Request, reference: str, csrf_token: str = Form(""),
           _principal: Principal | None = Depends(optional_principal),
           settings: Settings = Depends(get_settings_dep),
           service: RightsService = Depends(rights_service)) -> Response:
    return _code_action(request, reference, csrf_token, service, settings,
                        lambda ref: service.resend_code(ref, "verify"), "code-sent")


@public_router.post("/status/{reference}/download-code")
def download_code(request: Request, reference: str, csrf_token: str = Form(""),
                  _principal: Principal | None = Depends(optional_principal),
                  settings: Settings = Depends(get_settings_dep),
                  service: RightsService = Depends(rights_service)) -> Response:
    return _code_action(request, reference, csrf_token, service, settings,
                        lambda ref: service.resend_code(ref, "download"), "download-code-sent")


@public_router.post("/status/{reference}/download")
def open_download(request: Request, reference: str, code: str = Form(""),
                  csrf_token: str = Form(""),
                  _principal: Principal | None = Depends(optional_principal),
                  settings: Settings = Depends(get_settings_dep),
                  service: RightsService = Depends(rights_service)) -> Response:
    def unlock(ref: str) -> Response:
        token = service.open_download(ref, code[:12])
        response = RedirectResponse(f"/rights/status/{ref}/report", status_code=303)
        response.set_cookie(DOWNLOAD_COOKIE, token, httponly=True, samesite="strict",
                            secure=settings.secure_cookies, path=f"/rights/status/{ref}",
                            max_age=service.settings.download_minutes * 60)
        return response

    return _code_action(request, reference, csrf_token, service, settings, unlock, "")


# -- the released report -------------------------------------------------------------------------
def _report(request: Request, reference: str, service: RightsService) -> dict[str, Any]:
    return service.download(reference, request.cookies.get(DOWNLOAD_COOKIE, ""))


@public_router.get("/status/{reference}/report")
def report_page(request: Request, reference: str,
                _principal: Principal | None = Depends(optional_principal),
                settings: Settings = Depends(get_settings_dep),
                service: RightsService = Depends(rights_service)) -> Response:
    report = _report(request, reference, service)
    lang = "zh" if request.state.language == "zh_Hans" else "en"
    return _page(request, "rights/report.html", {"report": report, "lang": lang,
                                                 "json": json}, settings)


@public_router.get("/status/{reference}/report.json")
def report_json(request: Request, reference: str,
                service: RightsService = Depends(rights_service)) -> Response:
    report = _report(request, reference, service)
    name = f"accord-access-report-{report['reference']}.json"
    return JSONResponse(report, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                         "Cache-Control": "no-store"})


@public_router.get("/status/{reference}/report.pdf")
def report_pdf_download(request: Request, reference: str,
                        _principal: Principal | None = Depends(optional_principal),
                        service: RightsService = Depends(rights_service)) -> Response:
    report = _report(request, reference, service)
    data = report_pdf(report, request.state.language, service.settings.pdf_font)
    name = f"accord-access-report-{report['reference']}.pdf"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


__all__ = ["CSRF_COOKIE", "DOWNLOAD_COOKIE", "public_router"]
