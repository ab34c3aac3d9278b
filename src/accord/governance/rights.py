"""Rights requests and appeals: the public's access, correction, deletion and objection requests,
and appeals against an AI output that affected them.

The life of a request::

    received ──code or counter──▶ verified ──▶ in-progress ──▶ answered ──▶ closed
        └──────────────── closed with a note at any point (never deleted) ──────────┘

* **Identity** is checked proportionately: the person gives their identity document number and
  a contact (e-mail or phone); a six-digit one-time code goes to that contact through a
  :class:`Notifier`. Codes are stored as keyed digests, expire after 15 minutes, and five wrong
  codes lock the request; it can then be verified at a counter by an officer or the DPO, who
  types the number from the physical document (``verified_via="counter"``, with who did it).
* **Matching decisions**: the document number is turned into the same keyed ``subject_key``
  the gateway stores on decisions; the number itself is never stored, only a mask.
* **Deadlines**: each kind has a statutory period (``ACCORD_RIGHTS_DEADLINE_DAYS_<KIND>``,
  default 30 days) that the operator sets to the applicable law; the clock starts at receipt.
* **Access**: the DPO releases a report of the person's AI decisions (JSON and PDF); the person
  downloads it with their reference and a fresh one-time code.
* **Deletion** erases the person's decisions with :class:`RetentionService`'s own erasure
  (inputs, outputs, salt), also clears reviewers' edited outputs and unlinks the decisions from
  the person (``subject_key`` emptied), and writes a ``rights-erasure`` certificate to the
  ledger: a digest of the reference, counts and a digest of the erased decision ids, never
  content. Cases under legal hold are kept and counted.
* **Correction** is recorded the way a reviewer corrects an output: the corrected value goes
  into the decision's review (``edited_output``, with who and when), so
  :meth:`GatewayService.usable_output` serves the corrected value from then on. The original
  output is **kept** on the decision, because the ledger's ``output_digest`` was computed over
  it (an auditor must be able to check what the model really said, and model accuracy is
  measured against it), and it is never used again; it is erased with the rest of the
  decision by retention or deletion. A ``rights-correction`` entry (digest only) is ledgered.
* **Appeals** are decided by the DPO: uphold, or overturn with a reason; an overturned output is
  marked rejected in its review so it can no longer be used. The outcome is ledgered (kind
  ``appeal``, the reason only as a salted digest) and shown to the requester.

Outgoing messages: there is no mail or SMS server inside Accord. The default
:class:`SpoolNotifier` writes every message as one JSON file into ``<state_dir>/outbox/`` (mode
600: it holds one-time codes); the operator connects that spool to their e-mail/SMS gateway
(a small job that sends each file and then deletes it). See :class:`SpoolNotifier`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.config import get_settings
from accord.core.contract import SubjectRecord, subject_records
from accord.core.db import Database, utcnow
from accord.core.errors import AccordError, Conflict, NotFound, PermissionDenied
from accord.core.gateway.models import Decision, DecisionSubject, Review
from accord.core.gateway.service import Caller, GatewayService
from accord.core.i18n import N_, normalise_language, translations
from accord.core.ledger.store import LedgerService, digest
from accord.core.pdf import PdfUnavailable, main_font, prepare_fonts
from accord.core.retention import RetentionRule, erase_decision_content
from accord.core.subjects import (
    normalise_birth_date,
    normalise_document_number,
    normalise_name,
    normalise_nationality,
    subject_key_for,
)
from accord.governance.models import RightsEvent, RightsRequest
from accord.governance.retention import RetentionService

# -- vocabulary ----------------------------------------------------------------------------------
KINDS = ("access", "correction", "deletion", "objection", "appeal")
KIND_LABELS: dict[str, str] = {
    "access": N_("Access: a copy of my data and the AI decisions about me"),
    "correction": N_("Correction: an AI output about me is wrong"),
    "deletion": N_("Deletion: erase my data"),
    "objection": N_("Objection: I object to the use of AI on my data"),
    "appeal": N_("Appeal against an AI output (e.g. I was misclassified or mistranslated)"),
}
KIND_SHORT: dict[str, str] = {
    "access": N_("access"), "correction": N_("correction"), "deletion": N_("deletion"),
    "objection": N_("objection"), "appeal": N_("appeal"),
}
STATES = ("received", "verified", "in-progress", "answered", "closed")
STATE_LABELS: dict[str, str] = {
    "received": N_("received"), "verified": N_("identity verified"),
    "in-progress": N_("in progress"), "answered": N_("answered"), "closed": N_("closed"),
}
OPEN_STATES = ("received", "verified", "in-progress")
ACTION_LABELS: dict[str, str] = {
    "received": N_("Request received"),
    "code-sent": N_("One-time code sent"),
    "verified": N_("Identity verified"),
    "locked": N_("Locked after too many wrong codes"),
    "unlocked": N_("Unlocked at a counter"),
    "in-progress": N_("Work started"),
    "note": N_("Note"),
    "report-released": N_("Access report released"),
    "erased": N_("Data erased"),
    "corrected": N_("AI output corrected"),
    "appeal-decided": N_("Appeal decided"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
}
APPEAL_OUTCOMES = ("upheld", "overturned")
OUTCOME_LABELS = {"upheld": N_("upheld: the AI output stands"),
                  "overturned": N_("overturned: the AI output was set aside")}
REVIEW_STATUS_LABELS = {
    "not-required": N_("no review required"), "pending": N_("waiting for human review"),
    "confirmed": N_("confirmed by a reviewer"), "edited": N_("corrected by a person"),
    "rejected": N_("rejected by a person"),
}
CONTACT_KINDS = ("email", "phone")
#: Languages a person may ask to be answered in (the UI itself is Chinese or English).
PREFERRED_LANGUAGES: dict[str, str] = {
    "zh": "中文", "en": "English", "ru": "Русский", "ja": "日本語", "ko": "한국어",
    "fr": "Français", "es": "Español", "de": "Deutsch", "ar": "العربية", "pt": "Português",
    "vi": "Tiếng Việt", "th": "ไทย",
}
MAX_DETAILS = 4000
MAX_NOTE = 2000
MAX_CONTACT = 254
MAX_DOCUMENT_INPUT = 40
MAX_CORRECTION_BYTES = 64_000
DUE_SOON_DAYS = 3
RIGHTS_ERASURE_RULE = RetentionRule(
    category="ai-decision-content", description="erasure on a rights request", days=1,
    action="erase", rule="right to erasure (rights request)")
_DECISION_REF = re.compile(r"^[0-9a-f]{16}$")
_EMAIL = re.compile(r"^[^@\s<>\"'();,\\]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
_PHONE = re.compile(r"^\+?[0-9]{6,18}$")
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class RightsSettings(BaseSettings):
    """Rights-portal settings from ``ACCORD_RIGHTS_*`` environment variables.

    The response periods are the operator's to set to the applicable law (e.g. one month under
    the GDPR / Law Enforcement Directive, 15 working days under PIPL-based rules); 30 days is
    only the shipped default.
    """

    model_config = SettingsConfigDict(env_prefix="ACCORD_RIGHTS_", extra="ignore")

    deadline_days_access: int = 30
    deadline_days_correction: int = 30
    deadline_days_deletion: int = 30
    deadline_days_objection: int = 30
    deadline_days_appeal: int = 30
    code_minutes: int = 15
    code_max_failures: int = 5
    download_minutes: int = 30
    submit_limit: int = 5  # new requests per client address per window
    submit_window_seconds: int = 3600
    verify_limit: int = 10  # code entries and code re-sends per client address per window
    verify_window_seconds: int = 900
    status_limit: int = 120  # status-page views per client address per window
    status_window_seconds: int = 600
    public_url: str = ""  # e.g. https://police.example/ — prefixed to links in messages
    pdf_font: str = ""  # a TTF/TTC with CJK glyphs; empty: look in the usual Debian places

    def deadline_days(self, kind: str) -> int:
        return int(getattr(self, f"deadline_days_{kind}"))


# -- errors the public sees ----------------------------------------------------------------------
class InvalidField(AccordError):
    """One form field is not acceptable; ``field`` names it so the form can point at it."""

    status = 422

    def __init__(self, field_name: str, message: str, **params: Any) -> None:
        self.field = field_name
        super().__init__(message, **params)


class WrongCode(AccordError):
    status = 400
    message = N_("The code is not correct. %(remaining)d attempts left before the request is "
                 "locked.")


class CodeExpired(AccordError):
    status = 400
    message = N_("The code has expired or was already used. Ask for a new code.")


class RequestLocked(AccordError):
    status = 403
    message = N_("Too many wrong codes: this request is locked. Verify your identity at a "
                 "police service counter with your identity document, quoting your reference.")


class RateLimited(AccordError):
    status = 429
    message = N_("Too many attempts from your connection. Please wait %(minutes)d minutes and "
                 "try again.")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(minutes=max(1, (self.retry_after + 59) // 60))


class RequestNotFound(NotFound):
    message = N_("No request with this reference. Check the reference on your receipt.")


# -- outgoing messages ---------------------------------------------------------------------------
@dataclass(frozen=True)
class OutgoingMessage:
    """One message to a requester. ``params`` carries the template values separately, because
    many SMS gateways only send pre-approved templates filled with parameters."""

    channel: str  # "email" | "sms"
    to: str
    subject: str
    body: str
    language: str
    reference: str
    purpose: str  # verification-code | download-code | status-update
    params: dict[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    """Sends a message to a requester. Implementations must not log the body (it holds codes)."""

    def send(self, message: OutgoingMessage) -> None: ...


class SpoolNotifier:
    """The default notifier: one JSON file per message in a spool directory.

    Accord has no mail or SMS server of its own. Each message is written atomically (temporary
    file, then rename) as ``<state_dir>/outbox/<UTC time>-<random>.json``, readable only by the
    owner because it holds a one-time code::

        {"channel": "email", "to": "…", "subject": "…", "body": "…", "language": "en",
         "reference": "RR-…", "purpose": "verification-code", "params": {"code": "123456", …},
         "created_at": "2026-…Z"}

    The operator connects the spool to their e-mail/SMS gateway with a small job that sends each
    file (``channel`` says which) and deletes it once sent. Files older than the code lifetime
    are useless and can be deleted unsent.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: OutgoingMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{secrets.token_hex(4)}.json"
        data = {**message.__dict__, "created_at": utcnow().isoformat(timespec="seconds")}
        temporary = self.directory / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
        os.replace(temporary, self.directory / name)

    def messages(self) -> list[dict[str, Any]]:
        """Every message in the spool, oldest first (for operators' tooling and tests)."""
        if not self.directory.exists():
            return []
        return [json.loads(path.read_text(encoding="utf-8"))
                for path in sorted(self.directory.glob("*.json"))]


