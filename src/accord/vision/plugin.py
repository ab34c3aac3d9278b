"""Lawful vision: the capability package's declaration (``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord.core.contract import CapabilityPackage, DashboardCard, ObjectKind
from accord.core.i18n import N_
from accord.core.registry import Capability


def _capabilities() -> Iterable[Capability]:
    from accord.vision.capability import capabilities

    return capabilities()


def _routers() -> Iterable[Any]:
    from accord.vision.routes import vision

    return (vision.router, vision.api_router)


def _cli(app: Any) -> None:
    from accord.vision.cli import attach

    attach(app)


def _exists(session: Any, reference: str) -> bool:
    from accord.vision.models import VisionItem

    return reference.isdigit() and session.get(VisionItem, int(reference)) is not None


def _can_access(session: Any, caller: Any, reference: str) -> bool | None:
    from accord.vision.models import VisionItem
    from accord.vision.service import may_access

    item = session.get(VisionItem, int(reference)) if reference.isdigit() else None
    return None if item is None else may_access(caller, item)


def _sees_all(caller: Any) -> bool:
    from accord.vision.service import SEES_ALL

    return bool(SEES_ALL & caller.roles)


def _objects() -> Iterable[ObjectKind]:
    return (ObjectKind("vision-item", exists=_exists, can_access=_can_access,
                       sees_all=_sees_all, name_zh="影像材料"),)


def _blob_in_use(session: Any, sha256: str) -> bool:
    """An item (original or redacted) keeps its file; a counted image is never kept."""
    from sqlalchemy import or_, select

    from accord.vision.models import VisionItem

    return session.scalar(select(VisionItem.id).where(or_(
        VisionItem.sha256 == sha256, VisionItem.parent_sha256 == sha256)).limit(1)) is not None


PACKAGE = CapabilityPackage(
    name="vision",
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=_capabilities,
    table_modules=("accord.vision.models",),
    routers=_routers,
    cli=_cli,
    job_modules=("accord.vision.jobs",),
    objects=_objects,
    blob_in_use=_blob_in_use,
    dashboard=(DashboardCard(
        N_("Redaction"), N_("Cover faces and licence plates before footage is disclosed; "
                            "identification is refused by design."),
        "/vision", frozenset({"officer", "supervisor"})),),
)
