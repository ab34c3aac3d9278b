"""Imports every table module so Alembic and tests see the complete schema."""

from accord.cases.guidance_models import CaseNotice, ConsularLetter, LegalFactConfirmation
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
from accord.cases.report_models import CaseReport, CaseReportVersion
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
from accord.interpret.interpreter_models import (
    ContentVerification,
    InterpretationCorrection,
    Interpreter,
    InterpreterRequest,
)
from accord.interpret.models import InterviewReport
from accord.interpret.pack_models import TranslationPack

__all__ = [
    "ApiToken",
    "Assessment",
    "Breach",
    "CapabilityState",
    "Case",
    "CaseEvent",
    "CaseNotice",
    "CaseReport",
    "CaseReportVersion",
    "ConsularLetter",
    "ContentVerification",
    "CustodyEvent",
    "Decision",
    "EvidenceItem",
    "ForecastPatrol",
    "IdentityDocument",
    "InterpretationCorrection",
    "Interpreter",
    "InterpreterRequest",
    "InterviewReport",
    "Job",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LegalFactConfirmation",
    "LegalHold",
    "LoginFailure",
    "Person",
    "Review",
    "RightsEvent",
    "RightsRequest",
    "Statement",
    "Task",
    "TranslationPack",
    "User",
    "UserCertificate",
    "UserRole",
    "WebSession",
    "WitnessEvent",
]
