"""Public pages (no log-in): the transparency register, as HTML and as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from accord.core.governance import Governance, get_governance
from accord.governance.transparency import build_register
from accord.web.deps import Principal, optional_principal
from accord.web.templating import render

router = APIRouter(tags=["public"])


def governance_dep() -> Governance:
    return get_governance()


@router.get("/transparency.json", summary="Transparency register (machine-readable)")
def transparency_json(governance: Governance = Depends(governance_dep)) -> JSONResponse:
    return JSONResponse(build_register(governance),
                        headers={"Cache-Control": "public, max-age=60"})


@router.get("/transparency", include_in_schema=False)
def transparency_page(request: Request, governance: Governance = Depends(governance_dep),
                      _principal: Principal | None = Depends(optional_principal)) -> Response:
    register: dict[str, Any] = build_register(governance)
    lang = "zh" if request.state.language == "zh_Hans" else "en"
    return render(request, "public/transparency.html", {"register": register, "lang": lang})
