"""Human review of AI outputs, and the automation-bias monitor.

A reviewer confirms, edits or rejects an output with a reason; the decision is ledgered. The
monitor shows review latency and how often reviewers override the model, per capability and
model version: an override rate near zero with very short latencies suggests rubber-stamping.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.core.db import Database, utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.models import Decision, Review
from accord.core.gateway.service import Caller
from accord.core.i18n import M_, N_
from accord.core.ledger.store import LedgerService, digest

ACTIONS = ("confirm", "edit", "reject")


@dataclass(frozen=True)
class MonitorRow:
    capability_id: str
    model_version: str
    decided: int
    pending: int
    overrides: int
    override_rate: float | None
    median_latency_s: float | None
    p90_latency_s: float | None


def percentile(values: Sequence[float], p: int) -> float | None:
    """The ``p``-th percentile (1..99) by linear interpolation between the closest ranks: the
    "inclusive" method of :func:`statistics.quantiles` (numpy's default ``linear``, Excel's
    PERCENTILE.INC). Never below the median for p ≥ 50; one value is its own percentile.
    """
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


class ReviewService:
    def __init__(self, database: Database, ledger: LedgerService) -> None:
        self.database = database
        self.ledger = ledger

    def pending(self, roles: frozenset[str], limit: int = 100) -> list[tuple[Review, Decision]]:
        with self.database.session() as session:
            rows = session.execute(
                select(Review, Decision).join(Decision, Decision.id == Review.decision_id)
                .where(Review.status == "pending", Review.required_role.in_(sorted(roles)))
                .order_by(Review.created_at).limit(limit)
            ).all()
            return [(review, decision) for review, decision in rows]

    def pending_count(self, roles: frozenset[str], session: Session) -> int:
        """How many outputs wait for a reviewer holding one of ``roles`` (one count query: the
        dashboard asks on every view). Runs in the caller's ``session``: a page holds one
        connection, never two."""
        return int(session.scalar(
            select(func.count()).select_from(Review)
            .where(Review.status == "pending", Review.required_role.in_(sorted(roles)))) or 0)

    def get(self, review_id: int) -> tuple[Review, Decision]:
        with self.database.session() as session:
            review = session.get(Review, review_id)
            if review is None:
                raise NotFound()
            decision = session.get(Decision, review.decision_id)
            assert decision is not None
            return review, decision

    def decide(self, review_id: int, reviewer: Caller, action: str, reason: str = "",
               edited_output: dict[str, Any] | None = None) -> int:
        """Record a reviewer's decision and ledger it; returns the ledger sequence number."""
        if action not in ACTIONS:
            raise ValidationFailed(detail=M_("action: one of %(actions)s",
                                             actions=', '.join(ACTIONS)))
        reason = reason.strip()
        if action in ("edit", "reject") and not reason:
            raise ValidationFailed(detail=M_("reason: required when editing or rejecting"))
        if action == "edit" and not edited_output:
            raise ValidationFailed(detail=M_("edited output: required when editing"))
        with self.database.write_session() as session:
            review = session.get(Review, review_id)
            if review is None:
                raise NotFound()
            decision = session.get(Decision, review.decision_id)
            assert decision is not None
            if review.status != "pending":
                raise Conflict(detail=M_("review %(review_id)s was already decided (%(status)s)",
                                         review_id=review_id, status=review.status))
            if review.required_role not in reviewer.roles:
                raise PermissionDenied(N_("Only a %(role)s may review this output."),
                                       role=review.required_role)
            if decision.actor_id == reviewer.user_id:
                raise PermissionDenied(N_("You cannot review your own AI request."))
            status = {"confirm": "confirmed", "edit": "edited", "reject": "rejected"}[action]
            salt = bytes.fromhex(decision.salt) if decision.salt else b""
            seq = self.ledger.append(session, "review", {
                "actor": f"user:{reviewer.user_id}", "roles": sorted(reviewer.roles),
                "capability": {"id": decision.capability_id,
                               "version": decision.capability_version},
                "decision": decision.id, "action": action,
                "reason_digest": digest(salt, reason) if reason else "",
                "edited_output_digest": digest(salt, edited_output) if edited_output else "",
                "case_ref": decision.case_ref,
            })
            review.status = status
            review.reviewer_id = reviewer.user_id
            review.reason = reason
            review.edited_output = edited_output
            review.decided_at = utcnow()
            review.ledger_seq = seq
            decision.review_status = status
            return seq

    def monitor(self) -> list[MonitorRow]:
        with self.database.session() as session:
            reviews = list(session.scalars(select(Review)))
        groups: dict[tuple[str, str], list[Review]] = {}
        for review in reviews:
            groups.setdefault((review.capability_id, review.model_version), []).append(review)
        rows = []
        for (capability_id, model_version), items in sorted(groups.items()):
            decided = [r for r in items if r.status != "pending"]
            overrides = sum(r.status in ("edited", "rejected") for r in decided)
            latencies = sorted((r.decided_at - r.created_at).total_seconds()
                               for r in decided if r.decided_at)
            rows.append(MonitorRow(
                capability_id=capability_id, model_version=model_version, decided=len(decided),
                pending=len(items) - len(decided), overrides=overrides,
                override_rate=overrides / len(decided) if decided else None,
                median_latency_s=statistics.median(latencies) if latencies else None,
                p90_latency_s=percentile(latencies, 90),
            ))
        return rows


__all__ = ["ACTIONS", "MonitorRow", "ReviewService", "percentile"]
