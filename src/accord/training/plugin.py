"""Training and certification: the capability package's declaration (``accord.core.contract``).

Training runs no model, so it registers no capability. It declares which certificates
capabilities need (``certificate_requirements``: the registry adds them to the capability's
``required_certificates`` and the gateway's refusal names the course) and a dashboard card whose
notice warns of a certificate about to expire.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord.core.contract import CapabilityPackage, CertificateRequirement, DashboardCard
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


PACKAGE = CapabilityPackage(
    name="training",
    depends_on=("cases",),
    table_modules=("accord.training.models",),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    certificate_requirements=_requirements,
    dashboard=(DashboardCard(
        N_("Training"), N_("Courses, your certificates, district profiles and drills."),
        "/training", frozenset(r.value for r in Role), notice=_notice),),
)
