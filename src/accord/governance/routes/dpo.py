"""The data-protection officer's console at ``/dpo``.

One access rule per router:

* ``router`` — the DPO: the queue of rights requests and appeals with their deadlines, acting on
  them, the breach register, recording assessments, starting a ledger verification;
* ``overview_router`` — DPO and admin (read-only): the compliance dashboard and which
  capabilities are cleared by impact assessments;
* ``counter_router`` — officers and the DPO: verifying a requester's identity at a counter;
* ``auditor_router`` — auditor and DPO: the audit export (ZIP).

:data:`routers` lists them in the order the app must include them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.core.db import utcnow
from accord.core.errors import AccordError, ValidationFailed
from accord.core.governance import Governance, get_governance
from accord.core.i18n import M_, N_
from accord.core.roles import Role
from accord.governance.dpo import (
    ASSESSMENT_KINDS,
    ASSESSMENT_LABELS,
    BREACH_HOURS,
    BREACH_STATE_LABELS,
    REQUIRED_FOR_HIGH_RISK,
    SEVERITIES,
    SEVERITY_LABELS,
    DpoService,
)
from accord.governance.rights import (
    APPEAL_OUTCOMES,
    InvalidField,
    RightsService,
    RightsSettings,
    SubjectLookup,
    normalise_reference,
)
from accord.governance.routes.rights import labels
from accord.web.deps import Principal, require_roles
from accord.web.routes.governance import caller_of, common_context
from accord.web.templating import render, station_zone

access = require_roles(Role.DPO)
overview_access = require_roles(Role.DPO, Role.ADMIN)
counter_access = require_roles(Role.OFFICER, Role.DPO)
auditor_access = require_roles(Role.AUDITOR, Role.DPO)

router = APIRouter(prefix="/dpo", include_in_schema=False, dependencies=[Depends(access)])
overview_router = APIRouter(prefix="/dpo", include_in_schema=False,
                            dependencies=[Depends(overview_access)])
counter_router = APIRouter(prefix="/counter/rights", include_in_schema=False,
                           dependencies=[Depends(counter_access)])
auditor_router = APIRouter(prefix="/dpo", include_in_schema=False,
                           dependencies=[Depends(auditor_access)])
routers = (overview_router, counter_router, auditor_router, router)

DONE = {
    "start": N_("Work on the request started."),
    "note": N_("Note added."),
    "counter-verify": N_("Identity verified at the counter."),
    "release": N_("Access report released; the requester was told."),
    "erase": N_("Deletion carried out and certified in the ledger."),
    "correct": N_("Correction recorded and ledgered."),
    "appeal": N_("Appeal decided and ledgered; the requester was told."),
    "answer": N_("Answer sent."),
    "close": N_("Request closed."),
}
ACTIONS = tuple(DONE)


def _governance() -> Governance:
    return get_governance()


def _rights() -> RightsService:
    return RightsService.from_governance(settings=RightsSettings())


def _dpo(governance: Governance = Depends(_governance)) -> DpoService:
    return DpoService.from_governance(governance)


def _context(request: Request, principal: Principal, **values: Any) -> dict[str, Any]:
    return {**common_context(request), **labels(), "is_dpo": Role.DPO in principal.user.roles,
            "assessment_labels": ASSESSMENT_LABELS, "assessment_kinds": ASSESSMENT_KINDS,
            "severities": SEVERITIES, "severity_labels": SEVERITY_LABELS,
            "breach_state_labels": BREACH_STATE_LABELS, "breach_hours": BREACH_HOURS,
            "appeal_outcomes": APPEAL_OUTCOMES, **values}


# -- what Accord holds about a person -----------------------------------------------------------
@router.get("/subjects")
def subjects_form(request: Request, principal: Principal = Depends(access)) -> Response:
    return render(request, "dpo/subjects.html", _context(request, principal, report=None,
                                                         form={}, error=None),
                  headers={"Cache-Control": "no-store"})


@router.post("/subjects")
def subjects_report(request: Request, document_number: str = Form(""), name: str = Form(""),
                    birth_date: str = Form(""), nationality: str = Form(""),
                    principal: Principal = Depends(access),
                    rights: RightsService = Depends(_rights)) -> Response:
    """The same look-up as ``accord rights report`` (POST: the number stays out of URLs)."""
    report, error, status = None, None, 200
    try:
        report = rights.subject_report(caller_of(principal), SubjectLookup(
            document=document_number, name=name, birth_date=birth_date,
            nationality=nationality))
    except AccordError as failed:
        error, status = failed, failed.status
    return render(request, "dpo/subjects.html", _context(
        request, principal, report=report, error=error, error_field=getattr(error, "field", ""),
        form={"name": name, "birth_date": birth_date, "nationality": nationality}),
        status_code=status, headers={"Cache-Control": "no-store"})


# -- the queue and a request ---------------------------------------------------------------------
@router.get("")
def queue(request: Request, all: str = "", principal: Principal = Depends(access),
          rights: RightsService = Depends(_rights)) -> Response:
    items = rights.queue(include_closed=bool(all))
    return render(request, "dpo/queue.html", _context(request, principal, items=items,
                                                      show_all=bool(all)))


def _request_page(request: Request, principal: Principal, reference: str,
                  rights: RightsService, governance: Governance, *,
                  error: AccordError | None = None, done: str = "", form: dict[str, Any] | None
                  = None, status: int = 200) -> Response:
    record = rights.get(reference)
    decisions = rights.subject_decisions(record.reference)
    records = rights.subject_holdings(record.reference)
    items = []
    for decision in decisions:
        capability = (governance.registry.get(decision.capability_id)
                      if decision.capability_id in governance.registry else None)
        items.append({"decision": decision, "capability": capability,
                      "output_json": json.dumps(decision.output or {}, ensure_ascii=False,
                                                indent=2, sort_keys=True),
                      "inputs_json": json.dumps(decision.inputs or {}, ensure_ascii=False,
                                                indent=2, sort_keys=True)})
    appealed, match = DpoService.from_governance(governance).appealed_decision(record)
    item = rights.deadline_item(record, utcnow())
    return render(request, "dpo/request.html", _context(
        request, principal, record=record, item=item, events=rights.events(record.reference),
        decisions=items, records=records, appealed=appealed, subject_match=match, error=error,
        error_field=getattr(error, "field", ""), done=DONE.get(done, ""), form=form or {},
        appealed_json=json.dumps(appealed.output or {}, ensure_ascii=False, indent=2,
                                 sort_keys=True) if appealed is not None else "",
    ), status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/requests/{reference}")
def request_page(request: Request, reference: str, done: str = "",
                 principal: Principal = Depends(access),
                 rights: RightsService = Depends(_rights),
                 governance: Governance = Depends(_governance)) -> Response:
    return _request_page(request, principal, reference, rights, governance, done=done)


@router.post("/requests/{reference}")
def act(request: Request, reference: str, action: str = Form(""), note: str = Form(""),
        public: str = Form(""), document_number: str = Form(""), seen_document: str = Form(""),
        decision_id: str = Form(""), corrected_output: str = Form(""), outcome: str = Form(""),
        confirm: str = Form(""), principal: Principal = Depends(access),
        rights: RightsService = Depends(_rights),
        governance: Governance = Depends(_governance)) -> Response:
    caller = caller_of(principal)
    record = rights.get(reference)  # 404 first
    form = {"action": action, "note": note[:4000], "decision_id": decision_id[:64],
            "corrected_output": corrected_output[:70_000], "outcome": outcome[:16]}
    try:
        if action == "start":
            rights.start(record.reference, caller, note)
        elif action == "note":
            rights.add_note(record.reference, caller, note, public=public == "on")
        elif action == "counter-verify":
            if seen_document != "on":
                raise InvalidField("seen_document", N_("Confirm that you saw the original "
                                                       "identity document."))
            rights.verify_at_counter(record.reference, document_number, caller, note)
        elif action == "release":
            rights.release_access_report(record.reference, caller, note)
        elif action == "erase":
            if confirm != "on":
                raise InvalidField("confirm", N_("Confirm that the erasure cannot be undone."))
            rights.carry_out_deletion(record.reference, caller, note)
        elif action == "correct":
            try:
                value = json.loads(corrected_output)
            except ValueError:
                raise InvalidField("corrected_output", N_("Give the corrected output as a JSON "
                                                          "object.")) from None
            rights.apply_correction(record.reference, caller, decision_id, value, note)
        elif action == "appeal":
            rights.decide_appeal(record.reference, caller, outcome, note)
        elif action == "answer":
            rights.answer(record.reference, caller, note)
        elif action == "close":
            rights.close(record.reference, caller, note)
        else:
            raise ValidationFailed(detail=M_("action: one of %(actions)s",
                                             actions=', '.join(ACTIONS)))
    except AccordError as error:
        return _request_page(request, principal, record.reference, rights, governance,
                             error=error, form=form, status=error.status)
    return RedirectResponse(f"/dpo/requests/{record.reference}?done={action}", status_code=303)


# -- counter verification (officers and the DPO) -------------------------------------------------
@counter_router.get("")
def counter_page(request: Request, principal: Principal = Depends(counter_access)) -> Response:
    return render(request, "dpo/counter.html", _context(request, principal, form={}))


@counter_router.post("")
def counter_verify(request: Request, reference: str = Form(""), document_number: str = Form(""),
                   seen_document: str = Form(""), principal: Principal = Depends(counter_access),
                   rights: RightsService = Depends(_rights)) -> Response:
    form = {"reference": reference[:40]}
    try:
        normalised = normalise_reference(reference[:40])
        if not normalised:
            raise InvalidField("reference", N_("A reference looks like RR-ABCD2345EFGH. Check "
                                               "the reference on your receipt."))
        if seen_document != "on":
            raise InvalidField("seen_document", N_("Confirm that you saw the original identity "
                                                   "document."))
        rights.verify_at_counter(normalised, document_number, caller_of(principal))
    except AccordError as error:
        return render(request, "dpo/counter.html", _context(
            request, principal, form=form, error=error,
            error_field=getattr(error, "field", "")), status_code=error.status)
    return render(request, "dpo/counter.html", _context(request, principal, form={},
                                                        verified=normalised))


# -- breaches ------------------------------------------------------------------------------------
def _breaches_page(request: Request, principal: Principal, dpo: DpoService, *,
                   error: AccordError | None = None, error_for: int | None = None,
                   form: dict[str, Any] | None = None, status: int = 200) -> Response:
    return render(request, "dpo/breaches.html", _context(
        request, principal, breaches=dpo.breaches(), error=error, error_for=error_for,
        error_field=getattr(error, "field", ""), form=form or {"severity": "medium"}),
        status_code=status)


@router.get("/breaches")
def breaches(request: Request, principal: Principal = Depends(access),
             dpo: DpoService = Depends(_dpo)) -> Response:
    return _breaches_page(request, principal, dpo)


def _station_input(value: str) -> str | datetime:
    """A form's ``datetime-local`` value is station time (as every page shows times); the
    service stores UTC. What does not parse goes on as it is, for the service to refuse."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=station_zone())


