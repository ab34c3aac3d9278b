"""Tests for the Cedar policy engine and Accord's policy files.

Each rule is tested from both sides (a request it allows and one it denies), and denials are
checked for the policy that fired, so a test fails if a rule is removed, weakened or renamed.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from accord.core.policy import (
    DEFAULT_DENY_ID,
    DEFAULT_POLICY_DIR,
    EVALUATION_ERROR_ID,
    PolicyDecision,
    PolicyEngine,
    PolicyError,
    PolicyRequest,
)

# A slice of the capability registry, as the gateway would pass it in.
REGISTRY: dict[str, dict[str, Any]] = {
    "text.summarise": {
        "risk_tier": "limited",
        "purposes": {"case-file-review"},
        "legal_bases": {"criminal-procedure-law"},
        "required_certificates": set(),
        "capability_roles": set(),  # not role-gated
    },
    "interpret.translate": {
        "risk_tier": "limited",
        "purposes": {"interview", "case-communication"},
        "legal_bases": {"criminal-procedure-law", "exit-entry-administration-law"},
        "required_certificates": set(),
        "capability_roles": {"officer", "interpreter"},
    },
    "interpret.langid": {
        "risk_tier": "minimal",
        "purposes": {"interview", "case-communication"},
        "legal_bases": {"criminal-procedure-law", "exit-entry-administration-law"},
        "required_certificates": set(),
        "capability_roles": {"officer", "interpreter"},
    },
    "vision.face-verify": {
        "risk_tier": "high",
        "purposes": {"consented-identity-check", "case-file-review"},
        "legal_bases": {"exit-entry-administration-law"},
        "required_certificates": {"biometrics"},
        "capability_roles": {"officer", "supervisor"},
    },
    "forecast.hotspots": {
        "risk_tier": "high",
        "purposes": {"resource-planning"},
        "legal_bases": {"police-law"},
        "required_certificates": {"forecasting"},
        "capability_roles": {"analyst"},
    },
    "vision.emotion": {
        "risk_tier": "prohibited",
        "purposes": {"interview"},
        "legal_bases": {"criminal-procedure-law"},
        "required_certificates": set(),
        "capability_roles": set(),
    },
}

# A request to each capability that every rule allows, to be varied one field at a time.
GOOD: dict[str, dict[str, Any]] = {
    "text.summarise": {
        "roles": {"officer"},
        "purpose": "case-file-review",
        "legal_basis": "criminal-procedure-law",
    },
    "interpret.translate": {
        "roles": {"officer"},
        "purpose": "interview",
        "legal_basis": "criminal-procedure-law",
    },
    "interpret.langid": {
        "roles": {"officer"},
        "purpose": "interview",
        "legal_basis": "criminal-procedure-law",
    },
    "vision.face-verify": {
        "roles": {"officer"},
        "certificates": {"biometrics"},
        "purpose": "consented-identity-check",
        "legal_basis": "exit-entry-administration-law",
        "consent_recorded": True,
        "supervisor_approved": True,
    },
    "forecast.hotspots": {
        "roles": {"analyst"},
        "certificates": {"forecasting"},
        "purpose": "resource-planning",
        "legal_basis": "police-law",
    },
    "vision.emotion": {
        "roles": {"officer"},
        "purpose": "interview",
        "legal_basis": "criminal-procedure-law",
    },
}

PROHIBITED_USES = [
    "watchlist-face-identification",
    "person-risk-score",
    "emotion-detection",
    "credibility-detection",
]


def make_request(capability_id: str, **overrides: Any) -> PolicyRequest:
    """A request to ``capability_id`` built from REGISTRY and GOOD, with ``overrides`` applied."""
    registry = REGISTRY.get(capability_id, REGISTRY["text.summarise"])
    fields: dict[str, Any] = {
        "user_id": "u-1001",
        "roles": set(),
        "certificates": set(),
        "capability_id": capability_id,
        "suspended": False,
        "assessment_cleared": True,
        **registry,
        **GOOD.get(capability_id, GOOD["text.summarise"]),
        **overrides,
    }
    return PolicyRequest(**fields)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine()


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped policy directory."""
    target = tmp_path / "policies"
    shutil.copytree(DEFAULT_POLICY_DIR, target)
    return target