def default_notifier() -> SpoolNotifier:
    return SpoolNotifier(get_settings().ensure_state_dir() / "outbox")


# -- rate limiting -------------------------------------------------------------------------------
class RateLimiter:
    """A sliding-window counter per key (e.g. ``("submit", client address)``), in memory.

    One instance per web process; with several processes each counts on its own, so the
    effective limit multiplies by the process count (Accord serves from one process).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def hit(self, action: str, key: str, limit: int, window: int) -> None:
        """Count one attempt; raise :class:`RateLimited` if the window is already full."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault((action, key), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                raise RateLimited(int(hits[0] + window - now) + 1)
            hits.append(now)
            if len(self._hits) > 50_000:  # forget idle keys so memory stays bounded
                for stale in [k for k, v in self._hits.items() if not v or v[-1] <= now - 3600]:
                    del self._hits[stale]


# -- helpers -------------------------------------------------------------------------------------
def new_reference() -> str:
    """``RR-`` and 12 base32 characters (60 random bits): unguessable, easy to read out."""
    number = secrets.randbits(60)
    chars = "".join(_B32[(number >> shift) & 31] for shift in range(55, -5, -5))
    return "RR-" + chars


def normalise_reference(value: str) -> str:
    text = "".join(ch for ch in value.upper() if ch.isalnum())
    if text.startswith("RR"):
        text = text[2:]
    return "RR-" + text[:12] if len(text) == 12 and all(c in _B32 for c in text) else ""


def normalise_decision_ref(value: str) -> str:
    text = value.strip().lower()
    if text.startswith("decision:"):
        text = text[len("decision:"):]
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def mask_document(number: str) -> str:
    if len(number) <= 4:
        return "•" * (len(number) - 1) + number[-1:]
    return number[0] + "•" * (len(number) - 3) + number[-2:]


def mask_contact(kind: str, contact: str) -> str:
    if kind == "phone":
        return "•" * max(0, len(contact) - 3) + contact[-3:]
    local, _, domain = contact.partition("@")
    name, _, tld = domain.rpartition(".")
    return f"{local[:1]}•••@{name[:1]}•••.{tld}"


def mask_decision_ref(value: str) -> str:
    return value[:4] + "…" + value[-2:] if len(value) > 6 else value


