"""Case report pages: AI draft, officer edits as new versions, attested submission, PDF.

One access rule for the router (officers and supervisors); which case a user may open is
:meth:`accord.cases.service.CaseService.can_view` (officers their own cases, supervisors all).
Every change adds a version; nothing here updates or deletes one. Refusals (placeholders left,
attestation mistyped, a stale version) re-render the page with the message and keep what the
officer typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.cases.report_capability import DRAFT_REPORT_CAPABILITY
from accord.cases.reports import (
    ATTESTATION,
    CITATION_RE,
    CaseReportService,
    ReportView,
    diff_lines,
    parse_statement_ids,
    service_from_governance,
)
from accord.config import get_settings
from accord.core.errors import AccordError, NotFound
from accord.core.gateway.service import GatewayDenied
from accord.core.i18n import N_
from accord.core.roles import Role
from accord.web.deps import Principal, require_roles
from accord.web.routes.governance import caller_of, common_context, language_of
from accord.web.templating import render

access = require_roles(Role.OFFICER, Role.SUPERVISOR)
router = APIRouter(prefix="/cases", include_in_schema=False, dependencies=[Depends(access)])


def _service() -> CaseReportService:
    return service_from_governance()


def _framing(request: Request) -> str:
    return "zh" if language_of(request) == "zh_Hans" else "en"


def _check_case(service: CaseReportService, reference: str, principal: Principal) -> None:
    service.check_visible(reference, principal.user)


def _anchor(source: str) -> str:
    return "cite-" + source.replace(":", "-")


def _linked(text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``(piece, anchor)``: citation markers get the anchor of their passage."""
    parts: list[tuple[str, str]] = []
    last = 0
    for match in CITATION_RE.finditer(text):
        parts.append((text[last : match.start()], ""))
        parts.append((match.group(0), _anchor(match.group(1))))
        last = match.end()
    parts.append((text[last:], ""))
    return [p for p in parts if p[0]]


def _statement_parts(statement: dict[str, Any], report: ReportView | None) -> list[tuple[str, str]]:
    """The original text cut so that every passage the current version cites is addressable."""
    text = statement["text"]
    cited: set[tuple[int, int]] = set()
    if report is not None:
        for match in CITATION_RE.finditer(report.current.text):
            if match.group(2) and int(match.group(2)) == statement["id"]:
                cited.add((int(match.group(3)), int(match.group(4))))
    parts: list[tuple[str, str]] = []
    last = 0
    for start, end in sorted(cited):
        if start < last or end > len(text):
            continue  # overlapping or out of range: shown unmarked
        parts.append((text[last:start], ""))
        parts.append((text[start:end], _anchor(f"S{statement['id']}:{start}-{end}")))
        last = end
    parts.append((text[last:], ""))
    return [p for p in parts if p[0]]


def _page(
    request: Request,
    service: CaseReportService,
    reference: str,
    *,
    error: str = "",
    notice: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    report = service.get(reference)
    language = _framing(request)
    statements = service.statement_texts(reference)
    for statement in statements:
        statement["parts"] = _statement_parts(statement, report)
    return render(
        request,
        "cases/report.html",
        {
            **common_context(request),
            "linked": _linked,
            "reference": reference,
            "report": report,
            "statements": statements,
            "names": service.author_names(report),
            "attestation_sentence": ATTESTATION[language],
            "capability": DRAFT_REPORT_CAPABILITY,
            "purposes": sorted(DRAFT_REPORT_CAPABILITY.purposes),
            "legal_bases": sorted(DRAFT_REPORT_CAPABILITY.legal_bases),
            "error": error,
            "notice": notice,
            "form": form or {},
        },
        status_code=status,
    )


def _message(request: Request, error: AccordError) -> str:
    """The error in the reader's language (set here: no template has rendered yet)."""
    from accord.core.i18n import set_language, translate

    set_language(language_of(request))
    return translate(error.message, error.params)


@router.get("/{ref}/report")
def report_page(
    ref: str,
    request: Request,
    principal: Principal = Depends(access),
    service: CaseReportService = Depends(_service),
) -> Response:
    _check_case(service, ref, principal)
    return _page(request, service, ref)


@router.post("/{ref}/report/draft")
def report_draft(
    ref: str,
    request: Request,
    purpose: str = Form("case-handling"),
    legal_basis: str = Form(""),
    statement_ids: str = Form(""),
    principal: Principal = Depends(access),
    service: CaseReportService = Depends(_service),
) -> Response:
    _check_case(service, ref, principal)
    form = {"purpose": purpose, "legal_basis": legal_basis, "statement_ids": statement_ids}
    try:
        service.draft(
            ref,
            caller_of(principal),
            _framing(request),
            purpose=purpose,
            legal_basis=legal_basis,
            statement_ids=parse_statement_ids(statement_ids),
        )
    except GatewayDenied as error:
        return _page(
            request,
            service,
            ref,
            error=error.reasons_in(language_of(request)),
            form=form,
            status=403,
        )
    except AccordError as error:
        return _page(
            request, service, ref, error=_message(request, error), form=form, status=error.status
        )
    return RedirectResponse(f"/cases/{ref}/report", status_code=303)


@router.post("/{ref}/report/edit")
def report_edit(
    ref: str,
    request: Request,
    text: str = Form(""),
    version: int = Form(0),
    principal: Principal = Depends(access),
    service: CaseReportService = Depends(_service),
) -> Response:
    _check_case(service, ref, principal)
    try:
        service.edit(ref, caller_of(principal), text, version)
    except AccordError as error:
        return _page(
            request,
            service,
            ref,
            error=_message(request, error),
            form={"text": text},
            status=error.status,
        )
    return RedirectResponse(f"/cases/{ref}/report", status_code=303)


@router.post("/{ref}/report/submit")
def report_submit(
    ref: str,
    request: Request,
    attestation: str = Form(""),
    version: int = Form(0),
    principal: Principal = Depends(access),
    service: CaseReportService = Depends(_service),
) -> Response:
    _check_case(service, ref, principal)
    try:
        service.submit(ref, caller_of(principal), attestation, version, _framing(request))
    except AccordError as error:
        return _page(
            request,
            service,
            ref,
            error=_message(request, error),
            form={"attestation": attestation},
            status=error.status,
        )
    return RedirectResponse(f"/cases/{ref}/report", status_code=303)


@router.get("/{ref}/report/versions")
def report_versions(
    ref: str,
    request: Request,
    principal: Principal = Depends(access),
    service: CaseReportService = Depends(_service),
) -> Response:
    _check_case(service, ref, principal)
    report = service.get(ref)
    if report is None:
        raise NotFound(N_("This case has no report yet: draft one first."))
    diffs = {
        v.number: diff_lines(
            report.versions[i - 1].text, v.text, f"v{report.versions[i - 1].number}", f"v{v.number}"
        )
        for i, v in enumerate(report.versions)
        if i
    }
    return render(
        request,
        "cases/report_versions.html",
        {
            **common_context(request),
            "reference": ref,
            "report": report,
            "diffs": diffs,
            "names": service.author_names(report),
        },
    )


@router.get("/{ref}/report.pdf")
def report_pdf(
    ref: str, principal: Principal = Depends(access), service: CaseReportService = Depends(_service)
) -> Response:
    _check_case(service, ref, principal)
    report = service.get(ref)
    if report is None:
        raise NotFound(N_("This case has no report yet: draft one first."))
    data = service.pdf(ref, report, get_settings().station_timezone)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="case-report-{ref}.pdf"'},
    )
