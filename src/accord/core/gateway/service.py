"""GatewayService: authenticate → check purpose and inputs → policy → run the model with limits →
store result and ledger entry atomically → return result, entry and explanation.

Denials (policy, prohibited uses, suspended capabilities, undeclared inputs, objects the caller
may not access) are ledgered too.
Nothing in Accord calls a model except through :meth:`GatewayService.invoke`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from accord.core.contract import CertificateRequirement, certificate_courses, object_kind
from accord.core.db import Database, Prepared, read_together, utcnow
from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.isolation import (
    ModelProcessError,
    ModelThreads,
    ModelTimeout,
    model_processes,
    runs_in_process,
)
from accord.core.gateway.models import (
    CapabilityState,
    Decision,
    DecisionSubject,
    Review,
    UserCertificate,
)
from accord.core.i18n import M_, N_
from accord.core.ledger.store import (
    LedgerService,
    canonical_bytes,
    decision_binding,
    digest_of_bytes,
)
from accord.core.policy import PolicyDecision, PolicyEngine, PolicyReason, PolicyRequest
from accord.core.registry import Capability, CapabilityRegistry, ModelOutput, RiskTier
from accord.core.subjects import Subject, subject_key, subject_keys

MAX_INPUT_BYTES = 64_000
OBJECT_ACCESS = "object-access"  # the reason recorded when the object-access check refuses

# Built once, and compiled once per database (:class:`Prepared`): these run on every call, and
# SQLAlchemy's statement building and execution cost more than running them.
# Certificates and the suspension state are read fresh on every call (never cached), so stop
# control and a revoked certificate take effect on the very next call.
_CERTIFICATES = select(UserCertificate.name, UserCertificate.expires_at).where(
    UserCertificate.user_id == bindparam("user_id"))
_SUSPENDED = select(CapabilityState.suspended).where(
    CapabilityState.capability_id == bindparam("capability_id"))
_INSERT_DECISION = insert(Decision)
_INSERT_REVIEW = insert(Review)
_INSERT_SUBJECT = insert(DecisionSubject)
# The columns every completed call writes (each one with a Python default is given explicitly).
_DECISION_KEYS = ("id", "capability_id", "capability_version", "model_version", "actor_id",
                  "actor_role", "purpose", "legal_basis", "case_ref", "subject_key", "status",
                  "inputs", "output", "explanation", "confidence", "policy_version",
                  "policy_reasons", "review_status", "salt", "created_at", "ledger_seq")
_REVIEW_KEYS = ("decision_id", "capability_id", "model_version", "required_role", "status",
                "reason", "created_at")
_SUBJECT_KEYS = ("decision_id", "subject_key")


@dataclass(frozen=True)
class Caller:
    """Who is calling: an authenticated user, as seen by policy."""

    user_id: int
    username: str
    roles: frozenset[str]


@dataclass(frozen=True)
class GatewayRequest:
    capability_id: str
    purpose: str
    legal_basis: str
    inputs: Mapping[str, Any]
    case_ref: str = ""
    subject_document: str = ""  # the affected person's document number, if any (kept keyed)
    # Every person the call concerns (document, or name + date of birth + nationality); only
    # their keyed digests are stored, in ``decision_subjects``, never in the ledger.
    subjects: tuple[Subject, ...] = ()
    consent_recorded: bool = False
    supervisor_approved: bool = False


@dataclass(frozen=True)
class GatewayResult:
    decision_id: str
    ledger_seq: int
    capability: Capability
    output: dict[str, Any]
    explanation: str
    confidence: float | None
    review_required: bool
    review_role: str
    policy_version: str
    reasons: tuple[PolicyReason, ...] = field(default=())


class GatewayDenied(PermissionDenied):
    """The call was refused; the refusal is in the ledger at ``ledger_seq``."""

    message = N_("Refused: %(reasons)s (ledger entry %(seq)s)")

    def __init__(self, reasons: tuple[PolicyReason, ...], ledger_seq: int,
                 refusal_en: str = "", refusal_zh: str = "",
                 courses: tuple[CertificateRequirement, ...] = ()) -> None:
        self.reasons = reasons
        self.ledger_seq = ledger_seq
        # The courses that issue the certificates the caller lacks, for a page to link to.
        self.courses = courses
        self.refusal_en = refusal_en
        self.refusal_zh = refusal_zh
        text = refusal_en or " ".join(r.reason_en for r in reasons)
        super().__init__(reasons=text, seq=ledger_seq)

    def reasons_in(self, language: str) -> str:
        if language == "zh_Hans":
            return self.refusal_zh or " ".join(r.reason_zh for r in self.reasons)
        return self.refusal_en or " ".join(r.reason_en for r in self.reasons)


def _missing_certificates(missing: frozenset[str], reasons_en: str,
                          reasons_zh: str) -> tuple[str, str]:
    """The refusal for a caller without a valid certificate: the policy's reasons, then each
    missing certificate with the course that issues it and where to take it."""
    courses = {c.certificate: c for c in certificate_courses(missing)}
    parts_en, parts_zh = [], []
    for name in sorted(missing):
        course = courses.get(name)
        if course is None:
            parts_en.append(f"You hold no valid training certificate {name!r}.")
            parts_zh.append(f"您没有有效的培训资格证书“{name}”。")
        else:
            parts_en.append(f"You hold no valid training certificate {name!r} (missing or "
                            f"expired): complete the course \u201c{course.course_title_en}\u201d "
                            f"at {course.href} to earn it.")
            parts_zh.append(f"您没有有效的培训资格证书“{name}”（未取得或已过期）：请在 "
                            f"{course.href} 完成课程“{course.course_title_zh}”以取得证书。")
    return (f"{reasons_en} {' '.join(parts_en)}".strip(),
            f"{reasons_zh}{''.join(parts_zh)}".strip())


class ModelFailed(AccordError):
    status = 503
    message = N_("The model did not answer in time or failed; nothing was decided. "
                 "Use the human path (ledger entry %(seq)s).")


class ReviewPending(AccordError):
    status = 409
    message = N_("This AI output is waiting for human review and cannot be used yet.")


class ReviewRejected(AccordError):
    status = 409
    message = N_("A reviewer rejected this AI output; it cannot be used.")


_model_threads = ModelThreads(4, "accord-model")


class GatewayService:
    def __init__(self, database: Database, registry: CapabilityRegistry, policy: PolicyEngine,
                 ledger: LedgerService, subject_secret: bytes = b"",
                 assessment_check: Callable[[str], bool] | None = None) -> None:
        self.subject_secret = subject_secret
        # Asks the DPO's register whether a high-risk capability's assessments are approved;
        # without one, high-risk capabilities stay closed.
        self.assessment_check = assessment_check
        self.database = database
        self.registry = registry
        self.policy = policy
        self.ledger = ledger
        dialect = database.engine.dialect
        self._certificates_sql = Prepared(_CERTIFICATES, dialect)
        self._suspended_sql = Prepared(_SUSPENDED, dialect)
        self._decision_sql = Prepared(_INSERT_DECISION, dialect, _DECISION_KEYS)
        self._review_sql = Prepared(_INSERT_REVIEW, dialect, _REVIEW_KEYS)
        self._subject_sql = Prepared(_INSERT_SUBJECT, dialect, _SUBJECT_KEYS)

    # -- the one path ------------------------------------------------------------------------
    def invoke(self, caller: Caller, request: GatewayRequest) -> GatewayResult:
        capability = self.registry.get(request.capability_id)
        if not request.purpose.strip():
            raise ValidationFailed(detail=M_("purpose: state the purpose of this use"))
        if not capability.prohibited:
            undeclared = sorted(set(request.inputs) - set(capability.inputs))
            if undeclared:
                seq = self._ledger_denial(caller, request, capability, None,
                                          f"undeclared inputs: {', '.join(undeclared)}")
                raise ValidationFailed(detail=M_("inputs not declared by %(id)s (minimum "
                                                 "necessary data): %(undeclared)s; refusal "
                                                 "recorded as ledger entry %(seq)s",
                                                 id=capability.id,
                                                 undeclared=', '.join(undeclared), seq=seq))
            self._check_inputs(capability, request.inputs)
            self._check_objects(caller, request, capability)
        decision = self.authorize(caller, request, capability)
        if not decision.allowed:
            seq = self._ledger_denial(caller, request, capability, decision, "")
            refusal_en, refusal_zh = capability.refusal_en, capability.refusal_zh
            suspended, why = self.suspension(capability.id)
            if suspended:
                refusal_en = f"{capability.title_en} is suspended: {why}"
                refusal_zh = f"{capability.title_zh}已暂停使用：{why}"
            missing = capability.required_certificates - self.certificates(caller.user_id)
            courses: tuple[CertificateRequirement, ...] = ()
            if missing and not capability.prohibited:
                refusal_en, refusal_zh = _missing_certificates(
                    missing, refusal_en or " ".join(r.reason_en for r in decision.reasons),
                    refusal_zh or " ".join(r.reason_zh for r in decision.reasons))
                courses = tuple(certificate_courses(missing))
            raise GatewayDenied(decision.reasons, seq, refusal_en, refusal_zh, courses)
        assert capability.runner is not None and capability.model is not None
        inputs = dict(request.inputs)
        try:
            result = self._run(capability, inputs)
        except ModelTimeout:
            seq = self._ledger_failure(caller, request, capability, decision, "timeout")
            raise ModelFailed(seq=seq) from None
        except AccordError:
            raise
        except Exception as error:
            what = error.kind if isinstance(error, ModelProcessError) else type(error).__name__
            seq = self._ledger_failure(caller, request, capability, decision, what)
            raise ModelFailed(seq=seq) from error
        # The decision and its ledger entry are written here, in the calling process's
        # transaction, wherever the model ran.
        return self._store(caller, request, capability, decision, inputs, result)

    def _run(self, capability: Capability, inputs: dict[str, Any]) -> ModelOutput:
        """Run the model within its time limit: heavy ones in the model worker processes,
        light ones on a thread here, bounded-microsecond ones on this thread."""
        if runs_in_process(capability):
            return model_processes(self.registry.all()).run(capability, inputs)
        assert capability.runner is not None
        if capability.isolation == "inline":
            return capability.runner(inputs)
        result: ModelOutput = _model_threads.run(capability.runner, inputs,
                                                 capability.timeout_seconds)
        return result

    def authorize(self, caller: Caller, request: GatewayRequest,
                  capability: Capability | None = None) -> PolicyDecision:
        """The policy decision for a call, without running anything (also the what-if tester)."""
        capability = capability or self.registry.get(request.capability_id)
        certificates, suspended = self._policy_facts(caller.user_id, capability.id)
        cleared = capability.risk_tier is not RiskTier.HIGH or bool(
            self.assessment_check and self.assessment_check(capability.id))
        return self.policy.authorize(PolicyRequest(
            user_id=str(caller.user_id), roles=caller.roles,
            certificates=certificates,
            capability_id=capability.id, risk_tier=capability.risk_tier.value,
            purposes=capability.purposes, legal_bases=capability.legal_bases,
            required_certificates=capability.required_certificates,
            capability_roles=capability.roles, suspended=suspended,
            purpose=request.purpose, legal_basis=request.legal_basis,
            consent_recorded=request.consent_recorded,
            supervisor_approved=request.supervisor_approved,
            prohibited_use=capability.prohibited_use,
            assessment_cleared=cleared,
        ))

    @staticmethod
    def _check_inputs(capability: Capability, inputs: Mapping[str, Any]) -> None:
        if len(canonical_bytes(dict(inputs))) > MAX_INPUT_BYTES:
            raise ValidationFailed(detail=M_("inputs larger than %(max_input_bytes)s bytes",
                                             max_input_bytes=MAX_INPUT_BYTES))
        for name, spec in capability.inputs.items():
            value = inputs.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if spec.required:
                    raise ValidationFailed(detail=M_("%(name)s: required", name=name))
                continue
            if spec.kind == "text":
                if not isinstance(value, str):
                    raise ValidationFailed(detail=M_("%(name)s: must be text", name=name))
                if len(value) > spec.max_length:
                    raise ValidationFailed(detail=M_("%(name)s: at most %(max_length)s "
                                                     "characters (got %(count)s)",
                                                     name=name, max_length=spec.max_length,
                                                     count=len(value)))
            elif spec.kind == "choice" and value not in spec.choices:
                raise ValidationFailed(detail=M_("%(name)s: one of %(choices)s",
                                                 name=name, choices=', '.join(spec.choices)))

    def _check_objects(self, caller: Caller, request: GatewayRequest,
                       capability: Capability) -> None:
        """The object-access check: every referenced object (declared inputs with an
        ``object_kind``, and the request's ``case_ref``) must be one the caller may access, by
        the owning package's one rule (``ObjectKind.can_access``). Runs before the model; a
        refusal is ledgered. To a caller without access, a missing object and someone else's
        object look the same; a caller who sees every object of the kind (a supervisor) is told
        plainly that it does not exist."""
        wanted: list[tuple[str, str, str]] = []  # (input name, kind, reference)
        for name, spec in capability.inputs.items():
            value = request.inputs.get(name)
            if not spec.object_kind or value is None or not str(value).strip():
                continue
            parts = str(value).split(",") if spec.many else [str(value)]
            wanted.extend((name, spec.object_kind, part.strip()) for part in parts
                          if part.strip())
        # The case a call is filed under: without a case package there are no cases to reach,
        # and the reference is only a label.
        if request.case_ref.strip() and object_kind("case") is not None:
            wanted.append(("case_ref", "case", request.case_ref.strip()))
        if not wanted:
            return
        with self.database.session() as session:
            for name, kind_name, reference in wanted:
                kind = object_kind(kind_name)
                if kind is None:  # build_registry refuses this; never reached at call time
                    raise RuntimeError(f"object kind {kind_name!r} is not installed")
                allowed = kind.can_access(session, caller, reference)
                if allowed:
                    continue
                if allowed is None and kind.sees_all is not None and kind.sees_all(caller):
                    detail = f"{name}: there is no {kind_name} {reference}"
                    seq = self._ledger_denial(caller, request, capability,
                                              self._object_denial(detail), detail)
                    raise ValidationFailed(detail=M_("%(name)s: there is no %(kind)s "
                                                     "%(reference)s (ledger entry %(seq)s)",
                                                     name=name, kind=kind_name,
                                                     reference=reference, seq=seq))
                reason_en = f"No access to {kind_name} {reference}, or it does not exist."
                reason_zh = f"无权访问{kind.name_zh or kind_name} {reference}，或该对象不存在。"
                refusal = self._object_denial(reason_en, reason_zh)
                seq = self._ledger_denial(caller, request, capability, refusal,
                                          f"object access: {reason_en}")
                raise GatewayDenied(refusal.reasons, seq)

    def _object_denial(self, reason_en: str, reason_zh: str = "") -> PolicyDecision:
        return PolicyDecision(False, (PolicyReason(OBJECT_ACCESS, "forbid", reason_en,
                                                   reason_zh or reason_en),),
                              self.policy.version)

    # -- storing -----------------------------------------------------------------------------
    def _base_fields(self, caller: Caller, request: GatewayRequest,
                     capability: Capability) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "actor": f"user:{caller.user_id}",
            "roles": sorted(caller.roles),
            "capability": {"id": capability.id, "version": capability.version},
            "purpose": request.purpose,
            "legal_basis": request.legal_basis,
            "case_ref": request.case_ref,
        }
        if capability.model is not None:
            fields["model"] = {"name": capability.model.name,
                               "version": capability.model.version,
                               "digest": capability.model.digest}
        return fields

    @staticmethod
    def _policy_fields(decision: PolicyDecision | None) -> dict[str, Any]:
        if decision is None:
            return {"decision": "deny", "version": "", "reasons": ["undeclared-input"]}
        return {"decision": "allow" if decision.allowed else "deny",
                "version": decision.policy_version, "reasons": list(decision.policy_ids)}

    def _ledger_denial(self, caller: Caller, request: GatewayRequest, capability: Capability,
                       decision: PolicyDecision | None, detail: str) -> int:
        decision_id = secrets.token_hex(8)
        salt = secrets.token_bytes(32)
        row: dict[str, Any] = {
            "id": decision_id, "capability_id": capability.id,
            "capability_version": capability.version, "model_version": "",
            "actor_id": caller.user_id, "actor_role": ",".join(sorted(caller.roles)),
            "purpose": request.purpose[:64], "legal_basis": request.legal_basis[:64],
            "case_ref": request.case_ref[:64], "subject_key": "", "status": "denied",
            "inputs": None, "output": None, "explanation": detail, "confidence": None,
            "policy_version": decision.policy_version if decision else "",
            "policy_reasons": list(decision.policy_ids) if decision else ["undeclared-input"],
            "salt": salt.hex(),
        }
        with self.database.write_session() as session:
            fields = {**self._base_fields(caller, request, capability),
                      "policy": self._policy_fields(decision), "decision": decision_id,
                      "explanation": detail or "refused by policy",
                      **decision_binding(salt, row)}  # binds the row: verify recomputes it
            seq = self.ledger.append(session, "denial", fields)
            session.add(Decision(**row, ledger_seq=seq))
        self.ledger.checkpoint_if_due(seq)
        return seq

    def _ledger_failure(self, caller: Caller, request: GatewayRequest, capability: Capability,
                        decision: PolicyDecision, what: str) -> int:
        with self.database.write_session() as session:
            return self.ledger.append(session, "failure", {
                **self._base_fields(caller, request, capability),
                "policy": self._policy_fields(decision), "explanation": f"model failed: {what}",
            })

    def _store(self, caller: Caller, request: GatewayRequest, capability: Capability,
               decision: PolicyDecision, inputs: dict[str, Any],
               result: ModelOutput) -> GatewayResult:
        decision_id = secrets.token_hex(8)
        salt = secrets.token_bytes(32)
        assert capability.model is not None
        # Everything that needs no database is prepared before the write lock is taken.
        keys = self._subject_keys(request, capability, result)
        # Encoded once: the inputs' and output's digests and the row's content digest use them.
        encoded = {"inputs": canonical_bytes(inputs), "output": canonical_bytes(result.output)}
        fields = {
            **self._base_fields(caller, request, capability),
            "policy": self._policy_fields(decision),
            "decision": decision_id,
            "input_digest": digest_of_bytes(salt, encoded["inputs"]),
            "output_digest": digest_of_bytes(salt, encoded["output"]),
            "explanation": result.explanation,
            "confidence": None if result.confidence is None else round(result.confidence, 4),
            "review": {"required": capability.review_required,
                       "role": capability.review_role if capability.review_required else ""},
        }
        row = {
            "id": decision_id, "capability_id": capability.id,
            "capability_version": capability.version,
            "model_version": capability.model.version,
            "actor_id": caller.user_id, "actor_role": ",".join(sorted(caller.roles)),
            "purpose": request.purpose, "legal_basis": request.legal_basis,
            "case_ref": request.case_ref,
            "subject_key": keys[0] if keys else "",
            "status": "completed", "inputs": inputs, "output": result.output,
            "explanation": result.explanation, "confidence": result.confidence,
            "policy_version": decision.policy_version,
            "policy_reasons": list(decision.policy_ids),
            "review_status": "pending" if capability.review_required else "not-required",
            "salt": salt.hex(), "created_at": utcnow(),
        }
        fields.update(decision_binding(salt, row, encoded))  # verify recomputes it
        # One transaction: the ledger entry, the decision and its review commit together or
        # not at all, and the call is acknowledged only after the commit. Prebuilt statements
        # on the driver's cursor (no ORM unit of work, no Core execution context on this path).
        with self.database.write_cursor() as cursor:
            seq = self.ledger.append(cursor, "decision", fields)
            self._decision_sql.execute(cursor, {**row, "ledger_seq": seq})
            if keys:
                self._subject_sql.executemany(cursor, [
                    {"decision_id": decision_id, "subject_key": key} for key in keys])
            if capability.review_required:
                self._review_sql.execute(cursor, {
                    "decision_id": decision_id, "capability_id": capability.id,
                    "model_version": capability.model.version,
                    "required_role": capability.review_role, "status": "pending",
                    "reason": "", "created_at": row["created_at"]})
        self.ledger.checkpoint_if_due(seq)
        return GatewayResult(
            decision_id=decision_id, ledger_seq=seq, capability=capability,
            output=result.output, explanation=result.explanation,
            confidence=result.confidence, review_required=capability.review_required,
            review_role=capability.review_role, policy_version=decision.policy_version,
            reasons=decision.reasons,
        )

    def subject_key(self, document_number: str) -> str:
        """Keyed digest of a document number (normalised), or "" when none is given."""
        return subject_key(self.subject_secret, document_number)

    def subject_keys(self, *subjects: Subject) -> tuple[str, ...]:
        """Every key of these persons (see :mod:`accord.core.subjects`)."""
        return subject_keys(self.subject_secret, subjects)

    def _subject_keys(self, request: GatewayRequest, capability: Capability,
                      result: ModelOutput) -> tuple[str, ...]:
        subjects = [Subject(document=request.subject_document), *request.subjects]
        if capability.output_subjects is not None:
            subjects.extend(capability.output_subjects(result.output))
        return self.subject_keys(*subjects)

    # -- use of outputs ----------------------------------------------------------------------
    def usable_output(self, decision_id: str) -> dict[str, Any]:
        """The output a case document may use: the reviewed version, or refuse."""
        with self.database.session() as session:
            record = session.get(Decision, decision_id)
            if record is None or record.status != "completed":
                raise NotFound()
            if record.review_status == "pending":
                raise ReviewPending()
            if record.review_status == "rejected":
                raise ReviewRejected()
            if record.review_status == "edited":
                review = session.scalar(select(Review).where(Review.decision_id == decision_id))
                assert review is not None and review.edited_output is not None
                return dict(review.edited_output)
            return dict(record.output or {})

    # -- certificates and stop control -------------------------------------------------------
    def _policy_facts(self, user_id: int, capability_id: str) -> tuple[frozenset[str], bool]:
        """The caller's valid certificates and whether the capability is suspended, read afresh
        on one connection with prebuilt statements: this is on every call's path."""
        with self.database.read_cursor() as cursor:
            rows, suspended = read_together(cursor, [
                (self._certificates_sql, {"user_id": user_id}),
                (self._suspended_sql, {"capability_id": capability_id})])
        now = utcnow()
        return (frozenset(name for name, expires_at in rows
                          if expires_at is None or expires_at > now),
                bool(suspended and suspended[0][0]))

    def certificates(self, user_id: int) -> frozenset[str]:
        with self.database.session() as session:
            return self._certificates(session, user_id)

    def suspension(self, capability_id: str) -> tuple[bool, str]:
        with self.database.session() as session:
            return self._suspension(session, capability_id)

    @staticmethod
    def _certificates(session: Session, user_id: int) -> frozenset[str]:
        now = utcnow()
        rows = session.scalars(select(UserCertificate).where(UserCertificate.user_id == user_id))
        return frozenset(r.name for r in rows if r.expires_at is None or r.expires_at > now)

    @staticmethod
    def _suspension(session: Session, capability_id: str) -> tuple[bool, str]:
        state = session.get(CapabilityState, capability_id)
        return (bool(state and state.suspended), state.reason if state else "")

    def set_suspended(self, capability_id: str, suspended: bool, caller: Caller,
                      reason: str) -> int:
        """Stop control: suspend (or resume) a capability at once; ledgered."""
        capability = self.registry.get(capability_id)
        if capability.prohibited:
            raise ValidationFailed(detail=M_("prohibited uses are always refused"))
        if suspended and not reason.strip():
            raise ValidationFailed(detail=M_("reason: say why the capability is suspended"))
        with self.database.write_session() as session:
            state = session.get(CapabilityState, capability_id)
            if state is None:
                state = CapabilityState(capability_id=capability_id)
                session.add(state)
            state.suspended = suspended
            state.reason = reason.strip()
            state.changed_by = caller.user_id
            state.changed_at = utcnow()
            return self.ledger.append(
                session, "capability-suspended" if suspended else "capability-resumed",
                {"actor": f"user:{caller.user_id}", "roles": sorted(caller.roles),
                 "capability": {"id": capability.id, "version": capability.version},
                 "explanation": reason.strip()},
            )
