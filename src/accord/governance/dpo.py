"""The data-protection officer's tools: breach register with the 72-hour clock, impact
assessments and ethics-review approvals (and the gate that keeps an unassessed high-risk
capability switched off), the compliance dashboard, ledger verification as a background job,
and the audit export for an outside auditor.

**The assessment gate.** A capability of risk tier ``high`` may run only when, for its current
version, the latest non-revoked record of each kind in :data:`REQUIRED_FOR_HIGH_RISK` — a
data-protection impact assessment (``dpia``), a fundamental-rights impact assessment
(``fria``, EU AI Act art. 27) and an ethics-review approval (``ethics-review``) — is
``approved`` and not past its ``valid_until``. A new capability version needs new records.
Other tiers pass; prohibited uses never do.

The gateway asks :func:`capability_cleared` (one indexed query) and passes the answer to
policy as a context value, e.g. in ``GatewayService.authorize``::

    from accord.governance.dpo import capability_cleared
    ...PolicyRequest(..., assessment_cleared=capability_cleared(capability.id))

with a Cedar rule forbidding ``risk_tier == "high"`` unless ``context.assessment_cleared``.
:func:`assessment_gate` gives the same answer with the reason, for pages and refusals.

Every breach record, notification and assessment decision is also ledgered (kinds ``breach``
and ``assessment``), with ids, times and outcomes only, so detection times and approvals cannot
be quietly back-dated.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from accord.core.db import Database, utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied
from accord.core.gateway.models import Decision
from accord.core.gateway.service import Caller
from accord.core.governance import Governance, get_governance
from accord.core.i18n import N_
from accord.core.jobs import Job, JobContext, JobService, job_handler
from accord.core.ledger.store import LedgerService
from accord.core.registry import CapabilityRegistry, RiskTier
from accord.governance.models import Assessment, Breach, RightsRequest
from accord.governance.rights import (
    MAX_DETAILS,
    MAX_NOTE,
    OPEN_STATES,
    InvalidField,
    RightsService,
)

BREACH_HOURS = 72
SEVERITIES = ("low", "medium", "high")
SEVERITY_LABELS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}
ASSESSMENT_KINDS = ("dpia", "fria", "ethics-review")
ASSESSMENT_LABELS = {
    "dpia": N_("Data-protection impact assessment (DPIA)"),
    "fria": N_("Fundamental-rights impact assessment"),
    "ethics-review": N_("Ethics review approval"),
}
ASSESSMENT_OUTCOMES = ("approved", "rejected")
OUTCOME_WORDS = (N_("approved"), N_("rejected"))
REQUIRED_FOR_HIGH_RISK = ASSESSMENT_KINDS
VERIFY_JOB = "dpo.ledger-verify"
BREACH_STATE_LABELS = {
    "open": N_("not yet notified"), "overdue": N_("notification overdue"),
    "notified": N_("notified in time"), "notified-late": N_("notified late"),
}


@dataclass(frozen=True)
class BreachStatus:
    breach: Breach
    due_at: datetime
    late: bool
    hours_left: float | None  # while not notified
    state: str  # open | overdue | notified | notified-late


@dataclass(frozen=True)
class GateStatus:
    capability_id: str
    version: str
    risk_tier: str
    ok: bool
    reason: str
    missing: tuple[str, ...]
    approved: tuple[Assessment, ...]


def _parse_time(value: str | datetime | None, field_name: str) -> datetime | None:
    """A form's ``datetime-local`` value (read as UTC) or an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidField(field_name, N_("Give a date and time."))
        return value
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidField(field_name, N_("Give a date and time.")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _text(value: str, field_name: str, limit: int, required: bool = False) -> str:
    text = value.strip()
    if len(text) > limit:
        raise InvalidField(field_name, N_("At most %(max)d characters."), max=limit)
    if required and not text:
        raise InvalidField(field_name, N_("This field is required."))
    return text


class DpoService:
    def __init__(self, database: Database, ledger: LedgerService,
                 registry: CapabilityRegistry) -> None:
        self.database = database
        self.ledger = ledger
        self.registry = registry

    @classmethod
    def from_governance(cls, governance: Governance | None = None) -> DpoService:
        governance = governance or get_governance()
        return cls(governance.gateway.database, governance.ledger, governance.registry)

    # -- breaches --------------------------------------------------------------------------
    def record_breach(self, dpo: Caller, *, title: str, detected_at: str | datetime,
                      description: str = "", severity: str = "medium",
                      affected_count: int | None = None, measures: str = "",
                      now: datetime | None = None) -> Breach:
        _require_dpo(dpo)
        now = now or utcnow()
        detected = _parse_time(detected_at, "detected_at")
        if detected is None:
            raise InvalidField("detected_at", N_("Give a date and time."))
        if detected > now + timedelta(minutes=5):
            raise InvalidField("detected_at", N_("The detection time cannot be in the future."))
        if severity not in SEVERITIES:
            raise InvalidField("severity", N_("Choose a severity."))
        if affected_count is not None and affected_count < 0:
            raise InvalidField("affected_count", N_("Give a number of 0 or more."))
        breach = Breach(title=_text(title, "title", 200, required=True),
                        description=_text(description, "description", MAX_DETAILS),
                        severity=severity, affected_count=affected_count,
                        measures=_text(measures, "measures", MAX_DETAILS),
                        detected_at=detected, recorded_by=dpo.user_id, recorded_at=now)
        with self.database.write_session() as session:
            session.add(breach)
            session.flush()
            breach.ledger_seq = self.ledger.append(session, "breach", {
                "actor": f"user:{dpo.user_id}", "roles": sorted(dpo.roles),
                "breach": breach.id, "event": "recorded", "severity": severity,
                "detected_at": detected.isoformat(timespec="seconds"),
            })
        return breach

    def mark_notified(self, breach_id: int, dpo: Caller, *, authority: str,
                      notified_at: str | datetime | None = None, late_reason: str = "",
                      now: datetime | None = None) -> BreachStatus:
        """Record the notification to the supervisory authority (late ones need a reason)."""
        _require_dpo(dpo)
        now = now or utcnow()
        when = _parse_time(notified_at, "notified_at") or now
        with self.database.write_session() as session:
            breach = session.get(Breach, breach_id)
            if breach is None:
                raise NotFound()
            if breach.notified_at is not None:
                raise Conflict(N_("This breach was already notified."))
            if when < breach.detected_at:
                raise InvalidField("notified_at", N_("The notification cannot be before the "
                                                     "detection."))
            late = when > breach.detected_at + timedelta(hours=BREACH_HOURS)
            reason = _text(late_reason, "late_reason", MAX_NOTE)
            if late and not reason:
                raise InvalidField("late_reason", N_("The notification is later than 72 hours: "
                                                     "give the reasons for the delay."))
            breach.notified_at = when
            breach.authority = _text(authority, "authority", 200, required=True)
            breach.late_reason = reason
            self.ledger.append(session, "breach", {
                "actor": f"user:{dpo.user_id}", "roles": sorted(dpo.roles),
                "breach": breach.id, "event": "notified", "late": late,
                "detected_at": breach.detected_at.isoformat(timespec="seconds"),
                "notified_at": when.isoformat(timespec="seconds"),
            })
        return self.breach_status(breach, now)

    def close_breach(self, breach_id: int, dpo: Caller, now: datetime | None = None) -> None:
        _require_dpo(dpo)
        with self.database.session() as session:
            breach = session.get(Breach, breach_id)
            if breach is None:
                raise NotFound()
            breach.closed_at = now or utcnow()

    @staticmethod
    def breach_status(breach: Breach, now: datetime | None = None) -> BreachStatus:
        now = now or utcnow()
        due = breach.detected_at + timedelta(hours=BREACH_HOURS)
        if breach.notified_at is not None:
            late = breach.notified_at > due
            return BreachStatus(breach, due, late, None, "notified-late" if late else "notified")
        late = now > due
        hours_left = (due - now).total_seconds() / 3600
        return BreachStatus(breach, due, late, hours_left, "overdue" if late else "open")

    def breaches(self, now: datetime | None = None) -> list[BreachStatus]:
        with self.database.session() as session:
            rows = list(session.scalars(select(Breach).order_by(Breach.detected_at.desc(),
                                                                Breach.id.desc())))
        return [self.breach_status(b, now) for b in rows]

    # -- assessments and the gate ----------------------------------------------------------
    def record_assessment(self, dpo: Caller, *, capability_id: str, kind: str, outcome: str,
                          summary: str, document_ref: str = "",
                          valid_until: str | datetime | None = None,
                          now: datetime | None = None) -> Assessment:
        return self.record_assessments(
            dpo, capability_id=capability_id, kinds=(kind,), outcome=outcome, summary=summary,
            document_ref=document_ref, valid_until=valid_until, now=now)[0]

    def record_assessments(self, dpo: Caller, *, capability_id: str, kinds: Sequence[str],
                           outcome: str, summary: str, document_ref: str = "",
                           valid_until: str | datetime | None = None,
                           now: datetime | None = None) -> list[Assessment]:
        """Record one decision on several assessment kinds of a capability at once (the DPO
        clears a capability with one form): every kind is checked before any is stored, all
        are stored in one transaction, and each gets its own ledger entry."""
        _require_dpo(dpo)
        now = now or utcnow()
        if capability_id not in self.registry:
            raise InvalidField("capability_id", N_("Choose a capability."))
        capability = self.registry.get(capability_id)
        if capability.prohibited:
            raise InvalidField("capability_id", N_("A use refused by design cannot be "
                                                   "approved."))
        kinds = list(dict.fromkeys(kinds))
        if not kinds or any(k not in ASSESSMENT_KINDS for k in kinds):
            raise InvalidField("kind", N_("Choose the kind of assessment."))
        if outcome not in ASSESSMENT_OUTCOMES:
            raise InvalidField("outcome", N_("Choose approved or rejected."))
        until = _parse_time(valid_until, "valid_until")
        if until is not None and until <= now:
            raise InvalidField("valid_until", N_("The validity must end in the future."))
        summary = _text(summary, "summary", MAX_DETAILS, required=True)
        document_ref = _text(document_ref, "document_ref", 200)
        records = []
        with self.database.write_session() as session:
            for kind in kinds:
                record = Assessment(capability_id=capability.id,
                                    capability_version=capability.version, kind=kind,
                                    outcome=outcome, summary=summary, document_ref=document_ref,
                                    decided_by=dpo.user_id, decided_at=now, valid_until=until)
                session.add(record)
                session.flush()
                record.ledger_seq = self.ledger.append(session, "assessment", {
                    "actor": f"user:{dpo.user_id}", "roles": sorted(dpo.roles),
                    "capability": {"id": capability.id, "version": capability.version},
                    "assessment": record.id, "kind": kind, "outcome": outcome,
                    "event": "decided",
                    "valid_until": until.isoformat(timespec="seconds") if until else None,
                })
                records.append(record)
        return records

    def revoke_assessment(self, assessment_id: int, dpo: Caller,
                          now: datetime | None = None) -> None:
        _require_dpo(dpo)
        with self.database.write_session() as session:
            record = session.get(Assessment, assessment_id)
            if record is None:
                raise NotFound()
            if record.revoked_at is not None:
                raise Conflict(N_("This assessment was already revoked."))
            record.revoked_at, record.revoked_by = now or utcnow(), dpo.user_id
            self.ledger.append(session, "assessment", {
                "actor": f"user:{dpo.user_id}", "roles": sorted(dpo.roles),
                "capability": {"id": record.capability_id,
                               "version": record.capability_version},
                "assessment": record.id, "kind": record.kind, "event": "revoked",
            })

    def assessments(self, capability_id: str | None = None) -> list[Assessment]:
        with self.database.session() as session:
            query = select(Assessment).order_by(Assessment.decided_at.desc(),
                                                Assessment.id.desc())
            if capability_id:
                query = query.where(Assessment.capability_id == capability_id)
            return list(session.scalars(query))

    def gate_status(self, capability_id: str, now: datetime | None = None) -> GateStatus:
        now = now or utcnow()
        if capability_id not in self.registry:
            return GateStatus(capability_id, "", "", False, "unknown capability", (), ())
        capability = self.registry.get(capability_id)
        tier = capability.risk_tier.value
        if capability.prohibited:
            return GateStatus(capability.id, capability.version, tier, False,
                              "refused by design: no assessment can clear it", (), ())
        with self.database.session() as session:
            records = list(session.scalars(select(Assessment).where(
                Assessment.capability_id == capability.id,
                Assessment.capability_version == capability.version,
                Assessment.revoked_at.is_(None),
            ).order_by(Assessment.decided_at.desc(), Assessment.id.desc())))
        latest: dict[str, Assessment] = {}
        for record in records:
            latest.setdefault(record.kind, record)
        approved = tuple(r for r in latest.values() if r.outcome == "approved"
                         and (r.valid_until is None or r.valid_until > now))
        if capability.risk_tier is not RiskTier.HIGH:
            return GateStatus(capability.id, capability.version, tier, True,
                              f"risk tier {tier}: no assessment required", (), approved)
        have = {r.kind for r in approved}
        missing = tuple(k for k in REQUIRED_FOR_HIGH_RISK if k not in have)
        if missing:
            return GateStatus(capability.id, capability.version, tier, False,
                              f"high-risk capability {capability.id} {capability.version} "
                              f"lacks an approved {', '.join(missing)}", missing, approved)
        return GateStatus(capability.id, capability.version, tier, True,
                          f"high-risk capability {capability.id} {capability.version} cleared: "
                          f"{', '.join(REQUIRED_FOR_HIGH_RISK)} approved", (), approved)

    def assessment_gate(self, capability_id: str) -> tuple[bool, str]:
        """``(ok, reason)``: may this capability be switched on, as far as assessments go?"""
        status = self.gate_status(capability_id)
        return status.ok, status.reason

    def capability_cleared(self, capability_id: str) -> bool:
        return self.gate_status(capability_id).ok

    def gates(self, now: datetime | None = None) -> list[GateStatus]:
        return [self.gate_status(c.id, now) for c in self.registry.all() if not c.prohibited]

    def missing_assessments(self, now: datetime | None = None) -> list[GateStatus]:
        """High-risk capabilities that lack an approved assessment for their version."""
        return [g for g in self.gates(now) if g.risk_tier == RiskTier.HIGH.value and not g.ok]

    # -- appeals ---------------------------------------------------------------------------
    def appealed_decision(self, record: RightsRequest) -> tuple[Decision | None, str]:
        """The gateway decision a rights request names, and whether it is about the requester.

        The DPO decides an appeal against one decision: before reading it, the page must say
        whether that decision was recorded for the requester at all. Returns the decision (None
        when the request names none, or one that does not exist) and ``"yes"`` / ``"no"`` (its
        subject key matches the request's, or not), ``"unknown"`` (the decision has no subject
        key) or ``""`` (no decision).
        """
        if not record.decision_ref:
            return None, ""
        with self.database.session() as session:
            decision = session.get(Decision, record.decision_ref)
            if decision is None:
                return None, ""
            if not decision.subject_key:
                return decision, "unknown"
            # A decision may concern several persons: the link table has every key.
            concerns = RightsService.concerns(session, decision.id, record.subject_key)
        return decision, "yes" if concerns else "no"

    # -- dashboard and ledger verification -------------------------------------------------
    def start_verification(self, user_id: int) -> Job:
        return JobService(self.database).submit(VERIFY_JOB, {}, created_by=user_id)

    def latest_verification(self) -> Job | None:
        with self.database.session() as session:
            return session.scalar(select(Job).where(Job.kind == VERIFY_JOB)
                                  .order_by(Job.created_at.desc()).limit(1))

    def dashboard(self, rights: RightsService, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        breaches = self.breaches(now)
        return {
            "requests": rights.statistics(now),
            "breaches": {"total": len(breaches),
                         "open": sum(b.state in ("open", "overdue") for b in breaches),
                         "late": sum(b.late for b in breaches),
                         "overdue": sum(b.state == "overdue" for b in breaches)},
            "missing_assessments": self.missing_assessments(now),
            "verification": self.latest_verification(),
            "todo": self.todo(rights, breaches, now),
        }

    def todo(self, rights: RightsService, breaches: list[BreachStatus],
             now: datetime) -> dict[str, Any]:
        """What waits for the DPO, most urgent first: capabilities waiting for assessments,
        the latest checkpoint waiting for the witness cosignature, breaches on the 72-hour
        clock and rights requests overdue or due within days."""
        latest = self.ledger.latest_checkpoint()
        witnessed = self.ledger.witnessed()
        unwitnessed = latest is not None and (witnessed is None or witnessed.size < latest.size)
        with self.database.session() as session:
            open_requests = list(session.scalars(
                select(RightsRequest).where(RightsRequest.state.in_(OPEN_STATES))))
        requests = sorted((item for item in (rights.deadline_item(r, now)
                                             for r in open_requests) if item.flag),
                          key=lambda item: item.days_left)
        return {
            "assessments": self.missing_assessments(now),
            "checkpoint": latest.size if unwitnessed and latest is not None else None,
            "witnessed_size": witnessed.size if witnessed is not None else 0,
            "breaches": sorted((b for b in breaches if b.state in ("open", "overdue")),
                               key=lambda b: b.due_at),
            "requests": requests,
        }

    # -- audit export ----------------------------------------------------------------------
    def audit_export(self, governance: Governance, rights: RightsService, actor: Caller,
                     now: datetime | None = None) -> tuple[str, bytes]:
        """A ZIP for an outside auditor; returns ``(file name, bytes)``.

        ``ledger/`` is :meth:`LedgerService.export` (check it offline with
        ``python -m accord.core.ledger.export ledger``); then the transparency register, request
        statistics (no personal data), the breach register, the assessments and a manifest of
        SHA-256 digests. The export itself is ledgered (kind ``audit-export``) with the digest
        of its manifest.
        """
        from accord.governance.transparency import build_register

        if not actor.roles & {"auditor", "dpo"}:
            raise PermissionDenied()
        now = now or utcnow()
        files: dict[str, bytes] = {}
        with tempfile.TemporaryDirectory() as tmp:
            directory = governance.ledger.export(
                Path(tmp) / "ledger", witness_keys=(governance.witness_signer().verifier_key(),))
            for path in sorted(directory.iterdir()):
                files[f"ledger/{path.name}"] = path.read_bytes()

        def as_json(value: Any) -> bytes:
            return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()

        files["transparency-register.json"] = as_json(build_register(governance, now))
        files["rights-statistics.json"] = as_json(rights.statistics(now))
        files["breach-register.json"] = as_json([self._breach_record(b) for b in
                                                 self.breaches(now)])
        files["impact-assessments.json"] = as_json({
            "required_for_high_risk": list(REQUIRED_FOR_HIGH_RISK),
            "gates": [{"capability": g.capability_id, "version": g.version,
                       "risk_tier": g.risk_tier, "cleared": g.ok, "reason": g.reason}
                      for g in self.gates(now)],
            "records": [self._assessment_record(a) for a in self.assessments()],
        })
        files["README.txt"] = AUDIT_README.encode()
        manifest = {
            "generated_at": now.isoformat(timespec="seconds"),
            "generated_for": f"user:{actor.user_id}",
            "files": {name: "sha256:" + hashlib.sha256(data).hexdigest()
                      for name, data in sorted(files.items())},
        }
        files["manifest.json"] = as_json(manifest)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        self.ledger.append_now("audit-export", {
            "actor": f"user:{actor.user_id}", "roles": sorted(actor.roles),
            "manifest_digest": "sha256:" + hashlib.sha256(files["manifest.json"]).hexdigest(),
            "ledger_entries": files["ledger/entries.jsonl"].count(b"\n"),
        })
        return f"accord-audit-{now.strftime('%Y%m%dT%H%M%SZ')}.zip", buffer.getvalue()

    def _breach_record(self, status: BreachStatus) -> dict[str, Any]:
        b = status.breach
        return {"id": b.id, "title": b.title, "description": b.description,
                "severity": b.severity, "affected_count": b.affected_count,
                "measures": b.measures, "detected_at": b.detected_at.isoformat(),
                "notification_due_at": status.due_at.isoformat(),
                "notified_at": b.notified_at.isoformat() if b.notified_at else None,
                "authority": b.authority, "late": status.late, "late_reason": b.late_reason,
                "state": status.state, "recorded_at": b.recorded_at.isoformat(),
                "closed_at": b.closed_at.isoformat() if b.closed_at else None,
                "ledger_entry": b.ledger_seq}

    @staticmethod
    def _assessment_record(a: Assessment) -> dict[str, Any]:
        return {"id": a.id, "capability": a.capability_id, "version": a.capability_version,
                "kind": a.kind, "outcome": a.outcome, "summary": a.summary,
                "document_ref": a.document_ref, "decided_by": f"user:{a.decided_by}",
                "decided_at": a.decided_at.isoformat(),
                "valid_until": a.valid_until.isoformat() if a.valid_until else None,
                "revoked_at": a.revoked_at.isoformat() if a.revoked_at else None,
                "ledger_entry": a.ledger_seq}


AUDIT_README = """Accord audit export
===================

ledger/                      the decision ledger: entries.jsonl, checkpoints.txt, public.key
                             (log key, then the DPO witness key). Check it without any access
                             to the system:  python -m accord.core.ledger.export ledger
transparency-register.json   the public register as generated at export time
rights-statistics.json       rights requests and appeals: counts, deadlines, outcomes
                             (no personal data)
breach-register.json         personal-data breaches with the 72-hour notification clock
impact-assessments.json      DPIA / fundamental-rights / ethics-review records and, per
                             capability, whether it is cleared to run
manifest.json                SHA-256 of every other file; the export itself is recorded in
                             the ledger (kind audit-export) with the digest of this manifest
"""


def _require_dpo(caller: Caller) -> None:
    if "dpo" not in caller.roles:
        raise PermissionDenied()


@job_handler(VERIFY_JOB)
def verify_ledger_job(context: JobContext) -> dict[str, Any]:
    """Background job: recompute the whole ledger (``LedgerService.verify``)."""
    context.progress(5, "verifying the ledger")
    report = get_governance().ledger.verify()
    return {"ok": report.ok, "size": report.size, "checkpoints": report.checkpoints,
            "first_bad_seq": report.first_bad_seq, "reason": report.reason,
            "warnings": report.warnings, "seconds": round(report.seconds, 3),
            "finished_at": utcnow().isoformat(timespec="seconds")}


# -- process-wide entry points for the gateway ---------------------------------------------------
def assessment_gate(capability_id: str) -> tuple[bool, str]:
    """``(ok, reason)`` for ``capability_id`` using this process's governance objects."""
    return DpoService.from_governance().assessment_gate(capability_id)


def capability_cleared(capability_id: str) -> bool:
    """True when ``capability_id`` may run as far as impact assessments go.

    For the gateway: a high-risk capability needs approved DPIA, fundamental-rights impact
    assessment and ethics review for its current version; other tiers always pass; prohibited
    uses never do. Call it outside :func:`get_governance`'s construction (it uses it).
    """
    return DpoService.from_governance().capability_cleared(capability_id)


__all__ = [
    "ASSESSMENT_KINDS", "BREACH_HOURS", "REQUIRED_FOR_HIGH_RISK", "VERIFY_JOB", "BreachStatus",
    "DpoService", "GateStatus", "assessment_gate", "capability_cleared", "verify_ledger_job",
]
