"""Procedure and knowledge lookup: the package's declaration (``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from accord.core.contract import (
    CapabilityPackage,
    DashboardCard,
    NeedGuidance,
    ObjectKind,
    OutboundShare,
    ShareGate,
    ShareState,
)
from accord.core.i18n import N_
from accord.core.registry import Capability

HERE = Path(__file__).resolve().parent


def _capabilities() -> Iterable[Capability]:
    from accord.knowledge.capability import LOOKUP_CAPABILITY

    return (LOOKUP_CAPABILITY,)


def _routers() -> Iterable[Any]:
    from accord.knowledge.routes import knowledge

    return (knowledge.router, knowledge.coop_router, knowledge.share_router)


def _cli(app: Any) -> None:
    from accord.knowledge.cli import attach

    attach(app)


def _objects() -> Iterable[ObjectKind]:
    from accord.knowledge.access import QUESTION_KIND

    return (QUESTION_KIND,)


def _subject_records(session: Any, key: str) -> Iterable[Any]:
    from accord.knowledge.cooperation import subject_records

    return subject_records(session, key)


def _need_guidance(needs: Sequence[str], language: str) -> Iterable[NeedGuidance]:
    from accord.knowledge.sources import need_guidance

    return need_guidance(needs, language)


def _share_notice(session: Any, user_id: int) -> tuple[str, Any] | None:
    """"Exports waiting for your approval: 2" for a supervisor; "ready to download" for the
    officer who asked (a held export has no other way back to its page)."""
    from accord.core.accounts import AccountService
    from accord.knowledge.cooperation import share_notice

    roles = frozenset(str(r) for r in AccountService(session).get_user(user_id).roles)
    return share_notice(session, user_id, roles)


def _share_log(share: OutboundShare) -> int:
    from accord.knowledge.cooperation import record_export

    return record_export(share)


def _share_gate() -> ShareGate:
    """The approval rule for exports; the functions import the tables only when called."""

    def needs_approval(share: OutboundShare) -> bool:
        from accord.knowledge.cooperation import needs_approval as rule

        return rule(share)

    def hold(share: OutboundShare) -> ShareState:
        from accord.knowledge.cooperation import hold_export

        return hold_export(share)

    def record(share: OutboundShare) -> ShareState:
        from accord.knowledge.cooperation import record_released_export

        return record_released_export(share)

    def check(share_id: int, kind: str, reference: str, user_id: int | None) -> ShareState:
        from accord.knowledge.cooperation import check_release

        return check_release(share_id, kind, reference, user_id)

    def done(share_id: int, user_id: int | None, digest: str) -> ShareState:
        from accord.knowledge.cooperation import released

        return released(share_id, user_id, digest)

    return ShareGate(needs_approval=needs_approval, hold=hold, record=record,
                     check_release=check, released=done)


PACKAGE = CapabilityPackage(
    name="knowledge",
    # cases: the legal facts, checklists and cautions are its data (read through its loader);
    # interpret: the CC-CEDICT dictionary its glossary parses.
    depends_on=("interpret", "cases"),
    capabilities=_capabilities,
    table_modules=("accord.knowledge.models",),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    objects=_objects,
    subject_records=_subject_records,
    # The case page shows the guidance for the needs a person stated (cases cannot import
    # knowledge: knowledge depends on cases).
    need_guidance=_need_guidance,
    # Case-file and EIDO exports land in the share log through core.contract.record_share.
    share_log=_share_log,
    # Exports above the sensitivity level wait for a supervisor (core.contract.share_out).
    share_gate=_share_gate(),
    dashboard=(DashboardCard(
        N_("Knowledge lookup"),
        N_("Ask in Chinese or English; get the law and procedure passages verbatim, cited."),
        "/knowledge", frozenset({"officer", "supervisor", "interpreter", "legal"})),
        DashboardCard(
            N_("Share log"),
            N_("Every export and letter sent out: fields, recipient, legal basis, approval."),
            "/knowledge/shares",
            frozenset({"officer", "supervisor", "dispatcher", "dpo", "auditor", "admin"}),
            notice=_share_notice)),
)
