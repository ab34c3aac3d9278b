"""Case files: the capability package's declaration (see ``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from accord.core.contract import CapabilityPackage, DashboardCard, ObjectKind, RetentionClass
from accord.core.i18n import N_
from accord.core.registry import Capability

HERE = Path(__file__).resolve().parent


def _capabilities() -> Iterable[Capability]:
    from accord.cases import nlp_capabilities as nlp
    from accord.cases.mrz_capability import MRZ_CAPABILITY
    from accord.cases.report_capability import DRAFT_REPORT_CAPABILITY

    return (DRAFT_REPORT_CAPABILITY, MRZ_CAPABILITY, nlp.EXTRACT_CAPABILITY,
            nlp.INCONSISTENCY_CAPABILITY, nlp.CLASSIFY_CAPABILITY)


def _routers() -> Iterable[Any]:
    from accord.cases.routes import api, cases, guidance, passport, reports, statements

    # Order matters: fixed paths such as /cases/board come before /cases/{ref}.
    return (cases.router, reports.router, guidance.router, statements.router, passport.router,
            api.router)


def _cli(app: Any) -> None:
    from accord.cases.cli import attach

    attach(app)


# -- retention -----------------------------------------------------------------------------------
def _erase_case(session: Any, record: Any, now: datetime) -> None:
    # The ORM cascade removes persons, documents, events, statements, evidence records, custody
    # and tasks; the search index rows go with the case.
    from accord.cases.search import remove_case

    remove_case(session, record.id)
    session.delete(record)


def _retention_classes() -> Iterable[RetentionClass]:
    from accord.cases.models import Case

    return (RetentionClass(
        category="closed-cases", created=Case.closed_at,
        candidates=lambda cutoff: select(Case).where(
            Case.status == "closed", Case.closed_at.is_not(None), Case.closed_at < cutoff),
        erase=_erase_case, reference=lambda r: f"case:{r.reference}"),)


# -- dashboard: what is late on the user's board ------------------------------------------------
def _board_notice(session: Any, user_id: int) -> tuple[str, dict[str, int]] | None:
    """"Overdue: 2 · at risk: 1" on the dashboard when the user's board has late steps."""
    from accord.cases.board import deadline_board
    from accord.cases.service import CaseService
    from accord.config import get_settings
    from accord.core.accounts.models import User
    from accord.core.blobs import BlobStore
    from accord.core.db import utcnow

    user = session.get(User, user_id)
    if user is None:
        return None
    settings = get_settings()
    service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                          settings.station_timezone)
    board = deadline_board(service, user, now=utcnow(), tz=settings.station_timezone)
    overdue, at_risk = board.count("overdue"), board.count("at-risk")
    if not overdue and not at_risk:
        return None
    return (N_("Overdue steps: %(overdue)d · at risk: %(at_risk)d"),
            {"overdue": overdue, "at_risk": at_risk})


# -- objects: the one access rule for a case ----------------------------------------------------
def _case(session: Any, reference: str) -> Any:
    from accord.cases.models import Case

    reference = (reference or "").strip().upper()  # as CaseService.get reads it
    return session.scalar(select(Case).where(Case.reference == reference))


def _case_exists(session: Any, reference: str) -> bool:
    return _case(session, reference) is not None


def _case_access(session: Any, caller: Any, reference: str) -> bool | None:
    from accord.cases.service import may_view_case

    case = _case(session, reference)
    return None if case is None else may_view_case(case, caller.user_id, caller.roles)


def _sees_all_cases(caller: Any) -> bool:
    from accord.core.roles import Role

    return Role.SUPERVISOR.value in caller.roles


def _part_of_case(model_name: str) -> tuple[Any, Any]:
    """``exists`` and ``can_access`` for a record of a case (statement, person, evidence item),
    referenced by its id: access to the record is access to its case."""

    def record(session: Any, reference: str) -> Any:
        from accord.cases import models

        text = (reference or "").strip()
        if not text.isdigit() or len(text) > 18:
            return None
        return session.get(getattr(models, model_name), int(text))

    def exists(session: Any, reference: str) -> bool:
        return record(session, reference) is not None

    def can_access(session: Any, caller: Any, reference: str) -> bool | None:
        from accord.cases.models import Case
        from accord.cases.service import may_view_case

        found = record(session, reference)
        if found is None:
            return None
        case = session.get(Case, found.case_id)
        return case is not None and may_view_case(case, caller.user_id, caller.roles)

    return exists, can_access