PERMIT_EVERYTHING = """
@id("permit-everything")
@reason_en("Test only: allows every request.")
@reason_zh("仅供测试：允许所有请求。")
permit (principal, action, resource);
"""


def assert_denied_by(decision: PolicyDecision, *policy_ids: str) -> None:
    assert not decision.allowed
    assert set(policy_ids) <= set(decision.policy_ids), decision.policy_ids
    assert all(reason.effect == "forbid" for reason in decision.reasons)


# --- Rule 1: default deny ---------------------------------------------------------------------


def test_default_deny_without_any_permit(policy_copy: Path) -> None:
    # Only forbids left: a request no forbid touches is still denied, by default.
    (policy_copy / "base.cedar").unlink()
    engine = PolicyEngine(policy_copy)
    decision = engine.authorize(make_request("text.summarise"))
    assert not decision.allowed
    assert decision.policy_ids == (DEFAULT_DENY_ID,)


def test_unknown_purpose_is_denied_with_the_default_deny_reason(engine: PolicyEngine) -> None:
    decision = engine.authorize(make_request("text.summarise", purpose="curiosity"))
    assert not decision.allowed
    assert decision.errors == ()
    (reason,) = decision.reasons
    assert reason.policy_id == DEFAULT_DENY_ID
    assert reason.effect == "forbid"
    assert "no policy allows" in reason.reason_en.lower()
    assert "没有任何策略允许" in reason.reason_zh


# --- Rule 2: the generic permit ---------------------------------------------------------------


@pytest.mark.parametrize(
    "capability_id",
    ["text.summarise", "vision.face-verify", "forecast.hotspots", "interpret.translate"],
)
def test_generic_permit_allows_a_registered_request(
    engine: PolicyEngine, capability_id: str
) -> None:
    decision = engine.authorize(make_request(capability_id))
    assert decision.allowed, decision
    assert decision.policy_ids == ("permit-registered-purpose",)
    assert decision.reasons[0].effect == "permit"
    assert decision.errors == ()


@pytest.mark.parametrize(
    "overrides",
    [
        {"purpose": "interview"},  # purpose not registered for this capability
        {"legal_basis": "police-law"},  # legal basis not accepted
        {"required_certificates": {"forecasting"}},  # certificate the user lacks
        {"required_certificates": {"forecasting", "biometrics"}, "certificates": {"biometrics"}},
    ],
    ids=["purpose", "legal-basis", "missing-certificate", "one-of-two-certificates"],
)
def test_generic_permit_needs_every_condition(
    engine: PolicyEngine, overrides: dict[str, Any]
) -> None:
    decision = engine.authorize(make_request("text.summarise", **overrides))
    assert not decision.allowed
    assert decision.policy_ids == (DEFAULT_DENY_ID,)


def test_generic_permit_holds_all_certificates(engine: PolicyEngine) -> None:
    request = make_request(
        "text.summarise",
        required_certificates={"forecasting", "biometrics"},
        certificates={"biometrics", "forecasting", "interpretation-basics"},
    )
    assert engine.authorize(request).allowed


def test_generic_permit_itself_refuses_prohibited_and_suspended(policy_copy: Path) -> None:
    # Defence in depth: with every forbid file removed, the permit alone still refuses them.
    for name in ("prohibited.cedar", "controls.cedar", "capabilities.cedar"):
        (policy_copy / name).unlink()
    engine = PolicyEngine(policy_copy)
    assert engine.authorize(make_request("text.summarise")).allowed
    for overrides in (
        {"risk_tier": "prohibited"},
        {"suspended": True},
        {"prohibited_use": "person-risk-score"},
    ):
        decision = engine.authorize(make_request("text.summarise", **overrides))
        assert decision.policy_ids == (DEFAULT_DENY_ID,), overrides


