"""Policy layer: every capability call is checked against versioned Cedar policies.

See :mod:`accord.core.policy.engine` and docs/adr/0002-policy-engine-cedar.md.
"""

from accord.core.policy.engine import (
    DEFAULT_DENY_ID,
    DEFAULT_POLICY_DIR,
    EVALUATION_ERROR_ID,
    PolicyDecision,
    PolicyEngine,
    PolicyError,
    PolicyInfo,
    PolicyReason,
    PolicyRequest,
)

__all__ = [
    "DEFAULT_DENY_ID",
    "DEFAULT_POLICY_DIR",
    "EVALUATION_ERROR_ID",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyError",
    "PolicyInfo",
    "PolicyReason",
    "PolicyRequest",
]
