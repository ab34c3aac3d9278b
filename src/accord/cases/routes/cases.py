"""Case workspace pages: the case list with search, a new case, and the case page with its
persons, documents, events, statements, evidence custody and tasks.

One access rule for the router (officers and supervisors); which *case* a user may open is the
service's rule (:meth:`CaseService.can_view`), so the CLI and the web share it. Every form posts
to its own route; bad input re-renders the case page with the message next to that form (422) and
stores nothing. Case references are matched by a path convertor, so sibling pages owned by other
modules (``/cases/board``, ``/cases/suggest-type``) are never swallowed by ``/cases/{ref}``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from accord.cases.case_file import SECTION_SENSITIVITY, render_case_file
from accord.cases.case_file import SECTIONS as CASE_FILE_SECTIONS
from accord.cases.guidance import deadlines_for_case
from accord.cases.service import Case, CaseService, Statement, primary_language
from accord.cases.stations import stations
from accord.cases.subjects import person_subjects, statement_subjects
from accord.cases.vocab import (
    CASE_STATUSES,
    CASE_TYPES,
    CUSTODY_ACTIONS,
    DOCUMENT_KINDS,
    EVENT_KINDS,
    PERSON_ROLES,
    STATED_NEEDS,
    TRANSLATION_SOURCES,
)
from accord.config import Settings
from accord.core.blobs import BlobStore
from accord.core.contract import (
    OutboundShare,
    need_guidance,
    record_share,
    release_share,
    share_out,
)
from accord.core.db import utcnow
from accord.core.errors import AccordError, ValidationFailed
from accord.core.gateway.service import GatewayDenied, GatewayRequest, ModelFailed
from accord.core.governance import get_governance
from accord.core.i18n import M_, N_, Message
from accord.core.roles import Role
from accord.web import uploads
from accord.web.deps import Principal, db_session, get_settings_dep, require_roles
from accord.web.routes.governance import (
    LEGAL_BASIS_LABELS,
    caller_of,
    common_context,
    language_of,
)
from accord.web.templating import render

TRANSLATE = "interpret.translate"
#: Machine translation targets, in order of preference: the station's language, then English.
MT_TARGETS = ("zh", "en")
MT_PURPOSE = "case-handling"
#: Default legal basis offered for machine translation, by case type; the officer may change it.
CRIMINAL_TYPES = frozenset({"theft-victim", "dispute", "detention", "death"})
PAGE_SIZE = 50


class CaseReferenceConvertor(Convertor[str]):
    regex = r"FR-[0-9]{4}-[0-9]{6}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("caseref", CaseReferenceConvertor())

access = require_roles(Role.OFFICER, Role.SUPERVISOR)
router = APIRouter(prefix="/cases", include_in_schema=False, dependencies=[Depends(access)])

# Words that reach templates as data (statement origins, search hit kinds); marked for extraction.
DATA_WORDS = (
    N_("typed"),
    N_("transcribed"),
    N_("written"),
    N_("case"),
    N_("person"),
    N_("statement"),
)
# Messages built here (not in the service) that reach the page.
NO_PAIR = N_(
    "No machine translation is available from %(source)s into Chinese or English. The "
    "statement is saved as written; request an interpreter for a translation."
)
MT_FAILED = N_("Machine translation failed: %(reason)s. The statement is saved as written.")
MT_DONE = N_(
    "Machine translation added (decision %(decision)s). It stays labelled until a person "
    "reviews it."
)


def _service(
    session: Session = Depends(db_session), settings: Settings = Depends(get_settings_dep)
) -> CaseService:
    return CaseService(
        session, BlobStore.for_state_dir(settings.state_dir), settings.station_timezone
    )


def _case_for(service: CaseService, reference: str, principal: Principal) -> Case:
    return service.get_visible(reference, principal.user)


# -- form parsing ---------------------------------------------------------------------------------
def _opt_int(field: str, value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed(detail=M_("%(field)s: expected a number", field=field))
    return int(value)


def _date(field: str, value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationFailed(detail=M_("%(field)s: expected a real date as YYYY-MM-DD", field=field))


def _local_datetime(field: str, value: str, *, required: bool = False) -> datetime | None:
    """``datetime-local`` input (``YYYY-MM-DDTHH:MM``) — a wall-clock time at the station."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed(detail=M_("%(field)s: required", field=field))
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?", value):
        raise ValidationFailed(detail=M_("%(field)s: expected a date and time as YYYY-MM-DDTHH:MM",
                                         field=field))
    try:
        return datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise ValidationFailed(detail=M_("%(field)s: not a real date and time",
                                         field=field)) from None