def test_unknown_risk_tier_is_forbidden(engine: PolicyEngine) -> None:
    decision = engine.authorize(make_request("text.summarise", risk_tier="experimental"))
    assert_denied_by(decision, "forbid-unknown-risk-tier")


# --- Rule 3: translation and role-gated capabilities ------------------------------------------


@pytest.mark.parametrize("capability_id", ["interpret.translate", "interpret.langid"])
@pytest.mark.parametrize("role", ["officer", "interpreter"])
def test_translation_is_open_to_officers_and_interpreters(
    engine: PolicyEngine, capability_id: str, role: str
) -> None:
    decision = engine.authorize(make_request(capability_id, roles={role}))
    assert decision.allowed, decision


@pytest.mark.parametrize("capability_id", ["interpret.translate", "interpret.langid"])
def test_translation_is_closed_to_other_roles(engine: PolicyEngine, capability_id: str) -> None:
    decision = engine.authorize(make_request(capability_id, roles={"auditor", "dpo"}))
    assert_denied_by(decision, "forbid-role-not-allowed")


def test_translation_needs_a_lawful_purpose(engine: PolicyEngine) -> None:
    decision = engine.authorize(make_request("interpret.translate", purpose="personal-errand"))
    assert decision.policy_ids == (DEFAULT_DENY_ID,)


def test_capability_without_roles_is_not_role_gated(engine: PolicyEngine) -> None:
    assert engine.authorize(make_request("text.summarise", roles={"auditor"})).allowed
    assert engine.authorize(make_request("text.summarise", roles=set())).allowed


# --- Rule 4: face verification -----------------------------------------------------------------

FACE_VERIFY_CONDITIONS = [
    ({"purpose": "case-file-review"}, "face-verify-requires-identity-check-purpose"),
    ({"consent_recorded": False}, "face-verify-requires-consent"),
    ({"supervisor_approved": False}, "face-verify-requires-supervisor-approval"),
    # Registry no longer asks for the certificate: the pinned rule still does.
    (
        {"certificates": set(), "required_certificates": set()},
        "face-verify-requires-biometrics-certificate",
    ),
]


def test_face_verification_allowed_with_all_safeguards(engine: PolicyEngine) -> None:
    assert engine.authorize(make_request("vision.face-verify")).allowed


@pytest.mark.parametrize(
    ("overrides", "policy_id"), FACE_VERIFY_CONDITIONS, ids=[c[1] for c in FACE_VERIFY_CONDITIONS]
)
def test_face_verification_denied_without_each_safeguard(
    engine: PolicyEngine, overrides: dict[str, Any], policy_id: str
) -> None:
    decision = engine.authorize(make_request("vision.face-verify", **overrides))
    assert_denied_by(decision, policy_id)
    assert decision.policy_ids == (policy_id,)  # names exactly the missing safeguard


def test_face_verification_names_every_missing_safeguard(engine: PolicyEngine) -> None:
    request = make_request(
        "vision.face-verify",
        purpose="case-file-review",
        consent_recorded=False,
        supervisor_approved=False,
        certificates=set(),
        required_certificates=set(),
    )
    assert_denied_by(
        engine.authorize(request), *(policy_id for _, policy_id in FACE_VERIFY_CONDITIONS)
    )


@pytest.mark.parametrize(
    ("overrides", "policy_id"), FACE_VERIFY_CONDITIONS, ids=[c[1] for c in FACE_VERIFY_CONDITIONS]
)
def test_no_permit_can_open_face_verification(
    policy_copy: Path, overrides: dict[str, Any], policy_id: str
) -> None:
    (policy_copy / "zz-test.cedar").write_text(PERMIT_EVERYTHING, encoding="utf-8")
    engine = PolicyEngine(policy_copy)
    assert engine.authorize(make_request("vision.face-verify")).allowed
    decision = engine.authorize(make_request("vision.face-verify", **overrides))
    assert_denied_by(decision, policy_id)