@router.post("/breaches")
def record_breach(request: Request, title: str = Form(""), description: str = Form(""),
                  severity: str = Form("medium"), affected_count: str = Form(""),
                  measures: str = Form(""), detected_at: str = Form(""),
                  principal: Principal = Depends(access),
                  dpo: DpoService = Depends(_dpo)) -> Response:
    form = {"title": title[:300], "description": description[:5000], "severity": severity[:8],
            "affected_count": affected_count[:12], "measures": measures[:5000],
            "detected_at": detected_at[:40]}
    try:
        count = None
        if affected_count.strip():
            if not affected_count.strip().isdigit():
                raise InvalidField("affected_count", N_("Give a number of 0 or more."))
            count = int(affected_count.strip())
        dpo.record_breach(caller_of(principal), title=title, description=description,
                          severity=severity, affected_count=count, measures=measures,
                          detected_at=_station_input(detected_at))
    except AccordError as error:
        return _breaches_page(request, principal, dpo, error=error, form=form,
                              status=error.status)
    return RedirectResponse("/dpo/breaches", status_code=303)


@router.post("/breaches/{breach_id}/notified")
def breach_notified(request: Request, breach_id: int, authority: str = Form(""),
                    notified_at: str = Form(""), late_reason: str = Form(""),
                    principal: Principal = Depends(access),
                    dpo: DpoService = Depends(_dpo)) -> Response:
    try:
        dpo.mark_notified(breach_id, caller_of(principal), authority=authority,
                          notified_at=_station_input(notified_at), late_reason=late_reason)
    except AccordError as error:
        return _breaches_page(request, principal, dpo, error=error, error_for=breach_id,
                              status=error.status)
    return RedirectResponse("/dpo/breaches", status_code=303)


