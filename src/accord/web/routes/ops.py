"""Operations endpoints (public): liveness and readiness as JSON. And the API docs (signed-in)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from accord import __version__
from accord.core.db import Database
from accord.web.deps import get_database, require_roles
from accord.web.openapi import DOCUMENT_URL, api_document

router = APIRouter(include_in_schema=False)
docs_router = APIRouter(include_in_schema=False, dependencies=[Depends(require_roles())])


@router.get("/healthz")
async def healthz() -> dict[str, Any]:
    """The process is up. Says nothing about dependencies, so orchestrators don't restart a
    healthy process because the database blinked. Answered on the event loop, not the thread
    pool: requests waiting for a model or the database cannot queue in front of it."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
def readyz(database: Database = Depends(get_database)) -> JSONResponse:
    """Ready to serve: the database answers."""
    try:
        database.ping()
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"},
                            status_code=503)
    return JSONResponse({"status": "ok", "database": database.dialect})


@docs_router.get(DOCUMENT_URL)
@docs_router.get("/openapi.json")  # the unversioned name earlier clients used
def openapi(request: Request) -> JSONResponse:
    """The JSON API's OpenAPI document (``accord.web.openapi``): its operations, how to
    authenticate and every error they answer with."""
    return JSONResponse(api_document(request.app))


@docs_router.get("/docs")
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=DOCUMENT_URL,
        title="Accord API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
