"""JSON API v1. Same authentication and roles as the pages: a bearer token or a session."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from accord.core.accounts import AccountService, User
from accord.core.db import Database
from accord.core.errors import PermissionDenied, ValidationFailed
from accord.core.jobs import JobService
from accord.core.roles import Role, parse_roles
from accord.web.deps import Principal, account_service, get_database, require_roles

signed_in = require_roles()
admin_only = require_roles(Role.ADMIN)

router = APIRouter(prefix="/api/v1", tags=["v1"], dependencies=[Depends(signed_in)])
admin_router = APIRouter(prefix="/api/v1", tags=["v1 admin"],
                         dependencies=[Depends(admin_only)])


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[Role]
    language: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, username=user.username, display_name=user.display_name,
                   roles=sorted(user.roles), language=user.language, active=user.active,
                   created_at=user.created_at)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64, examples=["li.wei"])
    password: str = Field(min_length=10, max_length=256)
    roles: list[str] = Field(min_length=1, examples=[["officer"]])
    display_name: str = Field(default="", max_length=128)
    language: str = Field(default="zh_Hans", pattern="^(zh_Hans|en)$")


class JobOut(BaseModel):
    id: str
    kind: str
    status: str
    progress: int
    message: str
    created_at: datetime
    finished_at: datetime | None


@router.get("/me", response_model=UserOut, summary="The calling user")
def me(principal: Principal = Depends(signed_in)) -> UserOut:
    return UserOut.of(principal.user)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A background job's progress")
def job(job_id: str, principal: Principal = Depends(signed_in),
        database: Database = Depends(get_database)) -> JobOut:
    record = JobService(database).get(job_id)
    if record.created_by != principal.user.id and Role.ADMIN not in principal.user.roles:
        raise PermissionDenied()
    return JobOut(id=record.id, kind=record.kind, status=record.status, progress=record.progress,
                  message=record.message, created_at=record.created_at,
                  finished_at=record.finished_at)


@admin_router.get("/users", response_model=list[UserOut], summary="All users (admin)")
def list_users(accounts: AccountService = Depends(account_service)) -> list[UserOut]:
    return [UserOut.of(user) for user in accounts.list_users()]


@admin_router.post("/users", response_model=UserOut, status_code=201,
                   summary="Create a user (admin)",
                   responses={409: {"description": "The user name is taken.",
                                    "content": {"application/json": {"schema": {
                                        "$ref": "#/components/schemas/Error"}}}}})
def create_user(body: UserIn, accounts: AccountService = Depends(account_service)) -> UserOut:
    try:
        roles = parse_roles(body.roles)
    except ValueError as error:
        raise ValidationFailed(detail=f"roles: {error}") from None
    user = accounts.create_user(body.username, body.password, roles,
                                display_name=body.display_name, language=body.language)
    accounts.session.commit()
    return UserOut.of(user)
