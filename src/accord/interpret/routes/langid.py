"""Interpretation pages, and the JSON API to the governed gateway.

* ``router`` — officers, interpreters and supervisors try language identification;
* ``api_router`` — any signed-in user (or API token) calls a capability through the gateway; the
  gateway's policies decide whether the call may run.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from accord.core.errors import AccordError, ValidationFailed
from accord.core.gateway.service import GatewayDenied, GatewayRequest, GatewayResult
from accord.core.governance import Governance, get_governance
from accord.core.roles import Role
from accord.web.deps import Principal, require_roles
from accord.web.routes.governance import (
    caller_of,
    common_context,
    language_of,
    reason_text,
)
from accord.web.templating import render

LANGID = "interpret.langid"

access = require_roles(Role.OFFICER, Role.INTERPRETER, Role.SUPERVISOR)
router = APIRouter(prefix="/interpret", include_in_schema=False,
                   dependencies=[Depends(access)])

api_access = require_roles()
api_router = APIRouter(prefix="/api/v1", tags=["v1 gateway"],
                       dependencies=[Depends(api_access)])


def _governance() -> Governance:
    return get_governance()


def _denial(error: GatewayDenied, language: str) -> dict[str, Any]:
    return {
        "summary": error.reasons_in(language),
        "reasons": [{"policy_id": r.policy_id, "reason": reason_text(r, language)}
                    for r in error.reasons],
        "ledger_seq": error.ledger_seq,
    }


# -- language identification page ---------------------------------------------------------------
def _langid_page(request: Request, principal: Principal, governance: Governance, *,
                 form: dict[str, str] | None = None, result: GatewayResult | None = None,
                 denial: dict[str, Any] | None = None, error: AccordError | None = None,
                 status: int = 200) -> Response:
    capability = governance.registry.get(LANGID)
    if form is None:
        default = principal.user.default_purpose
        form = {"text": "", "purpose": default if default in capability.purposes else "",
                "legal_basis": ""}
    return render(request, "interpret/langid.html", {
        **common_context(request),
        "capability": capability, "purposes": sorted(capability.purposes),
        "legal_bases": sorted(capability.legal_bases),
        "max_length": capability.inputs["text"].max_length,
        "suspension": governance.gateway.suspension(capability.id),
        "form": form, "result": result, "denial": denial, "error": error,
    }, status_code=status)


@router.get("/langid")
def langid_form(request: Request, principal: Principal = Depends(access),
                governance: Governance = Depends(_governance)) -> Response:
    return _langid_page(request, principal, governance)


@router.post("/langid")
def langid_run(request: Request, text: str = Form(""), purpose: str = Form(""),
               legal_basis: str = Form(""), principal: Principal = Depends(access),
               governance: Governance = Depends(_governance)) -> Response:
    form = {"text": text, "purpose": purpose, "legal_basis": legal_basis}
    try:
        result = governance.gateway.invoke(caller_of(principal), GatewayRequest(
            capability_id=LANGID, purpose=purpose, legal_basis=legal_basis,
            inputs={"text": text}))
    except GatewayDenied as error:
        return _langid_page(request, principal, governance, form=form,
                            denial=_denial(error, language_of(request)), status=403)
    except ValidationFailed as error:
        return _langid_page(request, principal, governance, form=form, error=error,
                            status=error.status)
    return _langid_page(request, principal, governance, form=form, result=result)


# -- JSON API ------------------------------------------------------------------------------------
class GatewayCallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(max_length=64, examples=["victim-assistance"])
    legal_basis: str = Field(max_length=64, examples=["police-law-art-2"])
    inputs: dict[str, Any] = Field(examples=[{"text": "Me robaron el pasaporte"}])
    case_ref: str = Field(default="", max_length=64, examples=["case:2026-0001"])


class GatewayCallOut(BaseModel):
    decision_id: str
    ledger_seq: int
    output: dict[str, Any]
    explanation: str
    confidence: float | None
    review_required: bool
    policy_version: str


@api_router.post(
    "/gateway/{capability_id}", response_model=GatewayCallOut,
    summary="Call an AI capability through the governed gateway",
    responses={403: {"description": "Refused by policy; the refusal is in the ledger",
                     "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/GatewayRefusal"}}}},
               422: {"description": "Invalid or undeclared inputs"},
               503: {"description": "The model failed or timed out; nothing was decided"}},
)
def call_capability(capability_id: Annotated[str, Path(
                        max_length=64, examples=["interpret.langid"],
                        description="A registered capability (GET /governance/capabilities)")],
                    body: GatewayCallIn, request: Request,
                    principal: Principal = Depends(api_access),
                    governance: Governance = Depends(_governance)) -> Any:
    """Policy is checked first; the call, or its refusal, is written to the ledger."""
    try:
        result = governance.gateway.invoke(caller_of(principal), GatewayRequest(
            capability_id=capability_id, purpose=body.purpose, legal_basis=body.legal_basis,
            inputs=body.inputs, case_ref=body.case_ref))
    except GatewayDenied as error:
        denial = _denial(error, language_of(request))
        return JSONResponse({"detail": denial["summary"], "reasons": denial["reasons"],
                             "ledger_seq": denial["ledger_seq"]}, status_code=403)
    return GatewayCallOut(
        decision_id=result.decision_id, ledger_seq=result.ledger_seq, output=result.output,
        explanation=result.explanation, confidence=result.confidence,
        review_required=result.review_required, policy_version=result.policy_version)