# --- Rule 5: forecasting is for analysts ------------------------------------------------------


def test_forecasting_allowed_for_analyst(engine: PolicyEngine) -> None:
    assert engine.authorize(make_request("forecast.hotspots")).allowed


def test_forecasting_denied_for_non_analyst(engine: PolicyEngine) -> None:
    request = make_request(
        "forecast.hotspots", roles={"officer", "supervisor"}, certificates={"forecasting"}
    )
    assert_denied_by(
        engine.authorize(request), "forecast-requires-analyst", "forbid-role-not-allowed"
    )


def test_forecasting_rule_holds_even_if_registry_roles_are_wrong(engine: PolicyEngine) -> None:
    # A new forecast capability registered without a role list is still analyst-only, because
    # the rule is pinned to the "forecast" family, which comes from the capability id.
    request = make_request(
        "forecast.trends",
        **{
            **REGISTRY["forecast.hotspots"],
            **GOOD["forecast.hotspots"],
            "capability_roles": set(),
            "roles": {"officer"},
        },
    )
    decision = engine.authorize(request)
    assert_denied_by(decision, "forecast-requires-analyst")
    assert "forbid-role-not-allowed" not in decision.policy_ids
    assert engine.authorize(dataclasses.replace(request, roles=frozenset({"analyst"}))).allowed


# --- Rule 6: prohibited uses ------------------------------------------------------------------


def test_prohibited_tier_is_forbidden(engine: PolicyEngine) -> None:
    decision = engine.authorize(make_request("vision.emotion"))
    assert_denied_by(decision, "forbid-prohibited-risk-tier")


@pytest.mark.parametrize("prohibited_use", PROHIBITED_USES)
def test_named_prohibited_use_is_forbidden_with_its_own_reason(
    engine: PolicyEngine, prohibited_use: str
) -> None:
    decision = engine.authorize(make_request("text.summarise", prohibited_use=prohibited_use))
    assert_denied_by(decision, "forbid-prohibited-use", f"forbid-{prohibited_use}")


def test_unnamed_prohibited_use_is_caught_by_the_catch_all(engine: PolicyEngine) -> None:
    decision = engine.authorize(make_request("text.summarise", prohibited_use="social-scoring"))
    assert decision.policy_ids == ("forbid-prohibited-use",)
    assert not decision.allowed


def test_no_prohibited_use_is_allowed(engine: PolicyEngine) -> None:
    decision = engine.authorize(make_request("text.summarise", prohibited_use=""))
    assert decision.allowed


@pytest.mark.parametrize(
    ("overrides", "policy_id"),
    [
        ({"prohibited_use": "watchlist-face-identification"}, "forbid-prohibited-use"),
        ({"risk_tier": "prohibited"}, "forbid-prohibited-risk-tier"),
        ({"suspended": True}, "forbid-suspended-capability"),
    ],
)
def test_forbid_beats_permit(policy_copy: Path, overrides: dict[str, Any], policy_id: str) -> None:
    # A permit that matches everything is added; the forbid still wins and is named.
    (policy_copy / "zz-test.cedar").write_text(PERMIT_EVERYTHING, encoding="utf-8")
    engine = PolicyEngine(policy_copy)
    assert engine.authorize(make_request("text.summarise")).policy_ids == (
        "permit-registered-purpose",
        "permit-everything",
    )
    decision = engine.authorize(make_request("text.summarise", **overrides))
    assert_denied_by(decision, policy_id)
    assert "permit-everything" not in decision.policy_ids


# --- Rule 7: suspended capability (stop control) ----------------------------------------------


