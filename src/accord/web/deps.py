"""Request dependencies: database session, who is asking, role checks and CSRF.

Routers declare their access rule once, e.g.::

    router = APIRouter(dependencies=[Depends(require_roles(Role.ADMIN))])

so no route can forget it. Pages and the JSON API share the same checks; a browser without a
session is sent to the log-in page, an API client gets 401.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.config import Settings
from accord.core.accounts import AccountService, User
from accord.core.db import Database
from accord.core.errors import NotAuthenticated, PermissionDenied
from accord.core.i18n import N_, normalise_language
from accord.core.roles import Role

SESSION_COOKIE = "accord_session"
LANGUAGE_COOKIE = "accord_lang"
PRE_SESSION_CSRF_COOKIE = "accord_csrf"
#: Set on a tablet handed to a member of the public (conversation mode): while it is present
#: the browser is nobody's signed-in session, whatever session cookie it also holds, and its
#: page navigations go to :data:`KIOSK_HOME`. Only the officer's PIN removes it.
KIOSK_COOKIE = "accord_kiosk"
KIOSK_HOME = "/conversation/tablet"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: A table's integer id in a URL path, bounded to what the tables' keys can hold (PostgreSQL
#: ``integer``): a larger number is a documented 422, not a database error.
ObjectId = Annotated[int, Path(ge=1, le=2_147_483_647)]


class KioskLocked(PermissionDenied):
    """A request from a browser in kiosk mode for a page of the signed-in application."""

    message = N_("This tablet is in conversation mode. The officer's PIN unlocks it.")


class CsrfFailed(PermissionDenied):
    message = N_(
        "The form has expired or did not come from Accord. Reload the page and try again."
    )


@dataclass
class Principal:
    """The authenticated caller: a user, and how they proved it."""

    user: User
    via: str  # "session" or "token"
    csrf_token: str = ""  # the session's synchroniser token; empty for bearer tokens


# Dependencies that only read app state or other dependencies are ``async def`` on purpose:
# FastAPI runs a plain ``def`` dependency on the thread pool, and each such hop costs a thread
# hand-off (GIL switch, a wake-up) per request. Only dependencies that do I/O (the database
# session, resolving the caller) stay on the pool, so the event loop never blocks on them.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; routes commit what they change, anything else rolls back.

    Opening a session does no I/O (it takes a connection at its first query, on the route's
    thread), so it is made here on the event loop; closing it returns the connection to the
    pool, which may talk to the database, so that runs on the thread pool — shielded, so a
    client that disconnects cannot leave the connection checked out. A session whose last
    transaction has ended (authentication commits its read; many routes then work through
    services with their own sessions) holds no connection, so it is closed right here:
    one thread hand-off fewer per request. (The database is read from the app's state here
    rather than through :func:`get_database`: every dependency FastAPI resolves costs CPU on
    every request.)
    """
    database: Database = request.app.state.database
    session = database.sessions()
    try:
        yield session
    finally:
        # close() ends the transaction without expiring loaded objects, so error pages
        # rendered after this can still read the signed-in user.
        await _close(session)


async def account_service(
    request: Request, session: Session = Depends(db_session)
) -> AccountService:
    return accounts_for(request, session)


def accounts_for(request: Request, session: Session) -> AccountService:
    settings: Settings = request.app.state.settings
    return AccountService(
        session,
        max_failures=settings.login_max_failures,
        window_seconds=settings.login_window_seconds,
        max_delay_seconds=settings.login_max_delay_seconds,
        session_hours=settings.session_hours,
    )


async def _close(session: Session) -> None:
    """Close a request's session from the event loop (see :func:`db_session`)."""
    if session.in_transaction():
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(session.close)
    else:
        session.close()


def optional_principal(
    request: Request, accounts: AccountService = Depends(account_service)
) -> Principal | None:
    """Who is asking (see :func:`authenticate`), as a dependency: on the thread pool."""
    return authenticate(request, accounts)


