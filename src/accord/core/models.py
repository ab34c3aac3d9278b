"""Imports every table module so Alembic and tests see the complete schema."""

from accord.cases.models import (
    Case,
    CaseEvent,
    CustodyEvent,
    EvidenceItem,
    IdentityDocument,
    Person,
    Statement,
    Task,
)
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
    "Case",
    "CaseEvent",
    "CustodyEvent",
    "Decision",
    "EvidenceItem",
    "ForecastPatrol",
    "IdentityDocument",
    "InterviewReport",
    "Job",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LegalHold",
    "LoginFailure",
    "Person",
    "Review",
    "RightsEvent",
    "RightsRequest",
    "Statement",
    "Task",
    "User",
    "UserCertificate",
    "UserRole",
    "WebSession",
    "WitnessEvent",
]
