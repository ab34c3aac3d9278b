"""Knowledge pages: ask (through the gateway), a passage and its source, the legal officers'
question queue, and the cross-cultural guidance.

* ``/knowledge`` — ask box; results quoted verbatim with citation, status and score; below the
  threshold "no passage found" with an "ask the legal officer" button.
* ``/knowledge/questions`` — the asker's own questions; for legal officers the whole queue with
  an answer form. An answer becomes an unverified passage; a second legal officer verifies it.
* ``/knowledge/passages/{id}`` — one passage with its document, version and source link.
* ``/knowledge/guidance`` — cross-cultural guidance by stated need, each with its source.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.cases.vocab import STATED_NEEDS
from accord.core.errors import AccordError, ValidationFailed
from accord.core.gateway.service import GatewayDenied, GatewayRequest, GatewayResult
from accord.core.governance import Governance, get_governance
from accord.core.i18n import M_, N_
from accord.core.roles import Role
from accord.knowledge.cooperation import (
    EXPORT_TITLES,
    FETCHABLE,
    SHARED_OUT,
    ShareService,
    letter,
    templates,
)
from accord.knowledge.service import KnowledgeService
from accord.knowledge.sources import load_cultural
from accord.web.deps import Principal, db_session, require_roles
from accord.web.routes.governance import (
    LEGAL_BASIS_LABELS,
    caller_of,
    common_context,
    language_of,
)
from accord.web.templating import render

LOOKUP = "knowledge.lookup"
PURPOSE = "procedure-lookup"
LEGAL_BASIS = "police-law-art-2"

access = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.INTERPRETER, Role.LEGAL, Role.ADMIN)
legal_access = require_roles(Role.LEGAL, Role.ADMIN)
router = APIRouter(prefix="/knowledge", include_in_schema=False, dependencies=[Depends(access)])

STATUS_LABELS = {"verified": N_("verified"),
                 "unverified": N_("unverified — awaiting legal officer")}
NEED_LABELS = STATED_NEEDS  # the case page's list of needs a person states


def _service(session: Session = Depends(db_session)) -> KnowledgeService:
    return KnowledgeService(session)


def _is_legal(principal: Principal) -> bool:
    return bool({Role.LEGAL, Role.ADMIN} & set(principal.user.roles))


#: A share's state, as words (the stored codes never reach a page).
SHARE_STATUS_LABELS = {"awaiting-approval": N_("awaiting a supervisor's approval"),
                       "released": N_("released"), "exported": N_("exported"),
                       "approved": N_("approved by a supervisor"),
                       "refused": N_("refused by a supervisor")}

#: A share's sensitivity level, as words.
SENSITIVITY_LABELS = {"low": N_("low"), "high": N_("high")}


def _context(request: Request, **values: Any) -> dict[str, Any]:
    return {**common_context(request), "status_labels": STATUS_LABELS,
            "share_status_labels": SHARE_STATUS_LABELS, "legal_basis_labels": LEGAL_BASIS_LABELS,
            "sensitivity_labels": SENSITIVITY_LABELS,
            "zh": language_of(request).startswith("zh"), **values}


def _ask_page(request: Request, *, question: str = "", result: GatewayResult | None = None,
              denial: str = "", error: AccordError | None = None, asked: int | None = None,
              status: int = 200) -> Response:
    return render(request, "knowledge/index.html", _context(
        request, question=question, result=result, out=result.output if result else None,
        denial=denial, error=error, asked=asked, max_length=500), status_code=status)


@router.get("")
def ask_form(request: Request, asked: int | None = None) -> Response:
    return _ask_page(request, asked=asked)


@router.post("/ask")
def ask(
    request: Request,
    question: str = Form(""),
    principal: Principal = Depends(access),
) -> Response:
    governance: Governance = get_governance()
    try:
        result = governance.gateway.invoke(caller_of(principal), GatewayRequest(
            capability_id=LOOKUP, purpose=PURPOSE, legal_basis=LEGAL_BASIS,
            inputs={"question": question}))
    except GatewayDenied as denied:
        return _ask_page(request, question=question,
                         denial=denied.reasons_in(language_of(request)), status=403)
    except AccordError as failed:
        return _ask_page(request, question=question, error=failed, status=failed.status)
    return _ask_page(request, question=question, result=result)


@router.post("/questions")
def ask_legal(
    request: Request,
    question: str = Form(""),
    decision_id: str = Form(""),
    principal: Principal = Depends(access),
    service: KnowledgeService = Depends(_service),
) -> Response:
    """"Ask the legal officer": the question goes to the legal officers' queue."""
    try:
        row = service.ask_legal(question, user_id=principal.user.id, decision_id=decision_id)
    except AccordError as failed:
        return _ask_page(request, question=question, error=failed, status=failed.status)
    return RedirectResponse(f"/knowledge/questions?asked={row.id}", status_code=303)


