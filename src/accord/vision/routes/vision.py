"""Vision API (JSON), on the same service as ``accord redact`` and friends.

* ``POST /api/v1/vision/redact`` — multipart image or video → a draft redacted item (officers,
  supervisors); videos become a queue job (``/api/v1/jobs/{id}`` shows progress).
* ``GET /api/v1/vision/items/{id}`` — an item with every box and its custody chain.
* ``POST /api/v1/vision/items/{id}/boxes`` — the reviewer's boxes (supervisors).
* ``POST /api/v1/vision/items/{id}/decision`` — approve or reject (supervisors).
* ``POST /api/v1/vision/items/{id}/export`` — the approved file, ledgered.
* ``POST /api/v1/vision/items/{id}/cancel`` — cancel a video job.
* ``POST /api/v1/vision/count`` — people counted in an image (a number only).
* ``POST /api/v1/vision/identify`` — refused by design for everyone (403, zh and en), ledgered;
  the upload, if any, is not read.

Object access is :func:`accord.vision.service.may_access` (the collector, or a supervisor, DPO
or auditor), inside the service.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

from accord.core.gateway.service import GatewayDenied
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.vision.service import VisionService
from accord.web import uploads
from accord.web.deps import Principal, require_roles
from accord.web.routes.governance import caller_of

VIDEO_TYPES = ("video/",)
staff = require_roles(Role.OFFICER, Role.SUPERVISOR)
viewers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.DPO, Role.AUDITOR)
reviewers = require_roles(Role.SUPERVISOR)
counters = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.ANALYST)
anyone = require_roles()
api_router = APIRouter(prefix="/api/v1/vision", tags=["vision"])


def _service() -> VisionService:
    return VisionService(get_governance())


def _denied(denied: GatewayDenied) -> JSONResponse:
    return JSONResponse(status_code=403, content={
        "refused": True, "ledger_seq": denied.ledger_seq,
        "reason": {"en": denied.reasons_in("en"), "zh": denied.reasons_in("zh_Hans")}})


@api_router.post("/redact", openapi_extra=uploads.accepts_files())
async def redact(file: UploadFile = File(...), purpose: str = Form("disclosure"),
                 legal_basis: str = Form("police-law-art-2"),
                 kinds: str = Form("faces-and-plates"), mode: str = Form("solid"),
                 case_ref: str = Form(""), principal: Principal = Depends(staff)) -> Any:
    data = await file.read()
    caller = caller_of(principal)
    is_video = (file.content_type or "").startswith(VIDEO_TYPES)
    try:
        if is_video:
            view = _service().submit_video(
                caller, data, filename=file.filename or "", purpose=purpose,
                legal_basis=legal_basis, kinds=kinds, mode=mode, case_ref=case_ref)
        else:
            view = _service().redact_image(
                caller, data, filename=file.filename or "", purpose=purpose,
                legal_basis=legal_basis, kinds=kinds, mode=mode, case_ref=case_ref)
    except GatewayDenied as denied:
        return _denied(denied)
    return view.to_dict()


@api_router.get("/items/{item_id}")
def item(item_id: int, principal: Principal = Depends(viewers)) -> Any:
    return _service().item(caller_of(principal), item_id).to_dict()


@api_router.post("/items/{item_id}/boxes")
def boxes(item_id: int, body: dict[str, Any] = Body(...),
          principal: Principal = Depends(reviewers)) -> Any:
    return _service().edit_boxes(caller_of(principal), item_id, list(body.get("boxes") or []),
                                 str(body.get("note") or "")).to_dict()


@api_router.post("/items/{item_id}/decision")
def decision(item_id: int, body: dict[str, Any] = Body(...),
             principal: Principal = Depends(reviewers)) -> Any:
    return _service().decide(caller_of(principal), item_id,
                             approve=body.get("action") == "approve",
                             reason=str(body.get("reason") or "")).to_dict()


@api_router.post("/items/{item_id}/export")
def export(item_id: int, principal: Principal = Depends(staff)) -> Response:
    view, data = _service().export(caller_of(principal), item_id)
    return Response(data, media_type=view.media_type, headers={
        "Content-Disposition": f'attachment; filename="{view.filename or "redacted"}"',
        "X-Accord-Sha256": view.sha256})


@api_router.post("/items/{item_id}/cancel")
def cancel(item_id: int, principal: Principal = Depends(staff)) -> Any:
    return _service().cancel(caller_of(principal), item_id).to_dict()


@api_router.post("/count", openapi_extra=uploads.accepts_files())
async def count(file: UploadFile = File(...), purpose: str = Form("crowd-safety"),
                legal_basis: str = Form("police-law-art-2"), method: str = Form("faces"),
                principal: Principal = Depends(counters)) -> Any:
    data = await file.read()
    try:
        return _service().count(caller_of(principal), data, purpose=purpose,
                                legal_basis=legal_basis, method=method)
    except GatewayDenied as denied:
        return _denied(denied)


@api_router.post("/identify")
def identify(what: str = Form("identify"), principal: Principal = Depends(anyone)) -> Any:
    """Always refused; the upload (if any) is never read."""
    try:
        _service().refuse(caller_of(principal), what)
    except GatewayDenied as denied:
        return _denied(denied)
    raise AssertionError("a prohibited use was not refused")  # pragma: no cover
