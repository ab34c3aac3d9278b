"""Fixtures for the governance spine: a gateway with the shipped registry plus test-only
capabilities (a slow one, a review-required one), on this test's database."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest

from accord.core.db import Database
from accord.core.gateway.review import ReviewService
from accord.core.gateway.service import Caller, GatewayService
from accord.core.governance import Governance, get_governance
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier

CARD = ModelCard(name="test rule", version="t1", digest="", licence="Apache-2.0",
                 source="tests", training_data="none", measured_accuracy="n/a",
                 known_limitations=("test only",))


def _echo(inputs: Mapping[str, Any]) -> ModelOutput:
    return ModelOutput(output={"upper": str(inputs["text"]).upper()},
                       explanation="upper-cased the text", confidence=0.9)


def _slow(inputs: Mapping[str, Any]) -> ModelOutput:
    time.sleep(2)
    return _echo(inputs)


def _test_capability(cid: str, runner: Any, **extra: Any) -> Capability:
    return Capability(
        id=cid, version="1", title_en=cid, title_zh=cid, description_en="test",
        description_zh="测试", risk_tier=extra.pop("risk_tier", RiskTier.LIMITED),
        purposes=frozenset({"victim-assistance"}), legal_bases=frozenset({"consent"}),
        roles=frozenset({"officer"}), inputs={"text": InputSpec(kind="text", max_length=100)},
        model=CARD, runner=runner, **extra,
    )


@pytest.fixture
def governance(accord_env: dict[str, str]) -> Governance:
    gov = get_governance()
    gov.registry.register(_test_capability("test.echo-reviewed", _echo, review_required=True,
                                           review_role="supervisor"))
    gov.registry.register(_test_capability("test.slow", _slow, timeout_seconds=0.2))
    return gov


@pytest.fixture
def gateway(governance: Governance) -> GatewayService:
    return governance.gateway


@pytest.fixture
def reviews(governance: Governance) -> ReviewService:
    return governance.reviews


@pytest.fixture
def officer(make_user) -> Caller:  # type: ignore[no-untyped-def]
    user = make_user("li.wei", *[])
    return Caller(user_id=user.id, username=user.username, roles=frozenset({"officer"}))


@pytest.fixture
def supervisor(make_user) -> Caller:  # type: ignore[no-untyped-def]
    from accord.core.roles import Role

    user = make_user("chen.jie", Role.SUPERVISOR)
    return Caller(user_id=user.id, username=user.username, roles=frozenset({"supervisor"}))


@pytest.fixture
def db(database: Database) -> Database:
    return database