def _case_owner(session: Any, reference: str) -> int | None:
    case = _case(session, reference)
    return None if case is None else case.officer_id


def _case_parties(session: Any, reference: str) -> Sequence[tuple[str, str]]:
    from accord.cases.models import Person

    case = _case(session, reference)
    if case is None:
        return []
    return [(p.full_name, p.role)
            for p in session.scalars(select(Person).where(Person.case_id == case.id))]


def _case_stated_needs(session: Any, reference: str) -> Sequence[tuple[str, Sequence[str]]]:
    """The needs each person of the case stated (for another package's page, e.g. the
    conversation held for this case)."""
    from accord.cases.models import Person

    case = _case(session, reference)
    if case is None:
        return []
    return [(p.full_name, list(p.stated_needs or []))
            for p in session.scalars(select(Person).where(Person.case_id == case.id)
                                     .order_by(Person.id)) if p.stated_needs]


def _add_statement(session: Any, user_id: int, reference: str, text: str, language: str,
                   origin: str, audio_sha256: str) -> int:
    """A statement added to a case from another package (e.g. a saved transcript)."""
    from accord.cases.service import CaseService
    from accord.config import get_settings
    from accord.core.blobs import BlobStore

    settings = get_settings()
    service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                          settings.station_timezone)
    statement = service.add_statement(service.get(reference), person_id=None, language=language,
                                      text=text, origin=origin, taken_by=user_id)
    statement.audio_sha256 = audio_sha256
    session.commit()
    return statement.id


def _objects() -> Iterable[ObjectKind]:
    parts = [ObjectKind(kind, *_part_of_case(model), sees_all=_sees_all_cases, name_zh=name)
             for kind, model, name in (("statement", "Statement", "陈述"),
                                       ("person", "Person", "人员"),
                                       ("evidence", "EvidenceItem", "证据"))]
    return (ObjectKind("case", exists=_case_exists, can_access=_case_access,
                       parties=_case_parties, owner=_case_owner,
                       add_statement=_add_statement, sees_all=_sees_all_cases,
                       name_zh="案件", stated_needs=_case_stated_needs), *parts)


def _blob_in_use(session: Any, sha256: str) -> bool:
    """A case keeps a stored file while a statement, document, evidence item or letter points
    at it."""
    from accord.cases.guidance_models import ConsularLetter
    from accord.cases.models import EvidenceItem, IdentityDocument, Statement

    for column in (Statement.audio_sha256, IdentityDocument.image_sha256, EvidenceItem.sha256,
                   ConsularLetter.pdf_sha256):
        if session.scalar(select(column).where(column == sha256).limit(1)) is not None:
            return True
    return False


def _subject_records(session: Any, key: str) -> Iterable[Any]:
    from accord.cases.subjects import subject_records

    return subject_records(session, key)


PACKAGE = CapabilityPackage(
    name="cases",
    depends_on=("interpret",),
    capabilities=_capabilities,
    table_modules=("accord.cases.models", "accord.cases.guidance_models",
                   "accord.cases.report_models"),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    retention_classes=_retention_classes,
    objects=_objects,
    blob_in_use=_blob_in_use,
    review_renderers={"cases.inconsistency": "cases/_review_hints.html"},
    subject_records=_subject_records,
    dashboard=(DashboardCard(
        N_("Case files"), N_("Foreign-related cases with legal deadlines and guidance."),
        "/cases", frozenset({"officer", "supervisor"})),
        DashboardCard(
        N_("Deadline board"), N_("Every open step of your cases (all cases for supervisors), "
                                 "with its due time."),
        "/cases/board", frozenset({"officer", "supervisor"}), notice=_board_notice)),
)
