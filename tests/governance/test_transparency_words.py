"""The transparency register names a contact point and shows its codes as words."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accord.config import reset_settings_cache
from accord.governance.routes.transparency import LABELS


@pytest.fixture
def public_client(accord_env, monkeypatch) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from accord.assembly import create_app

    monkeypatch.setenv("ACCORD_OPERATOR_CONTACT", "Station 7, Harbour Road · +86 21 5555 0007")
    monkeypatch.setenv("ACCORD_DPO_CONTACT", "DPO office · dpo@station7.example")
    reset_settings_cache()
    with TestClient(create_app()) as client:
        client.headers["Accept-Language"] = "en"
        yield client
    reset_settings_cache()


def _testid(html: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="{name}">(.*?)</dd>', html, re.S)


def test_json_names_the_contact_points_and_explains_every_code(public_client) -> None:  # type: ignore[no-untyped-def]
    register = public_client.get("/transparency.json").json()
    assert register["contact"] == {
        "operator": "Station 7, Harbour Road · +86 21 5555 0007",
        "data_protection_officer": "DPO office · dpo@station7.example"}
    labels = register["labels"]
    assert labels["purposes"]["victim-assistance"] == {"en": "Victim assistance",
                                                       "zh": "协助被害人"}
    assert labels["risk_classes"]["high"]["en"] == "High risk"
    for entry in register["capabilities"]:  # every code the register uses has a label
        for code in entry["tier1"]["purposes"]:
            assert code in LABELS["purposes"], code
            assert labels["purposes"][code]["zh"] != code
        for code in entry["tier2"]["legal_bases"]:
            assert code in LABELS["legal_bases"], code
        assert entry["eu_ai_act"]["risk_class"] in LABELS["risk_classes"]


def test_page_shows_words_in_the_readers_language(public_client) -> None:  # type: ignore[no-untyped-def]
    english = public_client.get("/transparency").text
    assert "Station 7, Harbour Road" in english and "dpo@station7.example" in english
    purposes = " ".join(_testid(english, "purposes"))
    assert ">Victim assistance</span>" in purposes and ">victim-assistance<" not in purposes
    assert "Police Law, Article 2</span>" in " ".join(_testid(english,
                                                                           "legal-bases"))
    assert {re.sub(r"<[^>]+>", "", r) for r in _testid(english, "risk-class")} <= {
        "Minimal risk", "Limited risk (transparency obligations)", "High risk"}
    chinese = public_client.get("/transparency", headers={"Accept-Language": "zh-CN"}).text
    assert ">协助被害人</span>" in " ".join(_testid(chinese, "purposes"))
    assert "联系" in chinese
