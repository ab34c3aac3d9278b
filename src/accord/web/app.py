"""The FastAPI application: middleware, error pages, routers and the embedded queue worker."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope

from accord import __version__
from accord.config import Settings, get_settings
from accord.core.contract import CapabilityPackage, installed
from accord.core.errors import AccordError, NotAuthenticated
from accord.core.gateway.isolation import reset_model_processes
from accord.core.i18n import M_, N_, Message, translate
from accord.core.jobs import load_job_modules, start_embedded_consumer
from accord.core.logging import configure_logging
from accord.core.runtime import get_database
from accord.web import route_index
from accord.web.deps import KIOSK_HOME, KioskLocked, request_language, resolve_for_error_page
from accord.web.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    TextHygieneMiddleware,
)
from accord.web.routes import admin, api, auth, governance, ledger, ops, pages
from accord.web.templating import add_template_dirs, render

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
RETRY_AFTER_SECONDS = 30  # every 503: the database or a model is unavailable right now


def _wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error_response(request: Request, status: int, message: str,
                    params: dict[str, Any] | None = None,
                    headers: dict[str, str] | None = None) -> Response:
    if not hasattr(request.state, "language"):
        request.state.language = request_language(request, None)
    if _wants_json(request):
        from accord.core.i18n import set_language

        set_language(request.state.language)
        text = translate(message, params)  # a Message parameter is translated too
        return JSONResponse({"detail": text}, status_code=status, headers=headers)
    return render(request, "error.html", {"status": status, "message": message,
                                          "params": params or {}},
                  status_code=status, headers=headers)


async def _text_refused(scope: Scope, receive: Receive, problem: Message) -> Response:
    """The 422 for NUL, lone surrogates or invalid UTF-8, in the app's usual error format."""
    request = Request(scope, receive)
    await run_in_threadpool(resolve_for_error_page, request)
    return _error_response(request, 422, N_("Invalid input: %(detail)s"), {"detail": problem})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AccordError)
    async def accord_error(request: Request, error: AccordError) -> Response:
        if isinstance(error, NotAuthenticated) and not _wants_json(request):
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if (isinstance(error, KioskLocked) and request.method == "GET"
                and "text/html" in request.headers.get("accept", "")):
            return RedirectResponse(KIOSK_HOME, status_code=303)  # a page navigation
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        if error.status == 503:
            # A model or service that is unavailable now may answer later: say when to retry
            # (RFC 9110), as the database-down answer does. Documented in web.openapi.
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return _error_response(request, error.status, error.message, error.params, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return _error_response(request, 404, N_("Page not found."))
        if error.status_code == 405:
            # RFC 9110: a 405 names the methods the resource does allow.
            return _error_response(request, 405, N_("This method is not allowed here."),
                                   headers=dict(error.headers or {}) or None)
        return _error_response(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        details = [
            {"field": ".".join(str(part) for part in item.get("loc", ())[1:]) or "body",
             # "loc", "msg" and "type" are the documented ValidationError schema of the
             # OpenAPI document; "field" and "message" are kept for existing clients.
             "loc": list(item.get("loc", ())), "msg": item.get("msg", ""),
             "message": item.get("msg", ""), "type": item.get("type", "")}
            for item in error.errors()
        ]
        if _wants_json(request):
            return JSONResponse({"detail": details}, status_code=422)
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return _error_response(request, 422, N_("Invalid input: %(detail)s"),
                               {"detail": summary})

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def value_out_of_range(request: Request, error: Exception) -> Response:
        """A value the database cannot hold (an id past its integer range, found by fuzzing
        the API): the request is at fault, not the database. SQLite's driver raises a bare
        OverflowError before SQLAlchemy sees it; PostgreSQL answers with a DataError, which
        would otherwise be reported as the database being unreachable."""
        log.info("value out of the database's range: %s", error)
        return _error_response(request, 422, N_("Invalid input: %(detail)s"),
                               {"detail": M_("a value is outside the range the database can "
                                             "store")})

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)  # every pooled connection busy for db_pool_timeout
    async def database_down(request: Request, error: Exception) -> Response:
        log.error("database error", exc_info=error)
        message = N_("The database is not reachable right now. Please try again in a moment.")
        return _error_response(request, 503, message,
                               headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.error("unhandled error", exc_info=error)
        return _error_response(request, 500, N_("Something went wrong on our side. The error "
                                                 "has been logged with request id %(request_id)s."),
                               {"request_id": getattr(request.state, "request_id", "")})


def create_app(packages: Sequence[CapabilityPackage] | None = None,
               settings: Settings | None = None) -> FastAPI:
    """The web application over core and the given capability packages (by default, those the
    assembly module installed: see ``accord.assembly.create_app``)."""
    settings = settings or get_settings()
    packages = tuple(installed() if packages is None else packages)
    configure_logging(settings.log_level, settings.log_file)
    if settings.password_hash_profile != "standard":  # noqa: S105 (a profile name)
        logging.getLogger("accord").warning(
            "ACCORD_PASSWORD_HASH_PROFILE=%s: new password hashes are cheap to crack; this "
            "profile is for test suites only", settings.password_hash_profile)
    load_job_modules(packages)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        consumer = None
        if settings.embedded_worker:
            consumer = start_embedded_consumer(settings.queue_workers)
        # Everything loaded so far (modules, routes, templates, vocabularies: some 350,000
        # objects) lives as long as the process. Left to the garbage collector, each full
        # collection walks all of it, 170-200 ms with the GIL held, stalling every request in
        # the process: the multi-hundred-millisecond maxima of the intake benchmark. Frozen,
        # the collector skips them; unfrozen at shutdown, so an app torn down (in tests)
        # can still be collected.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if consumer is not None:
                consumer.stop(graceful=True)
            reset_model_processes()  # stop this process's model workers with it

    app = FastAPI(
        title="Accord",
        version=__version__,
        summary="Governed AI for foreign-related police work.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by ops.docs_router, behind log-in
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = get_database()
    settings.resolved_secret_key()

    install_error_handlers(app)
    # Added first, so it runs inside the body size limit that bounds what it reads.
    app.add_middleware(TextHygieneMiddleware, refuse=_text_refused)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes,
                       upload_max_bytes=settings.upload_max_bytes)  # per route: web.uploads
    app.add_middleware(RequestIdMiddleware)

    # Outermost of Accord's middleware, as the function it replaced was.
    app.add_middleware(SecurityHeadersMiddleware)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (ops, auth, pages, admin):
        app.include_router(module.router)
    app.include_router(ops.docs_router)
    app.include_router(api.router)
    app.include_router(api.admin_router)
    app.include_router(api.ledger_router)
    app.include_router(api.checkpoint_router)
    for router in governance.routers:
        app.include_router(router)
    app.include_router(ledger.public_router)
    app.include_router(ledger.router)
    for package in packages:
        for router in package.routers():
            app.include_router(router)
    add_template_dirs([p.templates for p in packages if p.templates is not None])
    # Each request tries only the routes that can match its path's first segment (issue #19).
    route_index.install(app)
    return app