def reference_digest(reference: str) -> str:
    return "sha256:" + hashlib.sha256(reference.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    kind: str
    document_number: str
    contact_kind: str
    contact: str
    preferred_language: str
    details: str = ""
    decision_ref: str = ""
    ui_language: str = "zh_Hans"


@dataclass(frozen=True)
class PublicStatus:
    """What the status page shows: masked data only, and the public part of the history."""

    reference: str
    kind: str
    state: str
    received_at: datetime
    deadline_at: datetime
    document_masked: str
    contact_masked: str
    preferred_language: str
    decision_ref_masked: str
    events: list[RightsEvent]
    appeal_outcome: str
    appeal_reason: str
    report_available: bool
    report_erased: bool
    locked: bool


@dataclass(frozen=True)
class QueueItem:
    request: RightsRequest
    days_left: float
    flag: str  # "overdue" | "due-soon" | ""


@dataclass(frozen=True)
class ErasureResult:
    count: int
    held_back: int
    ledger_seq: int


@dataclass(frozen=True)
class SubjectLookup:
    """Whom the DPO looks up: a document number, or name + date of birth + nationality."""

    document: str = ""
    name: str = ""
    birth_date: str = ""
    nationality: str = ""


class RightsService:
    """Everything a rights request goes through, for the public portal and the DPO console."""

    def __init__(self, database: Database, gateway: GatewayService, ledger: LedgerService,
                 notifier: Notifier | None = None,
                 settings: RightsSettings | None = None) -> None:
        self.database = database
        self.gateway = gateway
        self.ledger = ledger
        self.notifier = notifier or default_notifier()
        self.settings = settings or RightsSettings()
        self.retention = RetentionService(database, ledger, rules=[])
        self._code_key = hmac.new(gateway.subject_secret, b"accord-rights-codes",
                                  hashlib.sha256).digest()

    @classmethod
    def from_governance(cls, notifier: Notifier | None = None,
                        settings: RightsSettings | None = None) -> RightsService:
        from accord.core.governance import get_governance

        governance = get_governance()
        return cls(governance.gateway.database, governance.gateway, governance.ledger,
                   notifier, settings)

    # -- submitting ------------------------------------------------------------------------
    def validate(self, submission: Submission) -> Submission:
        """Check and normalise a submission; raise :class:`InvalidField` naming the field."""
        if submission.kind not in KINDS:
            raise InvalidField("kind", N_("Choose what you are asking for."))
        if len(submission.document_number) > MAX_DOCUMENT_INPUT:
            raise InvalidField("document_number", N_("Enter the number of your identity "
                                                     "document (4 to 20 letters and digits)."))
        number = normalise_document_number(submission.document_number)
        if not 4 <= len(number) <= 20 or not number.isascii():
            raise InvalidField("document_number", N_("Enter the number of your identity "
                                                     "document (4 to 20 letters and digits)."))
        if submission.contact_kind not in CONTACT_KINDS:
            raise InvalidField("contact_kind", N_("Choose e-mail or phone."))
        contact = submission.contact.strip()
        if len(contact) > MAX_CONTACT:
            raise InvalidField("contact", N_("The contact is too long."))
        if submission.contact_kind == "email":
            if not _EMAIL.match(contact):
                raise InvalidField("contact", N_("Enter a valid e-mail address."))
        else:
            contact = re.sub(r"[\s().-]", "", contact)
            if not _PHONE.match(contact):
                raise InvalidField("contact", N_("Enter a phone number with its country code, "
                                                 "e.g. +86 10 1234 5678."))
        if submission.preferred_language not in PREFERRED_LANGUAGES:
            raise InvalidField("preferred_language", N_("Choose a language from the list."))
        details = submission.details.strip()
        if len(details) > MAX_DETAILS:
            raise InvalidField("details", N_("At most %(max)d characters."), max=MAX_DETAILS)
        if submission.kind in ("correction", "objection", "appeal") and not details:
            raise InvalidField("details", N_("Tell us briefly what is wrong or what you "
                                             "object to."))
        decision_ref = normalise_decision_ref(submission.decision_ref[:64])
        if submission.kind == "appeal" and not decision_ref:
            raise InvalidField("decision_ref", N_("Give the decision reference printed on your "
                                                  "receipt."))
        if decision_ref:
            if not _DECISION_REF.match(decision_ref):
                raise InvalidField("decision_ref", N_("A decision reference has 16 characters "
                                                      "(0-9, a-f), as printed on your receipt."))
            with self.database.session() as session:
                decision = session.get(Decision, decision_ref)
                if decision is None or decision.status != "completed":
                    raise InvalidField("decision_ref", N_("No AI decision has this reference. "
                                                          "Check your receipt."))
        return Submission(kind=submission.kind, document_number=number,
                          contact_kind=submission.contact_kind, contact=contact,
                          preferred_language=submission.preferred_language, details=details,
                          decision_ref=decision_ref,
                          ui_language=normalise_language(submission.ui_language))

    def submit(self, submission: Submission, now: datetime | None = None) -> RightsRequest:
        """Record a request (state ``received``) and send the verification code."""
        now = now or utcnow()
        clean = self.validate(submission)
        with self.database.session() as session:
            reference = new_reference()
            while session.scalar(select(RightsRequest.id).where(
                    RightsRequest.reference == reference)) is not None:
                reference = new_reference()  # pragma: no cover - 60 random bits
            request = RightsRequest(
                reference=reference, kind=clean.kind, state="received",
                ui_language=clean.ui_language, preferred_language=clean.preferred_language,
                subject_key=self.gateway.subject_key(clean.document_number),
                document_masked=mask_document(clean.document_number),
                contact_kind=clean.contact_kind, contact=clean.contact,
                contact_masked=mask_contact(clean.contact_kind, clean.contact),
                decision_ref=clean.decision_ref, details=clean.details, received_at=now,
                deadline_at=now + timedelta(days=self.settings.deadline_days(clean.kind)),
            )
            session.add(request)
            session.flush()
            self._event(session, request, "received", "requester", at=now)
            code = self._issue_code(session, request, "verify", now)
        self._send_code(request, code, "verify")
        return request

    def resend_code(self, reference: str, purpose: str = "verify",
                    now: datetime | None = None) -> None:
        """Send a fresh code (the previous one stops working)."""
        now = now or utcnow()
        with self.database.session() as session:
            request = self._load(session, reference)
            if request.locked_at is not None:
                raise RequestLocked()
            if purpose == "verify" and request.state != "received":
                raise Conflict(N_("Your identity is already verified."))
            if purpose == "download" and not self._report_ready(request):
                raise Conflict(N_("No report has been released for this request."))
            code = self._issue_code(session, request, purpose, now)
        self._send_code(request, code, purpose)

    def _issue_code(self, session: Session, request: RightsRequest, purpose: str,
                    now: datetime) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        request.code_digest = self._code_digest(request.reference, purpose, code)
        request.code_purpose = purpose
        request.code_expires_at = now + timedelta(minutes=self.settings.code_minutes)
        self._event(session, request, "code-sent", "system", at=now,
                    note=request.contact_masked)
        return code

    def _code_digest(self, reference: str, purpose: str, code: str) -> str:
        # Keyed with a secret derived from the server key: a six-digit code could be found from
        # a plain hash in a stolen database in a second; without the key it cannot.
        return hmac.new(self._code_key, f"{reference}:{purpose}:{code}".encode(),
                        hashlib.sha256).hexdigest()

    def _send_code(self, request: RightsRequest, code: str, purpose: str) -> None:
        gettext = translations(request.ui_language).gettext
        params = {"code": code, "reference": request.reference,
                  "minutes": self.settings.code_minutes, "url": self.status_url(request)}
        if purpose == "verify":
            subject = gettext(N_("Your request %(reference)s: verification code")) % params
            body = gettext(N_(
                "Your verification code is %(code)s. It is valid for %(minutes)d minutes. Your "
                "reference is %(reference)s; keep it to follow your request at %(url)s. If you "
                "did not make this request, ignore this message.")) % params
        else:
            subject = gettext(N_("Your request %(reference)s: download code")) % params
            body = gettext(N_(
                "Your code to download your report is %(code)s. It is valid for %(minutes)d "
                "minutes. Open %(url)s and enter it there.")) % params
        self.notifier.send(OutgoingMessage(
            channel="email" if request.contact_kind == "email" else "sms", to=request.contact,
            subject=subject, body=body, language=request.ui_language,
            reference=request.reference,
            purpose="verification-code" if purpose == "verify" else "download-code",
            params=params))

    def _notify_status(self, request: RightsRequest) -> None:
        gettext = translations(request.ui_language).gettext
        params = {"reference": request.reference, "url": self.status_url(request),
                  "state": gettext(STATE_LABELS[request.state])}
        self.notifier.send(OutgoingMessage(
            channel="email" if request.contact_kind == "email" else "sms", to=request.contact,
            subject=gettext(N_("Your request %(reference)s: %(state)s")) % params,
            body=gettext(N_("Your request %(reference)s is now: %(state)s. See the details at "
                            "%(url)s.")) % params,
            language=request.ui_language, reference=request.reference,
            purpose="status-update", params=params))

    def status_url(self, request: RightsRequest) -> str:
        return f"{self.settings.public_url.rstrip('/')}/rights/status/{request.reference}"

    # -- verifying identity ----------------------------------------------------------------
    def verify_code(self, reference: str, code: str, now: datetime | None = None) -> None:
        """Verify the requester's identity with the code sent to their contact."""
        now = now or utcnow()
        self._check_code(reference, code, "verify", now)

    def _check_code(self, reference: str, code: str, purpose: str, now: datetime) -> str:
        """Check a code; for a download code return a new download token."""
        problem: AccordError | None = None
        token = ""
        with self.database.session() as session:
            request = self._load(session, reference)
            if request.locked_at is not None:
                raise RequestLocked()
            if purpose == "verify" and request.state != "received":
                raise Conflict(N_("Your identity is already verified."))
            if (request.code_purpose != purpose or not request.code_digest
                    or request.code_expires_at is None or request.code_expires_at <= now):
                raise CodeExpired()
            expected = request.code_digest
            given = self._code_digest(request.reference, purpose, code.strip()[:12])
            if not hmac.compare_digest(expected, given):
                request.code_failures += 1
                remaining = self.settings.code_max_failures - request.code_failures
                if remaining <= 0:
                    request.locked_at = now
                    request.code_digest = ""
                    self._event(session, request, "locked", "system", at=now)
                    problem = RequestLocked()
                else:
                    problem = WrongCode(remaining=remaining)
            else:
                request.code_digest, request.code_purpose = "", ""
                request.code_expires_at = None
                request.code_failures = 0
                if purpose == "verify":
                    request.state = "verified"
                    request.verified_at, request.verified_via = now, "code"
                    self._event(session, request, "verified", "requester", at=now)
                else:
                    token = secrets.token_urlsafe(32)
                    request.download_digest = self._code_digest(request.reference, "token",
                                                                 token)
                    request.download_expires_at = now + timedelta(
                        minutes=self.settings.download_minutes)
        if problem is not None:  # raised after the commit so the failure counts
            raise problem
        return token

    def verify_at_counter(self, reference: str, document_number: str, officer: Caller,
                          note: str = "", now: datetime | None = None) -> None:
        """An officer or the DPO saw the person's identity document at a counter.

        The number typed from the document must match the one given with the request. This also
        unlocks a request locked by wrong codes (before verification, or later by wrong
        download codes).
        """
        now = now or utcnow()
        if not officer.roles & {"officer", "dpo"}:
            raise PermissionDenied()
        with self.database.session() as session:
            request = self._load(session, reference)
            relock = request.locked_at is not None and request.state not in ("received",
                                                                              "closed")
            if request.state != "received" and not relock:
                raise Conflict(N_("This request is already verified."))
            if self.gateway.subject_key(document_number[:MAX_DOCUMENT_INPUT]) \
                    != request.subject_key:
                raise InvalidField("document_number", N_(
                    "This document number does not match the one given with the request."))
            if relock:  # locked by wrong download codes: seeing the document unlocks it
                request.locked_at, request.code_failures, request.code_digest = None, 0, ""
                self._event(session, request, "unlocked", f"user:{officer.user_id}", at=now,
                            note=note.strip()[:MAX_NOTE] or N_("Unlocked at a counter."))
                return
            request.state = "verified"
            request.verified_at, request.verified_via = now, "counter"
            request.verified_by = officer.user_id
            request.locked_at, request.code_failures, request.code_digest = None, 0, ""
            self._event(session, request, "verified", f"user:{officer.user_id}", at=now,
                        note=note.strip()[:MAX_NOTE] or N_("Identity verified at a counter."))

    # -- what the requester sees -----------------------------------------------------------
    def public_status(self, reference: str) -> PublicStatus:
        with self.database.session() as session:
            request = self._load(session, reference)
            events = list(session.scalars(
                select(RightsEvent).where(RightsEvent.request_id == request.id,
                                          RightsEvent.public.is_(True))
                .order_by(RightsEvent.at, RightsEvent.id)))
        return PublicStatus(
            reference=request.reference, kind=request.kind, state=request.state,
            received_at=request.received_at, deadline_at=request.deadline_at,
            document_masked=request.document_masked, contact_masked=request.contact_masked,
            preferred_language=request.preferred_language,
            decision_ref_masked=mask_decision_ref(request.decision_ref),
            events=events, appeal_outcome=request.appeal_outcome,
            appeal_reason=request.appeal_reason, report_available=self._report_ready(request),
            report_erased=request.report_erased_at is not None,
            locked=request.locked_at is not None,
        )

    def open_download(self, reference: str, code: str, now: datetime | None = None) -> str:
        """Check a download code; return a token that opens the report for a short while."""
        return self._check_code(reference, code, "download", now or utcnow())

    def download(self, reference: str, token: str, now: datetime | None = None
                 ) -> dict[str, Any]:
        """The released report, for the holder of a valid download token."""
        now = now or utcnow()
        with self.database.session() as session:
            request = self._load(session, reference)
            valid = (bool(token) and bool(request.download_digest)
                     and request.download_expires_at is not None
                     and request.download_expires_at > now
                     and hmac.compare_digest(request.download_digest, self._code_digest(
                         request.reference, "token", token)))
            if not valid or not self._report_ready(request):
                raise PermissionDenied(N_("Enter a download code first; it is valid for a short "
                                          "time only."))
            assert request.report is not None
            return dict(request.report)

    @staticmethod
    def _report_ready(request: RightsRequest) -> bool:
        return request.report is not None and request.report_released_at is not None

    # -- the DPO's work --------------------------------------------------------------------
    def get(self, reference: str) -> RightsRequest:
        with self.database.session() as session:
            return self._load(session, reference)

    def events(self, reference: str) -> list[RightsEvent]:
        with self.database.session() as session:
            request = self._load(session, reference)
            return list(session.scalars(select(RightsEvent).where(
                RightsEvent.request_id == request.id).order_by(RightsEvent.at, RightsEvent.id)))

    def queue(self, include_closed: bool = False, now: datetime | None = None
              ) -> list[QueueItem]:
        """Requests by deadline; open ones flagged ``overdue`` or ``due-soon`` (≤ 3 days)."""
        now = now or utcnow()
        with self.database.session() as session:
            query = select(RightsRequest).order_by(RightsRequest.deadline_at)
            if not include_closed:
                query = query.where(RightsRequest.state != "closed")
            requests = list(session.scalars(query))
        return [self.deadline_item(r, now) for r in requests]

    @staticmethod
    def deadline_item(request: RightsRequest, now: datetime) -> QueueItem:
        days_left = (request.deadline_at - now).total_seconds() / 86400
        flag = ""
        if request.state in OPEN_STATES:
            if days_left < 0:
                flag = "overdue"
            elif days_left <= DUE_SOON_DAYS:
                flag = "due-soon"
        return QueueItem(request, days_left, flag)

    def subject_decisions(self, reference: str) -> list[Decision]:
        """The AI decisions recorded about the requester (by the keyed document number)."""
        with self.database.session() as session:
            request = self._load(session, reference)
            return self._decisions_of(session, request.subject_key)

    def subject_holdings(self, reference: str) -> list[SubjectRecord]:
        """The records the capability packages hold about the requester (the hooks)."""
        with self.database.session() as session:
            request = self._load(session, reference)
            return self._records_of(session, request.subject_key)

    def decision_concerns(self, decision_id: str, subject_key: str) -> bool:
        with self.database.session() as session:
            return self.concerns(session, decision_id, subject_key)

    @staticmethod
    def _decisions_of(session: Session, *subject_keys: str) -> list[Decision]:
        """The decisions linked to any of these keys (``decision_subjects``)."""
        keys = [key for key in subject_keys if key]
        if not keys:
            return []
        linked = select(DecisionSubject.decision_id).where(DecisionSubject.subject_key.in_(keys))
        return list(session.scalars(select(Decision).where(Decision.id.in_(linked))
                                    .order_by(Decision.created_at, Decision.id)))

    @staticmethod
    def _records_of(session: Session, *subject_keys: str) -> list[SubjectRecord]:
        """What the capability packages hold about the person (each package's hook)."""
        seen: dict[tuple[str, str], SubjectRecord] = {}
        for key in subject_keys:
            if key:
                for record in subject_records(session, key):
                    seen.setdefault((record.kind, record.reference), record)
        return list(seen.values())

    @staticmethod
    def _record_row(record: SubjectRecord) -> dict[str, Any]:
        return {"kind": record.kind, "reference": record.reference, "title": record.title,
                "created_at": record.created_at.isoformat(timespec="seconds")
                if record.created_at else None,
                "withheld": record.withheld, "note": record.note}

    # -- the DPO's look-up of a data subject -------------------------------------------------
    def lookup_keys(self, lookup: SubjectLookup) -> tuple[str, dict[str, Any]]:
        """Check a look-up and turn it into its subject key, with a masked description."""
        secret = self.gateway.subject_secret
        if lookup.document.strip():
            number = normalise_document_number(lookup.document[:MAX_DOCUMENT_INPUT])
            if not 4 <= len(number) <= 20 or not number.isascii():
                raise InvalidField("document_number", N_(
                    "Enter the number of your identity document (4 to 20 letters and digits)."))
            return (subject_key_for(secret, document=number),
                    {"by": "document", "document_number": mask_document(number)})
        name = normalise_name(lookup.name[:200])
        birth_date = normalise_birth_date(lookup.birth_date[:10])
        nationality = normalise_nationality(lookup.nationality[:3])
        if not name:
            raise InvalidField("name", N_("Give a document number, or the name with the date "
                                          "of birth and nationality."))
        if not birth_date:
            raise InvalidField("birth_date", N_("Give the date of birth as YYYY-MM-DD."))
        if not nationality:
            raise InvalidField("nationality", N_("Give the nationality as a country code "
                                                 "(e.g. ESP or ES)."))
        key = subject_key_for(secret, name=name, birth_date=birth_date, nationality=nationality)
        return key, {"by": "name, date of birth and nationality",
                     "name_initials": " ".join(w[:1].upper() + "." for w in name.split()),
                     "birth_date": birth_date, "nationality": nationality}

    def subject_report(self, caller: Caller, lookup: SubjectLookup,
                       now: datetime | None = None) -> dict[str, Any]:
        """Everything Accord holds about one person, as the DPO sees it (page and CLI).

        Lists the AI decisions linked to the person's subject key (capability, time, purpose,
        and their content unless erased) and the records the capability packages hold (case
        files, interview and public reports), each marked ``withheld`` when its disclosure
        awaits the DPO's decision. The look-up is ledgered without the number or its key."""
        if not caller.roles & {"dpo", "admin"}:
            raise PermissionDenied()
        now = now or utcnow()
        key, query = self.lookup_keys(lookup)
        with self.database.session() as session:
            decisions = self._decisions_of(session, key)
            reviews = {r.decision_id: r for r in session.scalars(select(Review).where(
                Review.decision_id.in_([d.id for d in decisions])))} if decisions else {}
            decision_rows = [self._report_row(d, reviews.get(d.id)) for d in decisions]
            records = [self._record_row(r) for r in self._records_of(session, key)]
        seq = self.ledger.append_now("subject-lookup", {
            "actor": f"user:{caller.user_id}", "roles": sorted(caller.roles),
            "by": "document" if query["by"] == "document" else "person",
            "decisions": len(decision_rows), "records": len(records),
        })
        return {
            "format": "accord-subject-report/1",
            "generated_at": now.isoformat(timespec="seconds"),
            "query": query,
            "decisions": decision_rows,
            "records": records,
            "counts": {"decisions": len(decision_rows), "records": len(records),
                       "withheld": sum(1 for r in records if r["withheld"])},
            "ledger_entry": seq,
        }

    def start(self, reference: str, dpo: Caller, note: str = "",
              now: datetime | None = None) -> None:
        self._require_dpo(dpo)
        with self.database.session() as session:
            request = self._load(session, reference)
            self._expect(request, ("verified",))
            request.state = "in-progress"
            self._event(session, request, "in-progress", f"user:{dpo.user_id}", at=now,
                        note=self._note(note))
        self._notify_status(request)

    def add_note(self, reference: str, dpo: Caller, note: str, public: bool = False,
                 now: datetime | None = None) -> None:
        self._require_dpo(dpo)
        text = self._note(note)
        if not text:
            raise InvalidField("note", N_("Write the note."))
        with self.database.session() as session:
            request = self._load(session, reference)
            self._event(session, request, "note", f"user:{dpo.user_id}", at=now, note=text,
                        public=public)

    def answer(self, reference: str, dpo: Caller, note: str,
               now: datetime | None = None) -> None:
        """Mark a request answered with a note to the requester (objections, corrections)."""
        self._require_dpo(dpo)
        text = self._note(note)
        if not text:
            raise InvalidField("note", N_("Write the answer to the requester."))
        now = now or utcnow()
        with self.database.session() as session:
            request = self._load(session, reference)
            self._expect(request, ("verified", "in-progress"))
            request.state, request.answered_at = "answered", now
            self._event(session, request, "answered", f"user:{dpo.user_id}", at=now, note=text)
        self._notify_status(request)

    def close(self, reference: str, dpo: Caller, note: str,
              now: datetime | None = None) -> None:
        """Close a request with a note; it stays visible by its reference for good."""
        self._require_dpo(dpo)
        text = self._note(note)
        if not text:
            raise InvalidField("note", N_("Say why the request is closed."))
        now = now or utcnow()
        with self.database.session() as session:
            request = self._load(session, reference)
            if request.state == "closed":
                raise Conflict(N_("This request is already closed."))
            request.state, request.closed_at = "closed", now
            request.code_digest = ""
            self._event(session, request, "closed", f"user:{dpo.user_id}", at=now, note=text)
        self._notify_status(request)

    # -- access ----------------------------------------------------------------------------
    def build_access_report(self, reference: str, now: datetime | None = None
                            ) -> dict[str, Any]:
        """The person's AI decisions as plain data (what the DPO previews and releases)."""
        now = now or utcnow()
        with self.database.session() as session:
            request = self._load(session, reference)
            decisions = self._decisions_of(session, request.subject_key)
            reviews = {r.decision_id: r for r in session.scalars(select(Review).where(
                Review.decision_id.in_([d.id for d in decisions])))} if decisions else {}
            records = self._records_of(session, request.subject_key)
            return {
                "format": "accord-access-report/1",
                "reference": request.reference,
                "generated_at": now.isoformat(timespec="seconds"),
                "controller": "Accord operator (the police service running this installation)",
                "subject": {"document_number": request.document_masked,
                            "preferred_language": request.preferred_language},
                "decisions": [self._report_row(d, reviews.get(d.id)) for d in decisions],
                # Withheld records are shown to the requester as existing, nothing more: what
                # may be disclosed about an open investigation is the DPO's decision.
                "records": [self._record_row(r) if not r.withheld else
                            {"kind": r.kind, "withheld": True,
                             "note": "held by the police; disclosure restricted"}
                            for r in records],
                "about_the_ledger": (
                    "Each AI decision has an entry in Accord's tamper-evident ledger; the entry "
                    "holds no personal data, only salted digests. The entry number lets an "
                    "auditor prove the decision was recorded and not changed afterwards."),
            }

    def _report_row(self, decision: Decision, review: Review | None) -> dict[str, Any]:
        registry = self.gateway.registry
        capability = registry.get(decision.capability_id) \
            if decision.capability_id in registry else None
        erased = decision.erased_at is not None
        row: dict[str, Any] = {
            "decision": decision.id,
            "capability": {"id": decision.capability_id,
                           "version": decision.capability_version,
                           "title": {"en": capability.title_en if capability else "",
                                     "zh": capability.title_zh if capability else ""}},
            "time": decision.created_at.isoformat(timespec="seconds"),
            "purpose": decision.purpose,
            "legal_basis": decision.legal_basis,
            "status": decision.status,
            "explanation": decision.explanation,
            "review_status": decision.review_status,
            "ledger_entry": decision.ledger_seq,
            "erased": erased,
        }
        if erased:
            row["content"] = "erased under retention rule"
            row["erased_at"] = decision.erased_at.isoformat(timespec="seconds") \
                if decision.erased_at else None
        else:
            row["inputs"] = decision.inputs
            row["output"] = decision.output
            if review is not None and review.edited_output is not None:
                row["corrected_output"] = review.edited_output
        return row

    def release_access_report(self, reference: str, dpo: Caller, note: str = "",
                              now: datetime | None = None) -> dict[str, Any]:
        """Freeze the report as released; the requester downloads it with a fresh code."""
        self._require_dpo(dpo)
        now = now or utcnow()
        report = self.build_access_report(reference, now)
        report["released_at"] = now.isoformat(timespec="seconds")
        with self.database.session() as session:
            request = self._load(session, reference)
            if request.kind != "access":
                raise Conflict(N_("Only an access request has a report to release."))
            self._expect(request, ("verified", "in-progress"))
            request.report = report
            request.report_released_at, request.report_released_by = now, dpo.user_id
            request.state, request.answered_at = "answered", now
            self._event(session, request, "report-released", f"user:{dpo.user_id}", at=now,
                        note=self._note(note) or N_(
                            "Your report is ready. Ask for a download code on this page."))
        self._notify_status(request)
        return report

    # -- deletion --------------------------------------------------------------------------
    def carry_out_deletion(self, reference: str, dpo: Caller, note: str = "",
                           now: datetime | None = None) -> ErasureResult:
        """Erase the person's AI decisions as retention does, certify it in the ledger."""
        self._require_dpo(dpo)
        now = now or utcnow()
        with self.database.write_session() as session:
            request = self._load(session, reference)
            if request.kind != "deletion":
                raise Conflict(N_("Only a deletion request erases data."))
            self._expect(request, ("verified", "in-progress"))
            held = self.retention.held_cases(session)
            decisions = self._decisions_of(session, request.subject_key)
            kept = [d for d in decisions if d.case_ref and d.case_ref in held]
            erased = [d for d in decisions if d not in kept]
            for decision in erased:
                self.erase_decision(session, decision, now, request.subject_key)
            # Earlier access reports of this person hold the same content: erase them too.
            for other in session.scalars(select(RightsRequest).where(
                    RightsRequest.subject_key == request.subject_key,
                    RightsRequest.report.is_not(None))):
                other.report, other.report_erased_at = None, now
                other.download_digest = ""
            seq = self.ledger.append(session, "rights-erasure", {
                "actor": f"user:{dpo.user_id}", "roles": sorted(dpo.roles),
                "request": reference_digest(request.reference), "count": len(erased),
                "held_back": len(kept),
                "references_digest": "sha256:" + hashlib.sha256("\n".join(
                    sorted(f"decision:{d.id}" for d in erased)).encode()).hexdigest(),
                "decisions": sorted(d.id for d in erased),  # for `accord ledger verify`
            })
            request.state, request.answered_at = "answered", now
            request.outcome_ledger_seq = seq
            summary = N_("%(count)d AI decision records erased; %(held)d kept because a legal "
                         "hold applies. Deletion certificate: ledger entry %(seq)d.")
            text = translations(request.ui_language).gettext(summary) % {
                "count": len(erased), "held": len(kept), "seq": seq}
            extra = self._note(note)
            self._event(session, request, "erased", f"user:{dpo.user_id}", at=now,
                        note=f"{text}\n{extra}" if extra else text, ledger_seq=seq)
        self._notify_status(request)
        return ErasureResult(len(erased), len(kept), seq)

    def erase_decision(self, session: Session, decision: Decision, now: datetime,
                       subject_key: str = "") -> None:
        """Retention's erasure of one decision (inputs, outputs, salt), plus what a request to
        erase also needs: reviewers' edited outputs and reasons, and the link to the person."""
        if decision.erased_at is None:
            erase_decision_content(session, decision, now)
        review = session.scalar(select(Review).where(Review.decision_id == decision.id))
        if review is not None:
            review.edited_output = None
            review.reason = ""
        if subject_key:
            session.execute(delete(DecisionSubject).where(
                DecisionSubject.decision_id == decision.id,
                DecisionSubject.subject_key == subject_key))
        decision.subject_key = ""

    # -- correction ------------------------------------------------------------------------
    def apply_correction(self, reference: str, dpo: Caller, decision_id: str,
                         corrected_output: dict[str, Any], reason: str = "",
                         now: datetime | None = None) -> int:
        """Record the corrected value of one of the person's AI outputs (as a review edit)."""
        self._require_dpo(dpo)
        now = now or utcnow()
        if not isinstance(corrected_output, dict) or not corrected_output:
            raise InvalidField("corrected_output", N_("Give the corrected output as a JSON "
                                                      "object."))
        if len(json.dumps(corrected_output, ensure_ascii=False)) > MAX_CORRECTION_BYTES:
            raise InvalidField("corrected_output", N_("The corrected output is too large."))
        text = self._note(reason) or N_("Corrected on a rights request.")
        with self.database.write_session() as session:
            request = self._load(session, reference)
            if request.kind not in ("correction", "appeal"):
                raise Conflict(N_("Only a correction request or an appeal corrects an output."))
            self._expect(request, ("verified", "in-progress"))
            decision = self._own_decision(session, request, decision_id)
            if decision.erased_at is not None or decision.salt is None:
                raise Conflict(N_("This decision's content was erased; nothing to correct."))
            salt = bytes.fromhex(decision.salt)
            seq = self.ledger.append(session, "rights-correction", {
                "actor": f"user:{dpo.user_id}", "roles": sorted(dpo.roles),
                "capability": {"id": decision.capability_id,
                               "version": decision.capability_version},
                "decision": decision.id, "request": reference_digest(request.reference),
                "edited_output_digest": digest(salt, corrected_output),
                "case_ref": decision.case_ref,
            })
            self._set_review(session, decision, dpo, "edited", text, corrected_output, now, seq)
            if request.state == "verified":
                request.state = "in-progress"
            self._event(session, request, "corrected", f"user:{dpo.user_id}", at=now,
                        note=f"{decision.id}: {text}", ledger_seq=seq)
        return seq

    @staticmethod
    def _set_review(session: Session, decision: Decision, dpo: Caller, status: str,
                    reason: str, edited_output: dict[str, Any] | None, now: datetime,
                    seq: int) -> None:
        review = session.scalar(select(Review).where(Review.decision_id == decision.id))
        if review is None:
            review = Review(decision_id=decision.id, capability_id=decision.capability_id,
                            model_version=decision.model_version, required_role="dpo")
            session.add(review)
        review.status = status
        review.reviewer_id = dpo.user_id
        review.reason = reason
        if edited_output is not None:
            review.edited_output = edited_output
        review.decided_at = now
        review.ledger_seq = seq
        decision.review_status = status

    @staticmethod
    def concerns(session: Session, decision_id: str, subject_key: str) -> bool:
        """Whether the decision is linked to this subject key."""
        return bool(subject_key) and session.scalar(select(DecisionSubject.decision_id).where(
            DecisionSubject.decision_id == decision_id,
            DecisionSubject.subject_key == subject_key)) is not None

    def _own_decision(self, session: Session, request: RightsRequest,
                      decision_id: str) -> Decision:
        decision = session.get(Decision, normalise_decision_ref(decision_id))
        if decision is None or decision.status != "completed":
            raise InvalidField("decision_id", N_("No AI decision has this reference."))
        if request.kind == "appeal" and decision.id != request.decision_ref:
            raise InvalidField("decision_id", N_("This is not the decision under appeal."))
        if request.kind != "appeal" and not self.concerns(session, decision.id,
                                                          request.subject_key):
            raise InvalidField("decision_id", N_("This decision is not about the requester."))
        return decision

    # -- appeals ---------------------------------------------------------------------------
    def decide_appeal(self, reference: str, dpo: Caller, outcome: str, reason: str,
                      now: datetime | None = None) -> int:
        """Uphold or overturn the appealed AI output, with a reason the requester will read."""
        self._require_dpo(dpo)
        now = now or utcnow()
        if outcome not in APPEAL_OUTCOMES:
            raise InvalidField("outcome", N_("Choose uphold or overturn."))
        text = self._note(reason)
        if not text:
            raise InvalidField("reason", N_("Give the reason for the decision on the appeal."))
        with self.database.write_session() as session:
            request = self._load(session, reference)
            if request.kind != "appeal":
                raise Conflict(N_("This request is not an appeal."))
            self._expect(request, ("verified", "in-progress"))
            decision = self._own_decision(session, request, request.decision_ref)
            salt = bytes.fromhex(decision.salt) if decision.salt else None
            seq = self.ledger.append(session, "appeal", {
                "actor": f"user:{dpo.user_id}", "roles": sorted(dpo.roles),
                "capability": {"id": decision.capability_id,
                               "version": decision.capability_version},
                "decision": decision.id, "outcome": outcome,
                "request": reference_digest(request.reference),
                "reason_digest": digest(salt, text) if salt else "",
                "case_ref": decision.case_ref,
            })
            if outcome == "overturned":
                self._set_review(session, decision, dpo, "rejected",
                                 f"overturned on appeal: {text}", None, now, seq)
            request.appeal_outcome, request.appeal_reason = outcome, text
            request.state, request.answered_at = "answered", now
            request.outcome_ledger_seq = seq
            self._event(session, request, "appeal-decided", f"user:{dpo.user_id}", at=now,
                        note=text, ledger_seq=seq)
        self._notify_status(request)
        return seq

    # -- statistics (no personal data) -----------------------------------------------------
    def statistics(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        with self.database.session() as session:
            requests = list(session.scalars(select(RightsRequest)))
        items = [self.deadline_item(r, now) for r in requests]
        answered = [r for r in requests if r.answered_at is not None]
        days = [(r.answered_at - r.received_at).total_seconds() / 86400
                for r in answered if r.answered_at]
        return {
            "generated_at": now.isoformat(timespec="seconds"),
            "total": len(requests),
            "by_kind": {k: sum(r.kind == k for r in requests) for k in KINDS},
            "by_state": {s: sum(r.state == s for r in requests) for s in STATES},
            "open": sum(r.state in OPEN_STATES for r in requests),
            "overdue": sum(i.flag == "overdue" for i in items),
            "due_soon": sum(i.flag == "due-soon" for i in items),
            "answered": len(answered),
            "answered_within_deadline": sum(r.answered_at <= r.deadline_at
                                            for r in answered if r.answered_at),
            "median_days_to_answer": round(statistics.median(days), 2) if days else None,
            "verified_via": {"code": sum(r.verified_via == "code" for r in requests),
                             "counter": sum(r.verified_via == "counter" for r in requests)},
            "locked": sum(r.locked_at is not None for r in requests),
            "appeals": {o: sum(r.appeal_outcome == o for r in requests)
                        for o in APPEAL_OUTCOMES},
            "deadline_days": {k: self.settings.deadline_days(k) for k in KINDS},
        }

    # -- internals -------------------------------------------------------------------------
    @staticmethod
    def _load(session: Session, reference: str) -> RightsRequest:
        normalised = normalise_reference(reference)
        request = session.scalar(select(RightsRequest).where(
            RightsRequest.reference == normalised)) if normalised else None
        if request is None:
            raise RequestNotFound()
        return request

    @staticmethod
    def _expect(request: RightsRequest, states: tuple[str, ...]) -> None:
        if request.state not in states:
            raise Conflict(N_("Not possible while the request is %(state)s."),
                           state=request.state)

    @staticmethod
    def _require_dpo(caller: Caller) -> None:
        if "dpo" not in caller.roles:
            raise PermissionDenied()

    @staticmethod
    def _note(note: str) -> str:
        text = note.strip()
        if len(text) > MAX_NOTE:
            raise InvalidField("note", N_("At most %(max)d characters."), max=MAX_NOTE)
        return text

    @staticmethod
    def _event(session: Session, request: RightsRequest, action: str, actor: str, *,
               at: datetime | None = None, note: str = "", public: bool = True,
               ledger_seq: int | None = None) -> None:
        session.add(RightsEvent(request_id=request.id, at=at or utcnow(), action=action,
                                state=request.state, actor=actor, note=note, public=public,
                                ledger_seq=ledger_seq))


# -- the report as PDF ---------------------------------------------------------------------------
def report_pdf(report: dict[str, Any], language: str, font_path: str = "") -> bytes:
    """Render an access report as PDF (fpdf2, with an embedded CJK font subset).

    fpdf2 reads TrueType collections (.ttc, e.g. Debian's fonts-wqy-microhei) through fontTools,
    taking the first face. Scripts the CJK font lacks fall back to :data:`FALLBACK_FONTS` when
    installed; with ``uharfbuzz`` present, text is shaped (Arabic joined, right to left).
    """
    from fpdf import FPDF

    gettext = translations(normalise_language(language)).gettext
    font = main_font(font_path)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(f"Access report {report.get('reference', '')}")
    prepare_fonts(pdf, font)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10, height: float = 5.5) -> None:
        pdf.set_font("main", size=size)
        pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")

    lang = "zh" if normalise_language(language) == "zh_Hans" else "en"
    line(gettext(N_("Access report")) + f" — {report.get('reference', '')}", size=16, height=9)
    line(gettext(N_("Released %(time)s")) % {"time": report.get("released_at")
                                              or report.get("generated_at")})
    subject = report.get("subject", {})
    line(gettext(N_("Identity document")) + f": {subject.get('document_number', '')}")
    pdf.ln(3)
    decisions = report.get("decisions", [])
    line(gettext(N_("AI decisions about you: %(count)d")) % {"count": len(decisions)}, size=13,
         height=7)
    for row in decisions:
        pdf.ln(2)
        title = row["capability"]["title"].get(lang) or row["capability"]["id"]
        line(f"{title} ({row['capability']['id']} {row['capability']['version']})", size=11.5,
             height=6.5)
        facts = [
            (N_("Decision reference"), row["decision"]),
            (N_("Time"), row["time"]),
            (N_("Purpose"), row["purpose"]),
            (N_("Legal basis"), row["legal_basis"]),
            (N_("Review status"), gettext(REVIEW_STATUS_LABELS.get(row["review_status"],
                                                                   row["review_status"]))),
            (N_("Decision ledger entry"), str(row["ledger_entry"])),
            (N_("Explanation"), row.get("explanation", "")),
        ]
        for label, value in facts:
            line(f"{gettext(label)}: {value}")
        if row.get("erased"):
            line(gettext(N_("Content: erased under retention rule")))
        else:
            for label, key in ((N_("Input"), "inputs"), (N_("AI output"), "output"),
                               (N_("Corrected output"), "corrected_output")):
                if key in row:
                    line(f"{gettext(label)}: " + json.dumps(row[key], ensure_ascii=False,
                                                            sort_keys=True), size=9)
    pdf.ln(3)
    line(str(report.get("about_the_ledger", "")), size=9)
    return bytes(pdf.output())


__all__ = [
    "KINDS", "PREFERRED_LANGUAGES", "STATES", "CodeExpired", "ErasureResult", "InvalidField",
    "Notifier", "OutgoingMessage", "PdfUnavailable", "PublicStatus", "QueueItem", "RateLimited",
    "RateLimiter", "RequestLocked", "RequestNotFound", "RightsService", "RightsSettings",
    "SpoolNotifier", "SubjectLookup", "Submission", "WrongCode", "report_pdf",
]
