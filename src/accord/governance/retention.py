"""Retention: expired personal data is erased on schedule, each run certified in the ledger.

A retention run applies every rule in ``retention.yaml``. Records tied to a case under a legal
hold are kept and counted as held back. Each rule applied writes a **deletion certificate** to the
ledger: the rule, the category, how many records, the cut-off, how many were held back, and a
digest of the erased record references — never their content. Because the ledger holds no
personal data, it stays verifiable after erasure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import delete, select, update

from accord.cases.models import Case
from accord.core.accounts.models import LoginFailure
from accord.core.db import Database, utcnow
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.gateway.models import Decision, LegalHold, Review
from accord.core.jobs.models import Job
from accord.core.ledger.store import LedgerService
from accord.interpret.models import InterviewReport

ACTIONS = ("erase", "delete")


@dataclass(frozen=True)
class RetentionRule:
    category: str
    description: str
    days: int
    action: str
    rule: str


@dataclass(frozen=True)
class Expiry:
    """What a rule will remove next: for the 'expires next' view."""

    rule: RetentionRule
    due_now: int
    held_back: int
    next_expiry: datetime | None


@dataclass(frozen=True)
class Certificate:
    category: str
    count: int
    held_back: int
    cutoff: datetime
    ledger_seq: int


def load_rules(text: str | None = None) -> list[RetentionRule]:
    """Parse retention rules, failing loudly on anything malformed."""
    if text is None:
        text = (files("accord.governance") / "retention.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    rules = []
    for number, raw in enumerate(data.get("rules", []), start=1):
        try:
            rule = RetentionRule(category=str(raw["category"]),
                                 description=str(raw["description"]), days=int(raw["days"]),
                                 action=str(raw["action"]), rule=str(raw["rule"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"retention rule {number}: missing or bad field {error}") from None
        if rule.days < 1 or rule.action not in ACTIONS:
            raise ValueError(f"retention rule {number} ({rule.category}): days must be ≥ 1 and "
                             f"action one of {', '.join(ACTIONS)}")
        rules.append(rule)
    known = {"ai-decision-content", "denied-request-details", "login-failures", "job-results",
             "public-reports", "closed-cases"}
    unknown = {r.category for r in rules} - known
    if unknown:
        raise ValueError(f"retention rules name unknown categories: {', '.join(sorted(unknown))}")
    return rules


class RetentionService:
    def __init__(self, database: Database, ledger: LedgerService,
                 rules: list[RetentionRule] | None = None) -> None:
        self.database = database
        self.ledger = ledger
        self.rules = rules if rules is not None else load_rules()

    # -- legal holds -------------------------------------------------------------------------
    def hold(self, case_ref: str, reason: str, user_id: int) -> None:
        case_ref, reason = case_ref.strip(), reason.strip()
        if not case_ref or not reason:
            raise ValidationFailed(detail="a legal hold needs a case reference and a reason")
        with self.database.session() as session:
            existing = session.get(LegalHold, case_ref)
            if existing is not None and existing.released_at is None:
                raise Conflict(detail=f"case {case_ref} is already under legal hold")
            if existing is not None:
                session.delete(existing)
                session.flush()
            session.add(LegalHold(case_ref=case_ref, reason=reason, set_by=user_id))

    def release(self, case_ref: str, user_id: int) -> None:
        with self.database.session() as session:
            hold = session.get(LegalHold, case_ref.strip())
            if hold is None or hold.released_at is not None:
                raise NotFound("No active legal hold for case %(case)s.", case=case_ref)
            hold.released_at = utcnow()
            hold.released_by = user_id

    def holds(self) -> list[LegalHold]:
        with self.database.session() as session:
            return list(session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None))
                                        .order_by(LegalHold.set_at)))

    def held_cases(self, session: Any) -> set[str]:
        return set(session.scalars(select(LegalHold.case_ref)
                                   .where(LegalHold.released_at.is_(None))))

    # -- what expires ------------------------------------------------------------------------
    def _candidates(self, session: Any, rule: RetentionRule, cutoff: datetime) -> Any:
        if rule.category == "ai-decision-content":
            return select(Decision).where(Decision.status == "completed",
                                          Decision.erased_at.is_(None),
                                          Decision.created_at < cutoff)
        if rule.category == "denied-request-details":
            return select(Decision).where(Decision.status != "completed",
                                          Decision.erased_at.is_(None),
                                          Decision.created_at < cutoff)
        if rule.category == "login-failures":
            return select(LoginFailure).where(LoginFailure.at < cutoff)
        if rule.category == "public-reports":
            return select(InterviewReport).where(InterviewReport.created_at < cutoff)
        if rule.category == "closed-cases":
            return select(Case).where(Case.status == "closed", Case.closed_at.is_not(None),
                                      Case.closed_at < cutoff)
        return select(Job).where(Job.result.is_not(None), Job.created_at < cutoff)

    def _created_column(self, rule: RetentionRule) -> Any:
        return {"ai-decision-content": Decision.created_at,
                "denied-request-details": Decision.created_at,
                "login-failures": LoginFailure.at,
                "public-reports": InterviewReport.created_at,
                "closed-cases": Case.closed_at}.get(rule.category, Job.created_at)

    def upcoming(self, now: datetime | None = None) -> list[Expiry]:
        """For each rule: how many records are due now, held back, and when the next expires."""
        now = now or utcnow()
        result = []
        with self.database.session() as session:
            held = self.held_cases(session)
            for rule in self.rules:
                cutoff = now - timedelta(days=rule.days)
                due = list(session.scalars(self._candidates(session, rule, cutoff)))
                held_back = sum(getattr(r, "case_ref", "") in held for r in due
                                if getattr(r, "case_ref", ""))
                column = self._created_column(rule)
                later = None
                pending = list(session.scalars(
                    self._candidates(session, rule, now + timedelta(days=36500))
                    .where(column >= cutoff).order_by(column).limit(1)))
                if pending:
                    created = getattr(pending[0], column.key)
                    later = created + timedelta(days=rule.days)
                result.append(Expiry(rule, len(due) - held_back, held_back, later))
        return result

    # -- running -----------------------------------------------------------------------------
    def run(self, now: datetime | None = None,
            actor: str = "system:retention") -> list[Certificate]:
        """Apply every rule; write one deletion certificate per rule that removed something."""
        now = now or utcnow()
        certificates = []
        for rule in self.rules:
            cutoff = now - timedelta(days=rule.days)
            with self.database.write_session() as session:
                held = self.held_cases(session)
                records = list(session.scalars(self._candidates(session, rule, cutoff)))
                kept = [r for r in records if getattr(r, "case_ref", "") in held
                        and getattr(r, "case_ref", "")]
                erased = [r for r in records if r not in kept]
                if not erased and not kept:
                    continue
                references = sorted(self._reference(r) for r in erased)
                for record in erased:
                    self.erase_record(session, rule, record, now)
                certificate: dict[str, Any] = {
                    "actor": actor, "rule": rule.rule, "category": rule.category,
                    "action": rule.action, "retention_days": rule.days,
                    "cutoff": cutoff.isoformat(timespec="seconds"), "count": len(erased),
                    "held_back": len(kept),
                    "references_digest": "sha256:" + hashlib.sha256(
                        "\n".join(references).encode()).hexdigest(),
                }
                # The erased decisions by id (random references, no personal data): `accord
                # ledger verify` accepts a decision row without content only when a
                # certificate names it, which tells lawful erasure from tampering.
                decision_ids = sorted(r.id for r in erased if isinstance(r, Decision))
                if decision_ids:
                    certificate["decisions"] = decision_ids
                seq = self.ledger.append(session, "deletion-certificate", certificate)
            certificates.append(Certificate(rule.category, len(erased), len(kept), cutoff, seq))
        return certificates

    @staticmethod
    def _reference(record: Any) -> str:
        if isinstance(record, Decision):
            return f"decision:{record.id}"
        if isinstance(record, LoginFailure):
            return f"login-failure:{record.id}"
        if isinstance(record, InterviewReport):
            return f"public-report:{record.reference}"
        if isinstance(record, Case):
            return f"case:{record.reference}"
        return f"job:{record.id}"

    @staticmethod
    def erase_record(session: Any, rule: RetentionRule, record: Any, now: datetime) -> None:
        """Erase or delete one expired record (shared with rights-request deletion)."""
        if isinstance(record, Decision):
            record.inputs = None
            record.output = None
            record.salt = None  # the ledger's digests become unlinkable to any content
            # A reviewer's corrected output is decision content too; their reason stays as
            # the record of human oversight.
            session.execute(update(Review).where(Review.decision_id == record.id)
                            .values(edited_output=None))
            if record.status != "completed":
                record.explanation = ""
            record.erased_at = now
        elif isinstance(record, LoginFailure):
            session.execute(delete(LoginFailure).where(LoginFailure.id == record.id))
        elif isinstance(record, InterviewReport):
            session.execute(delete(InterviewReport).where(InterviewReport.id == record.id))
        elif isinstance(record, Case):
            # The ORM cascade removes persons, documents, events, statements, evidence records,
            # custody and tasks; the search index rows go with the case.
            from accord.cases.search import remove_case

            remove_case(session, record.id)
            session.delete(record)
        elif isinstance(record, Job):
            record.result = None
            record.message = "result erased under retention rule"
