"""Public pages (no log-in): the transparency register, as HTML and as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from accord.core.governance import Governance, get_governance
from accord.core.i18n import translations
from accord.core.registry import RISK_TIER_LABELS
from accord.governance.transparency import build_register
from accord.web.deps import Principal, optional_principal
from accord.web.routes.governance import LEGAL_BASIS_LABELS, PURPOSE_LABELS
from accord.web.templating import render

router = APIRouter(tags=["public"])

#: Purposes declared by capabilities whose own pages label them (the shared labels win).
RISK_CLASS_LABELS: dict[str, str] = RISK_TIER_LABELS
#: What the register's codes mean, by kind; a code without a label is shown as it is.
LABELS: dict[str, dict[str, str]] = {
    "purposes": dict(PURPOSE_LABELS),
    "legal_bases": dict(LEGAL_BASIS_LABELS),
    "risk_classes": RISK_CLASS_LABELS,
}


def governance_dep() -> Governance:
    return get_governance()


def _codes(register: dict[str, Any]) -> dict[str, set[str]]:
    entries = register["capabilities"]
    return {"purposes": {p for c in entries for p in c["tier1"]["purposes"]},
            "legal_bases": {b for c in entries for b in c["tier2"]["legal_bases"]},
            "risk_classes": {c["eu_ai_act"]["risk_class"] for c in entries}}


def code_words(register: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """For the JSON: each code the register uses, in English and Chinese."""
    chinese = translations("zh_Hans")
    words: dict[str, dict[str, dict[str, str]]] = {}
    for kind, codes in _codes(register).items():
        table = LABELS[kind]
        words[kind] = {code: {"en": table.get(code, code),
                              "zh": chinese.gettext(table[code]) if code in table else code}
                       for code in sorted(codes)}
    return words


@router.get("/transparency.json", summary="Transparency register (machine-readable)")
def transparency_json(governance: Governance = Depends(governance_dep)) -> JSONResponse:
    register = build_register(governance)
    register["labels"] = code_words(register)
    return JSONResponse(register, headers={"Cache-Control": "public, max-age=60"})


@router.get("/transparency", include_in_schema=False)
def transparency_page(request: Request, governance: Governance = Depends(governance_dep),
                      _principal: Principal | None = Depends(optional_principal)) -> Response:
    register: dict[str, Any] = build_register(governance)
    lang = "zh" if request.state.language == "zh_Hans" else "en"
    return render(request, "public/transparency.html",
                  {"register": register, "lang": lang, "labels": LABELS})
