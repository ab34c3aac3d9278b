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
from accord.forecast.models import ForecastPatrol
from accord.governance.models import Assessment, Breach, RightsEvent, RightsRequest
from accord.interpret.models import InterviewReport

__all__ = [
    "ApiToken",
    "Assessment",
    "Breach",
    "CapabilityState",
    "Decision",
    "ForecastPatrol",
    "InterviewReport",
    "Job",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LegalHold",
    "LoginFailure",
    "Review",
    "RightsEvent",
    "RightsRequest",
    "User",
    "UserCertificate",
    "UserRole",
    "WebSession",
    "WitnessEvent",
]
