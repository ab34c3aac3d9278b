"""Vision pages and API (JSON), on the same service as ``accord redact`` and friends.

Pages: ``/vision`` (upload, list, and the refused identification request explained),
``/vision/items/{id}`` (every box on the redacted image; a supervisor edits boxes and approves or
rejects). The API:

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

import base64
from typing import Any

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from accord.core.errors import AccordError, ValidationFailed
from accord.core.gateway.service import GatewayDenied
from accord.core.governance import get_governance
from accord.core.i18n import M_, N_
from accord.core.roles import Role
from accord.vision.service import REFUSED, VisionService
from accord.web import uploads
from accord.web.deps import ObjectId, Principal, require_roles
from accord.web.openapi import CONFLICT
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import render

VIDEO_TYPES = ("video/",)
staff = require_roles(Role.OFFICER, Role.SUPERVISOR)
viewers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.DPO, Role.AUDITOR)
reviewers = require_roles(Role.SUPERVISOR)
counters = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.ANALYST)
anyone = require_roles()
api_router = APIRouter(prefix="/api/v1/vision", tags=["vision"])


def _service() -> VisionService:
    return VisionService(get_governance())


class ItemOut(BaseModel):
    """A vision item as the API documents it (the route returns ``ItemView.to_dict()``)."""

    model_config = ConfigDict(extra="allow")

    id: int
    sha256: str
    status: str = Field(examples=["pending-review"])
    media_type: str
    filename: str
    width: int
    height: int
    frames: int
    parent_id: int | None
    detector_version: str
    decision_id: str
    mode: str
    boxes: list[dict[str, Any]]
    custody: list[dict[str, Any]]
    exportable: bool
    job_id: str


class CountOut(BaseModel):
    """People counted in an image: a number and the decision, never who they are."""

    model_config = ConfigDict(extra="allow")

    decision_id: str
    ledger_seq: int


ITEM = {200: {"model": ItemOut, "description": "The item, every box and its custody chain"}}


#: The documented body of a refusal (``GatewayRefusal`` in ``accord.web.openapi``).
REFUSAL = {403: {"description": "Refused by policy or by design; the refusal is in the ledger",
                 "content": {"application/json": {
                     "schema": {"$ref": "#/components/schemas/GatewayRefusal"}}}}}


def _denied(denied: GatewayDenied, request: Request) -> JSONResponse:
    """``detail`` in the caller's language, as every API error has; both languages too."""
    return JSONResponse(status_code=403, content={
        "detail": denied.reasons_in(language_of(request)),
        "refused": True, "ledger_seq": denied.ledger_seq,
        "reason": {"en": denied.reasons_in("en"), "zh": denied.reasons_in("zh_Hans")}})


@api_router.post("/redact", openapi_extra=uploads.accepts_files(), response_model=None,
                 responses={**ITEM, **REFUSAL})
