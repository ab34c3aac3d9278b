"""Language tools on a case's statements: case-type suggestion, inconsistency hints and entity
suggestions, each through the governed gateway.

* ``POST /cases/suggest-type`` — an htmx partial with the ranked suggestion and its nearest
  examples; the officer chooses the type on the form.
* ``GET /cases/{ref}/hints`` — inconsistency hints for every pair of the case's statements, side
  by side, each with its review-queue entry. A pair is compared once per version of its texts:
  later visits show the stored decision instead of calling the model again, so viewing the page
  does not flood the supervisor's queue.
* ``GET/POST /cases/{ref}/statements/{id}/entities`` — entity suggestions the officer ticks,
  edits and confirms; nothing is written to the statement before that confirmation.

Case visibility is :meth:`CaseService.can_view` (officers their own cases, supervisors all).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.cases.extract import ENTITY_KINDS
from accord.cases.inconsistency import NOT_A_JUDGEMENT, about_zh
from accord.cases.routes import cases as case_routes  # registers the {ref:caseref} convertor
from accord.cases.service import Case, CaseService, Statement
from accord.cases.subjects import statement_subjects
from accord.cases.vocab import CASE_TYPES
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.errors import AccordError, NotFound, ValidationFailed
from accord.core.gateway.service import GatewayDenied, GatewayRequest
from accord.core.governance import get_governance
from accord.core.i18n import M_, N_
from accord.core.roles import Role
from accord.core.subjects import Subject
from accord.web.deps import Principal, db_session, require_roles
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import environment, render

EXTRACT, INCONSISTENCY, CLASSIFY = "cases.extract", "cases.inconsistency", "cases.classify"
PURPOSE = "case-handling"
MAX_PAIRS = 28  # eight statements; beyond that the officer picks statements to compare
MAX_ENTITIES = 200

access = require_roles(Role.OFFICER, Role.SUPERVISOR)
router = APIRouter(prefix="/cases", include_in_schema=False, dependencies=[Depends(access)])

KIND_LABELS: dict[str, str] = {
    "person": N_("Person"),
    "place": N_("Place"),
    "time": N_("Time"),
    "date": N_("Date"),
    "amount": N_("Amount"),
    "quantity": N_("Quantity"),
    "colour": N_("Colour"),
    "document": N_("Document number"),
    "nationality": N_("Nationality"),
    "age": N_("Age"),
    "identity": N_("Identity detail"),
    "weekday": N_("Weekday"),
    "vehicle": N_("Vehicle"),
    "role": N_("Role"),
    "identifier": N_("Number"),
    "transcription-check": N_("Likely transcription difference — check"),
}


def hint_about(label: str, language: str) -> str:
    """A hint's topic in the reader's language ("" when it has no Chinese wording)."""
    return about_zh(label) if language == "zh_Hans" else label


# The review queue (another module) renders cases/_review_hints.html with these.
environment.globals.setdefault("hint_about", hint_about)
environment.globals.setdefault("hint_kind_labels", KIND_LABELS)
NO_COMMON_LANGUAGE = N_("not comparable: different languages without a common translation")


def _service(session: Session = Depends(db_session)) -> CaseService:
    return CaseService(session, BlobStore.for_state_dir(get_settings().state_dir))


def _case(service: CaseService, reference: str, principal: Principal) -> Case:
    return service.get_visible(reference, principal.user)


def _guess_language(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def _legal_basis(case: Case) -> str:
    """As for machine translation on the case page: criminal cases under criminal procedure."""
    if case.case_type in case_routes.CRIMINAL_TYPES:
        return "criminal-procedure-law"
    return "police-law-art-2"


def _invoke(
    principal: Principal,
    case: Case,
    capability_id: str,
    inputs: dict[str, Any],
    subjects: tuple[Subject, ...] = (),
) -> tuple[str, dict[str, Any]]:
    result = get_governance().gateway.invoke(
        caller_of(principal),
        GatewayRequest(
            capability_id=capability_id,
            purpose=PURPOSE,
            legal_basis=_legal_basis(case),
            inputs=inputs,
            case_ref=case.reference,
            subjects=subjects,
        ),
    )
    return result.decision_id, result.output


# -- case-type suggestion -------------------------------------------------------------------------
@router.post("/suggest-type")
def suggest_type(
    request: Request,
    description: str = Form(""),
    summary: str = Form(""),
    language: str = Form(""),
    principal: Principal = Depends(access),
) -> Response:
    text = (description or summary).strip()
    context: dict[str, Any] = {
        **common_context(request),
        "case_types": CASE_TYPES,
        "result": None,
        "error": None,
        "denial": None,
    }
    status = 200
    try:
        if not text:
            raise ValidationFailed(detail=M_("description: write what happened first"))
        if len(text) > 5000:
            raise ValidationFailed(detail=M_("description: at most 5000 characters"))
        result = get_governance().gateway.invoke(
            caller_of(principal),
            GatewayRequest(
                capability_id=CLASSIFY,
                purpose=PURPOSE,
                legal_basis="police-law-art-2",
                inputs={"description": text, "language": language or _guess_language(text)},
            ),
        )
        context.update(
            result=result.output, decision_id=result.decision_id, ledger_seq=result.ledger_seq
        )
    except GatewayDenied as denied:
        context["denial"] = denied.reasons_in(language_of(request))
        status = 403
    except AccordError as error:
        context["error"] = error
        status = error.status
    return render(request, "cases/_type_suggestion.html", context, status_code=status)


# -- inconsistency hints ---------------------------------------------------------------------------
def _pair_inputs(a: Statement, b: Statement) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "text_a": a.text,
        "language_a": a.language,
        "text_b": b.text,
        "language_b": b.language,
        "same_speaker": a.person_id is not None and a.person_id == b.person_id,
    }
    if a.translation and a.translation_language:
        inputs.update(translation_a=a.translation, translation_language_a=a.translation_language)
    if b.translation and b.translation_language:
        inputs.update(translation_b=b.translation, translation_language_b=b.translation_language)
    return inputs


def _marked(passage: dict[str, Any]) -> dict[str, str]:
    """The sentence split around the compared words, so the template can highlight them."""
    sentence, offset = passage["sentence"], passage["sentence_start"]
    start = max(0, passage["start"] - offset)
    end = min(len(sentence), passage["end"] - offset)
    return {"before": sentence[:start], "mark": sentence[start:end], "after": sentence[end:]}


@router.get("/{ref:caseref}/hints")
def hints_page(
    request: Request,
    ref: str,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> Response:
    case = _case(service, ref, principal)
    statements = list(case.statements)
    pairs = list(itertools.combinations(statements, 2))
    rows: list[dict[str, Any]] = []
    denial = None
    denial_courses: tuple[Any, ...] = ()
    for a, b in pairs[:MAX_PAIRS]:
        inputs = _pair_inputs(a, b)
        stored = service.stored_decision(INCONSISTENCY, case.reference, inputs)
        try:
            if stored is None:
                decision_id, _output = _invoke(
                    principal, case, INCONSISTENCY, inputs,
                    statement_subjects(service.session, [a, b]),
                )
                stored = service.fresh_decision(decision_id)
        except GatewayDenied as denied:
            denial = denied.reasons_in(language_of(request))
            denial_courses = denied.courses  # the training that would open the capability
            break
        assert stored is not None
        review = service.review_of(stored)
        output = dict(stored.output or {})
        if review is not None and review.status == "edited" and review.edited_output:
            output = dict(review.edited_output)
        hints = [
            {**h, "a_marked": _marked(h["a"]), "b_marked": _marked(h["b"])}
            for h in output.get("hints", [])
        ]
        rows.append(
            {"a": a, "b": b, "decision": stored, "review": review, "output": output, "hints": hints}
        )
    return render(
        request,
        "cases/hints.html",
        {
            **common_context(request),
            "case": case,
            "rows": rows,
            "denial": denial,
            "denial_courses": denial_courses,
            "skipped": max(0, len(pairs) - MAX_PAIRS),
            "kind_labels": KIND_LABELS,
            "not_a_judgement": NOT_A_JUDGEMENT,
            "no_common_language": NO_COMMON_LANGUAGE,
            "statement_count": len(statements),
        },
    )


# -- entity suggestions ----------------------------------------------------------------------------
def _statement(case: Case, statement_id: int) -> Statement:
    statement = next((s for s in case.statements if s.id == statement_id), None)
    if statement is None:
        raise NotFound(N_("No statement %(id)s in this case."), id=statement_id)
    return statement


def _entities_page(
    request: Request,
    principal: Principal,
    service: CaseService,
    case: Case,
    statement: Statement,
    *,
    error: AccordError | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    inputs = {"text": statement.text, "language": statement.language}
    suggestion: dict[str, Any] | None = None
    decision_id, denial = "", None
    try:
        stored = service.stored_decision(EXTRACT, case.reference, inputs)
        if stored is None:
            decision_id, suggestion = _invoke(
                principal, case, EXTRACT, inputs, statement_subjects(service.session, [statement])
            )
        else:
            decision_id, suggestion = stored.id, dict(stored.output or {})
    except GatewayDenied as denied:
        denial = denied.reasons_in(language_of(request))
    except AccordError as failure:
        error = error or failure
    return render(
        request,
        "cases/entities.html",
        {
            **common_context(request),
            "case": case,
            "statement": statement,
            "suggestion": suggestion,
            "decision_id": decision_id,
            "denial": denial,
            "error": error,
            "saved": saved,
            "kinds": ENTITY_KINDS,
            "kind_labels": KIND_LABELS,
        },
        status_code=status,
    )


@router.get("/{ref:caseref}/statements/{statement_id}/entities")
def entities_form(
    request: Request,
    ref: str,
    statement_id: int,
    saved: int = 0,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> Response:
    case = _case(service, ref, principal)
    return _entities_page(
        request, principal, service, case, _statement(case, statement_id), saved=bool(saved)
    )


def _confirmed_entities(form: Any, text: str) -> list[dict[str, Any]]:
    """The ticked (and possibly edited) rows of the form, checked one by one."""
    count_raw = str(form.get("count", "0"))
    if not count_raw.isdigit() or int(count_raw) > MAX_ENTITIES:
        raise ValidationFailed(detail=M_("count: expected a number up to %(max_entities)s",
                                         max_entities=MAX_ENTITIES))
    rows = [str(i) for i in range(int(count_raw))] + ["new"]
    out = []
    for row in rows:
        if row != "new" and not form.get(f"keep_{row}"):
            continue
        kind = str(form.get(f"kind_{row}", "")).strip()
        shown = str(form.get(f"text_{row}", "")).strip()
        value = str(form.get(f"value_{row}", "")).strip()
        if row == "new" and not (shown or value):
            continue
        if kind not in ENTITY_KINDS:
            raise ValidationFailed(detail=M_("kind_%(row)s: one of %(entity_kinds)s",
                                             row=row, entity_kinds=', '.join(ENTITY_KINDS)))
        if not shown:
            raise ValidationFailed(detail=M_("text_%(row)s: the words from the statement are "
                                             "required", row=row))
        if len(shown) > 200 or len(value) > 200:
            raise ValidationFailed(detail=M_("text_%(row)s: at most 200 characters", row=row))
        entity: dict[str, Any] = {"kind": kind, "text": shown, "value": value or shown}
        start = str(form.get(f"start_{row}", ""))
        if start.isdigit() and text[int(start) : int(start) + len(shown)] == shown:
            entity.update(start=int(start), end=int(start) + len(shown))
        out.append(entity)
    return out


@router.post("/{ref:caseref}/statements/{statement_id}/entities")
async def entities_confirm(
    request: Request,
    ref: str,
    statement_id: int,
    principal: Principal = Depends(access),
    service: CaseService = Depends(_service),
) -> Response:
    case = _case(service, ref, principal)
    statement = _statement(case, statement_id)
    form = await request.form()
    try:
        entities = _confirmed_entities(form, statement.text)
    except AccordError as error:
        return _entities_page(
            request, principal, service, case, statement, error=error, status=error.status
        )
    service.confirm_entities(statement, principal.user, entities)
    return RedirectResponse(
        f"/cases/{case.reference}/statements/{statement.id}/entities?saved=1", status_code=303
    )
