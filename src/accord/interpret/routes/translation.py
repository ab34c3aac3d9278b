"""Free-text translation pages: translate through the governed gateway, and the availability
table of every pair among the content languages.

A direction with no engine is answered honestly ("no model — request an interpreter", a
ledgered decision), never with a fake translation; Chinese/English texts also get a CC-CEDICT
word gloss, labelled as such.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from accord.core.errors import AccordError
from accord.core.gateway.service import GatewayDenied, GatewayRequest, GatewayResult
from accord.core.governance import Governance, get_governance
from accord.core.roles import Role
from accord.interpret import glossary
from accord.interpret import translate as tr
from accord.interpret.langid import language_name
from accord.interpret.routes.langid import _denial
from accord.web.deps import Principal, require_roles
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import render

TRANSLATE = "interpret.translate"
INTERPRETER_REQUEST = "/interpreters/requests/new?language={code}"

access = require_roles(Role.OFFICER, Role.INTERPRETER, Role.SUPERVISOR)
router = APIRouter(prefix="/interpret", include_in_schema=False, dependencies=[Depends(access)])


def _governance() -> Governance:
    return get_governance()


def _languages(request: Request) -> list[tuple[str, str]]:
    zh = language_of(request) == "zh_Hans"
    return [(code, language_name(code)["zh" if zh else "en"]) for code in tr.LANGUAGE_CHOICES]


def _human_language(source: str, target: str) -> str:
    """The non-Chinese side: the language an interpreter is requested for."""
    return target if source == "zh" else source


def _page(
    request: Request,
    principal: Principal,
    governance: Governance,
    *,
    form: dict[str, str] | None = None,
    result: GatewayResult | None = None,
    denial: dict[str, Any] | None = None,
    error: AccordError | None = None,
    status: int = 200,
) -> Response:
    capability = governance.registry.get(TRANSLATE)
    if form is None:
        default = principal.user.default_purpose
        form = {
            "text": "",
            "source": "es",
            "target": "en",
            "purpose": default if default in capability.purposes else "",
            "legal_basis": "",
        }
    code = _human_language(form.get("source", ""), form.get("target", ""))
    return render(
        request,
        "interpret/translate.html",
        {
            **common_context(request),
            "capability": capability,
            "purposes": sorted(capability.purposes),
            "legal_bases": sorted(capability.legal_bases),
            "language_options": _languages(request),
            "max_length": tr.MAX_TEXT_CHARS,
            "suspension": governance.gateway.suspension(capability.id),
            "form": form,
            "result": result,
            "denial": denial,
            "error": error,
            "advisory_chrf": tr.ADVISORY_CHRF,
            "interpreter_url": INTERPRETER_REQUEST.format(code=code)
            + (f"&source=translation&source_ref={result.decision_id}" if result else ""),
            "glossary_label": glossary.LABEL,
        },
        status_code=status,
    )


@router.get("/translate")
def translate_form(
    request: Request,
    principal: Principal = Depends(access),
    governance: Governance = Depends(_governance),
) -> Response:
    return _page(request, principal, governance)


@router.post("/translate")
def translate_run(
    request: Request,
    text: str = Form(""),
    source: str = Form(""),
    target: str = Form(""),
    purpose: str = Form(""),
    legal_basis: str = Form(""),
    principal: Principal = Depends(access),
    governance: Governance = Depends(_governance),
) -> Response:
    form = {
        "text": text,
        "source": source,
        "target": target,
        "purpose": purpose,
        "legal_basis": legal_basis,
    }
    try:
        result = governance.gateway.invoke(
            caller_of(principal),
            GatewayRequest(
                capability_id=TRANSLATE,
                purpose=purpose,
                legal_basis=legal_basis,
                inputs={"text": text, "source": source, "target": target},
            ),
        )
    except GatewayDenied as denied:
        return _page(
            request,
            principal,
            governance,
            form=form,
            denial=_denial(denied, language_of(request)),
            status=403,
        )
    except AccordError as failed:
        return _page(request, principal, governance, form=form, error=failed, status=failed.status)
    return _page(request, principal, governance, form=form, result=result)


@router.get("/pairs")
def pairs(request: Request, principal: Principal = Depends(access)) -> Response:
    from accord.core.runtime import get_database
    from accord.interpret.packs import list_packs

    zh = language_of(request) == "zh_Hans"
    rows = tr.availability()
    for row in rows:
        row["source_name"] = language_name(row["source"])["zh" if zh else "en"]
        row["target_name"] = language_name(row["target"])["zh" if zh else "en"]
        row["interpreter_url"] = INTERPRETER_REQUEST.format(
            code=_human_language(row["source"], row["target"])
        )
    return render(
        request,
        "interpret/pairs.html",
        {
            **common_context(request),
            "rows": rows,
            "packs": list_packs(get_database()),
            "advisory_chrf": tr.ADVISORY_CHRF,
            "flores_licence": tr.FLORES_LICENCE,
            "cedict_attribution": glossary.ATTRIBUTION,
            "apertium_measured_on": tr.QUALITY_MEASURED_ON,
            "apertium_command": tr.QUALITY_COMMAND,
        },
    )
