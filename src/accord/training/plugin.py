"""Training and certification: the capability package's declaration (``accord.core.contract``).

Training runs no model, so it registers no capability. It declares which certificates
capabilities need (``certificate_requirements``: the registry adds them to the capability's
``required_certificates`` and the gateway's refusal names the course) and a dashboard card whose
notice warns of a certificate about to expire.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from accord.core.contract import (
    CapabilityPackage,
    CertificateRequirement,
    DashboardCard,
    RetentionClass,
)
from accord.core.i18n import N_
from accord.core.roles import Role

HERE = Path(__file__).resolve().parent


def _requirements() -> Iterable[CertificateRequirement]:
    from accord.training.courses import courses

    return tuple(
        CertificateRequirement(capability, course.certificate, course.title.en,
                               course.title.zh, course.href)
        for course in courses().values() for capability in course.required_for)


def _routers() -> Iterable[Any]:
    from accord.training.routes import training

    return (training.router, training.trainer_router)


def _cli(app: Any) -> None:
    from accord.training.cli import attach

    attach(app)


def _notice(session: Any, user_id: int) -> Any:
    from accord.training.service import expiry_notice

    return expiry_notice(session, user_id)


def _erase_drill_run(session: Any, run: Any, now: datetime) -> None:
    from sqlalchemy import delete

    from accord.training.models import DrillAnswer

    session.execute(delete(DrillAnswer).where(DrillAnswer.run_id == run.id))
    session.delete(run)


def _retention_classes() -> Iterable[RetentionClass]:
    """A trainee's drill answers (how often they followed a wrong AI suggestion) are personal
    data about staff: they expire; the passes that back a certificate are kept as its record."""
    from sqlalchemy import select

    from accord.training.models import DrillRun

    return (RetentionClass(
        category="training-drill-runs", created=DrillRun.started_at,
        candidates=lambda cutoff: select(DrillRun).where(DrillRun.started_at < cutoff),
        erase=_erase_drill_run, reference=lambda r: f"drill-run:{r.id}"),)


PACKAGE = CapabilityPackage(
    name="training",
    depends_on=("cases",),
    table_modules=("accord.training.models",),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    certificate_requirements=_requirements,
    retention_classes=_retention_classes,
    dashboard=(DashboardCard(
        N_("Training"), N_("Courses, your certificates, district profiles and drills."),
        "/training", frozenset(r.value for r in Role), notice=_notice),),
)
