"""The transparency register, generated from the running system — never hand-written.

Fields follow the UK Algorithmic Transparency Recording Standard (tier 1: a short public summary;
tier 2: owner, purpose, how it works, human oversight, data, risks and mitigations, impact
assessments), plus the EU AI Act high-risk fields where they add something (risk class, accuracy,
human-oversight measures, logging). Live figures come from the decision and review tables and the
ledger, so the register cannot drift from what the system does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from accord import __version__
from accord.config import Settings, get_settings
from accord.core.gateway.models import Decision, Review
from accord.core.governance import Governance
from accord.core.i18n import N_
from accord.core.registry import Capability

OWNER = N_("Accord operator (the police service running this installation)")
VERIFY_STEPS = (
    N_("Fetch the signed checkpoint from /ledger/checkpoint and the public keys from "
       "/ledger/public-key."),
    N_("Check the checkpoint's Ed25519 signature with the log key (C2SP signed-note format); a "
       "'witness' signature line shows the data-protection officer's witness cosigned it."),
    N_("Ask the operator or an auditor for an export and run `accord ledger verify --export "
       "DIR`: it recomputes every entry and the Merkle root and needs no access to the "
       "database."),
)
MITIGATIONS = (
    N_("policy check (role, purpose, legal basis, training) before every call"),
    N_("undeclared inputs refused (minimum necessary data)"),
    N_("every decision in a tamper-evident ledger without personal data"),
    N_("stop control: suspension takes effect on the next call"),
)
NO_ASSESSMENT = N_("none recorded yet in this installation")
LOGGING = N_("automatic, tamper-evident (RFC 6962 Merkle tree, signed checkpoints)")


@dataclass(frozen=True)
class CapabilityFigures:
    calls_this_month: int
    denied_this_month: int
    review_required: int
    reviewed: int
    overrides: int

    @property
    def share_reviewed(self) -> float | None:
        return self.reviewed / self.review_required if self.review_required else None

    @property
    def override_rate(self) -> float | None:
        return self.overrides / self.reviewed if self.reviewed else None


def month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def figures(governance: Governance, capability_id: str,
            now: datetime | None = None) -> CapabilityFigures:
    since = month_start(now)
    with governance.gateway.database.session() as session:
        def count(*conditions: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(Decision).where(
                Decision.capability_id == capability_id, Decision.created_at >= since,
                *conditions)) or 0)

        completed = count(Decision.status == "completed")
        denied = count(Decision.status == "denied")
        review_required = count(Decision.status == "completed",
                                Decision.review_status != "not-required")
        statuses = list(session.scalars(select(Review.status).join(
            Decision, Decision.id == Review.decision_id).where(
            Review.capability_id == capability_id, Decision.created_at >= since)))
    reviewed = sum(s != "pending" for s in statuses)
    overrides = sum(s in ("edited", "rejected") for s in statuses)
    return CapabilityFigures(completed, denied, review_required, reviewed, overrides)


def _text(capability: Capability, field: str, language: str) -> str:
    suffix = "zh" if language == "zh_Hans" else "en"
    return str(getattr(capability, f"{field}_{suffix}"))


def _oversight(capability: Capability) -> dict[str, str]:
    if capability.review_required:
        return {
            "en": f"Every output is reviewed by a {capability.review_role} before it can be used; "
                  "reviewers confirm, edit or reject with a reason, and every review is ledgered.",
            "zh": f"每项输出在使用前须经{_role_zh(capability.review_role)}复核；"
                  "复核人可确认、修改或驳回并说明理由，每次复核均记入账本。",
        }
    return {
        "en": "Outputs are suggestions shown to the officer, who decides; every call is ledgered "
              "and can be reviewed afterwards. A supervisor can suspend the capability at once.",
        "zh": "输出仅作为提示呈现给民警，由民警作出决定；每次调用均记入账本，可事后复核。"
              "主管可随时暂停该功能。",
    }


def _role_zh(role: str) -> str:
    return {"supervisor": "主管", "officer": "民警", "dpo": "数据保护官",
            "analyst": "分析员", "interpreter": "译员"}.get(role, role)


def capability_record(governance: Governance, capability: Capability,
                      now: datetime | None = None) -> dict[str, Any]:
    """One register entry (ATRS tier 1 and tier 2 plus live figures)."""
    assert capability.model is not None
    stats = figures(governance, capability.id, now)
    suspended, reason = governance.gateway.suspension(capability.id)
    card = capability.model
    return {
        "id": capability.id,
        "version": capability.version,
        "tier1": {
            "name": {"en": capability.title_en, "zh": capability.title_zh},
            "description": {"en": capability.description_en, "zh": capability.description_zh},
            "purposes": sorted(capability.purposes),
            "status": "suspended" if suspended else "in use",
            "suspension_reason": reason,
        },
        "tier2": {
            "owner": OWNER,
            "legal_bases": sorted(capability.legal_bases),
            "roles_allowed": sorted(capability.roles),
            "training_required": sorted(capability.required_certificates),
            "how_it_works": {"model": card.name, "version": card.version,
                             "weights_digest": card.digest, "licence": card.licence,
                             "source": card.source, "intended_use": card.intended_use},
            "human_oversight": _oversight(capability),
            "data": {"categories": list(capability.data_categories),
                     "training_data": card.training_data,
                     "inputs": sorted(capability.inputs)},
            "risks_and_mitigations": {
                "known_limitations": list(card.known_limitations),
                "mitigations": list(MITIGATIONS),
            },
            "impact_assessments": NO_ASSESSMENT,
        },
        "eu_ai_act": {
            "risk_class": capability.risk_tier.value,
            "accuracy": card.measured_accuracy,
            "logging": LOGGING,
        },
        "figures": {
            "month_start": month_start(now).date().isoformat(),
            "calls_this_month": stats.calls_this_month,
            "refused_this_month": stats.denied_this_month,
            "share_reviewed_by_a_human": stats.share_reviewed,
            "override_rate": stats.override_rate,
            "measured_accuracy": card.measured_accuracy,
        },
        # The model card in Chinese, when it has been translated (None: the Chinese page shows
        # the English record, marked as English).
        "card_zh": {
            "measured_accuracy": card.measured_accuracy_zh,
            "intended_use": card.intended_use_zh,
            "training_data": card.training_data_zh,
            "known_limitations": list(card.known_limitations_zh),
        } if card.in_chinese() else None,
    }


def build_register(governance: Governance, now: datetime | None = None, *,
                   settings: Settings | None = None) -> dict[str, Any]:
    """The whole register as plain data (served as JSON and rendered as HTML)."""
    settings = settings or get_settings()
    capabilities = governance.registry.all()
    latest = governance.ledger.checkpoint()
    witnessed = governance.ledger.witnessed(governance.witness_signer().name)
    return {
        "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "software": f"Accord {__version__}",
        # ATRS tier 2 asks for a contact point: who answers questions about these systems.
        "contact": {"operator": settings.operator_contact,
                    "data_protection_officer": settings.dpo_contact},
        "standard": "UK Algorithmic Transparency Recording Standard (tiers 1 and 2), with "
                    "EU AI Act high-risk fields",
        "policy_version": governance.policy.version,
        "capabilities": [capability_record(governance, c, now) for c in capabilities
                         if not c.prohibited],
        # Each request for a prohibited use is a denied decision of that use: counting them
        # here shows the public how often such requests are made (and refused).
        "refused_by_design": [
            {"id": c.id, "name": {"en": c.title_en, "zh": c.title_zh},
             "why": {"en": c.refusal_en, "zh": c.refusal_zh},
             "refused_this_month": figures(governance, c.id, now).denied_this_month}
            for c in capabilities if c.prohibited
        ],
        "ledger": {
            "latest_checkpoint": latest.note if latest else None,
            "tree_size": latest.size if latest else 0,
            # The witness's memory, published so that anyone who keeps a copy can later hold
            # the log (and its exports) to it: `accord ledger verify --export DIR --checkpoint`.
            "witnessed_checkpoint": witnessed.note if witnessed else None,
            "witnessed_size": witnessed.size if witnessed else 0,
            "public_key": governance.ledger.public_key,
            "witness_key": governance.witness_signer().verifier_key(),
            "how_to_verify": list(VERIFY_STEPS),
        },
    }
