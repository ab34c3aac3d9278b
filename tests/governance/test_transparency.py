"""The public transparency register: generated from the running system, no log-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accord.core.gateway.service import Caller, GatewayDenied, GatewayRequest
from accord.core.governance import get_governance
from accord.core.ledger.note import NoteVerifier, open_checkpoint
from accord.core.roles import Role


@pytest.fixture
def public_client(accord_env) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from accord.assembly import create_app
    from accord.governance.routes import transparency as public

    app = create_app()
    if not any(getattr(r, "path", "") == "/transparency" for r in app.routes):
        app.include_router(public.router)
    with TestClient(app) as client:
        client.headers["Accept-Language"] = "en"
        yield client


def _calls(make_user, count: int) -> None:  # type: ignore[no-untyped-def]
    user = make_user("li.wei", Role.OFFICER)
    caller = Caller(user.id, user.username, frozenset({"officer"}))
    gateway = get_governance().gateway
    for number in range(count):
        gateway.invoke(caller, GatewayRequest("interpret.langid", "victim-assistance",
                                              "police-law-art-2",
                                              {"text": f"Il mio passaporto numero {number}"}))
    with pytest.raises(GatewayDenied):
        gateway.invoke(caller, GatewayRequest("risk.person-score", "victim-assistance",
                                              "police-law-art-2", {}))


def test_register_json_is_public_and_reflects_live_figures(public_client, make_user) -> None:
    _calls(make_user, 3)
    register = public_client.get("/transparency.json").json()
    [langid] = [c for c in register["capabilities"] if c["id"] == "interpret.langid"]
    assert langid["figures"]["calls_this_month"] == 3
    assert langid["figures"]["share_reviewed_by_a_human"] is None  # no review required
    assert langid["tier2"]["how_it_works"]["weights_digest"].startswith("sha256:")
    assert "95.6%" in langid["eu_ai_act"]["accuracy"]
    refused = {r["id"] for r in register["refused_by_design"]}
    assert refused == {"vision.watchlist-identification", "risk.person-score",
                       "affect.emotion-detection", "affect.credibility-detection"}
    assert all(c["id"] not in refused for c in register["capabilities"])
    # The checkpoint shown is genuinely signed by the published key.
    checkpoint = open_checkpoint(register["ledger"]["latest_checkpoint"],
                                 NoteVerifier(register["ledger"]["public_key"]))
    assert checkpoint.size == 4  # 3 decisions + 1 refusal


def test_register_shows_suspension_at_once(public_client, make_user) -> None:
    boss = make_user("chen.jie", Role.SUPERVISOR)
    get_governance().gateway.set_suspended(
        "interpret.langid", True, Caller(boss.id, boss.username, frozenset({"supervisor"})),
        "accuracy review")
    register = public_client.get("/transparency.json").json()
    [langid] = [c for c in register["capabilities"] if c["id"] == "interpret.langid"]
    assert langid["tier1"]["status"] == "suspended"
    assert langid["tier1"]["suspension_reason"] == "accuracy review"


def test_register_page_in_english_and_chinese_without_log_in(public_client, make_user) -> None:
    _calls(make_user, 2)
    english = public_client.get("/transparency")
    assert english.status_code == 200
    assert "Text language identification" in english.text
    assert "Uses Accord refuses by design" in english.text
    assert 'data-testid="calls-this-month">2<' in english.text
    chinese = public_client.get("/transparency", headers={"Accept-Language": "zh-CN"})
    assert "文本语种识别" in chinese.text and "透明度登记册" in chinese.text
    assert "大规模生物特征监控" in chinese.text
