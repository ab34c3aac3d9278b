"""User administration pages (admin role only)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.core.accounts import AccountService
from accord.core.db import Database
from accord.core.errors import AccordError, NotFound, ValidationFailed
from accord.core.jobs import JobService
from accord.core.roles import ROLE_DESCRIPTIONS, Role, UnknownRole, parse_roles
from accord.web.deps import Principal, account_service, get_database, require_roles
from accord.web.templating import render

log = logging.getLogger("accord.accounts")
access = require_roles(Role.ADMIN)
router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(access)])


def _users_page(request: Request, accounts: AccountService, *, error: AccordError | None = None,
                form: dict[str, object] | None = None, status: int = 200) -> Response:
    return render(request, "admin/users.html", {
        "users": accounts.list_users(),
        "failed_logins": accounts.recent_failures(),
        "roles": list(Role),
        "role_descriptions": ROLE_DESCRIPTIONS,
        "error": error,
        "form": form or {},
    }, status_code=status)


@router.get("/users")
def users(request: Request, accounts: AccountService = Depends(account_service)) -> Response:
    return _users_page(request, accounts)


@router.post("/users")
def create_user(request: Request, username: str = Form(""), display_name: str = Form(""),
                password: str = Form(""), language: str = Form("zh_Hans"),
                roles: list[str] = Form([]),
                accounts: AccountService = Depends(account_service)) -> Response:
    try:
        parsed = parse_roles(roles)
        accounts.create_user(username, password, parsed, display_name=display_name,
                             language=language)
        accounts.session.commit()
    except UnknownRole as error:
        accounts.session.rollback()
        failure = ValidationFailed(detail=error.message)
        return _users_page(request, accounts, error=failure, status=422,
                           form={"username": username, "display_name": display_name})
    except AccordError as error:
        accounts.session.rollback()
        return _users_page(request, accounts, error=error, status=error.status,
                           form={"username": username, "display_name": display_name})
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}")
def update_user(user_id: int, request: Request, roles: list[str] = Form([]),
                active: str = Form(""),
                accounts: AccountService = Depends(account_service)) -> Response:
    user = accounts.get_user(user_id)
    try:
        accounts.set_roles(user, parse_roles(roles))
        accounts.set_active(user, active == "on")
        accounts.session.commit()
    except UnknownRole as error:
        accounts.session.rollback()
        failure = ValidationFailed(detail=error.message)
        return _users_page(request, accounts, error=failure, status=422)
    except AccordError as error:
        accounts.session.rollback()
        return _users_page(request, accounts, error=error, status=error.status)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/unlock")
def unlock_user(user_id: int, principal: Principal = Depends(access),
                accounts: AccountService = Depends(account_service)) -> Response:
    """Clear log-in throttling for a user name, e.g. after the officer called the admin.

    User administration has no audit trail of its own (role changes are not ledgered
    either), so the unlock goes to the application log with who did it.
    """
    user = accounts.get_user(user_id)
    cleared = accounts.unlock(user.username)
    accounts.session.commit()
    log.info("log-in throttling cleared", extra={
        "actor": principal.user.username, "username": user.username, "cleared": cleared})
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users-export")
def export_users(request: Request, principal: Principal = Depends(access),
                 database: Database = Depends(get_database)) -> Response:
    job = JobService(database).submit("accounts.export", {}, created_by=principal.user.id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/users-export/{job_id}.csv")
def download_export(job_id: str, principal: Principal = Depends(access),
                    database: Database = Depends(get_database)) -> Response:
    job = JobService(database).get(job_id)
    if job.kind != "accounts.export" or not job.result:
        raise NotFound()
    return Response(job.result["csv"], media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{job.result["filename"]}"',
        "Cache-Control": "no-store",
    })
