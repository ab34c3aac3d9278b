"""Lawful vision: the capability package's declaration (``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from accord.core.contract import CapabilityPackage, DashboardCard, ObjectKind, RetentionClass
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


# -- retention: the upload, everything made from it, and the consents -------------------------
def _erase_item(session: Any, item: Any, now: datetime) -> None:
    """Delete an upload with every version made from it, their custody records and, unless
    something else still points at them, their files."""
    from sqlalchemy import delete, select

    from accord.core.contract import blob_in_use
    from accord.vision.capability import blob_store
    from accord.vision.models import VisionCustodyEvent, VisionItem

    family, frontier = [item], [item.id]
    while frontier:
        children = list(session.scalars(select(VisionItem).where(
            VisionItem.parent_id.in_(frontier))))
        family += children
        frontier = [c.id for c in children]
    files = {i.sha256 for i in family if i.sha256}
    ids = [i.id for i in family]
    session.execute(delete(VisionCustodyEvent).where(VisionCustodyEvent.item_id.in_(ids)))
    for member in reversed(family):  # versions before the upload they were made from
        session.delete(member)
        session.flush()
    for sha in files:
        if not blob_in_use(session, sha):
            blob_store().delete(sha)


def _delete_consent(session: Any, consent: Any, now: datetime) -> None:
    session.delete(consent)


def _retention_classes() -> Iterable[RetentionClass]:
    from sqlalchemy import select

    from accord.vision.models import VisionConsent, VisionItem

    return (
        RetentionClass(
            category="vision-items", created=VisionItem.created_at,
            # An upload and what was made from it expire together, counted from the upload.
            candidates=lambda cutoff: select(VisionItem).where(
                VisionItem.parent_id.is_(None), VisionItem.created_at < cutoff),
            erase=_erase_item, reference=lambda r: f"vision-item:{r.id}"),
        RetentionClass(
            category="face-verification-consents", created=VisionConsent.recorded_at,
            candidates=lambda cutoff: select(VisionConsent).where(
                VisionConsent.recorded_at < cutoff),
            erase=_delete_consent, reference=lambda r: f"face-consent:{r.reference}"),
    )


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
    retention_classes=_retention_classes,
    dashboard=(DashboardCard(
        N_("Redaction"), N_("Cover faces and licence plates before footage is disclosed; "
                            "identification is refused by design."),
        "/vision", frozenset({"officer", "supervisor"})),),
)