@router.post("/breaches/{breach_id}/close")
def breach_close(breach_id: int, principal: Principal = Depends(access),
                 dpo: DpoService = Depends(_dpo)) -> Response:
    dpo.close_breach(breach_id, caller_of(principal))
    return RedirectResponse("/dpo/breaches", status_code=303)


# -- assessments ---------------------------------------------------------------------------------
def _assessments_page(request: Request, principal: Principal, dpo: DpoService,
                      governance: Governance, *, error: AccordError | None = None,
                      form: dict[str, Any] | None = None, status: int = 200) -> Response:
    gates = dpo.gates()
    return render(request, "dpo/assessments.html", _context(
        request, principal, gates=gates, records=dpo.assessments(),
        missing=[g for g in gates if g.risk_tier == "high" and not g.ok],
        capabilities=[c for c in governance.registry.all() if not c.prohibited],
        required=REQUIRED_FOR_HIGH_RISK, error=error, error_field=getattr(error, "field", ""),
        form=form or {}), status_code=status)


@overview_router.get("/assessments")
def assessments(request: Request, principal: Principal = Depends(overview_access),
                dpo: DpoService = Depends(_dpo),
                governance: Governance = Depends(_governance)) -> Response:
    return _assessments_page(request, principal, dpo, governance)


#: Where a recorded assessment returns to: its own page, or the to-do list it came from.
RETURN_PAGES = {"assessments": "/dpo/assessments", "dashboard": "/dpo/dashboard"}


