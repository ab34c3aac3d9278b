"""Human interpreters: roster, requests (bookings) and their life cycle, corrections of machine
translations, and the certified translators' review of content texts.

Three routers, one access rule each:

* ``roster_router`` — supervisors and admins add, edit and deactivate roster entries;
* ``router`` — officers, supervisors, interpreters and admins: the roster (officers see it
  without contact data; interpreters do not see it), requests and their actions. Finer rules
  (only the assigned interpreter joins and corrects; officers assign) live in the service;
* ``review_router`` — interpreters and admins: the content review list; only an interpreter
  whose roster entry is a certified translator may verify (admins view).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from accord.config import Settings
from accord.core.db import Database
from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.i18n import M_, N_
from accord.core.roles import Role
from accord.interpret import library as content
from accord.interpret.interpreters import (
    CLEARANCES,
    CONTENT_KINDS,
    MODES,
    REQUEST_STATUSES,
    SIGN_LANGUAGE_NOTE,
    SOURCE_KINDS,
    Actor,
    InterpreterInput,
    InterpreterService,
    RequestInput,
    format_language_lines,
    parse_language_lines,
)
from accord.web.deps import Principal, get_database, get_settings_dep, require_roles
from accord.web.routes.governance import common_context
from accord.web.templating import render

MODE_WORDS = {
    "in-person": N_("in person"),
    "phone": N_("phone"),
    "video": N_("video"),
    "sign-language": N_("sign language"),
}
CLEARANCE_WORDS = {
    "none": N_("none"),
    "basic": N_("basic"),
    "security-vetted": N_("security-vetted"),
}
SOURCE_WORDS = {
    "conversation": N_("conversation"),
    "interview": N_("interview"),
    "case": N_("case"),
    "translation": N_("machine translation"),
    "dispatch": N_("dispatch call"),
}
STATUS_WORDS = {
    "open": N_("open"),
    "assigned": N_("assigned"),
    "joined": N_("joined"),
    "closed": N_("closed"),
    "cancelled": N_("cancelled"),
}
CONTENT_STATUS_WORDS = {
    "maintainer-draft": N_("maintainer draft"),
    "machine-draft": N_("machine draft"),
    "verified": N_("verified"),
    "rejected": N_("rejected"),
}
MAX_FORM_FIELDS = 40

roster_access = require_roles(Role.SUPERVISOR, Role.ADMIN)
roster_router = APIRouter(
    prefix="/interpreters", include_in_schema=False, dependencies=[Depends(roster_access)]
)
access = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.INTERPRETER, Role.ADMIN)
router = APIRouter(prefix="/interpreters", include_in_schema=False, dependencies=[Depends(access)])
review_access = require_roles(Role.INTERPRETER, Role.ADMIN)
review_router = APIRouter(
    prefix="/interpret/content-review",
    include_in_schema=False,
    dependencies=[Depends(review_access)],
)


def _service(
    database: Database = Depends(get_database), settings: Settings = Depends(get_settings_dep)
) -> InterpreterService:
    return InterpreterService(database, settings.station_timezone)


def _context(request: Request, **values: Any) -> dict[str, Any]:
    return {
        **common_context(request),
        "modes": MODES,
        "clearances": CLEARANCES,
        "source_kinds": SOURCE_KINDS,
        "request_statuses": REQUEST_STATUSES,
        "mode_words": MODE_WORDS,
        "clearance_words": CLEARANCE_WORDS,
        "source_words": SOURCE_WORDS,
        "status_words": STATUS_WORDS,
        "content_status_words": CONTENT_STATUS_WORDS,
        **values,
    }


async def _form(request: Request) -> dict[str, Any]:
    data = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    values: dict[str, Any] = {}
    for key in data:
        items = [v for v in data.getlist(key) if isinstance(v, str)]
        values[key] = items if key in {"modes"} else (items[-1] if items else "")
    return values


def _datetime(value: str, field: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(detail=M_("%(field)s: expected a date and time",
                                         field=field)) from None


# -- roster ---------------------------------------------------------------------------------------
def _roster_input(form: dict[str, Any]) -> InterpreterInput:
    return InterpreterInput(
        name=form.get("name", ""),
        register_id=form.get("register_id", ""),
        languages=parse_language_lines(form.get("languages", "")),
        modes=list(form.get("modes", [])),
        clearance=form.get("clearance", "none"),
        availability=form.get("availability", ""),
        contact=form.get("contact", ""),
        volunteer=form.get("volunteer") == "on",
        certified_translator=form.get("certified_translator") == "on",
        certificate_id=form.get("certificate_id", ""),
        username=form.get("username", ""),
    )


def _entry_form(
    request: Request,
    *,
    form: dict[str, Any],
    action: str,
    error: AccordError | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "interpreters/entry.html",
        _context(request, form=form, action=action, error=error),
        status_code=status,
    )


@router.get("")
def roster(
    request: Request,
    language: str = "",
    dialect: str = "",
    mode: str = "",
    show: str = "",
    principal: Principal = Depends(access),
    service: InterpreterService = Depends(_service),
) -> Response:
    user = principal.user
    if not user.roles & {Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}:
        return RedirectResponse("/interpreters/requests", status_code=303)
    manager = bool(user.roles & {Role.SUPERVISOR, Role.ADMIN})
    error = None
    try:
        rows = service.roster(
            language=language,
            dialect=dialect,
            mode=mode,
            include_inactive=manager and show == "all",
        )
    except AccordError as problem:
        rows, error = [], problem
    return render(
        request,
        "interpreters/roster.html",
        _context(
            request,
            rows=rows,
            manager=manager,
            error=error,
            filters={"language": language, "dialect": dialect, "mode": mode, "show": show},
        ),
        status_code=error.status if error else 200,
    )


@roster_router.get("/new")
def new_entry(request: Request) -> Response:
    return _entry_form(
        request, form={"modes": ["in-person"], "clearance": "none"}, action="/interpreters"
    )


@roster_router.post("")
async def add_entry(request: Request, service: InterpreterService = Depends(_service)) -> Response:
    form = await _form(request)
    try:
        row = service.add_interpreter(_roster_input(form))
    except AccordError as error:
        return _entry_form(
            request, form=form, action="/interpreters", error=error, status=error.status
        )
    return RedirectResponse(f"/interpreters?added={row.id}", status_code=303)


@roster_router.get("/{interpreter_id:int}/edit")
def edit_entry(
    request: Request, interpreter_id: int, service: InterpreterService = Depends(_service)
) -> Response:
    row = service.interpreter(interpreter_id)
    username = ""
    if row.user_id is not None:
        from accord.core.accounts.models import User

        with service.database.session() as session:
            user = session.get(User, row.user_id)
            username = user.username if user else ""
    form = {
        "name": row.name,
        "register_id": row.register_id,
        "languages": format_language_lines(row.languages),
        "modes": row.modes,
        "clearance": row.clearance,
        "availability": row.availability,
        "contact": row.contact,
        "volunteer": "on" if row.volunteer else "",
        "certified_translator": "on" if row.certified_translator else "",
        "certificate_id": row.certificate_id,
        "username": username,
    }
    return _entry_form(request, form=form, action=f"/interpreters/{row.id}")


@roster_router.post("/{interpreter_id:int}")
async def update_entry(
    request: Request, interpreter_id: int, service: InterpreterService = Depends(_service)
) -> Response:
    form = await _form(request)
    try:
        service.update_interpreter(interpreter_id, _roster_input(form))
    except NotFound:
        raise
    except AccordError as error:
        return _entry_form(
            request,
            form=form,
            action=f"/interpreters/{interpreter_id}",
            error=error,
            status=error.status,
        )
    return RedirectResponse("/interpreters", status_code=303)


@roster_router.post("/{interpreter_id:int}/active")
async def set_active(
    request: Request, interpreter_id: int, service: InterpreterService = Depends(_service)
) -> Response:
    form = await _form(request)
    value = form.get("active", "")
    if value not in {"yes", "no"}:
        raise ValidationFailed(detail=M_("active: yes or no"))
    service.set_active(interpreter_id, value == "yes")
    return RedirectResponse("/interpreters?show=all", status_code=303)


# -- requests -------------------------------------------------------------------------------------
@router.get("/requests")
def requests_list(
    request: Request,
    status: str = "",
    principal: Principal = Depends(access),
    service: InterpreterService = Depends(_service),
) -> Response:
    rows = service.requests(Actor.of(principal.user), status=status)
    return render(
        request,
        "interpreters/requests.html",
        _context(
            request,
            rows=rows,
            status=status,
            service=service,
            can_request=bool(principal.user.roles & {Role.OFFICER, Role.SUPERVISOR}),
        ),
    )


def _new_request_page(
    request: Request, form: dict[str, Any], *, error: AccordError | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "interpreters/request_new.html",
        _context(request, form=form, error=error, sign_note=SIGN_LANGUAGE_NOTE),
        status_code=status,
    )


@router.get("/requests/new")
def request_new(
    request: Request,
    language: str = "",
    dialect: str = "",
    case_ref: str = "",
    source: str = "",
    source_ref: str = "",
    mode: str = "",
    principal: Principal = Depends(access),
) -> Response:
    if not principal.user.roles & {Role.OFFICER, Role.SUPERVISOR}:
        raise PermissionDenied(N_("Only officers and supervisors request interpreters."))
    form = {
        "language": language[:35],
        "dialect": dialect[:64],
        "case_ref": case_ref[:64],
        "source": source if source in SOURCE_KINDS else "conversation",
        "source_ref": source_ref[:64],
        "mode": mode if mode in MODES else "in-person",
        "parties": "",
        "scheduled_start": "",
        "scheduled_end": "",
        "notes": "",
    }
    return _new_request_page(request, form)


@router.post("/requests")
async def request_create(
    request: Request,
    principal: Principal = Depends(access),
    service: InterpreterService = Depends(_service),
) -> Response:
    form = await _form(request)
    try:
        data = RequestInput(
            language=form.get("language", ""),
            dialect=form.get("dialect", ""),
            mode=form.get("mode", ""),
            source_kind=form.get("source", ""),
            case_ref=form.get("case_ref", ""),
            source_ref=form.get("source_ref", ""),
            parties=[p for p in form.get("parties", "").splitlines() if p.strip()],
            scheduled_start=_datetime(form.get("scheduled_start", ""), "scheduled_start"),
            scheduled_end=_datetime(form.get("scheduled_end", ""), "scheduled_end"),
            notes=form.get("notes", ""),
        )
        row = service.create_request(data, Actor.of(principal.user))
    except AccordError as error:
        return _new_request_page(request, form, error=error, status=error.status)
    return RedirectResponse(f"/interpreters/requests/{row.reference}", status_code=303)


def _detail(
    request: Request,
    reference: str,
    principal: Principal,
    service: InterpreterService,
    *,
    error: AccordError | None = None,
    status: int = 200,
) -> Response:
    actor = Actor.of(principal.user)
    row = service.get_request(reference, actor)
    interpreter = service.interpreter(row.interpreter_id) if row.interpreter_id else None
    staff = bool(principal.user.roles & {Role.OFFICER, Role.SUPERVISOR})
    is_assigned = (
        interpreter is not None
        and interpreter.user_id == principal.user.id
        and Role.INTERPRETER in principal.user.roles
    )
    candidates = (
        service.candidates(row.reference) if staff and row.status in ("open", "assigned") else []
    )
    corrections = service.corrections(row.reference)
    decisions = (
        service.machine_translations(row.reference)
        if (is_assigned or staff) and row.status in ("joined", "closed")
        else []
    )
    corrected = {c.decision_id for c in corrections if c.decision_id}
    return render(
        request,
        "interpreters/request.html",
        _context(
            request,
            row=row,
            interpreter=interpreter,
            staff=staff,
            is_assigned=is_assigned,
            candidates=candidates,
            corrections=corrections,
            decisions=decisions,
            corrected=corrected,
            sign_note=SIGN_LANGUAGE_NOTE,
            error=error,
            local=service.local,
        ),
        status_code=status,
    )


@router.get("/requests/{reference}")
def request_detail(
    request: Request,
    reference: str,
    principal: Principal = Depends(access),
    service: InterpreterService = Depends(_service),
) -> Response:
    return _detail(request, reference, principal, service)


@router.post("/requests/{reference}/{action}")
async def request_action(
    request: Request,
    reference: str,
    action: str,
    principal: Principal = Depends(access),
    service: InterpreterService = Depends(_service),
) -> Response:
    if action not in {"assign", "join", "close", "cancel", "corrections"}:
        raise NotFound()
    form = await _form(request)
    actor = Actor.of(principal.user)
    service.get_request(reference, actor)  # 404 / 403 before anything else
    try:
        if action == "assign":
            raw = form.get("interpreter_id", "")
            if not raw.isdigit():
                raise ValidationFailed(detail=M_("interpreter: choose an interpreter"))
            row = service.assign(reference, int(raw), actor)
        elif action == "join":
            row = service.join(reference, actor)
        elif action == "close":
            row = service.close(reference, actor, form.get("note", ""))
        elif action == "cancel":
            row = service.cancel(reference, actor, form.get("note", ""))
        else:
            service.record_correction(
                reference,
                actor,
                decision_id=form.get("decision_id", ""),
                source_text=form.get("source_text", ""),
                machine_text=form.get("machine_text", ""),
                corrected_text=form.get("corrected_text", ""),
                action=form.get("action", ""),
            )
            row = service.get_request(reference, actor)
    except AccordError as error:
        return _detail(request, reference, principal, service, error=error, status=error.status)
    return RedirectResponse(f"/interpreters/requests/{row.reference}", status_code=303)


# -- content review -------------------------------------------------------------------------------
@review_router.get("")
def content_review(
    request: Request,
    kind: str = "",
    lang: str = "",
    principal: Principal = Depends(review_access),
    service: InterpreterService = Depends(_service),
) -> Response:
    certified = _may_review(principal, service)
    base = _base_library()
    rows = [
        r
        for r in service.content_rows(base)
        if (not kind or r["kind"] == kind) and (not lang or r["language"] == lang)
    ]
    return render(
        request,
        "interpret/content_review.html",
        _context(
            request,
            rows=rows,
            kind=kind,
            lang=lang,
            kinds=CONTENT_KINDS,
            languages=content.LANGUAGES,
            detail=None,
            certified=certified,
        ),
    )


def _may_review(principal: Principal, service: InterpreterService) -> Any:
    """Certified translators verify; admins may look; other interpreters get 403."""
    certified = service.certified_entry(Actor.of(principal.user))
    if certified is None and Role.ADMIN not in principal.user.roles:
        raise PermissionDenied(
            N_(
                "Content review is for interpreters whose roster entry is a "
                "certified translator, and for admins to view."
            )
        )
    return certified


def _base_library() -> content.Library:
    """The file contents without the overlay: reviews are of what the files say."""
    return content.get_library(overlay=False)


def _review_page(
    request: Request,
    principal: Principal,
    service: InterpreterService,
    kind: str,
    content_id: str,
    lang: str,
    *,
    error: AccordError | None = None,
    status: int = 200,
) -> Response:
    certified = _may_review(principal, service)
    base = _base_library()
    if kind not in CONTENT_KINDS or lang not in content.LANGUAGES:
        raise NotFound()
    item = base.form(content_id) if kind == "form" else base.notice(content_id)
    if item is None:
        raise NotFound()
    row = next(
        r
        for r in service.content_rows(base)
        if r["kind"] == kind and r["id"] == content_id and r["language"] == lang
    )
    return render(
        request,
        "interpret/content_review.html",
        _context(
            request,
            rows=[],
            detail=row,
            item=item,
            lang=lang,
            language_info=content.LANGUAGES[lang],
            texts=list(item.texts()),
            history=service.review_history(kind, content_id, lang),
            certified=certified,
            error=error,
        ),
        status_code=status,
    )


@review_router.get("/{kind}/{content_id}/{lang}")
def content_review_item(
    request: Request,
    kind: str,
    content_id: str,
    lang: str,
    principal: Principal = Depends(review_access),
    service: InterpreterService = Depends(_service),
) -> Response:
    return _review_page(request, principal, service, kind, content_id, lang)


@review_router.post("/{kind}/{content_id}/{lang}")
async def content_review_record(
    request: Request,
    kind: str,
    content_id: str,
    lang: str,
    principal: Principal = Depends(review_access),
    service: InterpreterService = Depends(_service),
) -> Response:
    form = await _form(request)
    try:
        service.review_content(
            _base_library(),
            Actor.of(principal.user),
            kind=kind,
            content_id=content_id,
            language=lang,
            digest=form.get("digest", ""),
            status=form.get("status", ""),
            note=form.get("note", ""),
        )
    except NotFound:
        raise
    except AccordError as error:
        return _review_page(
            request, principal, service, kind, content_id, lang, error=error, status=error.status
        )
    return RedirectResponse(
        f"/interpret/content-review/{kind}/{content_id}/{lang}", status_code=303
    )


#: Everything above, for one ``app.include_router(interpreters.routes)``.
routes = APIRouter()
for _router in (roster_router, router, review_router):
    routes.include_router(_router)
