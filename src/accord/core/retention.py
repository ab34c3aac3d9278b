"""Retention rules and the retention classes core owns.

The rules (``retention.yaml`` beside this module) say how long each category of personal data
is kept and what happens then. Each category is a :class:`~accord.core.contract.RetentionClass`
declared by the package that owns the data: core owns AI decision content, refusal details,
failed log-ins and job results; capability packages declare theirs in their ``plugin`` module.
The retention service (governance) applies the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import delete, select, update

from accord.core.accounts.models import LoginFailure
from accord.core.contract import RetentionClass
from accord.core.gateway.models import Decision, Review
from accord.core.jobs.models import Job

ACTIONS = ("erase", "delete")


@dataclass(frozen=True)
class RetentionRule:
    category: str
    description: str
    days: int
    action: str
    rule: str


def load_rules(text: str | None = None, known: set[str] | None = None) -> list[RetentionRule]:
    """Parse retention rules, failing loudly on anything malformed. ``known`` is the set of
    categories some package declares (checked when given)."""
    if text is None:
        text = (files("accord.core") / "retention.yaml").read_text(encoding="utf-8")
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
    if known is not None:
        unknown = {r.category for r in rules} - known
        if unknown:
            raise ValueError("retention rules name unknown categories: "
                             + ", ".join(sorted(unknown)))
    return rules


def retention_days(category: str) -> int | None:
    """The period of one category, for pages that tell the user how long a record is kept."""
    return next((r.days for r in load_rules() if r.category == category), None)


def erase_decision_content(session: Any, record: Decision, now: datetime) -> None:
    record.inputs = None
    record.output = None
    record.salt = None  # the ledger's digests become unlinkable to any content
    # A reviewer's corrected output is decision content too; their reason stays as the record
    # of human oversight.
    session.execute(update(Review).where(Review.decision_id == record.id)
                    .values(edited_output=None))
    if record.status != "completed":
        record.explanation = ""
    record.erased_at = now


def _delete_login_failure(session: Any, record: LoginFailure, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.id == record.id))


def _erase_job(session: Any, record: Job, now: datetime) -> None:
    record.result = None
    record.message = "result erased under retention rule"


def core_retention_classes() -> tuple[RetentionClass, ...]:
    return (
        RetentionClass(
            category="ai-decision-content", created=Decision.created_at,
            candidates=lambda cutoff: select(Decision).where(
                Decision.status == "completed", Decision.erased_at.is_(None),
                Decision.created_at < cutoff),
            erase=erase_decision_content, reference=lambda r: f"decision:{r.id}"),
        RetentionClass(
            category="denied-request-details", created=Decision.created_at,
            candidates=lambda cutoff: select(Decision).where(
                Decision.status != "completed", Decision.erased_at.is_(None),
                Decision.created_at < cutoff),
            erase=erase_decision_content, reference=lambda r: f"decision:{r.id}"),
        RetentionClass(
            category="login-failures", created=LoginFailure.at,
            candidates=lambda cutoff: select(LoginFailure).where(LoginFailure.at < cutoff),
            erase=_delete_login_failure, reference=lambda r: f"login-failure:{r.id}"),
        RetentionClass(
            category="job-results", created=Job.created_at,
            candidates=lambda cutoff: select(Job).where(Job.result.is_not(None),
                                                        Job.created_at < cutoff),
            erase=_erase_job, reference=lambda r: f"job:{r.id}"),
    )
