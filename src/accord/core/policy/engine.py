"""The policy engine: every capability call is checked against Cedar policies before it runs.

Why Cedar (see docs/adr/0002-policy-engine-cedar.md): its semantics are the ones a governed
gateway needs and are fixed by the language, not by our code — a request is denied unless a
``permit`` matches, a matching ``forbid`` always beats every ``permit``, policies are type-checked
against a schema, and each decision says which policies determined it.

Policies live as plain ``*.cedar`` files next to a Cedar schema (``accord.cedarschema``) in a
directory that is versioned in the repository. Every policy carries three annotations:

* ``@id("...")`` — a stable name, used in decisions, the ledger and the admin page;
* ``@reason_en("...")`` / ``@reason_zh("...")`` — the plain-language explanation, in English and
  Simplified Chinese, shown to the person whose request the policy decided.

This module does not know the rules; it loads, validates, evaluates and explains them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cedarpy

__all__ = [
    "DEFAULT_DENY_ID",
    "DEFAULT_POLICY_DIR",
    "EVALUATION_ERROR_ID",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyError",
    "PolicyInfo",
    "PolicyReason",
    "PolicyRequest",
]

DEFAULT_POLICY_DIR = Path(__file__).parent / "policies"
SCHEMA_FILE = "accord.cedarschema"

USER_TYPE = "Accord::User"
CAPABILITY_TYPE = "Accord::Capability"
FAMILY_TYPE = "Accord::CapabilityFamily"
INVOKE_ACTION = {"type": "Accord::Action", "id": "invoke"}

#: Synthetic policy id reported when no permit matched and no forbid fired (Cedar's default deny).
DEFAULT_DENY_ID = "default-deny"
#: Synthetic policy id reported when the engine could not evaluate the request cleanly.
EVALUATION_ERROR_ID = "evaluation-error"

_REQUIRED_ANNOTATIONS = ("id", "reason_en", "reason_zh")
#: How many distinct requests' decisions one engine remembers (see PolicyEngine.authorize).
_DECISION_CACHE_SIZE = 4096
_RESERVED_IDS = frozenset({DEFAULT_DENY_ID, EVALUATION_ERROR_ID})
_SET_FIELDS = (
    "roles",
    "certificates",
    "purposes",
    "legal_bases",
    "required_certificates",
    "capability_roles",
)


class PolicyError(Exception):
    """The policy files cannot be loaded: a parse or schema-validation error, a missing
    annotation, a duplicate id. Raised at start-up so a broken policy never reaches a decision."""


@dataclass(frozen=True)
class PolicyRequest:
    """Everything a decision depends on, as plain values.

    The gateway fills the capability fields from the capability registry and the user fields from
    the account store; the engine turns them into Cedar entities. Keeping the request flat and
    frozen makes it easy to log, hash and replay a decision exactly.

    Set-valued fields accept any iterable of strings and are normalised to ``frozenset``; a bare
    string is rejected because it would silently become a set of characters.
    """

    user_id: str
    roles: frozenset[str]
    certificates: frozenset[str]
    capability_id: str
    risk_tier: str
    purposes: frozenset[str]
    legal_bases: frozenset[str]
    required_certificates: frozenset[str]
    capability_roles: frozenset[str]
    suspended: bool
    purpose: str
    legal_basis: str
    consent_recorded: bool = False
    supervisor_approved: bool = False
    prohibited_use: str = ""
    assessment_cleared: bool = False  # fail closed: a high-risk capability needs it set

    def __post_init__(self) -> None:
        for name in _SET_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise TypeError(f"PolicyRequest.{name} must be a set of strings, not {value!r}")
            object.__setattr__(self, name, frozenset(value))

    @property
    def capability_family(self) -> str:
        """The family the capability belongs to: the id up to the first "." ("forecast" for
        "forecast.hotspots"). Derived from the id, not the registry, so family-wide rules hold
        even when a registry entry is wrong."""
        return self.capability_id.partition(".")[0]


@dataclass(frozen=True)
class PolicyReason:
    """One policy that determined a decision, with its explanation in both languages.

    ``effect`` is ``"permit"`` or ``"forbid"``. The synthetic reasons ``default-deny`` and
    ``evaluation-error`` have effect ``"forbid"``: they explain a denial that no policy file
    states.
    """

    policy_id: str
    effect: str
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class PolicyDecision:
    """The outcome of :meth:`PolicyEngine.authorize`.

    ``reasons`` is never empty: on allow it lists the permits that matched; on deny the forbids
    that fired or, if none fired, one synthetic reason (``default-deny`` or ``evaluation-error``).
    ``policy_version`` identifies the exact policy files used, so a decision can be replayed.
    ``errors`` carries Cedar's evaluation errors; any error makes the decision a denial.
    """

    allowed: bool
    reasons: tuple[PolicyReason, ...]
    policy_version: str
    errors: tuple[str, ...] = ()

    @property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(reason.policy_id for reason in self.reasons)


@dataclass(frozen=True)
class PolicyInfo:
    """A loaded policy, for the admin page that shows what rules are in force."""

    id: str
    effect: str
    reason_en: str
    reason_zh: str
    source: str
    file: str


_DEFAULT_DENY = PolicyReason(
    policy_id=DEFAULT_DENY_ID,
    effect="forbid",
    reason_en=(
        "Denied: no policy allows this request. Requests are refused unless a policy explicitly "
        "allows them: check that the purpose and legal basis are ones this capability is "
        "registered for, and that you hold the certificates and role it requires."
    ),
    reason_zh=(
        "拒绝：没有任何策略允许此请求。除非有策略明确允许，否则请求一律拒绝：请确认用途和法律依据"
        "属于此能力已登记的范围，并确认您持有其要求的资格证书和角色。"
    ),
)

_EVALUATION_ERROR = PolicyReason(
    policy_id=EVALUATION_ERROR_ID,
    effect="forbid",
    reason_en=(
        "Denied: the policy check could not be completed, so the request is refused for safety. "
        "Please report this to the system administrator."
    ),
    reason_zh="拒绝：策略检查未能完成，出于安全考虑拒绝此请求。请向系统管理员报告此问题。",
)


class PolicyEngine:
    """Loads the policy directory once and answers authorization requests.

    Loading parses and validates everything up front, so :meth:`authorize` only evaluates: the
    parsed policy set and schema are reused across calls (re-parsing them per call costs several
    times more than the evaluation itself). An engine is immutable once built and safe to share
    between threads; to pick up changed policy files, build a new engine.
    """

    def __init__(self, policy_dir: Path | None = None) -> None:
        self._dir = Path(policy_dir) if policy_dir is not None else DEFAULT_POLICY_DIR
        schema_path = self._dir / SCHEMA_FILE
        if not schema_path.is_file():
            raise PolicyError(f"policy schema not found: {schema_path}")
        policy_paths = sorted(self._dir.glob("*.cedar"))
        if not policy_paths:
            raise PolicyError(f"no *.cedar policy files in {self._dir}")

        # Read every file once: the same bytes are parsed and hashed into the version.
        contents = {path.name: path.read_bytes() for path in [schema_path, *policy_paths]}
        try:
            self._schema = cedarpy.Schema.from_str(contents[SCHEMA_FILE].decode("utf-8"))
        except ValueError as exc:
            raise PolicyError(f"{SCHEMA_FILE}: invalid Cedar schema: {exc}") from exc

        self._policies: list[PolicyInfo] = []
        static_policies: dict[str, Any] = {}
        for path in policy_paths:
            for info, est in self._load_file(path.name, contents[path.name].decode("utf-8")):
                if info.id in static_policies:
                    other = next(p.file for p in self._policies if p.id == info.id)
                    raise PolicyError(
                        f"{path.name}: duplicate policy @id({info.id!r}), also used in {other}"
                    )
                static_policies[info.id] = est
                self._policies.append(info)

        # Build the set from Cedar's JSON form with each policy's @id as its Cedar policy id, so
        # Cedar's diagnostics (and error messages) name our ids directly.
        policy_json = {"staticPolicies": static_policies, "templates": {}, "templateLinks": []}
        try:
            self._policy_set = cedarpy.PolicySet.from_json_str(json.dumps(policy_json))
        except ValueError as exc:  # pragma: no cover - each file already parsed on its own
            raise PolicyError(f"cannot assemble the policy set: {exc}") from exc

        self._by_id = {info.id: info for info in self._policies}
        self._order = {info.id: index for index, info in enumerate(self._policies)}
        self._version = _version_of(contents)
        self._decisions: dict[PolicyRequest, PolicyDecision] = {}

    def _load_file(self, name: str, text: str) -> list[tuple[PolicyInfo, dict[str, Any]]]:
        """Parse, schema-validate and annotation-check one policy file."""
        try:
            cedarpy.PolicySet.from_str(text)
        except ValueError as exc:
            raise PolicyError(f"{name}: cannot parse Cedar policies: {exc}") from exc

        validation = cedarpy.validate_policies(text, self._schema)
        if not validation.validation_passed:
            names = validation.id_annotations_by_policy_id
            messages = []
            for error in validation.errors:
                where = (
                    f"policy @id({names[error.policy_id]!r})"
                    if error.policy_id in names
                    else (f"policy {error.policy_id}" if error.policy_id else "policies")
                )
                messages.append(f"{name}: {where}: {error.error}")
            raise PolicyError(
                "policies do not validate against the schema:\n" + "\n".join(messages)
            )

        loaded = []
        for number, source in enumerate(_split_policies(text), start=1):
            parsed = json.loads(cedarpy.policies_to_json_str(source))
            if parsed.get("templates"):
                raise PolicyError(
                    f"{name}: policy #{number} is a template (?principal/?resource slots); "
                    "templates are not supported"
                )
            (est,) = parsed["staticPolicies"].values()
            annotations = est.get("annotations") or {}
            missing = [name for name in _REQUIRED_ANNOTATIONS if not annotations.get(name)]
            if missing:
                label = f"@id({annotations['id']!r})" if annotations.get("id") else f"#{number}"
                raise PolicyError(
                    f"{name}: policy {label} is missing "
                    + ", ".join(f'@{name}("...")' for name in missing)
                    + " — every policy needs an id and a reason in English and Chinese"
                )
            if annotations["id"] in _RESERVED_IDS:
                raise PolicyError(f"{name}: @id({annotations['id']!r}) is reserved")
            info = PolicyInfo(
                id=annotations["id"],
                effect=est["effect"],
                reason_en=annotations["reason_en"],
                reason_zh=annotations["reason_zh"],
                source=source,
                file=name,
            )
            loaded.append((info, est))
        return loaded

    @property
    def version(self) -> str:
        """``sha256:<hex>`` over the schema and policy file names and contents. Recorded with
        every decision so it can be tied to the exact rules in force."""
        return self._version

    @property
    def policy_dir(self) -> Path:
        return self._dir

    def policies(self) -> list[PolicyInfo]:
        """The loaded policies in file order (files sorted by name), for display."""
        return list(self._policies)

    def authorize(self, request: PolicyRequest) -> PolicyDecision:
        """Decide whether ``request`` may proceed, and why.

        Fails closed: if Cedar reports any evaluation error, or cannot evaluate at all (for
        example the request does not match the schema), the answer is a denial. Cedar skips a
        policy whose evaluation errors, so an erroring ``forbid`` would otherwise be ignored and
        could let a permit through.

        Decisions are remembered per request. That is exact, not a shortcut: the engine's
        policies never change, Cedar is deterministic, and the request carries every fact the
        decision depends on (the caller's current certificates, whether the capability is
        suspended, …), which the gateway reads afresh for every call — a changed fact is a
        different request. Only clean evaluations are remembered; errors are retried.
        """
        cached = self._decisions.get(request)
        if cached is not None:
            return cached
        decision = self._evaluate(request)
        if not decision.errors:
            if len(self._decisions) >= _DECISION_CACHE_SIZE:
                self._decisions.clear()
            self._decisions[request] = decision
        return decision

    def _evaluate(self, request: PolicyRequest) -> PolicyDecision:
        """Ask Cedar (see :meth:`authorize`)."""
        cedar_request = {
            "principal": {"type": USER_TYPE, "id": request.user_id},
            "action": INVOKE_ACTION,
            "resource": {"type": CAPABILITY_TYPE, "id": request.capability_id},
            "context": {
                "purpose": request.purpose,
                "legal_basis": request.legal_basis,
                "consent_recorded": request.consent_recorded,
                "supervisor_approved": request.supervisor_approved,
                "prohibited_use": request.prohibited_use,
                "assessment_cleared": request.assessment_cleared,
            },
        }
        try:
            result = cedarpy.is_authorized(
                cedar_request, self._policy_set, _entities(request), schema=self._schema
            )
        except Exception as exc:  # fail closed whatever goes wrong inside the engine
            return PolicyDecision(
                allowed=False,
                reasons=(_EVALUATION_ERROR,),
                policy_version=self._version,
                errors=(f"{type(exc).__name__}: {exc}",),
            )

        errors = tuple(result.diagnostics.errors)
        fired = sorted(
            (self._reason(policy_id) for policy_id in result.diagnostics.reasons),
            key=lambda reason: self._order.get(reason.policy_id, len(self._order)),
        )
        if result.allowed and not errors:
            return PolicyDecision(True, tuple(fired), self._version, errors)

        forbids = tuple(reason for reason in fired if reason.effect == "forbid")
        if forbids:
            reasons = forbids
        elif errors or result.decision is not cedarpy.Decision.Deny:
            reasons = (_EVALUATION_ERROR,)
        else:
            reasons = (_DEFAULT_DENY,)
        return PolicyDecision(False, reasons, self._version, errors)

    def _reason(self, policy_id: str) -> PolicyReason:
        info = self._by_id.get(policy_id)
        if info is None:  # pragma: no cover - every policy in the set is in _by_id
            return PolicyReason(policy_id, "forbid", policy_id, policy_id)
        return PolicyReason(info.id, info.effect, info.reason_en, info.reason_zh)


def _entities(request: PolicyRequest) -> list[dict[str, Any]]:
    """The Cedar entities for one request: the user, the capability and its family."""
    family = {"type": FAMILY_TYPE, "id": request.capability_family}
    return [
        {
            "uid": {"type": USER_TYPE, "id": request.user_id},
            "attrs": {
                "roles": sorted(request.roles),
                "certificates": sorted(request.certificates),
            },
            "parents": [],
        },
        {
            "uid": {"type": CAPABILITY_TYPE, "id": request.capability_id},
            "attrs": {
                "risk_tier": request.risk_tier,
                "purposes": sorted(request.purposes),
                "legal_bases": sorted(request.legal_bases),
                "required_certificates": sorted(request.required_certificates),
                "roles": sorted(request.capability_roles),
                "suspended": request.suspended,
            },
            "parents": [family],
        },
        {"uid": family, "attrs": {}, "parents": []},
    ]


def _version_of(contents: dict[str, bytes]) -> str:
    """Hash file names and contents in name order; lengths are included so no two different
    file sets can produce the same byte stream."""
    digest = hashlib.sha256()
    for name in sorted(contents):
        content = contents[name]
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return f"sha256:{digest.hexdigest()}"


def _split_policies(text: str) -> list[str]:
    """Split Cedar policy text into one source string per policy, without comments around it.

    Cedar's parser does not return source spans, so the admin page's "source" is cut from the
    file here: a policy ends at a ``;`` that is outside a string literal and a ``//`` comment.
    Each piece is then parsed on its own, so a wrong cut fails loudly instead of mislabelling.
    """
    pieces: list[str] = []
    start = index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == '"':
            index += 1
            while index < length and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = length if newline == -1 else newline
            continue
        elif char == ";":
            pieces.append(text[start : index + 1])
            start = index + 1
        index += 1
    return [_strip_comments(piece) for piece in pieces]


def _strip_comments(piece: str) -> str:
    """Drop the blank and comment lines before a policy (they belong to the file, not to it)."""
    lines = piece.splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("//")):
        lines.pop(0)
    return "\n".join(lines).strip()
