"""Passport photo → MRZ → a prefilled person form (issue #6).

* ``GET /cases/{ref}/passport`` — upload form;
* ``POST /cases/{ref}/passport`` — multipart upload (the path ends in ``/passport``, so the larger
  upload limit applies) → :func:`accord.cases.mrz_capability.read_passport` through the gateway →
  the fields with each check-digit result, and a person form prefilled for the officer to compare
  with the document and submit to ``POST /cases/{ref}/persons``.

This route saves nothing but the image blob and the gateway decision: the officer confirms.
Case visibility is :meth:`CaseService.can_view` (officers their own cases, supervisors all).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.cases.mrz_capability import (
    CAPABILITY_ID,
    MrzReading,
    MrzReadingInconsistent,
    read_passport,
)
from accord.cases.routes import cases as case_routes  # noqa: F401  (the {ref:caseref} convertor)
from accord.cases.service import Case, CaseService
from accord.cases.vocab import PERSON_ROLES
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.errors import AccordError
from accord.core.gateway.service import GatewayDenied
from accord.core.governance import get_governance
from accord.core.i18n import N_
from accord.core.roles import Role
from accord.web import uploads
from accord.web.deps import Principal, db_session, require_roles
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import render

access = require_roles(Role.OFFICER, Role.SUPERVISOR)
router = APIRouter(prefix="/cases", include_in_schema=False, dependencies=[Depends(access)])
MAX_IMAGE_BYTES = 15 * 1024 * 1024


def _case(session: Session, reference: str, principal: Principal) -> Case:
    return CaseService(session, BlobStore.for_state_dir(get_settings().state_dir)).get_visible(
        reference, principal.user)


def _page(
    request: Request,
    case: Case,
    principal: Principal,
    *,
    purpose: str = "",
    legal_basis: str = "",
    reading: MrzReading | None = None,
    error: AccordError | None = None,
    denial: str = "",
    status: int = 200,
) -> Response:
    capability = get_governance().registry.get(CAPABILITY_ID)
    default = principal.user.default_purpose
    return render(
        request,
        "cases/passport.html",
        {
            **common_context(request),
            "case": case,
            "capability": capability,
            "purposes": sorted(capability.purposes),
            "legal_bases": sorted(capability.legal_bases),
            "purpose": purpose or (default if default in capability.purposes else "case-handling"),
            "legal_basis": legal_basis or "police-law-art-2",
            "reading": reading,
            "prefill": reading.person_form() if reading else {},
            "person_roles": PERSON_ROLES,
            "error": error,
            "denial": denial,
        },
        status_code=status,
    )


@router.get("/{ref:caseref}/passport")
def passport_form(
    request: Request,
    ref: str,
    principal: Principal = Depends(access),
    session: Session = Depends(db_session),
) -> Response:
    return _page(request, _case(session, ref, principal), principal)


@router.post("/{ref:caseref}/passport", openapi_extra=uploads.accepts_files())
async def passport_read(
    request: Request,
    ref: str,
    image: UploadFile | None = File(None),
    purpose: str = Form(""),
    legal_basis: str = Form(""),
    principal: Principal = Depends(access),
    session: Session = Depends(db_session),
) -> Response:
    case = _case(session, ref, principal)
    page: dict[str, Any] = {"purpose": purpose, "legal_basis": legal_basis}
    data = await image.read(MAX_IMAGE_BYTES + 1) if image is not None else b""
    if not data:
        error = AccordError(N_("Choose a photo of the passport data page to upload."))
        return _page(request, case, principal, error=error, status=422, **page)
    if len(data) > MAX_IMAGE_BYTES:
        error = AccordError(
            N_("The photo is larger than %(mb)s MB."), mb=MAX_IMAGE_BYTES // (1024 * 1024)
        )
        return _page(request, case, principal, error=error, status=413, **page)
    try:
        reading = read_passport(
            get_governance(),
            caller_of(principal),
            data,
            purpose=purpose,
            legal_basis=legal_basis,
            case_ref=case.reference,
        )
    except MrzReadingInconsistent as error:
        return _page(
            request, case, principal, reading=error.reading, error=error, status=422, **page
        )
    except GatewayDenied as denied:
        return _page(
            request,
            case,
            principal,
            denial=denied.reasons_in(language_of(request)),
            status=403,
            **page,
        )
    except AccordError as error:
        return _page(request, case, principal, error=error, status=error.status, **page)
    return _page(request, case, principal, reading=reading, **page)