def authenticate(request: Request, accounts: AccountService) -> Principal | None:
    """Resolve a bearer token or the session cookie; sets the request's UI language.

    The one place a request's credentials are resolved, for :func:`require_roles` and
    :meth:`Grant.call` alike. It queries the database: call it on a worker thread.
    A browser in kiosk mode (:data:`KIOSK_COOKIE`) is refused here, before any session is
    looked at: the person holding the tablet reaches no officer page and cannot log out.
    """
    if request.cookies.get(KIOSK_COOKIE):
        request.state.principal = None
        request.state.language = request_language(request, None)
        raise KioskLocked()
    principal: Principal | None = None
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = accounts.resolve_token_record(authorization[7:].strip())
        if token is None:
            raise NotAuthenticated(N_("Invalid or revoked API token."))
        principal = Principal(user=token.user, via="token")
        accounts.session.commit()  # ends the read before the (rare) last-use write
        accounts.record_token_use(token)
    else:
        record = accounts.resolve_session(request.cookies.get(SESSION_COOKIE, ""))
        if record is not None:
            principal = Principal(user=record.user, via="session", csrf_token=record.csrf_token)
    # End the authentication read now: the connection goes back to the pool while the route
    # runs. Routes that call services opening their own sessions would otherwise hold this
    # connection while waiting for a second one, and with as many concurrent requests as the
    # pool has connections every request waits for the others (the ~15-request deadlock).
    # Loaded objects stay usable (expire_on_commit is off); the route's own queries start a new
    # transaction on this same session.
    accounts.session.commit()
    request.state.principal = principal
    request.state.language = request_language(request, principal)
    return principal


def request_language(request: Request, principal: Principal | None) -> str:
    if principal is not None:
        return normalise_language(principal.user.language)
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie:
        return normalise_language(cookie)
    accept = request.headers.get("accept-language", "")
    first = accept.split(",")[0].split(";")[0].strip()
    return normalise_language(first or None)


def resolve_for_error_page(request: Request) -> None:
    """Set the language (and signed-in user) of a request refused before routing.

    Middleware refusals happen before any dependency ran, so ``optional_principal`` did not
    set them; without this a signed-in officer would get the error page in the browser's
    language instead of their own. Session cookies only (API clients get JSON); never raises,
    as it only decorates an error.
    """
    principal: Principal | None = None
    token = request.cookies.get(SESSION_COOKIE, "")
    database = getattr(request.app.state, "database", None)
    if token and database is not None:
        try:
            with database.sessions() as session:
                record = AccountService(session).resolve_session(token)
                if record is not None:
                    principal = Principal(user=record.user, via="session",
                                          csrf_token=record.csrf_token)
        except Exception:  # database down: fall back to the browser's language
            principal = None
    request.state.principal = principal
    request.state.language = request_language(request, principal)


async def current_principal(
    principal: Principal | None = Depends(optional_principal),
) -> Principal:
    if principal is None:
        raise NotAuthenticated()
    return principal


async def csrf_protect(
    request: Request, principal: Principal | None = Depends(optional_principal)
) -> None:
    """Reject unsafe requests from a browser session without the session's CSRF token.

    API calls with a bearer token carry no ambient credentials, so they need no CSRF token.
    """
    await check_csrf(request, principal)


async def check_csrf(request: Request, principal: Principal | None) -> None:
    """The check of :func:`csrf_protect`, for a caller that already has the principal."""
    if csrf_required(request, principal) and not _csrf_matches(
            await sent_csrf(request), principal):
        raise CsrfFailed()


def csrf_required(request: Request, principal: Principal | None) -> bool:
    """Unsafe requests of a browser session must carry the session's CSRF token."""
    return (request.method in UNSAFE_METHODS and principal is not None
            and principal.via == "session")


