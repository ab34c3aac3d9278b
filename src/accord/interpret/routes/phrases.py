"""Phrasebook pages: match what the person said, let the person confirm it.

``GET /interpret/phrases`` — the form (the person's own language chosen from names written in
each language). ``POST /interpret/phrases/match`` — the gateway call: the officer sees the top
entries in Chinese with their similarity, or "no close match — ask again or request an
interpreter"; below, the person sees the same entries in their language and taps the one they
meant. ``POST /interpret/phrases/confirm`` — records the confirmation (ledgered) and shows the
interpretation beside the original words.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from accord.core.errors import AccordError
from accord.core.gateway.service import GatewayDenied, GatewayResult
from accord.core.governance import Governance, get_governance
from accord.core.roles import Role
from accord.interpret import phrase_service
from accord.interpret.phrasebook import (
    CONFIRM_PROMPT,
    ENDONYMS,
    LANGUAGES,
    NONE_OF_THESE,
    RTL,
    get_phrasebook,
)
from accord.interpret.routes.interviews import NO_LISTEN
from accord.web.deps import Principal, require_roles
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import render

access = require_roles(Role.OFFICER, Role.INTERPRETER, Role.SUPERVISOR)
router = APIRouter(prefix="/interpret", include_in_schema=False, dependencies=[Depends(access)])
CAPABILITY = phrase_service.CAPABILITY_ID

# Validate the phrasebook now, like the interview content: a broken file stops the app at start
# with the file and field named, instead of failing at the desk.
get_phrasebook()


def _governance() -> Governance:
    return get_governance()


def _page(request: Request, principal: Principal, governance: Governance, *,
          form: dict[str, str] | None = None, result: GatewayResult | None = None,
          confirmed: Any = None, denial: dict[str, Any] | None = None,
          error: AccordError | None = None, status: int = 200) -> Response:
    capability = governance.registry.get(CAPABILITY)
    if form is None:
        default = principal.user.default_purpose
        form = {"text": "", "language": "en", "to": "", "case_ref": "",
                "purpose": default if default in capability.purposes else "",
                "legal_basis": ""}
    person = form.get("language") or "en"
    return render(request, "interpret/phrases.html", {
        **common_context(request),
        "capability": capability, "purposes": sorted(capability.purposes),
        "legal_bases": sorted(capability.legal_bases),
        "person_languages": [(code, ENDONYMS[code]) for code in LANGUAGES],
        "suspension": governance.gateway.suspension(capability.id),
        "form": form, "result": result, "confirmed": confirmed, "denial": denial,
        "no_listen": NO_LISTEN,
        "error": error, "person": person, "person_rtl": person in RTL,
        "prompt": CONFIRM_PROMPT.get(person, CONFIRM_PROMPT["en"]),
        "none_of_these": NONE_OF_THESE.get(person, NONE_OF_THESE["en"]),
    }, status_code=status)


@router.get("/phrases")
def phrases_page(request: Request, principal: Principal = Depends(access),
                 governance: Governance = Depends(_governance)) -> Response:
    return _page(request, principal, governance)


@router.post("/phrases/match")
def phrases_match(request: Request, text: str = Form(""), language: str = Form("en"),
                  to: str = Form(""), purpose: str = Form(""), legal_basis: str = Form(""),
                  case_ref: str = Form(""), principal: Principal = Depends(access),
                  governance: Governance = Depends(_governance)) -> Response:
    from accord.interpret.routes.langid import _denial

    form = {"text": text, "language": language, "to": to, "purpose": purpose,
            "legal_basis": legal_basis, "case_ref": case_ref.strip()}
    try:
        result = phrase_service.match_call(
            governance.gateway, caller_of(principal), text, language=language, to=to,
            purpose=purpose, legal_basis=legal_basis, case_ref=form["case_ref"])
    except GatewayDenied as denied:
        return _page(request, principal, governance, form=form,
                     denial=_denial(denied, language_of(request)), status=403)
    except AccordError as failed:
        return _page(request, principal, governance, form=form, error=failed,
                     status=failed.status)
    return _page(request, principal, governance, form=form, result=result)


@router.post("/phrases/confirm")
def phrases_confirm(request: Request, decision_id: str = Form(""), entry_id: str = Form(""),
                    language: str = Form("en"), principal: Principal = Depends(access),
                    governance: Governance = Depends(_governance)) -> Response:
    from accord.core.runtime import get_database

    form = {"text": "", "language": language if language in LANGUAGES else "en", "to": "",
            "purpose": "", "legal_basis": "", "case_ref": ""}
    try:
        confirmed = phrase_service.confirm(get_database(), governance.ledger,
                                           caller_of(principal), decision_id, entry_id)
    except AccordError as failed:
        return _page(request, principal, governance, form=form, error=failed,
                     status=failed.status)
    return _page(request, principal, governance, form=form, confirmed=confirmed)