def test_suspended_capability_is_forbidden(engine: PolicyEngine) -> None:
    request = make_request("interpret.translate")
    assert engine.authorize(request).allowed
    decision = engine.authorize(dataclasses.replace(request, suspended=True))
    assert_denied_by(decision, "forbid-suspended-capability")
    assert decision.policy_ids == ("forbid-suspended-capability",)


# --- Explanations -----------------------------------------------------------------------------


def test_reasons_name_the_policy_in_both_languages(engine: PolicyEngine) -> None:
    by_id = {info.id: info for info in engine.policies()}
    decision = engine.authorize(
        make_request(
            "vision.face-verify", consent_recorded=False, prohibited_use="emotion-detection"
        )
    )
    # In load order: files by name, then position in the file.
    assert decision.policy_ids == (
        "face-verify-requires-consent",
        "forbid-prohibited-use",
        "forbid-emotion-detection",
    )
    for reason in decision.reasons:
        info = by_id[reason.policy_id]
        assert reason.effect == info.effect == "forbid"
        assert reason.reason_en == info.reason_en
        assert reason.reason_zh == info.reason_zh
        assert reason.reason_en.startswith("Denied:")
        assert has_chinese(reason.reason_zh)
    assert "consent" in decision.reasons[0].reason_en
    assert "同意" in decision.reasons[0].reason_zh


def test_allow_reason_is_explained_in_both_languages(engine: PolicyEngine) -> None:
    (reason,) = engine.authorize(make_request("text.summarise")).reasons
    assert reason.reason_en.startswith("Allowed:")
    assert reason.reason_zh.startswith("允许")


def test_decision_records_the_policy_version(engine: PolicyEngine) -> None:
    assert engine.authorize(make_request("text.summarise")).policy_version == engine.version
    assert engine.authorize(make_request("vision.emotion")).policy_version == engine.version


def test_policies_listing_for_the_admin_page(engine: PolicyEngine) -> None:
    policies = engine.policies()
    ids = [info.id for info in policies]
    assert len(ids) == len(set(ids))
    assert {
        "permit-registered-purpose",
        "forbid-suspended-capability",
        "forbid-prohibited-use",
        "forecast-requires-analyst",
        "face-verify-requires-consent",
    } <= set(ids)
    assert [info.file for info in policies] == sorted(info.file for info in policies)
    for info in policies:
        assert info.effect in {"permit", "forbid"}
        assert info.reason_en and has_chinese(info.reason_zh)
        assert info.source.startswith(f'@id("{info.id}")')
        assert info.source.endswith(";")
        assert info.source.count(";") >= 1
        assert (DEFAULT_POLICY_DIR / info.file).is_file()
        assert info.source in (DEFAULT_POLICY_DIR / info.file).read_text(encoding="utf-8")
    assert [info.effect for info in policies].count("permit") == 1
    policies.clear()  # a copy: the engine's list is untouched
    assert engine.policies()


# --- Versioning -------------------------------------------------------------------------------


def test_version_is_a_sha256_of_the_policy_files(engine: PolicyEngine, policy_copy: Path) -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", engine.version)
    assert PolicyEngine(policy_copy).version == engine.version  # same files, same version


def test_version_changes_when_a_policy_file_changes(
    engine: PolicyEngine, policy_copy: Path
) -> None:
    path = policy_copy / "controls.cedar"
    path.write_text(path.read_text(encoding="utf-8") + "\n// reviewed\n", encoding="utf-8")
    changed = PolicyEngine(policy_copy)
    assert changed.version != engine.version
    assert changed.authorize(make_request("text.summarise")).policy_version == changed.version


def test_version_changes_on_a_same_length_edit(engine: PolicyEngine, policy_copy: Path) -> None:
    path = policy_copy / "controls.cedar"
    text = path.read_text(encoding="utf-8")
    assert "Operational controls." in text
    path.write_text(
        text.replace("Operational controls.", "Operational controls!"), encoding="utf-8"
    )
    assert PolicyEngine(policy_copy).version != engine.version


