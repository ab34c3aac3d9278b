"""JSON API v1. Same authentication and roles as the pages: a bearer token or a session."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from accord.core.accounts import AccountService, User
from accord.core.db import Database
from accord.core.errors import NotFound, PermissionDenied, ValidationFailed
from accord.core.governance import get_governance
from accord.core.i18n import M_, N_
from accord.core.jobs import JobService
from accord.core.roles import Role, UnknownRole, parse_roles
from accord.web.deps import Principal, account_service, get_database, require_roles
from accord.web.routes.ledger import KINDS, signed_checkpoint

signed_in = require_roles()
admin_only = require_roles(Role.ADMIN)

router = APIRouter(prefix="/api/v1", tags=["v1"], dependencies=[Depends(signed_in)])
admin_router = APIRouter(prefix="/api/v1", tags=["v1 admin"],
                         dependencies=[Depends(admin_only)])
#: The ledger's entries: the roles of the ledger explorer (``/ledger``).
ledger_access = require_roles(Role.AUDITOR, Role.DPO, Role.SUPERVISOR, Role.ADMIN)
ledger_router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"],
                          dependencies=[Depends(ledger_access)])
#: The latest signed checkpoint reveals no entry (the same note is public at
#: ``/ledger/checkpoint``); any signed-in caller may read it through the API.
checkpoint_router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"],
                              dependencies=[Depends(signed_in)])
MAX_SEQ = 2**63 - 1


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
async def me(principal: Principal = Depends(signed_in)) -> UserOut:
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
    except UnknownRole as error:
        raise ValidationFailed(detail=M_("roles: %(error)s", error=error.message)) from None
    user = accounts.create_user(body.username, body.password, roles,
                                display_name=body.display_name, language=body.language)
    accounts.session.commit()
    return UserOut.of(user)


class LedgerEntryOut(BaseModel):
    seq: int
    kind: str
    capability_id: str
    actor: str
    created_at: datetime
    leaf_hash: str = Field(description="SHA-256 leaf hash (RFC 6962) of `body`, hex")
    body: str = Field(description="The entry as hashed: RFC 8785 canonical JSON")


class LedgerPageOut(BaseModel):
    entries: list[LedgerEntryOut]
    next_seq: int | None = Field(description="Ask with `start` = this for the next page; "
                                             "null at the end of the ledger")


class SignatureOut(BaseModel):
    name: str
    key_id: str
    role: Literal["log", "witness", "other"]


class CheckpointOut(BaseModel):
    origin: str
    size: int
    root_hash: str
    signatures: list[SignatureOut]
    note: str = Field(description="The signed note (C2SP tlog-checkpoint); verify it with the "
                                  "key at /ledger/public-key")


class LatestCheckpointOut(CheckpointOut):
    witnessed: CheckpointOut | None = Field(
        description="The checkpoint the oversight witness last cosigned")


@ledger_router.get("/entries", response_model=LedgerPageOut,
                   summary="Ledger entries by sequence (oversight roles)")
def ledger_entries(
    start: Annotated[int, Query(ge=0, le=MAX_SEQ, description="First sequence number")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    kind: Annotated[str, Query(json_schema_extra={"enum": list(KINDS)})] = "",
) -> LedgerPageOut:
    """Entries in sequence order from ``start`` (gap-free: the next page starts at
    ``next_seq``). Each carries its body as hashed, so a client can check the leaf hashes
    against a signed checkpoint."""
    if kind and kind not in KINDS:
        raise ValidationFailed(detail=M_("kind: unknown entry kind %(kind)r", kind=kind))
    entries, next_seq = get_governance().ledger.entries_page(start, limit, kind)
    return LedgerPageOut(entries=[LedgerEntryOut(**e) for e in entries], next_seq=next_seq)


@checkpoint_router.get("/checkpoints/latest", response_model=LatestCheckpointOut,
                       summary="The latest signed checkpoint",
                       responses={404: {"description": "The ledger is empty: nothing signed "
                                                       "yet."}})
def latest_checkpoint() -> LatestCheckpointOut:
    """The checkpoint over the whole ledger (signed now if the ledger grew since the last),
    every value read from the signed note after its signature verified, with the checkpoint
    the witness last cosigned — as ``/ledger/checkpoint`` with ``Accept: application/json``."""
    governance = get_governance()
    checkpoint = governance.ledger.checkpoint()
    if checkpoint is None:
        raise NotFound(N_("The ledger is empty: no checkpoint has been signed yet."))
    witnessed = governance.ledger.witnessed(governance.witness_signer().name)
    return LatestCheckpointOut(
        **signed_checkpoint(governance, checkpoint.note),
        witnessed=CheckpointOut(**signed_checkpoint(governance, witnessed.note))
        if witnessed is not None and witnessed.note else None)
