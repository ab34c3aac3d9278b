"""Governance: the DPO's tools, the rights portal, retention and the transparency register.

The capability package's declaration (see ``accord.core.contract``). It registers no AI
capability of its own; it keeps the assessment register that opens high-risk ones, and runs
retention over the classes every package declares.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord.core.contract import CapabilityPackage

HERE = Path(__file__).resolve().parent


def _routers() -> Iterable[Any]:
    from accord.governance.routes import dpo, rights, transparency

    return (transparency.router, rights.public_router, *dpo.routers)


def _cli(app: Any) -> None:
    from accord.governance.cli import attach

    attach(app)


def _assessment_gate(capability_id: str) -> tuple[bool, str]:
    from accord.governance.dpo import assessment_gate

    return assessment_gate(capability_id)


def _nightly_retention() -> None:
    """Apply retention rules every night; each rule applied is certified in the ledger."""
    from accord.core.governance import get_governance
    from accord.governance.retention import RetentionService

    governance = get_governance()
    RetentionService(governance.gateway.database, governance.ledger).run()


PACKAGE = CapabilityPackage(
    name="governance",
    table_modules=("accord.governance.models",),
    routers=_routers,
    templates=HERE / "templates",
    cli=_cli,
    job_modules=("accord.governance.dpo",),
    periodic=(("accord.retention", {"minute": "30", "hour": "2"}, _nightly_retention),),
    assessment_gate=_assessment_gate,
)
