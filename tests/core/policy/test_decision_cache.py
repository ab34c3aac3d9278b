"""PolicyEngine remembers decisions per request: a repeated request gets the same decision
without asking Cedar again, and any changed fact (suspension, a certificate) is a new request,
so the cache can never carry a decision across a change of facts."""

from __future__ import annotations

from typing import Any

import cedarpy
import pytest

from accord.core.policy import EVALUATION_ERROR_ID, PolicyEngine, PolicyRequest


def _request(**overrides: Any) -> PolicyRequest:
    fields: dict[str, Any] = {
        "user_id": "7",
        "roles": {"officer"},
        "certificates": set(),
        "capability_id": "interpret.langid",
        "risk_tier": "minimal",
        "purposes": {"victim-assistance"},
        "legal_bases": {"police-law-art-2"},
        "required_certificates": set(),
        "capability_roles": {"officer"},
        "suspended": False,
        "purpose": "victim-assistance",
        "legal_basis": "police-law-art-2",
        **overrides,
    }
    return PolicyRequest(**fields)


def test_a_repeated_request_is_answered_from_the_cache(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = PolicyEngine()
    first = engine.authorize(_request())
    assert first.allowed
    calls = []
    real = cedarpy.is_authorized
    monkeypatch.setattr(cedarpy, "is_authorized", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert engine.authorize(_request()) == first
    assert calls == []


@pytest.mark.parametrize(
    "change", [{"suspended": True}, {"roles": {"analyst"}}, {"purpose": "curiosity"}]
)
def test_a_changed_fact_is_decided_afresh(change: dict[str, Any]) -> None:
    engine = PolicyEngine()
    assert engine.authorize(_request()).allowed
    assert not engine.authorize(_request(**change)).allowed
    assert engine.authorize(_request()).allowed


def test_evaluation_errors_are_not_remembered(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = PolicyEngine()
    real = cedarpy.is_authorized

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine failure")

    monkeypatch.setattr(cedarpy, "is_authorized", broken)
    denied = engine.authorize(_request())
    assert not denied.allowed and denied.policy_ids == (EVALUATION_ERROR_ID,)
    monkeypatch.setattr(cedarpy, "is_authorized", real)
    assert engine.authorize(_request()).allowed
