"""Imports every table module so Alembic and tests see the complete schema."""

from accord.core.accounts.models import ApiToken, LoginFailure, User, UserRole, WebSession
from accord.core.jobs.models import Job

__all__ = ["ApiToken", "Job", "LoginFailure", "User", "UserRole", "WebSession"]
from accord.core.gateway.models import (
    CapabilityState,
    Decision,
    LedgerCheckpoint,
    LedgerEntry,
    LegalHold,
    Review,
    UserCertificate,
    WitnessEvent,
)

__all__ += [
    "CapabilityState",
    "Decision",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LegalHold",
    "Review",
    "UserCertificate",
    "WitnessEvent",
]