def test_version_changes_when_a_policy_file_is_added(
    engine: PolicyEngine, policy_copy: Path
) -> None:
    (policy_copy / "zz-test.cedar").write_text(PERMIT_EVERYTHING, encoding="utf-8")
    assert PolicyEngine(policy_copy).version != engine.version


def test_version_changes_when_the_schema_changes(engine: PolicyEngine, policy_copy: Path) -> None:
    path = policy_copy / "accord.cedarschema"
    path.write_text(path.read_text(encoding="utf-8") + "\n// reviewed\n", encoding="utf-8")
    assert PolicyEngine(policy_copy).version != engine.version


# --- Loading errors ---------------------------------------------------------------------------


def write_extra(policy_dir: Path, text: str) -> None:
    (policy_dir / "zz-bad.cedar").write_text(text, encoding="utf-8")


def test_syntax_error_raises_policy_error_naming_the_file(policy_copy: Path) -> None:
    write_extra(policy_copy, "permit (principal action resource);")
    with pytest.raises(PolicyError, match=r"zz-bad\.cedar: cannot parse Cedar policies"):
        PolicyEngine(policy_copy)


def test_schema_violation_raises_policy_error_with_the_validation_message(
    policy_copy: Path,
) -> None:
    write_extra(
        policy_copy,
        """
        @id("typo") @reason_en("x") @reason_zh("x")
        forbid (principal, action == Accord::Action::"invoke", resource is Accord::Capability)
        when { resource.suspendd };
    """,
    )
    with pytest.raises(PolicyError) as caught:
        PolicyEngine(policy_copy)
    message = str(caught.value)
    assert "do not validate against the schema" in message
    assert "zz-bad.cedar: policy @id('typo')" in message
    assert "suspendd" in message


def test_type_error_raises_policy_error(policy_copy: Path) -> None:
    write_extra(
        policy_copy,
        """
        @id("types") @reason_en("x") @reason_zh("x")
        forbid (principal, action == Accord::Action::"invoke", resource)
        when { context.consent_recorded == "yes" };
    """,
    )
    with pytest.raises(PolicyError, match="types"):
        PolicyEngine(policy_copy)


@pytest.mark.parametrize("missing", ["id", "reason_en", "reason_zh"])
def test_missing_annotation_raises_policy_error(policy_copy: Path, missing: str) -> None:
    annotations = {"id": "x", "reason_en": "Denied.", "reason_zh": "拒绝。"}
    del annotations[missing]
    text = "".join(f'@{k}("{v}")\n' for k, v in annotations.items())
    write_extra(policy_copy, text + "forbid (principal, action, resource);")
    with pytest.raises(PolicyError, match=rf'zz-bad\.cedar: .*missing @{missing}\("\.\.\."\)'):
        PolicyEngine(policy_copy)


def test_duplicate_policy_id_raises_policy_error(policy_copy: Path) -> None:
    write_extra(
        policy_copy, PERMIT_EVERYTHING.replace("permit-everything", "forbid-prohibited-use")
    )
    with pytest.raises(PolicyError, match=r"duplicate policy @id\('forbid-prohibited-use'\)"):
        PolicyEngine(policy_copy)


def test_reserved_policy_id_raises_policy_error(policy_copy: Path) -> None:
    write_extra(policy_copy, PERMIT_EVERYTHING.replace("permit-everything", DEFAULT_DENY_ID))
    with pytest.raises(PolicyError, match="reserved"):
        PolicyEngine(policy_copy)


def test_templates_are_rejected(policy_copy: Path) -> None:
    write_extra(policy_copy, PERMIT_EVERYTHING.replace("principal,", "principal == ?principal,"))
    with pytest.raises(PolicyError, match="template"):
        PolicyEngine(policy_copy)