def _error_field(error: AccordError | None) -> str:
    detail = str((error.params if error else {}).get("detail", ""))
    return detail.split(":", 1)[0] if ":" in detail else ""


# -- rendering ------------------------------------------------------------------------------------
def _deadlines(case: Case, settings: Settings) -> list[Any]:
    """The case's checklist from the guidance engine, due times in the station's time zone."""
    return list(deadlines_for_case(case, now=utcnow(), tz=settings.station_timezone))


def _default_legal_basis(case: Case) -> str:
    return "criminal-procedure-law" if case.case_type in CRIMINAL_TYPES else "police-law-art-2"


def _vocab() -> dict[str, Any]:
    return {
        "case_types": CASE_TYPES,
        "case_statuses": CASE_STATUSES,
        "person_roles": PERSON_ROLES,
        "document_kinds": DOCUMENT_KINDS,
        "event_kinds": EVENT_KINDS,
        "custody_actions": CUSTODY_ACTIONS,
        "translation_sources": TRANSLATION_SOURCES,
        "stated_needs": STATED_NEEDS,
        "stations": stations(),
    }


def _case_page(
    request: Request,
    principal: Principal,
    service: CaseService,
    case: Case,
    settings: Settings,
    *,
    section: str = "",
    error: AccordError | None = None,
    form: dict[str, Any] | None = None,
    notice: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    ids: set[int | None] = {case.officer_id}
    ids |= {e.recorded_by for e in case.events}
    ids |= {s.taken_by for s in case.statements} | {
        s.translation_reviewed_by for s in case.statements
    }
    ids |= {c.by_user for item in case.evidence for c in item.custody}
    ids |= {t.assignee_id for t in case.tasks} | {t.done_by for t in case.tasks}
    persons = {p.id: p for p in case.persons}
    evidence = [
        {
            "item": item,
            "intact": service.verify_evidence(item),
            "closed": any(c.action in ("destroyed", "returned") for c in item.custody),
        }
        for item in case.evidence
    ]
    translate = get_governance().registry.get(TRANSLATE)
    from accord.interpret.conversation import transcript_rows

    # Guidance for each person's stated needs, from whichever package keeps it (knowledge),
    # through the core hook: cases does not import knowledge.
    language = "zh" if language_of(request).startswith("zh") else "en"
    needs_guidance = {p.id: need_guidance(p.stated_needs or [], language) for p in case.persons}
    return render(
        request,
        "cases/case.html",
        {
            **common_context(request),
            **_vocab(),
            "case": case,
            "persons": persons,
            "needs_guidance": needs_guidance,
            "evidence": evidence,
            "users": service.users_by_id(ids),
            "local": service.local,
            "tz_name": str(service.tz),
            "now_local": service.local(utcnow()),
            "deadlines": _deadlines(case, settings),
            "section": section,
            "error": error,
            "error_field": _error_field(error),
            "form": form or {},
            "notice": notice,
            "legal_bases": sorted(translate.legal_bases),
            "legal_basis_labels": LEGAL_BASIS_LABELS,
            "default_legal_basis": _default_legal_basis(case),
            "can_edit": service.can_edit(case, principal.user),
            # The bilingual transcript of the case's two-screen conversations (interpret).
            "conversation_lines": transcript_rows(service.session, case_ref=case.reference),
            "start_href": f"/interpret/conversations?case={case.reference}",
        },
        status_code=status,
    )


def _back(case: Case, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case.reference}#{anchor}", status_code=303)


# -- list and search ------------------------------------------------------------------------
@router.get("")
def case_list(
    request: Request,
    case_type: str = "",
    status: str = "",
    q: str = "",
    page: int = 1,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> Response:
    user = principal.user
    officer_id = None if Role.SUPERVISOR in user.roles else user.id
    error: AccordError | None = None
    cases: list[Case] = []
    hits: list[Any] = []
    page = max(1, page)
    try:
        cases = service.list_cases(
            officer_id=officer_id,
            case_type=case_type or None,
            status=status or None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        if q.strip():
            if len(q) > 200:
                raise ValidationFailed(detail=M_("q: at most 200 characters"))
            from accord.cases.search import search_cases

            hits = search_cases(service.session, q.strip(), limit=20, officer_id=officer_id)
    except ValidationFailed as caught:
        error = caught
    officers = service.users_by_id(c.officer_id for c in cases)
    return render(
        request,
        "cases/index.html",
        {
            **common_context(request),
            **_vocab(),
            "cases": cases[:PAGE_SIZE],
            "has_more": len(cases) > PAGE_SIZE,
            "page": page,
            "officers": officers,
            "filters": {"case_type": case_type, "status": status, "q": q},
            "hits": hits,
            "error": error,
            "all_cases": officer_id is None,
            "local": service.local,
        },
        status_code=error.status if error else 200,
    )


# -- new case -----------------------------------------------------------------------------------
def _new_page(
    request: Request,
    service: CaseService,
    *,
    form: dict[str, str] | None = None,
    error: AccordError | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "cases/new.html",
        {
            **common_context(request),
            **_vocab(),
            "form": form
            or {"case_type": "", "title": "", "place": "", "summary": "", "opened_at": "",
                "station": ""},
            "error": error,
            "error_field": _error_field(error),
            "tz_name": str(service.tz),
        },
        status_code=status,
    )


@router.get("/new")
def new_case_form(request: Request, service: CaseService = Depends(_service)) -> Response:
    return _new_page(request, service)


@router.post("/new")
def new_case(
    request: Request,
    case_type: str = Form(""),
    title: str = Form(""),
    place: str = Form(""),
    summary: str = Form(""),
    opened_at: str = Form(""),
    station: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> Response:
    form = {
        "case_type": case_type,
        "title": title,
        "place": place,
        "summary": summary,
        "opened_at": opened_at,
        "station": station,
    }
    try:
        case = service.open_case(
            principal.user,
            case_type=case_type,
            title=title,
            place=place,
            summary=summary,
            opened_at=_local_datetime("opened_at", opened_at),
            station=station,
        )
    except ValidationFailed as error:
        return _new_page(request, service, form=form, error=error, status=error.status)
    return RedirectResponse(f"/cases/{case.reference}", status_code=303)


@router.post("/from-report/{reference}")
def case_from_report(
    reference: str,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> Response:
    """Open a draft case from a guided-interview report (or go to the one already opened)."""
    case = service.open_case_for_report(reference[:24], principal.user)
    return RedirectResponse(f"/cases/{case.reference}", status_code=303)


# -- the case page --------------------------------------------------------------------------------
@router.get("/{ref:caseref}")
def case_page(
    request: Request,
    ref: str,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    return _case_page(request, principal, service, case, settings)


def _refuse(
    request: Request,
    principal: Principal,
    service: CaseService,
    case: Case,
    settings: Settings,
    section: str,
    error: AccordError,
    form: dict[str, Any],
) -> Response:
    """Show the form again with the message, over the case as stored (the service undid
    everything the refused use case did)."""
    case = service.reload(case.reference)
    return _case_page(
        request,
        principal,
        service,
        case,
        settings,
        section=section,
        error=error,
        form={section: form},
        status=error.status,
    )


@router.post("/{ref:caseref}/status")
def case_status(
    request: Request,
    ref: str,
    status: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    try:
        service.change_status(case, status, principal.user)
    except ValidationFailed as error:
        return _refuse(
            request, principal, service, case, settings, "status", error, {"status": status}
        )
    return _back(case, "status")


@router.post("/{ref:caseref}/persons")
def add_person(
    request: Request,
    ref: str,
    role: str = Form(""),
    full_name: str = Form(""),
    nationality: str = Form(""),
    sex: str = Form(""),
    date_of_birth: str = Form(""),
    languages: str = Form(""),
    speaks_chinese: str = Form(""),
    contact: str = Form(""),
    doc_kind: str = Form(""),
    doc_number: str = Form(""),
    doc_issuing_state: str = Form(""),
    doc_expiry: str = Form(""),
    mrz_verified: str = Form(""),
    mrz_decision_id: str = Form(""),
    image_sha256: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    form = {
        "role": role,
        "full_name": full_name,
        "nationality": nationality,
        "sex": sex,
        "date_of_birth": date_of_birth,
        "languages": languages,
        "speaks_chinese": speaks_chinese,
        "contact": contact,
        "doc_kind": doc_kind,
        "doc_number": doc_number,
        "doc_issuing_state": doc_issuing_state,
        "doc_expiry": doc_expiry,
        "mrz_verified": mrz_verified,
        "mrz_decision_id": mrz_decision_id,
        "image_sha256": image_sha256,
    }
    try:
        person_fields: dict[str, object] = {
            "role": role,
            "full_name": full_name,
            "nationality": nationality,
            "sex": sex,
            "date_of_birth": _date("date_of_birth", date_of_birth),
            "languages": languages,
            "speaks_chinese": speaks_chinese == "1",
            "contact": contact,
        }
        document: dict[str, object] | None = None
        if (doc_kind or doc_number or doc_issuing_state or doc_expiry).strip():
            document = {
                "kind": doc_kind,
                "number": doc_number,
                "issuing_state": doc_issuing_state,
                "expiry": _date("doc_expiry", doc_expiry),
                "mrz_verified": mrz_verified == "1",
                "mrz_decision_id": mrz_decision_id,
                "image_sha256": image_sha256,
            }
        service.record_person(case, principal.user, person=person_fields, document=document)
    except ValidationFailed as error:
        return _refuse(request, principal, service, case, settings, "persons", error, form)
    return _back(case, "persons")


@router.post("/{ref:caseref}/persons/{person_id:int}/needs")
def person_needs(
    request: Request,
    ref: str,
    person_id: int,
    need: list[str] = Form([]),  # repeated "need" fields: the ticked boxes
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    """The needs the person states, ticked from the fixed list (the form sends each as
    ``need``); the case page then shows the guidance for each, with its source."""
    case = _case_for(service, ref, principal)
    person = service.person_of(case, person_id)
    try:
        service.record_stated_needs(person, principal.user, need)
    except ValidationFailed as error:
        return _refuse(request, principal, service, case, settings, f"needs-{person_id}", error,
                       {"need": need})
    return _back(case, f"person-{person_id}")


@router.post("/{ref:caseref}/persons/{person_id:int}/documents")
def add_document(
    request: Request,
    ref: str,
    person_id: int,
    kind: str = Form(""),
    number: str = Form(""),
    issuing_state: str = Form(""),
    expiry: str = Form(""),
    mrz_verified: str = Form(""),
    mrz_decision_id: str = Form(""),
    image_sha256: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    person = service.person_of(case, person_id)
    form = {
        "person_id": person_id,
        "kind": kind,
        "number": number,
        "issuing_state": issuing_state,
        "expiry": expiry,
    }
    try:
        service.record_document(
            person,
            principal.user,
            kind=kind,
            number=number,
            issuing_state=issuing_state,
            expiry=_date("expiry", expiry),
            mrz_verified=mrz_verified == "1",
            mrz_decision_id=mrz_decision_id,
            image_sha256=image_sha256,
        )
    except ValidationFailed as error:
        return _refuse(
            request, principal, service, case, settings, f"documents-{person_id}", error, form
        )
    return _back(case, f"person-{person_id}")


@router.post("/{ref:caseref}/events")
def add_event(
    request: Request,
    ref: str,
    kind: str = Form(""),
    occurred_at: str = Form(""),
    place: str = Form(""),
    note: str = Form(""),
    person_id: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    form = {
        "kind": kind,
        "occurred_at": occurred_at,
        "place": place,
        "note": note,
        "person_id": person_id,
    }
    try:
        service.record_event(
            case,
            principal.user,
            kind=kind,
            occurred_at=_local_datetime("occurred_at", occurred_at, required=True),  # type: ignore[arg-type]
            place=place,
            note=note,
            person_id=_opt_int("person_id", person_id),
        )
    except ValidationFailed as error:
        return _refuse(request, principal, service, case, settings, "events", error, form)
    return _back(case, "events")


def _machine_translate(
    principal: Principal,
    service: CaseService,
    case: Case,
    statement: Statement,
    legal_basis: str,
    language: str,
) -> dict[str, Any]:
    """Translate a saved statement through the governed gateway; say honestly what happened."""
    from accord.interpret.translate import MAX_TEXT_CHARS, UnsupportedPair, route

    source = primary_language(statement.language)
    target = None
    for candidate in MT_TARGETS:
        if candidate == source:
            continue
        try:
            route(source, candidate)
        except (UnsupportedPair, ValidationFailed):
            continue
        target = candidate
        break
    if target is None:
        return {"kind": "no-pair", "message": NO_PAIR, "params": {"source": statement.language}}
    if len(statement.text) > MAX_TEXT_CHARS:
        return {
            "kind": "failed",
            "message": MT_FAILED,
            "params": {"reason": f"longer than {MAX_TEXT_CHARS} characters"},
        }
    gateway = get_governance().gateway
    try:
        result = gateway.invoke(
            caller_of(principal),
            GatewayRequest(
                capability_id=TRANSLATE,
                purpose=MT_PURPOSE,
                legal_basis=legal_basis,
                inputs={"text": statement.text, "source": source, "target": target},
                case_ref=case.reference,
                subjects=statement_subjects(service.session, [statement]),
            ),
        )
    except GatewayDenied as error:
        return {
            "kind": "denied",
            "message": MT_FAILED,
            "params": {"reason": error.reasons_in(language)},
        }
    except (ModelFailed, ValidationFailed) as error:
        reason = Message(error.message, error.params)  # shown in the reader's language
        return {"kind": "failed", "message": MT_FAILED, "params": {"reason": reason}}
    service.attach_machine_translation(
        statement,
        principal.user,
        translation=result.output["translation"],
        translation_language=target,
        decision_id=result.decision_id,
    )
    return {
        "kind": "done",
        "message": MT_DONE,
        "params": {"decision": result.decision_id},
        "human_path": result.output.get("human_path"),
    }


@router.post("/{ref:caseref}/statements")
def add_statement(
    request: Request,
    ref: str,
    person_id: str = Form(""),
    language: str = Form(""),
    text: str = Form(""),
    translation: str = Form(""),
    translation_language: str = Form("zh"),
    translation_source: str = Form(""),
    interpreter: str = Form(""),
    machine_translate: str = Form(""),
    legal_basis: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    form = {
        "person_id": person_id,
        "language": language,
        "text": text,
        "translation": translation,
        "translation_language": translation_language,
        "translation_source": translation_source,
        "interpreter": interpreter,
        "machine_translate": machine_translate,
        "legal_basis": legal_basis,
    }
    machine = machine_translate == "1"
    try:
        if machine and translation.strip():
            raise ValidationFailed(
                detail=M_("translation: leave it empty when asking for a machine translation")
            )
        if machine and translation_source == "machine":
            translation_source = ""
        if translation_source == "machine":
            raise ValidationFailed(
                detail=M_("translation_source: machine translations are made by ticking 'machine "
                          "translate', not typed in")
            )
        if machine and legal_basis not in get_governance().registry.get(TRANSLATE).legal_bases:
            raise ValidationFailed(
                detail=M_("legal_basis: choose the legal basis for the machine translation")
            )
        statement = service.take_statement(
            case,
            principal.user,
            person_id=_opt_int("person_id", person_id),
            language=language,
            text=text,
            translation=translation,
            translation_language=translation_language,
            translation_source=translation_source,
            interpreter=interpreter,
        )
    except ValidationFailed as error:
        return _refuse(request, principal, service, case, settings, "statements", error, form)
    if not machine:
        return _back(case, "statements")
    # The statement is committed first: the gateway writes the ledger in its own transaction,
    # and the statement is kept whatever happens to the translation.
    notice = _machine_translate(
        principal, service, case, statement, legal_basis, language_of(request)
    )
    notice["statement_id"] = statement.id
    return _case_page(
        request,
        principal,
        service,
        service.get(case.reference),
        settings,
        section="statements",
        notice=notice,
    )


@router.post("/{ref:caseref}/statements/{statement_id:int}/review")
def review_statement(
    request: Request,
    ref: str,
    statement_id: int,
    corrected: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    statement = service.statement_of(case, statement_id)
    try:
        service.confirm_translation(
            statement, principal.user, corrected=corrected if corrected.strip() else None
        )
    except AccordError as error:
        if error.status >= 500:
            raise
        return _refuse(
            request,
            principal,
            service,
            case,
            settings,
            f"review-{statement_id}",
            error,
            {"corrected": corrected},
        )
    return _back(case, f"statement-{statement_id}")


@router.post("/{ref:caseref}/evidence", openapi_extra=uploads.accepts_files())
async def add_evidence(
    request: Request,
    ref: str,
    description: str = Form(""),
    file: UploadFile | None = File(None),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    form = {"description": description}
    data: bytes | None = None
    filename = media_type = ""
    if file is not None and file.filename:
        data = await file.read()
        filename, media_type = file.filename, file.content_type or ""
    try:
        if data is not None and len(data) > settings.upload_max_bytes:
            raise ValidationFailed(detail=M_("file: larger than %(upload_max_bytes)s bytes",
                                             upload_max_bytes=settings.upload_max_bytes))
        service.collect_evidence(
            case,
            principal.user,
            description=description,
            data=data,
            filename=filename,
            media_type=media_type,
        )
    except ValidationFailed as error:
        return _refuse(request, principal, service, case, settings, "evidence", error, form)
    return _back(case, "evidence")


@router.get("/{ref:caseref}/file.pdf")
def case_file(
    ref: str,
    recipient: str = "",
    share: int | None = None,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    """The printable case file (PDF), for whoever may open the case. Every export is in the
    share log (through the core hooks; cases does not import the package that keeps it): the
    sections it holds, the recipient, the legal basis, the persons it is about and the digest
    of the PDF. Without ``?recipient=`` it is an internal print, logged. Sent to a named
    recipient it holds sections above the sensitivity level, so it waits for a supervisor:
    this answers with the held share's page; once approved, ``?share=<id>`` gives the PDF to
    the officer who asked (403 anyone else, 409 while awaiting or after a refusal)."""
    case = _case_for(service, ref, principal)

    def produce() -> bytes:
        return render_case_file(service, case, principal.user, now=utcnow(),
                                zone=settings.station_timezone)

    if share is not None:
        _, body = release_share(share, kind="case-file", reference=case.reference,
                                user_id=principal.user.id, produce=produce)
        return _pdf(case, body)
    outbound = OutboundShare(
        kind="case-file", reference=case.reference,
        recipient=" ".join(recipient.split())[:300]
        or f"internal (printed by {principal.user.username})",
        fields=CASE_FILE_SECTIONS, legal_basis=_default_legal_basis(case),
        subject_keys=get_governance().gateway.subject_keys(
            *(s for p in case.persons for s in person_subjects(p))),
        user_id=principal.user.id, sensitivities=SECTION_SENSITIVITY,
        download=f"/cases/{case.reference}/file.pdf?share={{share}}")
    if not recipient.strip():
        body = produce()
        record_share(replace(outbound, content_digest="sha256:"
                             + hashlib.sha256(body).hexdigest()))
        return _pdf(case, body)
    state, body = share_out(outbound, produce)
    if body is None:
        assert state is not None
        return RedirectResponse(state.page, status_code=303)
    return _pdf(case, body)


def _pdf(case: Case, body: bytes) -> Response:
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="case-file-{case.reference}.pdf"',
        "Cache-Control": "no-store"})


@router.get("/{ref:caseref}/evidence/{item_id:int}/file")
def evidence_file(
    ref: str,
    item_id: int,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> Response:
    case = _case_for(service, ref, principal)
    item = service.evidence_of(case, item_id)
    data = service.evidence_file(item)  # refuses (409) a file that no longer matches its digest
    name = item.filename or f"{case.reference}-{item.label}"
    return Response(
        data,
        media_type=item.media_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-SHA256": item.sha256,
            "Cache-Control": "no-store",
        },
    )


@router.post("/{ref:caseref}/evidence/{item_id:int}/custody")
def custody(
    request: Request,
    ref: str,
    item_id: int,
    action: str = Form(""),
    from_holder: str = Form(""),
    to_holder: str = Form(""),
    note: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    item = service.evidence_of(case, item_id)
    form = {"action": action, "from_holder": from_holder, "to_holder": to_holder, "note": note}
    try:
        service.custody_step(
            item,
            principal.user,
            action=action,
            from_holder=from_holder,
            to_holder=to_holder,
            note=note,
        )
    except AccordError as error:
        if error.status >= 500:
            raise
        return _refuse(
            request, principal, service, case, settings, f"custody-{item_id}", error, form
        )
    return _back(case, f"evidence-{item_id}")


@router.post("/{ref:caseref}/tasks")
def add_task(
    request: Request,
    ref: str,
    title: str = Form(""),
    due_at: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    form = {"title": title, "due_at": due_at}
    try:
        service.plan_task(
            case, principal.user, title=title, due_at=_local_datetime("due_at", due_at)
        )
    except ValidationFailed as error:
        return _refuse(request, principal, service, case, settings, "tasks", error, form)
    return _back(case, "tasks")


@router.post("/{ref:caseref}/tasks/{task_id:int}/done")
def task_done(
    request: Request,
    ref: str,
    task_id: int,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = _case_for(service, ref, principal)
    task = service.task_of(case, task_id)
    try:
        service.finish_task(task, principal.user)
    except AccordError as error:
        if error.status >= 500:
            raise
        return _refuse(request, principal, service, case, settings, "tasks", error, {})
    return _back(case, "tasks")
