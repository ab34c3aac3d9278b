"""Process-wide governance objects: registry, policy engine, ledger, gateway, reviews.

Built once per process from settings (models inside capabilities load lazily on first use and
are shared), so the web app, the CLI and queue workers all use the same spine.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from accord.config import get_settings
from accord.core.contract import assessment_cleared, installed
from accord.core.gateway.review import ReviewService
from accord.core.gateway.service import GatewayService
from accord.core.ledger.note import CosignatureSigner
from accord.core.ledger.store import LedgerService, load_log_signer, load_witness_signer
from accord.core.policy import PolicyEngine
from accord.core.registry import CapabilityRegistry, build_registry
from accord.core.runtime import get_database


@dataclass
class Governance:
    registry: CapabilityRegistry
    policy: PolicyEngine
    ledger: LedgerService
    gateway: GatewayService
    reviews: ReviewService

    def witness_signer(self) -> CosignatureSigner:
        settings = get_settings()
        return load_witness_signer(settings.ensure_state_dir(), settings.witness_name)


log = logging.getLogger(__name__)
_lock = threading.Lock()
_governance: Governance | None = None


def get_governance() -> Governance:
    global _governance
    with _lock:
        if _governance is None:
            if not installed():
                # The ledger works without capabilities; the registry then holds only the
                # prohibited uses. Entry points import accord.assembly to install them.
                log.warning("no capability packages installed: registry has prohibited uses only")
            settings = get_settings()
            database = get_database()
            registry = build_registry()
            policy = PolicyEngine()
            signer = load_log_signer(settings.ensure_state_dir(), settings.ledger_origin)
            ledger = LedgerService(database, signer, settings.ledger_origin)
            _governance = Governance(
                registry=registry, policy=policy, ledger=ledger,
                gateway=GatewayService(database, registry, policy, ledger,
                                       settings.resolved_secret_key().encode(),
                                       assessment_check=assessment_cleared),
                reviews=ReviewService(database, ledger),
            )
        return _governance


def reset_governance() -> None:
    global _governance
    with _lock:
        if _governance is not None:
            # A checkpoint being signed in the background finishes on the database it started
            # on, before anything (tests, the benchmark) points Accord at another one.
            _governance.ledger.wait_for_checkpoints(timeout=30)
        _governance = None
