"""Governance pages: the capability registry with its stop control, the policies in force with a
what-if tester, the human review queue and the automation-bias monitor.

One access rule per router:

* ``registry_router`` — any signed-in user reads the registry;
* ``stop_router`` — supervisors and admins suspend or resume a capability;
* ``policy_router`` — admin, DPO, auditor and supervisor read policies and try the tester;
* ``review_router`` — reviewers (see :data:`REVIEWER_ROLES`) decide on AI outputs;
* ``monitor_router`` — supervisor, DPO, auditor and admin read the monitor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from accord.core.accounts import AccountService
from accord.core.contract import installed
from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import Governance, get_governance
from accord.core.i18n import M_, N_
from accord.core.registry import CapabilityRegistry
from accord.core.roles import Role
from accord.web.deps import Principal, account_service, require_roles
from accord.web.templating import render

# Words that reach templates as data; marked here for extraction.
RISK_TIER_WORDS = (N_("minimal"), N_("limited"), N_("high"), N_("prohibited"))
EFFECT_WORDS = (N_("permit"), N_("forbid"))

#: Plain-language names for registered purposes and legal bases; unknown ones show their code.
PURPOSE_LABELS: dict[str, str] = {
    "victim-assistance": N_("Victim assistance"),
    "witness-interview": N_("Witness interview"),
    "suspect-interview": N_("Suspect interview"),
    "public-service": N_("Public service"),
    "interpretation": N_("Interpretation"),
    "case-handling": N_("Case handling"),
    "consented-identity-check": N_("Identity check with consent"),
    "procedure-lookup": N_("Looking up the law or a procedure"),
    "identity-check": N_("Identity check"),
    "patrol-planning": N_("Patrol planning"),
    "resource-planning": N_("Resource planning"),
    "disclosure": N_("Disclosure of footage (after redaction)"),
    "crowd-safety": N_("Crowd safety"),
    "emergency-response": N_("Emergency response (dispatch)"),
}
LEGAL_BASIS_LABELS: dict[str, str] = {
    "police-law-art-2": N_("People's Police Law, Article 2"),
    "criminal-procedure-law": N_("Criminal Procedure Law"),
    "administrative-law": N_("Administrative law"),
    "consent": N_("The person's consent"),
}

#: Roles that may open the review queue. Each item is shown only to holders of the role its
#: capability names as ``review_role``; a capability naming another role must be added here
#: (and to the navigation in base.html).
REVIEWER_ROLES = (Role.SUPERVISOR,)
#: Roles that may try the what-if tester for any user; everyone else only for themselves.
WHAT_IF_ANY_USER = frozenset({Role.ADMIN, Role.DPO, Role.AUDITOR})

registry_access = require_roles()
stop_access = require_roles(Role.SUPERVISOR, Role.ADMIN)
policy_access = require_roles(Role.ADMIN, Role.DPO, Role.AUDITOR, Role.SUPERVISOR)
review_access = require_roles(*REVIEWER_ROLES)
monitor_access = require_roles(Role.SUPERVISOR, Role.DPO, Role.AUDITOR, Role.ADMIN)

registry_router = APIRouter(prefix="/governance", include_in_schema=False,
                            dependencies=[Depends(registry_access)])
stop_router = APIRouter(prefix="/governance", include_in_schema=False,
                        dependencies=[Depends(stop_access)])
policy_router = APIRouter(prefix="/governance", include_in_schema=False,
                          dependencies=[Depends(policy_access)])
monitor_router = APIRouter(prefix="/reviews", include_in_schema=False,
                           dependencies=[Depends(monitor_access)])
review_router = APIRouter(prefix="/reviews", include_in_schema=False,
                          dependencies=[Depends(review_access)])

#: Routers in the order the app must include them (``/reviews/monitor`` before
#: ``/reviews/{review_id}``).
routers = (registry_router, stop_router, policy_router, monitor_router, review_router)


# -- shared helpers (also used by routes/interpret.py) -------------------------------------------
def caller_of(principal: Principal) -> Caller:
    user = principal.user
    return Caller(user_id=user.id, username=user.username,
                  roles=frozenset(str(role.value) for role in user.roles))


def localizer(language: str) -> Callable[[Any, str], str]:
    """``loc(capability, "title")`` → ``title_zh`` or ``title_en`` by UI language."""
    suffix = "zh" if language == "zh_Hans" else "en"

    def loc(obj: Any, name: str) -> str:
        return str(getattr(obj, f"{name}_{suffix}"))

    return loc


def reason_text(reason: Any, language: str) -> str:
    return str(reason.reason_zh if language == "zh_Hans" else reason.reason_en)


def language_of(request: Request) -> str:
    return str(getattr(request.state, "language", "zh_Hans"))


def common_context(request: Request) -> dict[str, Any]:
    language = language_of(request)
    return {"loc": localizer(language), "purpose_labels": PURPOSE_LABELS,
            "legal_basis_labels": LEGAL_BASIS_LABELS,
            "reason_text": lambda reason: reason_text(reason, language)}


def _governance() -> Governance:
    return get_governance()


# -- capability registry and stop control --------------------------------------------------------
def _capabilities_page(request: Request, principal: Principal, governance: Governance, *,
                       notice: dict[str, Any] | None = None, error: AccordError | None = None,
                       error_for: str = "", status: int = 200) -> Response:
    registry: CapabilityRegistry = governance.registry
    capabilities = [c for c in registry.all() if not c.prohibited]
    prohibited = [c for c in registry.all() if c.prohibited]
    suspensions = {c.id: governance.gateway.suspension(c.id) for c in capabilities}
    can_stop = bool(principal.user.roles & {Role.SUPERVISOR, Role.ADMIN})
    return render(request, "governance/capabilities.html", {
        **common_context(request),
        "capabilities": capabilities, "prohibited": prohibited, "suspensions": suspensions,
        "can_stop": can_stop, "notice": notice, "error": error, "error_for": error_for,
    }, status_code=status)


@registry_router.get("/capabilities")
def capabilities(request: Request, principal: Principal = Depends(registry_access),
                 governance: Governance = Depends(_governance)) -> Response:
    return _capabilities_page(request, principal, governance)


@stop_router.post("/capabilities/{capability_id}/suspension")
def set_suspension(request: Request, capability_id: str, action: str = Form(""),
                   reason: str = Form(""), principal: Principal = Depends(stop_access),
                   governance: Governance = Depends(_governance)) -> Response:
    try:
        if action not in ("suspend", "resume"):
            raise ValidationFailed(detail=M_("action: suspend or resume"))
        if len(reason) > 2000:
            raise ValidationFailed(detail=M_("reason: at most 2000 characters"))
        suspended = action == "suspend"
        seq = governance.gateway.set_suspended(capability_id, suspended, caller_of(principal),
                                               reason)
    except NotFound:
        raise
    except AccordError as error:
        return _capabilities_page(request, principal, governance, error=error,
                                  error_for=capability_id, status=error.status)
    notice = {"capability_id": capability_id, "suspended": suspended, "seq": seq}
    return _capabilities_page(request, principal, governance, notice=notice)


# -- policies and the what-if tester -------------------------------------------------------------
def _policies_page(request: Request, principal: Principal, governance: Governance,
                   accounts: AccountService, *, result: dict[str, Any] | None = None,
                   form: dict[str, Any] | None = None, error: AccordError | None = None,
                   status: int = 200) -> Response:
    any_user = bool(principal.user.roles & WHAT_IF_ANY_USER)
    users = accounts.list_users() if any_user else [principal.user]
    registry = governance.registry
    purposes = sorted({p for c in registry.all() for p in c.purposes} | set(PURPOSE_LABELS))
    legal_bases = sorted({b for c in registry.all() for b in c.legal_bases}
                         | set(LEGAL_BASIS_LABELS))
    return render(request, "governance/policies.html", {
        **common_context(request),
        "policies": governance.policy.policies(), "policy_version": governance.policy.version,
        "users": users, "capabilities": registry.all(), "purposes": purposes,
        "legal_bases": legal_bases, "result": result, "error": error,
        "form": form or {"user_id": principal.user.id}, "any_user": any_user,
    }, status_code=status)


@policy_router.get("/policies")
def policies(request: Request, principal: Principal = Depends(policy_access),
             governance: Governance = Depends(_governance),
             accounts: AccountService = Depends(account_service)) -> Response:
    return _policies_page(request, principal, governance, accounts)


@policy_router.post("/policies/what-if")
def what_if(request: Request, user_id: int = Form(...), capability_id: str = Form(""),
            purpose: str = Form(""), legal_basis: str = Form(""),
            consent_recorded: str = Form(""), supervisor_approved: str = Form(""),
            principal: Principal = Depends(policy_access),
            governance: Governance = Depends(_governance),
            accounts: AccountService = Depends(account_service)) -> Response:
    """Ask the policy engine what it would decide. Runs no model and writes no ledger entry."""
    form = {"user_id": user_id, "capability_id": capability_id, "purpose": purpose,
            "legal_basis": legal_basis, "consent_recorded": consent_recorded == "on",
            "supervisor_approved": supervisor_approved == "on"}
    try:
        if user_id != principal.user.id and not principal.user.roles & WHAT_IF_ANY_USER:
            raise PermissionDenied(N_("You may only try the policies for yourself."))
        subject = accounts.get_user(user_id)
        capability = governance.registry.get(capability_id)
        caller = Caller(user_id=subject.id, username=subject.username,
                        roles=frozenset(str(role.value) for role in subject.roles))
        decision = governance.gateway.authorize(caller, GatewayRequest(
            capability_id=capability.id, purpose=purpose.strip(),
            legal_basis=legal_basis.strip(), inputs={},
            consent_recorded=form["consent_recorded"],
            supervisor_approved=form["supervisor_approved"],
        ), capability)
    except AccordError as error:
        return _policies_page(request, principal, governance, accounts, form=form, error=error,
                              status=error.status)
    result = {"decision": decision, "subject": subject, "capability": capability,
              "suspension": governance.gateway.suspension(capability.id)}
    return _policies_page(request, principal, governance, accounts, result=result, form=form)


# -- the review queue and the automation-bias monitor --------------------------------------------
def review_renderers() -> dict[str, str]:
    """Each package's own review view of its capabilities' outputs (its plugin declares the
    template); capabilities without one show the stored JSON."""
    return {cid: template for package in installed()
            for cid, template in package.review_renderers.items()}


def _reviews_page(request: Request, principal: Principal, governance: Governance, *,
                  notice: dict[str, Any] | None = None, error: AccordError | None = None,
                  error_for: int | None = None, form: dict[str, Any] | None = None,
                  status: int = 200) -> Response:
    roles = frozenset(str(role.value) for role in principal.user.roles)
    items = []
    for review, decision in governance.reviews.pending(roles):
        capability = (governance.registry.get(review.capability_id)
                      if review.capability_id in governance.registry else None)
        items.append({
            "review": review, "decision": decision, "capability": capability,
            "own": decision.actor_id == principal.user.id,
            "output": decision.output or {},
            "renderer": review_renderers().get(review.capability_id),
            "output_json": json.dumps(decision.output or {}, ensure_ascii=False, indent=2,
                                      sort_keys=True),
            "inputs_json": json.dumps(decision.inputs or {}, ensure_ascii=False, indent=2,
                                      sort_keys=True),
        })
    return render(request, "governance/reviews.html", {
        **common_context(request),
        "items": items, "notice": notice, "error": error, "error_for": error_for,
        "form": form or {}, "can_monitor": bool(principal.user.roles & {
            Role.SUPERVISOR, Role.DPO, Role.AUDITOR, Role.ADMIN}),
    }, status_code=status)


@monitor_router.get("/monitor")
def monitor(request: Request, governance: Governance = Depends(_governance)) -> Response:
    return render(request, "governance/monitor.html", {
        **common_context(request), "rows": governance.reviews.monitor(),
    })


@review_router.get("")
def review_queue(request: Request, principal: Principal = Depends(review_access),
                 governance: Governance = Depends(_governance)) -> Response:
    return _reviews_page(request, principal, governance)


def _parse_edited_output(action: str, text: str) -> dict[str, Any] | None:
    if action != "edit":
        return None
    if not text.strip():
        raise ValidationFailed(detail=M_("edited output: required when editing"))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(detail=M_("edited output: not valid JSON (%(msg)s at line "
                                         "%(lineno)s, column %(colno)s)",
                                         msg=error.msg, lineno=error.lineno,
                                         colno=error.colno)) from None
    if not isinstance(value, dict):
        raise ValidationFailed(detail=M_("edited output: must be a JSON object ({…})"))
    return value


@review_router.post("/{review_id}")
def decide_review(request: Request, review_id: int, action: str = Form(""),
                  reason: str = Form(""), edited_output: str = Form(""),
                  principal: Principal = Depends(review_access),
                  governance: Governance = Depends(_governance)) -> Response:
    form = {"reason": reason, "edited_output": edited_output, "action": action}
    try:
        if len(reason) > 2000:
            raise ValidationFailed(detail=M_("reason: at most 2000 characters"))
        edited = _parse_edited_output(action, edited_output)
        if edited is not None and edited == (governance.reviews.get(review_id)[1].output or {}):
            # An "edit" that changes nothing would count as an override in the monitor.
            raise ValidationFailed(detail=M_("edited output: unchanged; confirm the output "
                                             "instead"))
        seq = governance.reviews.decide(review_id, caller_of(principal), action, reason, edited)
    except NotFound:
        raise
    except AccordError as error:
        return _reviews_page(request, principal, governance, error=error, error_for=review_id,
                             form=form, status=error.status)
    notice = {"review_id": review_id, "action": action, "seq": seq}
    return _reviews_page(request, principal, governance, notice=notice)
