"""Computer-aided dispatch: the capability package's declaration (``accord.core.contract``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord.core.contract import CapabilityPackage, DashboardCard, ObjectKind, RetentionClass
from accord.core.i18n import N_
from accord.core.registry import Capability

HERE = Path(__file__).resolve().parent


def _capabilities() -> Iterable[Capability]:
    from accord.dispatch.capability import RECOMMEND_CAPABILITY, TRIAGE_CAPABILITY

    return (TRIAGE_CAPABILITY, RECOMMEND_CAPABILITY)


def _objects() -> Iterable[ObjectKind]:
    from accord.dispatch.capability import INCIDENT_KIND

    return (INCIDENT_KIND,)


def _retention_classes() -> Iterable[RetentionClass]:
    from accord.dispatch.retention import retention_classes

    return retention_classes()


def _routers() -> Iterable[Any]:
    from accord.dispatch.routes import dispatch

    return (dispatch.router, dispatch.intake_router, dispatch.api_router, dispatch.public_router)


def _cli(app: Any) -> None:
    from accord.dispatch.cli import attach

    attach(app)


def _safety_timers() -> None:
    """Every minute, in the job worker: flag units whose officer-safety timer ran out even
    when no board is open (an open board checks every few seconds as well)."""
    from accord.dispatch.service import DispatchService

    DispatchService().check_safety_timers()


PACKAGE = CapabilityPackage(
    name="dispatch",
    capabilities=_capabilities,
    table_modules=("accord.dispatch.models",),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    objects=_objects,
    retention_classes=_retention_classes,
    job_modules=("accord.dispatch.jobs",),
    periodic=(("accord.dispatch-safety-timers", {"minute": "*"}, _safety_timers),),
    dashboard=(DashboardCard(
        N_("Dispatch"), N_("Call intake, unit recommendation with reasons, live board."),
        "/dispatch", frozenset({"officer", "supervisor", "dispatcher"})),),
)