def _questions_page(request: Request, principal: Principal, service: KnowledgeService, *,
                    error: AccordError | None = None, message: str = "",
                    status: int = 200) -> Response:
    legal = _is_legal(principal)
    rows = service.questions(status=None, asked_by=None if legal else principal.user.id)
    return render(request, "knowledge/questions.html", _context(
        request, questions=rows, legal=legal, error=error, message=message,
        open_count=sum(1 for q in rows if q.status == "open")), status_code=status)


@router.get("/questions")
def questions(
    request: Request,
    asked: int | None = None,
    principal: Principal = Depends(access),
    service: KnowledgeService = Depends(_service),
) -> Response:
    message = f"#{asked}" if asked else ""
    return _questions_page(request, principal, service, message=message)


@router.post("/questions/{question_id}/answer")
def answer(
    request: Request,
    question_id: int,
    text: str = Form(""),
    citation: str = Form(""),
    language: str = Form("zh"),
    principal: Principal = Depends(legal_access),
    service: KnowledgeService = Depends(_service),
) -> Response:
    try:
        passage = service.answer(question_id, text=text, citation=citation, language=language,
                                 user_id=principal.user.id)
    except AccordError as failed:
        return _questions_page(request, principal, service, error=failed,
                               status=failed.status)
    return RedirectResponse(f"/knowledge/passages/{passage.id}", status_code=303)


def _passage_page(request: Request, principal: Principal, service: KnowledgeService,
                  passage_id: int, *, error: AccordError | None = None,
                  status: int = 200) -> Response:
    passage = service.passage(passage_id)
    return render(request, "knowledge/passage.html", _context(
        request, passage=passage, versions=service.versions(passage),
        legal=_is_legal(principal), error=error,
        can_verify=_is_legal(principal) and passage.origin != "bundled"
        and passage.status != "verified"), status_code=status)


@router.get("/passages/{passage_id}")
def passage(
    request: Request,
    passage_id: int,
    principal: Principal = Depends(access),
    service: KnowledgeService = Depends(_service),
) -> Response:
    return _passage_page(request, principal, service, passage_id)


@router.post("/passages/{passage_id}/verify")
def verify(
    request: Request,
    passage_id: int,
    principal: Principal = Depends(legal_access),
    service: KnowledgeService = Depends(_service),
) -> Response:
    try:
        service.verify(passage_id, user_id=principal.user.id)
    except AccordError as failed:
        if failed.status == 404:
            raise
        return _passage_page(request, principal, service, passage_id, error=failed,
                             status=failed.status)
    return RedirectResponse(f"/knowledge/passages/{passage_id}", status_code=303)


@router.get("/guidance")
def guidance(request: Request, need: str = "") -> Response:
    """Cross-cultural guidance, filtered by a need the person states."""
    entries = load_cultural()
    if need:
        entries = [e for e in entries if need in e.needs or not e.needs]
    return render(request, "knowledge/guidance.html", _context(
        request, entries=entries, need=need if need in NEED_LABELS else "",
        need_labels=NEED_LABELS))


# -- international cooperation: request templates and the share log ------------------------------
coop_access = require_roles(Role.OFFICER, Role.SUPERVISOR)
# Dispatchers see the shares they asked for (their EIDO exports held for approval), like officers.
share_access = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.DISPATCHER, Role.DPO,
                             Role.AUDITOR, Role.ADMIN)
log_roles = (Role.SUPERVISOR, Role.DPO, Role.AUDITOR, Role.ADMIN)  # see every share
approve_access = require_roles(Role.SUPERVISOR)
restrict_access = require_roles(Role.DPO)  # records a legal decision to withhold a share
coop_router = APIRouter(prefix="/knowledge", include_in_schema=False,
                        dependencies=[Depends(coop_access)])
share_router = APIRouter(prefix="/knowledge", include_in_schema=False,
                         dependencies=[Depends(share_access)])


def _shares(session: Session = Depends(db_session)) -> ShareService:
    return ShareService(session)


def _coop_page(request: Request, *, template_id: str = "", case: str = "",
               form: dict[str, str] | None = None, error: AccordError | None = None,
               status: int = 200) -> Response:
    all_templates = templates()
    chosen = all_templates.get(template_id) or next(iter(all_templates.values()))
    return render(request, "knowledge/cooperation.html", _context(
        request, templates=all_templates, template=chosen, case=case, form=form or {},
        error=error), status_code=status)