async def redact(request: Request, file: UploadFile = File(...), purpose: str = Form("disclosure"),
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
        return _denied(denied, request)
    return view.to_dict()


@api_router.get("/items/{item_id}", response_model=None, responses=ITEM)
def item(item_id: ObjectId, principal: Principal = Depends(viewers)) -> Any:
    return _service().item(caller_of(principal), item_id).to_dict()


@api_router.post("/items/{item_id}/boxes", response_model=None,
                 responses={**ITEM, **CONFLICT})
def boxes(item_id: ObjectId, body: dict[str, Any] = Body(...),
          principal: Principal = Depends(reviewers)) -> Any:
    return _service().edit_boxes(caller_of(principal), item_id, list(body.get("boxes") or []),
                                 str(body.get("note") or "")).to_dict()


@api_router.post("/items/{item_id}/decision", response_model=None,
                 responses={**ITEM, **CONFLICT})
def decision(item_id: ObjectId, body: dict[str, Any] = Body(...),
             principal: Principal = Depends(reviewers)) -> Any:
    return _service().decide(caller_of(principal), item_id,
                             approve=body.get("action") == "approve",
                             reason=str(body.get("reason") or "")).to_dict()


@api_router.post("/items/{item_id}/export", responses={
    200: {"description": "The approved, redacted file", "content": {
        "image/png": {}, "image/jpeg": {}, "video/mp4": {}, "application/octet-stream": {}}},
    **CONFLICT})
def export(item_id: ObjectId, principal: Principal = Depends(staff)) -> Response:
    view, data = _service().export(caller_of(principal), item_id)
    return Response(data, media_type=view.media_type, headers={
        "Content-Disposition": f'attachment; filename="{view.filename or "redacted"}"',
        "X-Accord-Sha256": view.sha256})


@api_router.post("/items/{item_id}/cancel", response_model=None,
                 responses={**ITEM, **CONFLICT})
def cancel(item_id: ObjectId, principal: Principal = Depends(staff)) -> Any:
    return _service().cancel(caller_of(principal), item_id).to_dict()


@api_router.post("/count", openapi_extra=uploads.accepts_files(), response_model=None,
                 responses={200: {"model": CountOut, "description": "The count"}, **REFUSAL})
async def count(request: Request, file: UploadFile = File(...), purpose: str = Form("crowd-safety"),
                legal_basis: str = Form("police-law-art-2"), method: str = Form("faces"),
                principal: Principal = Depends(counters)) -> Any:
    data = await file.read()
    try:
        return _service().count(caller_of(principal), data, purpose=purpose,
                                legal_basis=legal_basis, method=method)
    except GatewayDenied as denied:
        return _denied(denied, request)


@api_router.post("/identify", responses=REFUSAL)
def identify(request: Request, what: str = Form("identify"),
             principal: Principal = Depends(anyone)) -> Any:
    """Always refused; the upload (if any) is never read."""
    try:
        _service().refuse(caller_of(principal), what)
    except GatewayDenied as denied:
        return _denied(denied, request)
    raise AssertionError("a prohibited use was not refused")  # pragma: no cover


# -- pages ------------------------------------------------------------------------------------
router = APIRouter(prefix="/vision", include_in_schema=False)
PURPOSES = ("disclosure", "case-handling", "victim-assistance")
REFUSAL_CHOICES = {"identify": N_("Search this face in a database or watchlist"),
                   "emotion": N_("Read this person's emotions"),
                   "suspicion": N_("Judge whether this person looks suspicious")}
STATUS_LABELS = {"original": N_("original"), "pending-review": N_("pending review"),
                 "approved": N_("approved"), "rejected": N_("rejected"),
                 "queued": N_("queued"), "processing": N_("processing"),
                 "cancelled": N_("cancelled"), "failed": N_("failed")}


def _page(request: Request, principal: Principal, *, error: AccordError | None = None,
          denial: dict[str, str] | None = None, status: int = 200) -> Response:
    items = _service().items(caller_of(principal))
    context = common_context(request)
    context["purpose_labels"] = {**context["purpose_labels"],
                                 "disclosure": N_("Disclosure of footage (after redaction)")}
    return render(request, "vision/index.html", {
        **context, "items": items, "error": error, "denial": denial,
        "purposes": PURPOSES, "refusals": REFUSAL_CHOICES, "status_labels": STATUS_LABELS,
        "can_redact": bool({"officer", "supervisor"} & caller_of(principal).roles),
    }, status_code=status)


@router.get("")
def index(request: Request, principal: Principal = Depends(viewers)) -> Response:
    return _page(request, principal)


@router.post("/redact", openapi_extra=uploads.accepts_files())
async def redact_page(request: Request, file: UploadFile | None = File(None),
                      purpose: str = Form("disclosure"), mode: str = Form("solid"),
                      kinds: str = Form("faces-and-plates"),
                      principal: Principal = Depends(staff)) -> Response:
    data = await file.read() if file is not None else b""
    try:
        if not data:
            raise ValidationFailed(detail=M_("file: choose an image"))
        view = _service().redact_image(caller_of(principal), data,
                                       filename=file.filename or "" if file else "",
                                       purpose=purpose, legal_basis="police-law-art-2",
                                       kinds=kinds, mode=mode)
    except GatewayDenied as denied:
        return _page(request, principal, denial={"text": denied.reasons_in(
            language_of(request))}, status=403)
    except AccordError as error:
        return _page(request, principal, error=error, status=error.status)
    return RedirectResponse(f"/vision/items/{view.id}", status_code=303)


@router.post("/identify")
def identify_page(request: Request, what: str = Form("identify"),
                  principal: Principal = Depends(anyone)) -> Response:
    """Refused by design, for every role: the page explains why (ledgered)."""
    try:
        _service().refuse(caller_of(principal), what if what in REFUSED else "identify")
    except GatewayDenied as denied:
        return _page(request, principal, status=403, denial={
            "en": denied.reasons_in("en"), "zh": denied.reasons_in("zh_Hans"),
            "seq": str(denied.ledger_seq)})
    raise AssertionError("a prohibited use was not refused")  # pragma: no cover


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: ObjectId,
              principal: Principal = Depends(viewers)) -> Response:
    caller = caller_of(principal)
    view = _service().item(caller, item_id)
    image = _service().preview(caller, item_id)
    return render(request, "vision/item.html", {
        **common_context(request), "item": view, "status_labels": STATUS_LABELS,
        "image": base64.b64encode(image).decode() if image else "",
        "boxes_text": "\n".join(f"{b['x']},{b['y']},{b['w']},{b['h']},{b['kind']}"
                                for b in view.boxes if "frame" not in b),
        "may_review": "supervisor" in caller.roles and view.created_by != caller.user_id
        and view.status == "pending-review",
    })


@router.post("/items/{item_id}/boxes")
def boxes_page(item_id: ObjectId, boxes: str = Form(""), note: str = Form(""),
               principal: Principal = Depends(reviewers)) -> Response:
    parsed = []
    for number, line in enumerate(boxes.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) not in (4, 5):
            raise ValidationFailed(detail=M_("boxes line %(number)s: x,y,w,h[,kind]",
                                             number=number))
        parsed.append({"x": parts[0], "y": parts[1], "w": parts[2], "h": parts[3],
                       "kind": parts[4] if len(parts) == 5 else "face", "source": "reviewer"})
    _service().edit_boxes(caller_of(principal), item_id, parsed, note)
    return RedirectResponse(f"/vision/items/{item_id}", status_code=303)


@router.post("/items/{item_id}/decision")
def decision_page(item_id: ObjectId, action: str = Form(...), reason: str = Form(""),
                  principal: Principal = Depends(reviewers)) -> Response:
    _service().decide(caller_of(principal), item_id, approve=action == "approve",
                      reason=reason)
    return RedirectResponse(f"/vision/items/{item_id}", status_code=303)