def _form_body(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def sent_csrf(request: Request) -> str:
    """The CSRF token the request carries: the ``X-CSRF-Token`` header, else a form field."""
    sent = request.headers.get("x-csrf-token", "")
    if not sent and _form_body(request):
        form = await request.form()
        value = form.get("csrf_token", "")
        sent = value if isinstance(value, str) else ""
    return sent


def _csrf_matches(sent: str, principal: Principal | None) -> bool:
    return bool(sent) and principal is not None and secrets.compare_digest(
        sent, principal.csrf_token)


def admit(request: Request, principal: Principal | None, allowed: frozenset[Role],
          sent: str) -> Principal:
    """The access rule, once the caller is known: signed in, then the CSRF token (``sent``,
    read from the request by :func:`sent_csrf`), then one of the ``allowed`` roles (none
    given: any signed-in user). No I/O; every route's check ends here."""
    if principal is None:
        raise NotAuthenticated()
    if csrf_required(request, principal) and not _csrf_matches(sent, principal):
        raise CsrfFailed()
    if allowed and not (principal.user.roles & allowed):
        raise PermissionDenied()
    return principal


async def admit_reading_form(request: Request, principal: Principal | None,
                             allowed: frozenset[Role]) -> Principal:
    """:func:`admit`, with the CSRF token read from the request (its form, if need be) only
    once the caller is known to be signed in: no form is read for an anonymous request."""
    if principal is None:
        raise NotAuthenticated()
    sent = await sent_csrf(request) if csrf_required(request, principal) else ""
    return admit(request, principal, allowed, sent)


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency factory: the caller must be logged in and hold one of ``roles``.

    With no roles given, any authenticated user passes. CSRF is checked for browser sessions.
    """
    allowed = frozenset(roles)

    # One dependency instead of three (current_principal, csrf_protect and this): each one
    # FastAPI resolves costs CPU on every request. Same checks in the same order: signed in,
    # then the CSRF token, then the roles.
    async def check(request: Request,
                    principal: Principal | None = Depends(optional_principal)) -> Principal:
        return await admit_reading_form(request, principal, allowed)

    # Introspectable for tests and tooling: the roles this check admits (empty: any signed-in
    # user). See tests/web/routes_access.py.
    check.accord_roles = allowed  # type: ignore[attr-defined]
    return check


T = TypeVar("T")


class Grant:
    """A request whose access rule is checked on the same worker thread as its work.

    :func:`require_roles` resolves the caller on the thread pool, then FastAPI runs a plain
    ``def`` endpoint on the thread pool again: two thread hand-offs per request. An ``async``
    endpoint that takes a ``Grant`` (dependency :func:`roles_checked_in_call`) instead does
    ``await grant.call(work)``: one hand-off runs :func:`authenticate` and :func:`admit` — the
    same functions, same order, same refusals as ``require_roles`` — and, only if they admit
    the caller, ``work(principal)``. The principal exists nowhere else, so the work cannot
    run unchecked; nothing about the credential outlives the request.
    """

    __slots__ = ("_allowed", "request")

    def __init__(self, request: Request, allowed: frozenset[Role]) -> None:
        self.request = request
        self._allowed = allowed

    async def call(self, work: Callable[[Principal], T]) -> T:
        request = self.request
        database: Database = request.app.state.database
        sent = request.headers.get("x-csrf-token", "")
        if not sent and request.method in UNSAFE_METHODS and _form_body(request):
            # The token may be in the form, which is read on the event loop, and only once
            # the caller is known (as require_roles does): two hand-offs for these.
            session = database.sessions()
            try:
                principal = await run_in_threadpool(
                    authenticate, request, accounts_for(request, session))
                admitted = await admit_reading_form(request, principal, self._allowed)
                return await run_in_threadpool(work, admitted)
            finally:
                await _close(session)

        def checked() -> T:
            # The session of the credential read, opened and closed on this thread (the
            # request's db_session dependency, without its own resolution per request).
            session = database.sessions()
            try:
                principal = authenticate(request, accounts_for(request, session))
                return work(admit(request, principal, self._allowed, sent))
            finally:
                session.close()

        return await run_in_threadpool(checked)


def roles_checked_in_call(*roles: Role) -> Callable[..., Coroutine[Any, Any, Grant]]:
    """Dependency factory like :func:`require_roles`, for an ``async`` endpoint that does its
    work through :meth:`Grant.call`: this dependency reads nothing from the database; the
    check runs in the call. Tagged with ``accord_roles`` like ``require_roles``: the route
    table and role matrix see the same rule."""
    allowed = frozenset(roles)

    async def grant(request: Request) -> Grant:
        return Grant(request, allowed)

    grant.accord_roles = allowed  # type: ignore[attr-defined]
    # A route taking a Grant must make its call: tests/web/test_grant_routes.py checks each.
    grant.accord_checked_in_call = True  # type: ignore[attr-defined]
    return grant


def new_pre_session_csrf() -> str:
    return secrets.token_urlsafe(32)