@coop_router.get("/cooperation")
def cooperation_form(request: Request, template: str = "", case: str = "") -> Response:
    return _coop_page(request, template_id=template, case=case)


@coop_router.post("/cooperation")
async def cooperation_share(
    request: Request,
    principal: Principal = Depends(coop_access),
    service: ShareService = Depends(_shares),
) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    template_id = form.get("template", "")
    values = {k.removeprefix("field_"): v for k, v in form.items() if k.startswith("field_")}
    person = form.get("person_id", "").strip()
    try:
        if person and not person.isdigit():
            raise ValidationFailed(detail=M_("person: expected a number"))
        share = service.create(caller_of(principal), case_reference=form.get("case", ""),
                               template_id=template_id, recipient=form.get("recipient", ""),
                               values=values, person_id=int(person) if person else None)
    except AccordError as failed:
        return _coop_page(request, template_id=template_id, case=form.get("case", ""),
                          form=form, error=failed, status=failed.status)
    return RedirectResponse(f"/knowledge/shares/{share.id}", status_code=303)


@share_router.get("/shares/{share_id}")
def share_page(
    request: Request,
    share_id: int,
    principal: Principal = Depends(share_access),
    service: ShareService = Depends(_shares),
) -> Response:
    share = service.get(share_id, caller_of(principal))
    template = templates().get(share.template_id)
    released = share.status == "released"
    return render(request, "knowledge/share.html", _context(
        request, share=share, template=template, export_titles=EXPORT_TITLES,
        letter_zh=letter(template, share.values, "zh") if template and released else "",
        letter_en=letter(template, share.values, "en") if template and released else "",
        download=share.download.replace("{share}", str(share.id))
        if share.download and share.status in FETCHABLE
        and share.requested_by == principal.user.id else "",
        can_approve=Role.SUPERVISOR in principal.user.roles
        and share.status == "awaiting-approval" and share.requested_by != principal.user.id,
        can_restrict=Role.DPO in principal.user.roles and share.status in SHARED_OUT))


@share_router.post("/shares/{share_id}/approve")
def share_approve(
    request: Request,
    share_id: int,
    principal: Principal = Depends(approve_access),
    service: ShareService = Depends(_shares),
) -> Response:
    service.approve(share_id, caller_of(principal))
    return RedirectResponse(f"/knowledge/shares/{share_id}", status_code=303)


@share_router.post("/shares/{share_id}/refuse")
def share_refuse(
    request: Request,
    share_id: int,
    reason: str = Form(""),
    principal: Principal = Depends(approve_access),
    service: ShareService = Depends(_shares),
) -> Response:
    """A supervisor refuses a share awaiting approval, with a reason (422 without one)."""
    service.refuse(share_id, caller_of(principal), reason)
    return RedirectResponse(f"/knowledge/shares/{share_id}", status_code=303)


@share_router.post("/shares/{share_id}/withhold")
def share_withhold(
    request: Request,
    share_id: int,
    decision: str = Form(""),
    principal: Principal = Depends(restrict_access),
    service: ShareService = Depends(_shares),
) -> Response:
    """The DPO records the legal decision that withholds a share from the person's access
    report (422 without the decision, 409 for a share that did not go out)."""
    service.withhold(share_id, caller_of(principal), decision)
    return RedirectResponse(f"/knowledge/shares/{share_id}", status_code=303)


@share_router.post("/shares/{share_id}/disclose")
def share_disclose(
    request: Request,
    share_id: int,
    reason: str = Form(""),
    principal: Principal = Depends(restrict_access),
    service: ShareService = Depends(_shares),
) -> Response:
    """The DPO lifts the restriction: the access report lists the share in full again."""
    service.disclose(share_id, caller_of(principal), reason)
    return RedirectResponse(f"/knowledge/shares/{share_id}", status_code=303)


@share_router.get("/shares")
def share_log(
    request: Request,
    principal: Principal = Depends(share_access),
    service: ShareService = Depends(_shares),
) -> Response:
    """The share log for the DPO, auditors and supervisors: every outbound share. An officer
    sees the shares they asked for (their held exports, to fetch once approved)."""
    own_only = not (set(log_roles) & set(principal.user.roles))
    return render(request, "knowledge/shares.html", _context(
        request, shares=service.log(caller=caller_of(principal)), templates=templates(),
        own_only=own_only, export_titles=EXPORT_TITLES))
