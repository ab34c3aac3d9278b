"""The capability registry: what each AI capability is, may do, and needs.

Every capability declares its risk tier, permitted purposes, accepted legal bases, required
training certificates, the data it processes, whether a human must review its output, and a
model card. The gateway reads nothing else when it decides whether a call may run. Uses that
Accord refuses by design are registered too, as ``prohibited``, so a request for them gets an
explanation instead of a 404 and the refusal is ledgered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from accord.core.errors import NotFound
from accord.core.i18n import N_

if TYPE_CHECKING:
    from accord.core.contract import CapabilityPackage
    from accord.core.subjects import Subject


class RiskTier(StrEnum):
    MINIMAL = "minimal"
    LIMITED = "limited"
    HIGH = "high"
    PROHIBITED = "prohibited"


#: What each risk tier is called on a page (English msgids; the catalog translates them).
RISK_TIER_LABELS: dict[str, str] = {
    RiskTier.MINIMAL.value: N_("Minimal risk"),
    RiskTier.LIMITED.value: N_("Limited risk (transparency obligations)"),
    RiskTier.HIGH.value: N_("High risk"),
    RiskTier.PROHIBITED.value: N_("Prohibited practice"),
}


@dataclass(frozen=True)
class InputSpec:
    """One declared input. Undeclared inputs are rejected (minimum necessary data)."""

    kind: str  # "text" | "choice" | "bool" | "number"
    required: bool = True
    max_length: int = 5000
    choices: tuple[str, ...] = ()
    description: str = ""
    # The kind of object the value refers to ("case", "statement", …): the gateway checks the
    # caller's access to it (``ObjectKind.can_access``) before the model runs. ``many``: the
    # value is a comma-separated list of such references, each checked.
    object_kind: str = ""
    many: bool = False


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    digest: str  # "sha256:…" of the weights file(s); "" only for rule-based components
    licence: str
    source: str
    training_data: str
    measured_accuracy: str
    known_limitations: tuple[str, ...]
    intended_use: str = ""
    # The same card for the Chinese UI (same facts, same figures). A card without them shows
    # its English record, marked as English, until it is translated.
    measured_accuracy_zh: str = ""
    known_limitations_zh: tuple[str, ...] = ()
    intended_use_zh: str = ""
    training_data_zh: str = ""

    def in_chinese(self) -> bool:
        """Whether every text of the card has its Chinese version."""
        return bool(self.measured_accuracy_zh and self.training_data_zh
                    and (self.intended_use_zh or not self.intended_use)
                    and len(self.known_limitations_zh) == len(self.known_limitations))


@dataclass(frozen=True)
class ModelOutput:
    """What a model returns through the gateway."""

    output: dict[str, Any]
    explanation: str
    confidence: float | None = None


Runner = Callable[[Mapping[str, Any]], ModelOutput]


@dataclass(frozen=True)
class Capability:
    id: str
    version: str
    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    risk_tier: RiskTier
    purposes: frozenset[str] = frozenset()
    legal_bases: frozenset[str] = frozenset()
    required_certificates: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()  # empty: any role
    data_categories: tuple[str, ...] = ()
    review_required: bool = False
    review_role: str = "supervisor"
    inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    model: ModelCard | None = None
    runner: Runner | None = None
    timeout_seconds: float = 10.0
    # "process": a heavy model (seconds of CPU per call) runs in the bounded pool of model
    # worker processes, off the web process, and is killed when it overruns timeout_seconds;
    # "thread": a light one runs on a thread of the calling process (see
    # accord.core.gateway.isolation); "inline": a model whose every call is bounded
    # microseconds of CPU (its inputs are length-limited, it does no I/O) runs on the caller's
    # own thread: the hand-off to a thread and back costs more than such a model (~0.2 ms), and
    # there is nothing to time out. Anything that can block or grow with its input is "thread".
    isolation: str = "thread"
    max_concurrent: int = 0  # calls of this capability at once in the process pool; 0: any
    refusal_en: str = ""  # for prohibited uses: why Accord does not do this
    refusal_zh: str = ""
    prohibited_use: str = ""  # the policy context value for prohibited uses
    # The persons an output names (an MRZ read names the document's holder): the gateway links
    # the decision to their subject keys, with those the caller gave in the request.
    output_subjects: Callable[[Mapping[str, Any]], Iterable[Subject]] | None = None

    @property
    def prohibited(self) -> bool:
        return self.risk_tier is RiskTier.PROHIBITED


#: Where a capability's model runs (see ``Capability.isolation``).
ISOLATIONS = ("thread", "process", "inline")

#: The size of ``decisions.model_version`` (and reviews'): see ``core/gateway/models.py``.
MODEL_VERSION_CHARS = 128


class CapabilityRegistry:
    def __init__(self) -> None:
        self._capabilities: dict[str, Capability] = {}

    def register(self, capability: Capability) -> Capability:
        if capability.id in self._capabilities:
            raise ValueError(f"capability {capability.id!r} is already registered")
        if not capability.prohibited and capability.runner is None:
            raise ValueError(f"capability {capability.id!r} has no runner")
        if not capability.prohibited and capability.model is None:
            raise ValueError(f"capability {capability.id!r} has no model card")
        if capability.isolation not in ISOLATIONS:
            raise ValueError(f"capability {capability.id!r}: isolation must be one of "
                             f"{', '.join(ISOLATIONS)}")
        if capability.model is not None and len(capability.model.version) > MODEL_VERSION_CHARS:
            # Every decision records it: PostgreSQL refuses a longer value (SQLite would keep
            # it), so the capability would fail on one database only.
            raise ValueError(f"capability {capability.id!r}: model version longer than "
                             f"{MODEL_VERSION_CHARS} characters")
        self._capabilities[capability.id] = capability
        return capability

    def get(self, capability_id: str) -> Capability:
        try:
            return self._capabilities[capability_id]
        except KeyError:
            raise NotFound(N_("Unknown capability: %(id)s"), id=capability_id) from None

    def all(self) -> list[Capability]:
        return sorted(self._capabilities.values(), key=lambda c: c.id)

    def __contains__(self, capability_id: object) -> bool:
        return capability_id in self._capabilities


def _prohibited(cid: str, use: str, title_en: str, title_zh: str, why_en: str,
                why_zh: str) -> Capability:
    return Capability(
        id=cid, version="0", title_en=title_en, title_zh=title_zh,
        description_en=why_en, description_zh=why_zh, risk_tier=RiskTier.PROHIBITED,
        refusal_en=why_en, refusal_zh=why_zh, prohibited_use=use,
    )


PROHIBITED_USES: tuple[Capability, ...] = (
    _prohibited(
        "vision.watchlist-identification", "watchlist-face-identification",
        "Face identification against watchlists", "基于布控名单的人脸识别",
        "Accord does not identify people in crowds or footage against watchlists, in real time "
        "or afterwards. It is mass biometric surveillance with the gravest risks and the weakest "
        "legal footing. Lawful alternatives: face redaction, and 1:1 verification with recorded "
        "consent.",
        "Accord 不对人群或录像中的人员进行基于布控名单的识别（无论实时还是事后）。"
        "这属于大规模生物特征监控，风险最大、法律依据最弱。"
        "合法替代方案：人脸打码，以及经记录同意的一对一核验。",
    ),
    _prohibited(
        "risk.person-score", "person-risk-score",
        "Person-level risk scores", "个人风险评分",
        "Accord does not score individuals' risk of offending. Person-level risk lists inherit "
        "bias from historical data and are opaque to the people they affect. Lawful alternative: "
        "place-based forecasting with fairness audits.",
        "Accord 不对个人的违法犯罪风险打分。个人风险名单会继承历史数据中的偏见，且对当事人不透明。"
        "合法替代方案：附公平性审计的基于地点的预测。",
    ),
    _prohibited(
        "affect.emotion-detection", "emotion-detection",
        "Emotion detection", "情绪识别",
        "Accord does not infer emotions from faces, voices or text. The science is unreliable "
        "across cultures and the EU AI Act prohibits it in law enforcement settings like this.",
        "Accord 不从面部、声音或文本推断情绪。其科学依据在不同文化间并不可靠，欧盟《人工智能法》"
        "也禁止在此类执法场景中使用。",
    ),
    _prohibited(
        "affect.credibility-detection", "credibility-detection",
        "Credibility or lie detection", "可信度或测谎判断",
        "Accord does not judge whether a person is telling the truth. Inconsistency hints between "
        "statements are offered instead, and a human weighs them.",
        "Accord 不判断当事人是否说真话。系统只提供陈述之间的不一致提示，由人来权衡。",
    ),
)


def build_registry(packages: Iterable[CapabilityPackage] | None = None) -> CapabilityRegistry:
    """The registry of the prohibited uses plus every capability the packages declare (by
    default, the packages the assembly module installed)."""
    from accord.core.contract import installed

    registry = CapabilityRegistry()
    for capability in PROHIBITED_USES:
        registry.register(capability)
    packages = installed() if packages is None else tuple(packages)
    kinds: set[str] = set()
    for package in packages:
        for kind in package.objects():
            if kind.kind in kinds:
                raise ValueError(f"object kind {kind.kind!r} is declared twice")
            kinds.add(kind.kind)
    # Certificates that a training package says a capability needs: added to the capability's
    # own, so the policy's permit (which checks required_certificates) enforces them.
    required: dict[str, set[str]] = {}
    for package in packages:
        for requirement in package.certificate_requirements():
            required.setdefault(requirement.capability_id, set()).add(requirement.certificate)
    for package in packages:
        for capability in package.capabilities():
            if capability.id in required:
                capability = replace(capability, required_certificates=(
                    capability.required_certificates | required.pop(capability.id)))
            for name, spec in capability.inputs.items():
                # A configuration error, found when the registry is built, not at call time: an
                # input whose object nobody owns could never be checked.
                if spec.object_kind and spec.object_kind not in kinds:
                    raise ValueError(f"{capability.id}: input {name!r} refers to object kind "
                                     f"{spec.object_kind!r}, which no package declares")
            registry.register(capability)
    if required:  # a configuration error, found at start: a requirement for nothing
        raise ValueError("certificate requirement for an unknown capability: "
                         + ", ".join(sorted(required)))
    return registry
