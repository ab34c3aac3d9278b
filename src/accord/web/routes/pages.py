"""Signed-in pages for every role: dashboard, account settings, job progress."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.core.accounts import AccountService
from accord.core.db import Database
from accord.core.errors import PermissionDenied
from accord.core.jobs import JobService
from accord.core.roles import Role
from accord.web.capabilities import card_notices, dashboard_cards
from accord.web.deps import Principal, account_service, get_database, require_roles
from accord.web.routes.auth import safe_next
from accord.web.templating import render

access = require_roles()
router = APIRouter(include_in_schema=False, dependencies=[Depends(access)])


@router.get("/")
def dashboard(request: Request, principal: Principal = Depends(access),
              database: Database = Depends(get_database)) -> Response:
    jobs = JobService(database).recent(created_by=principal.user.id, limit=5)
    cards = dashboard_cards(principal.user.roles)
    with database.session() as session:
        notices = card_notices(cards, session, principal.user.id)
    return render(request, "dashboard.html", {"cards": cards, "jobs": jobs, "notices": notices})


@router.get("/account")
def account_page(request: Request, principal: Principal = Depends(access),
                 accounts: AccountService = Depends(account_service)) -> Response:
    tokens = accounts.list_tokens(principal.user)
    return render(request, "account.html", {"tokens": tokens, "new_token": None})


@router.post("/account/language")
def set_language(language: str = Form(...), next: str = Form("/account"),
                 principal: Principal = Depends(access),
                 accounts: AccountService = Depends(account_service)) -> Response:
    user = accounts.get_user(principal.user.id)
    accounts.set_language(user, language)
    accounts.session.commit()
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/account/tokens")
def create_token(request: Request, name: str = Form(""),
                 principal: Principal = Depends(access),
                 accounts: AccountService = Depends(account_service)) -> Response:
    user = accounts.get_user(principal.user.id)
    issued = accounts.issue_token(user, name)
    accounts.session.commit()
    tokens = accounts.list_tokens(user)
    # The token is shown exactly once; only its digest is stored.
    return render(request, "account.html", {"tokens": tokens, "new_token": issued.token},
                  headers={"Cache-Control": "no-store"})


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, principal: Principal = Depends(access),
                 accounts: AccountService = Depends(account_service)) -> Response:
    accounts.revoke_token(accounts.get_user(principal.user.id), token_id)
    accounts.session.commit()
    return RedirectResponse("/account", status_code=303)


@router.get("/jobs/{job_id}")
def job_status(request: Request, job_id: str, principal: Principal = Depends(access),
               database: Database = Depends(get_database)) -> Response:
    """Job progress; htmx polls this fragment until the job is done."""
    job = JobService(database).get(job_id)
    if job.created_by != principal.user.id and Role.ADMIN not in principal.user.roles:
        raise PermissionDenied()
    template = "partials/job.html" if request.headers.get("hx-request") else "job.html"
    return render(request, template, {"job": job})
