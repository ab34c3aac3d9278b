"""Guidance pages: the deadline board, rights notices and consular letters of a case, and the
legal officers' confirmation of legal facts.

Two routers, one access rule each, combined in :data:`router`:

* ``cases_router`` — officers and supervisors (``/cases/board``, ``/cases/{ref}/notices``,
  consular letters). Which *case* a user may open is the case service's rule
  (:meth:`CaseService.can_view`: officers only their own cases, supervisors all); the board
  applies the same rule to the cases it lists.
* ``legal_router`` — legal officers and admins (``/legal/facts``): confirm or dispute the exact
  text of a legal fact; the verdict is bound to the text's digest.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

import accord.cases.routes.cases  # noqa: F401 - registers the "caseref" path convertor
from accord.cases import notices as notice_service
from accord.cases.board import WITHIN_HOURS, Board, BoardFilter, csv_rows, deadline_board
from accord.cases.casemap import case_map
from accord.cases.guidance import (
    FACT_STATUS_LABELS,
    STATE_LABELS,
    Caution,
    LegalFactService,
    deadlines_for_case,
    get_guidance,
    subject_person,
)
from accord.cases.notices import NoticeService
from accord.cases.service import Case, CaseService
from accord.cases.stations import stations
from accord.cases.vocab import CASE_TYPES, EVENT_KINDS
from accord.config import Settings
from accord.core.blobs import BlobStore
from accord.core.db import utcnow
from accord.core.errors import AccordError, ValidationFailed
from accord.core.i18n import M_
from accord.core.roles import Role
from accord.web.deps import Principal, db_session, get_settings_dep, require_roles
from accord.web.routes.governance import common_context
from accord.web.templating import environment, render

# Broken guidance data stops the application at start, not at the first case page.
get_guidance()


def case_cautions(case: Case) -> list[Caution]:
    """Procedural cautions for a case (its type and the subject person's nationality)."""
    person = subject_person(case)
    return get_guidance().cautions_for(case.case_type, person.nationality if person else "")


def caution_source(caution: Caution, language: str) -> str:
    """What a caution rests on, cited in the reader's language."""
    return get_guidance().caution_source(caution, language)


# The case page (another module) includes cases/_deadlines.html, which shows the cautions.
environment.globals.setdefault("case_cautions", case_cautions)
environment.globals.setdefault("caution_source", caution_source)

case_access = require_roles(Role.OFFICER, Role.SUPERVISOR)
legal_access = require_roles(Role.LEGAL, Role.ADMIN)
cases_router = APIRouter(
    prefix="/cases", include_in_schema=False, dependencies=[Depends(case_access)]
)
legal_router = APIRouter(
    prefix="/legal", include_in_schema=False, dependencies=[Depends(legal_access)]
)
router = APIRouter()



def _service(
    session: Session = Depends(db_session), settings: Settings = Depends(get_settings_dep)
) -> CaseService:
    return CaseService(
        session, BlobStore.for_state_dir(settings.state_dir), settings.station_timezone
    )


def _case_for(service: CaseService, reference: str, principal: Principal) -> Case:
    return service.get_visible(reference, principal.user)


def _zh(request: Request) -> bool:
    return str(getattr(request.state, "language", "zh_Hans")).startswith("zh")


def _local_time(field: str, value: str, service: CaseService) -> datetime:
    """A ``datetime-local`` value (station wall clock) as an aware UTC time."""
    value = (value or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?", value):
        raise ValidationFailed(detail=M_("%(field)s: expected a date and time as YYYY-MM-DDTHH:MM",
                                         field=field))
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise ValidationFailed(detail=M_("%(field)s: not a real date and time",
                                         field=field)) from None
    return service.to_utc(field, parsed)


def _opt_int(field: str, value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed(detail=M_("%(field)s: expected a number", field=field))
    return int(value)


def _guidance_context(request: Request) -> dict[str, Any]:
    return {
        **common_context(request),
        "state_labels": STATE_LABELS,
        "fact_status_labels": FACT_STATUS_LABELS,
        "event_kinds": EVENT_KINDS,
        "zh": _zh(request),
    }


# -- deadline board ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardView:
    board: Board
    filters: BoardFilter


def _board(
    principal: Principal = Depends(case_access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
    case_type: str = "",
    officer: str = "",
    within: str = "",
    station: str = "",
) -> BoardView:
    """The board of the signed-in user with the query's filters (page and CSV alike)."""
    filters = BoardFilter.parse(case_type, officer, within, station)
    board = deadline_board(service, principal.user, now=utcnow(), tz=settings.station_timezone,
                           filters=filters)
    return BoardView(board, filters)


@cases_router.get("/board")
def board(
    request: Request,
    view: BoardView = Depends(_board),
    principal: Principal = Depends(case_access),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    """Every open step of the open cases the user may open: overdue, at risk, then pending."""
    board, filters = view.board, view.filters
    return render(
        request,
        "cases/board.html",
        {
            **_guidance_context(request),
            "board": board,
            "rows": board.rows,
            "filters": filters,
            "query": urlencode(filters.as_query()),
            "within_choices": WITHIN_HOURS,
            "case_types": CASE_TYPES,
            "stations": stations(),
            "tz_name": settings.station_timezone,
            "all_cases": Role.SUPERVISOR in principal.user.roles,
            "case_count": len(board.cases),
            "overdue": board.count("overdue"),
            "at_risk": board.count("at-risk"),
            "pending": board.count("pending"),
        },
    )


# -- the supervisor's map of cases -----------------------------------------------------------------
supervisor_access = require_roles(Role.SUPERVISOR)


@cases_router.get("/map")
def case_map_page(
    request: Request,
    principal: Principal = Depends(supervisor_access),
    session: Session = Depends(db_session),
) -> Response:
    """Open cases per district on the district outlines (counts only, no tiles needed)."""
    found = case_map(session, principal.user)
    language = str(getattr(request.state, "language", "zh_Hans"))
    return render(request, "cases/map.html", {
        **_guidance_context(request),
        "found": found,
        "station_names": {key: s.name(language) for key, s in stations().items()},
        "geojson": found.geojson(),
    })


@cases_router.get("/board.csv")
def board_csv(view: BoardView = Depends(_board)) -> Response:
    """The same board, with the same filters, as CSV (for a shift hand-over sheet)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(view.board):
        writer.writerow(row)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="deadline-board.csv"'})


# -- notices and consular letters ----------------------------------------------------------------
def _notices_page(
    request: Request,
    service: CaseService,
    case: Case,
    settings: Settings,
    *,
    error: AccordError | None = None,
    form: dict[str, Any] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    from accord.interpret.library import LANGUAGES, get_library

    notices = NoticeService(service)
    given = notices.notices(case)
    letters = notices.letters(case)
    ids = {n.given_by for n in given} | {x.generated_by for x in letters}
    ids |= {x.sent_by for x in letters}
    users = service.users_by_id(ids)
    person = subject_person(case)
    library = get_library()
    return render(
        request,
        "cases/notices.html",
        {
            **_guidance_context(request),
            "case": case,
            "notices": given,
            "letters": letters,
            "users": users,
            "library_notices": library.notices,
            "languages": LANGUAGES,
            "content_languages": LANGUAGES,
            "modes": notice_service.NOTICE_MODES,
            "channels": notice_service.SEND_CHANNELS,
            "persons": {p.id: p for p in case.persons},
            "subject": person,
            "local": service.local,
            "tz_name": settings.station_timezone,
            "now_local": service.local(utcnow()),
            "deadlines": deadlines_for_case(case, now=utcnow(), tz=settings.station_timezone),
            "error": error,
            "form": form or {},
            "message": message,
        },
        status_code=status,
    )


@cases_router.get("/{ref:caseref}/notices")
def notices_page(
    ref: str,
    request: Request,
    principal: Principal = Depends(case_access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    return _notices_page(
        request, service, case, settings, message=request.query_params.get("done", "")[:40]
    )


@cases_router.post("/{ref:caseref}/notices")
def record_notice(
    ref: str,
    request: Request,
    notice_id: str = Form(""),
    language: str = Form(""),
    given_at: str = Form(""),
    mode: str = Form(""),
    person_id: str = Form(""),
    interpreter_name: str = Form(""),
    interpreter_register_id: str = Form(""),
    note: str = Form(""),
    principal: Principal = Depends(case_access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    form = {
        "notice_id": notice_id,
        "language": language,
        "given_at": given_at,
        "mode": mode,
        "person_id": person_id,
        "interpreter_name": interpreter_name,
        "interpreter_register_id": interpreter_register_id,
        "note": note,
    }
    try:
        NoticeService(service).give_notice(
            case,
            principal.user,
            notice_id=notice_id.strip(),
            language=language.strip(),
            given_at=_local_time("given at", given_at, service),
            mode=mode.strip(),
            person_id=_opt_int("person", person_id),
            interpreter_name=interpreter_name,
            interpreter_register_id=interpreter_register_id,
            note=note,
        )
    except AccordError as error:
        case = service.reload(case.reference)
        return _notices_page(
            request, service, case, settings, error=error, form=form, status=error.status
        )
    return RedirectResponse(f"/cases/{quote(case.reference)}/notices?done=notice", status_code=303)


def _pdf_response(data: bytes, case: Case, letter_id: int) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="consular-letter-{case.reference}-{letter_id}.pdf"'
            ),
            "Cache-Control": "no-store",
        },
    )


@cases_router.post("/{ref:caseref}/consular-letter")
def consular_letter(
    ref: str,
    request: Request,
    person_id: str = Form(""),
    consulate: str = Form(""),
    principal: Principal = Depends(case_access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    try:
        letter, data = NoticeService(service).write_consular_letter(
            case,
            principal.user,
            person_id=_opt_int("person", person_id),
            tz=settings.station_timezone,
            consulate=consulate,
            font_path=getattr(settings, "pdf_font", "") or "",
        )
    except AccordError as error:
        case = service.reload(case.reference)
        return _notices_page(
            request,
            service,
            case,
            settings,
            error=error,
            form={"consulate": consulate},
            status=error.status,
        )
    return _pdf_response(data, case, letter.id)


@cases_router.get("/{ref:caseref}/consular-letter/{letter_id:int}.pdf")
def consular_letter_file(
    ref: str,
    letter_id: int,
    principal: Principal = Depends(case_access),
    service: CaseService = Depends(_service),
) -> Response:
    case = _case_for(service, ref, principal)
    letter = NoticeService(service).letter(case, letter_id)
    return _pdf_response(service.blobs.get(letter.pdf_sha256), case, letter.id)


@cases_router.post("/{ref:caseref}/consular-letter/{letter_id:int}/sent")
def consular_letter_sent(
    ref: str,
    letter_id: int,
    request: Request,
    sent_at: str = Form(""),
    sent_via: str = Form(""),
    reference: str = Form(""),
    principal: Principal = Depends(case_access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    try:
        NoticeService(service).letter_sent(
            case,
            letter_id,
            principal.user,
            sent_at=_local_time("sent at", sent_at, service),
            via=sent_via.strip(),
            reference=reference,
        )
    except AccordError as error:
        case = service.reload(case.reference)
        return _notices_page(
            request,
            service,
            case,
            settings,
            error=error,
            form={
                "sent_at": sent_at,
                "sent_via": sent_via,
                "reference": reference,
                "letter": letter_id,
            },
            status=error.status,
        )
    return RedirectResponse(f"/cases/{quote(case.reference)}/notices?done=sent", status_code=303)


# -- legal facts ---------------------------------------------------------------------------------
def _facts_page(
    request: Request,
    session: Session,
    *,
    error: AccordError | None = None,
    error_for: str = "",
    message: str = "",
    status: int = 200,
) -> Response:
    service = LegalFactService(session)
    views = service.facts()
    users = {v.latest.by_user for v in views if v.latest and v.latest.by_user}
    guidance = get_guidance()
    # Which steps and treaties rest on each fact, by their titles (never their ids).
    used: dict[str, list[dict[str, str]]] = {}
    for checklist in guidance.checklists.values():
        for step in checklist.steps:
            used.setdefault(step.fact, []).append(
                {"case_type": checklist.case_type, "title_en": step.title_en,
                 "title_zh": step.title_zh})
    for treaty in guidance.treaties.values():
        used.setdefault(treaty.fact, []).append(
            {"case_type": "", "title_en": treaty.name_en, "title_zh": treaty.name_zh})
    return render(
        request,
        "legal/facts.html",
        {
            **_guidance_context(request),
            "views": views,
            "used": used,
            "case_types": CASE_TYPES,
            "error": error,
            "error_for": error_for,
            "message": message,
            "user_count": len(users),
        },
        status_code=status,
    )


@legal_router.get("/facts")
def facts(request: Request, session: Session = Depends(db_session)) -> Response:
    return _facts_page(request, session, message=request.query_params.get("done", "")[:80])


@legal_router.post("/facts")
def confirm_fact(
    request: Request,
    fact_id: str = Form(""),
    digest: str = Form(""),
    status: str = Form(""),
    note: str = Form(""),
    principal: Principal = Depends(legal_access),
    session: Session = Depends(db_session),
) -> Response:
    try:
        LegalFactService(session).confirm(
            fact_id.strip(),
            status.strip(),
            digest=digest.strip(),
            note=note,
            user_id=principal.user.id,
        )
    except AccordError as error:
        return _facts_page(request, session, error=error, error_for=fact_id, status=error.status)
    return RedirectResponse(
        f"/legal/facts?done={quote(fact_id)}#fact-{quote(fact_id)}", status_code=303
    )


router.include_router(cases_router)
router.include_router(legal_router)

__all__ = ["router"]
