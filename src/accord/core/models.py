"""Imports every table module so Alembic and tests see the complete schema."""

from accord.core.accounts.models import ApiToken, LoginFailure, User, UserRole, WebSession
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
from accord.core.jobs.models import Job
from accord.interpret.models import InterviewReport

__all__ = [
    "ApiToken",
    "CapabilityState",
    "Decision",
    "InterviewReport",
    "Job",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LegalHold",
    "LoginFailure",
    "Review",
    "User",
    "UserCertificate",
    "UserRole",
    "WebSession",
    "WitnessEvent",
]
