"""Cases in the JSON API: the list and one case, read-only and minimised.

* ``GET /api/v1/cases`` — a page of the cases the caller may see (officers: their own;
  supervisors: all), newest first, with the case list's and the deadline board's filters.
* ``GET /api/v1/cases/{ref}`` — one case with its persons and checklist steps (due times).

Same role rule as the case pages (officers and supervisors), and the same object rule: the
list comes from :meth:`CaseService.visible_cases` and the case from
:meth:`CaseService.get_visible`, which answer 403 for another officer's case exactly as the
page does. Minimised on purpose: what another system needs to follow a case (who, which
steps, by when), not its content — no summary, statements, evidence, identity documents,
contact details or dates of birth; those stay on the pages, where reading them is logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from accord.cases.guidance import deadlines_for_case
from accord.cases.service import Case, CaseService
from accord.cases.stations import stations
from accord.cases.vocab import CASE_STATUSES, CASE_TYPES
from accord.config import Settings
from accord.core.accounts import User
from accord.core.blobs import BlobStore
from accord.core.db import utcnow
from accord.core.roles import Role
from accord.web.deps import Principal, db_session, get_settings_dep, require_roles

access = require_roles(Role.OFFICER, Role.SUPERVISOR)
router = APIRouter(prefix="/api/v1/cases", tags=["cases"], dependencies=[Depends(access)])

MAX_LIMIT = 200
#: The largest offset accepted: deeper pages are a 422, not a slow scan of the whole table.
MAX_OFFSET = 1_000_000
REFERENCE_PATTERN = r"^FR-[0-9]{4}-[0-9]{6}$"


class OfficerOut(BaseModel):
    id: int
    username: str
    display_name: str


class CaseSummaryOut(BaseModel):
    reference: str
    case_type: str
    title: str
    status: str
    station: str
    officer: OfficerOut | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CasePageOut(BaseModel):
    items: list[CaseSummaryOut]
    limit: int
    offset: int
    next_offset: int | None = None


class PersonOut(BaseModel):
    id: int
    role: str
    full_name: str
    nationality: str
    languages: list[str]
    speaks_chinese: bool


class StepOut(BaseModel):
    """One step of the case's legal checklist, evaluated now (times in the station's zone)."""

    step_id: str
    title_en: str
    title_zh: str
    citation: str
    state: str
    due_at: datetime | None
    without_delay: bool
    service_target_at: datetime | None
    done_at: datetime | None
    late: bool
    fact_status: str


class CaseOut(CaseSummaryOut):
    place: str
    persons: list[PersonOut]
    steps: list[StepOut]


def _service(session: Session = Depends(db_session),
             settings: Settings = Depends(get_settings_dep)) -> CaseService:
    return CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                       settings.station_timezone)


def _officer(user: User | None) -> OfficerOut | None:
    if user is None:
        return None
    return OfficerOut(id=user.id, username=user.username, display_name=user.display_name)


def _summary(case: Case, officers: dict[int, User]) -> dict[str, Any]:
    return {"reference": case.reference, "case_type": case.case_type, "title": case.title,
            "status": case.status, "station": case.station,
            "officer": _officer(officers.get(case.officer_id or -1)),
            "opened_at": case.opened_at, "updated_at": case.updated_at,
            "closed_at": case.closed_at}


def _enum(values: Any) -> dict[str, Any]:
    return {"enum": sorted(values)}


@router.get("", response_model=CasePageOut, summary="The cases the caller may see")
def list_cases(
    case_type: Annotated[str, Query(json_schema_extra=_enum(CASE_TYPES))] = "",
    status: Annotated[str, Query(json_schema_extra=_enum(CASE_STATUSES))] = "",
    station: Annotated[str, Query(json_schema_extra=_enum(stations()))] = "",
    officer: Annotated[int | None, Query(ge=1, le=2_147_483_647,
                                         description="Only this officer's cases (user id)")
                       ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> CasePageOut:
    """Newest first. Officers get only their own cases whatever ``officer`` says; an unknown
    case type, status or station is a 422."""
    cases = service.visible_cases(principal.user, case_type=case_type, status=status,
                                  station=station, officer_id=officer, limit=limit + 1,
                                  offset=offset)
    page = cases[:limit]
    officers = service.users_by_id(c.officer_id for c in page)
    return CasePageOut(items=[CaseSummaryOut(**_summary(c, officers)) for c in page],
                       limit=limit, offset=offset,
                       next_offset=offset + limit if len(cases) > limit else None)


@router.get("/{ref}", response_model=CaseOut, summary="One case: persons and checklist steps")
def get_case(
    ref: Annotated[str, Path(pattern=REFERENCE_PATTERN, examples=["FR-2026-000001"])],
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> CaseOut:
    """403 for a case the caller may not open (another officer's), 404 for none."""
    case = service.get_visible(ref, principal.user)
    officers = service.users_by_id([case.officer_id])
    steps = [StepOut(step_id=s.step_id, title_en=s.title_en, title_zh=s.title_zh,
                     citation=s.citation, state=s.state, due_at=s.due_at,
                     without_delay=s.without_delay, service_target_at=s.accord_target_at,
                     done_at=s.done_at, late=s.late, fact_status=s.fact_status)
             for s in deadlines_for_case(case, now=utcnow(), tz=settings.station_timezone)]
    persons = [PersonOut(id=p.id, role=p.role, full_name=p.full_name,
                         nationality=p.nationality, languages=list(p.languages or []),
                         speaks_chinese=bool(p.speaks_chinese)) for p in case.persons]
    return CaseOut(**_summary(case, officers), place=case.place, persons=persons, steps=steps)

