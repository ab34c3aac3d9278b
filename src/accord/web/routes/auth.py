"""Log-in, log-out and the anonymous language switch (public)."""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.config import Settings
from accord.core.accounts import AccountService
from accord.core.errors import AccordError, InvalidCredentials, TooManyFailedLogins
from accord.core.i18n import normalise_language
from accord.web.deps import (
    LANGUAGE_COOKIE,
    PRE_SESSION_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    Principal,
    account_service,
    get_settings_dep,
    new_pre_session_csrf,
    optional_principal,
    require_roles,
)
from accord.web.templating import render

router = APIRouter(include_in_schema=False)
signed_in = require_roles()


def safe_next(value: str | None) -> str:
    """Only allow local paths as a redirect target (no open redirect)."""
    if not value:
        return "/"
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def _login_page(request: Request, settings: Settings, *, error: AccordError | None = None,
                status: int = 200,
                next_url: str = "/", username: str = "",
                headers: dict[str, str] | None = None) -> Response:
    token = request.cookies.get(PRE_SESSION_CSRF_COOKIE) or new_pre_session_csrf()
    response = render(request, "login.html", {"error": error, "next": next_url,
                                              "username": username, "login_csrf": token},
                      status_code=status, headers=headers)
    response.set_cookie(PRE_SESSION_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/",
               principal: Principal | None = Depends(optional_principal),
               settings: Settings = Depends(get_settings_dep)) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, settings, next_url=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
    accounts: AccountService = Depends(account_service),
    settings: Settings = Depends(get_settings_dep),
    _principal: Principal | None = Depends(optional_principal),
) -> Response:
    cookie_token = request.cookies.get(PRE_SESSION_CSRF_COOKIE, "")
    if not cookie_token or not secrets.compare_digest(cookie_token, csrf_token):
        raise CsrfFailed()
    client = request.client.host if request.client else ""
    try:
        user = accounts.authenticate(username, password, client=client)
    except TooManyFailedLogins as error:
        accounts.session.commit()
        return _login_page(request, settings, error=error, status=429,
                           next_url=safe_next(next), username=username[:64],
                           headers={"Retry-After": str(error.retry_after)})
    except InvalidCredentials as error:
        accounts.session.commit()  # keep the failure: it counts towards throttling
        return _login_page(request, settings, error=error, status=401,
                           next_url=safe_next(next), username=username[:64])
    started = accounts.start_session(user)
    accounts.session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, started.token, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, max_age=settings.session_hours * 3600)
    response.delete_cookie(PRE_SESSION_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, principal: Principal = Depends(signed_in),
           accounts: AccountService = Depends(account_service)) -> Response:
    accounts.end_session(request.cookies.get(SESSION_COOKIE, ""))
    accounts.session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.set_cookie(LANGUAGE_COOKIE, principal.user.language, samesite="lax")
    return response


@router.get("/language")
def switch_language(lang: str, next: str = "/login") -> Response:
    """Anonymous visitors pick a UI language; it is only a preference cookie."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, normalise_language(lang), samesite="lax",
                        max_age=365 * 24 * 3600)
    return response