def test_invalid_schema_raises_policy_error(policy_copy: Path) -> None:
    (policy_copy / "accord.cedarschema").write_text("namespace Accord { entity ", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"accord\.cedarschema: invalid Cedar schema"):
        PolicyEngine(policy_copy)


def test_missing_schema_or_policies_raise_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="schema not found"):
        PolicyEngine(tmp_path)
    shutil.copy(DEFAULT_POLICY_DIR / "accord.cedarschema", tmp_path)
    with pytest.raises(PolicyError, match=r"no \*\.cedar policy files"):
        PolicyEngine(tmp_path)


def test_semicolons_in_strings_and_comments_do_not_split_policies(policy_copy: Path) -> None:
    write_extra(
        policy_copy,
        """
        // a comment; with a semicolon and a "quote
        @id("tricky") @reason_en("Denied; \\"quoted\\" reason.") @reason_zh("拒绝；原因。")
        forbid (principal, action == Accord::Action::"invoke", resource is Accord::Capability)
        when { context.purpose == "a;b" }; // trailing; comment
    """,
    )
    engine = PolicyEngine(policy_copy)
    (info,) = [info for info in engine.policies() if info.id == "tricky"]
    assert info.reason_en == 'Denied; "quoted" reason.'
    assert info.source.startswith('@id("tricky")')
    assert info.source.endswith('"a;b" };')
    decision = engine.authorize(make_request("text.summarise", purpose="a;b"))
    assert decision.policy_ids == ("tricky",)


# --- Failing closed ---------------------------------------------------------------------------


def test_evaluation_error_denies_even_when_a_permit_matches(policy_copy: Path) -> None:
    # Cedar skips a policy whose evaluation errors. Here the erroring policy is a forbid that
    # would be silently ignored, so the engine must deny rather than trust the permit.
    write_extra(
        policy_copy,
        """
        @id("overflowing-forbid") @reason_en("x") @reason_zh("x")
        forbid (principal, action == Accord::Action::"invoke", resource)
        when { 9223372036854775807 + 1 > 0 };
    """,
    )
    decision = PolicyEngine(policy_copy).authorize(make_request("text.summarise"))
    assert not decision.allowed
    assert decision.policy_ids == (EVALUATION_ERROR_ID,)
    assert any("overflowing-forbid" in error for error in decision.errors)


def test_request_not_matching_the_schema_is_denied(engine: PolicyEngine) -> None:
    decision = engine.authorize(make_request("text.summarise", risk_tier=3))
    assert not decision.allowed
    assert decision.policy_ids == (EVALUATION_ERROR_ID,)
    assert decision.errors
    assert has_chinese(decision.reasons[0].reason_zh)


def test_request_rejects_a_string_where_a_set_is_expected() -> None:
    with pytest.raises(TypeError, match="roles must be a set of strings"):
        make_request("text.summarise", roles="officer")


def test_request_normalises_sets() -> None:
    request = make_request("text.summarise", roles=["officer", "officer"])
    assert request.roles == frozenset({"officer"})
    assert isinstance(request.purposes, frozenset)
    assert hash(request) == hash(make_request("text.summarise", roles={"officer"}))


def test_high_risk_capability_needs_approved_assessments(engine: PolicyEngine) -> None:
    request = make_request("forecast.hotspots", roles={"analyst"}, assessment_cleared=False)
    decision = engine.authorize(request)
    assert not decision.allowed
    assert "forbid-high-risk-without-assessment" in decision.policy_ids
    assert engine.authorize(make_request("forecast.hotspots", roles={"analyst"})).allowed


def test_assessment_gate_does_not_touch_lower_tiers(engine: PolicyEngine) -> None:
    request = make_request("interpret.translate", roles={"officer"}, assessment_cleared=False)
    assert request.risk_tier != "high"
    assert engine.authorize(request).allowed
