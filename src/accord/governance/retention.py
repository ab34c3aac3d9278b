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
from typing import Any

from sqlalchemy import select

from accord.core.contract import RetentionClass, retention_classes
from accord.core.db import Database, utcnow
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.gateway.models import Decision, LegalHold
from accord.core.i18n import M_, N_
from accord.core.ledger.store import LedgerService
from accord.core.retention import ACTIONS, RetentionRule
from accord.core.retention import load_rules as _load_rules

__all__ = ["ACTIONS", "Certificate", "Expiry", "RetentionRule", "RetentionService",
           "load_rules"]



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
    """The retention rules, each naming a category that core or a package declares."""
    return _load_rules(text, known=set(retention_classes()))


class RetentionService:
    def __init__(self, database: Database, ledger: LedgerService,
                 rules: list[RetentionRule] | None = None) -> None:
        self.database = database
        self.ledger = ledger
        self.classes: dict[str, RetentionClass] = retention_classes()
        self.rules = rules if rules is not None else _load_rules(known=set(self.classes))

    # -- legal holds -------------------------------------------------------------------------
    def hold(self, case_ref: str, reason: str, user_id: int) -> None:
        case_ref, reason = case_ref.strip(), reason.strip()
        if not case_ref or not reason:
            raise ValidationFailed(detail=M_("a legal hold needs a case reference and a reason"))
        with self.database.session() as session:
            existing = session.get(LegalHold, case_ref)
            if existing is not None and existing.released_at is None:
                raise Conflict(detail=M_("case %(case_ref)s is already under legal hold",
                                         case_ref=case_ref))
            if existing is not None:
                session.delete(existing)
                session.flush()
            session.add(LegalHold(case_ref=case_ref, reason=reason, set_by=user_id))

    def release(self, case_ref: str, user_id: int) -> None:
        with self.database.session() as session:
            hold = session.get(LegalHold, case_ref.strip())
            if hold is None or hold.released_at is not None:
                raise NotFound(N_("No active legal hold for case %(case)s."), case=case_ref)
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
    def _class(self, rule: RetentionRule) -> RetentionClass:
        try:
            return self.classes[rule.category]
        except KeyError:
            raise ValueError(f"no package declares retention class {rule.category!r}") from None

    def _candidates(self, session: Any, rule: RetentionRule, cutoff: datetime) -> Any:
        return self._class(rule).candidates(cutoff)

    def _created_column(self, rule: RetentionRule) -> Any:
        return self._class(rule).created

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

    def _reference(self, record: Any) -> str:
        for retention_class in self.classes.values():
            if isinstance(record, retention_class.created.class_):
                return retention_class.reference(record)
        raise TypeError(f"no retention class for {type(record).__name__}")

    def erase_record(self, session: Any, rule: RetentionRule, record: Any,
                     now: datetime) -> None:
        """Erase or delete one expired record (shared with rights-request deletion)."""
        self._class(rule).erase(session, record, now)