@router.post("/assessments")
def record_assessment(request: Request, capability_id: str = Form(""),
                      kind: list[str] = Form([]),
                      outcome: str = Form(""), summary: str = Form(""),
                      document_ref: str = Form(""), valid_until: str = Form(""),
                      back: str = Form("assessments"),
                      principal: Principal = Depends(access), dpo: DpoService = Depends(_dpo),
                      governance: Governance = Depends(_governance)) -> Response:
    """One assessment kind, or several at once (the to-do list clears a capability with one
    form: the kinds still missing, checked)."""
    kinds = [k[:16] for k in kind[:8]]
    form = {"capability_id": capability_id[:64], "kind": kinds[0] if kinds else "",
            "outcome": outcome[:16], "summary": summary[:5000],
            "document_ref": document_ref[:300], "valid_until": valid_until[:40]}
    try:
        dpo.record_assessments(caller_of(principal), capability_id=capability_id, kinds=kinds,
                               outcome=outcome, summary=summary, document_ref=document_ref,
                               valid_until=valid_until or None)
    except AccordError as error:
        return _assessments_page(request, principal, dpo, governance, error=error, form=form,
                                 status=error.status)
    return RedirectResponse(RETURN_PAGES.get(back, RETURN_PAGES["assessments"]),
                            status_code=303)


@router.post("/assessments/{assessment_id}/revoke")
def revoke_assessment(assessment_id: int, principal: Principal = Depends(access),
                      dpo: DpoService = Depends(_dpo)) -> Response:
    dpo.revoke_assessment(assessment_id, caller_of(principal))
    return RedirectResponse("/dpo/assessments", status_code=303)


# -- dashboard and ledger verification -----------------------------------------------------------
@overview_router.get("/dashboard")
def dashboard(request: Request, principal: Principal = Depends(overview_access),
              dpo: DpoService = Depends(_dpo),
              rights: RightsService = Depends(_rights)) -> Response:
    return render(request, "dpo/dashboard.html", _context(
        request, principal, data=dpo.dashboard(rights)))


@overview_router.get("/dashboard/verification")
def verification_fragment(request: Request, principal: Principal = Depends(overview_access),
                          dpo: DpoService = Depends(_dpo)) -> Response:
    return render(request, "dpo/_verification.html", _context(
        request, principal, job=dpo.latest_verification()))


@router.post("/ledger-verify")
def start_verification(principal: Principal = Depends(access),
                       dpo: DpoService = Depends(_dpo)) -> Response:
    dpo.start_verification(principal.user.id)
    return RedirectResponse("/dpo/dashboard", status_code=303)


# -- the audit export ----------------------------------------------------------------------------
@auditor_router.get("/audit")
def audit_page(request: Request, principal: Principal = Depends(auditor_access)) -> Response:
    return render(request, "dpo/audit.html", _context(request, principal))


@auditor_router.get("/audit-export")
def audit_export(principal: Principal = Depends(auditor_access),
                 dpo: DpoService = Depends(_dpo), rights: RightsService = Depends(_rights),
                 governance: Governance = Depends(_governance)) -> Response:
    name, data = dpo.audit_export(governance, rights, caller_of(principal))
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


__all__ = ["auditor_router", "counter_router", "overview_router", "router", "routers"]
