"""Offline translation with Apertium: real translations, the interpreter path for pairs it does
not cover, and a governed call whose ledger entry holds no input text."""

from __future__ import annotations

import json

import pytest

from accord.core.errors import ValidationFailed
from accord.core.gateway.models import LedgerEntry
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.interpret import translate as tr

# No skip: Accord's system dependencies include apertium and apertium-eng-spa; on a host
# without them these tests fail and say so (UnsupportedPair / TranslationFailed).


def test_english_sentence_is_translated_into_spanish() -> None:
    out = tr.translate("My passport was stolen yesterday.", "en", "es")
    assert "pasaporte" in out.lower()
    assert "passport" not in out.lower()


def test_spanish_to_english_and_back_translation() -> None:
    out = tr.translate("Me robaron el pasaporte.", "es", "en")
    assert "passport" in out.lower()
    back = tr.back_translate(out, "es", "en")
    assert back is not None and "pasaporte" in back.lower()


def test_unsupported_pair_points_to_an_interpreter() -> None:
    with pytest.raises(tr.UnsupportedPair) as raised:
        tr.translate("Where is the station?", "en", "zh")
    text = str(raised.value)
    assert "en→zh" in text and "interpreter" in text


def test_empty_text_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="nothing to translate"):
        tr.translate("   ", "en", "es")


def test_text_over_the_limit_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="at most"):
        tr.translate("a" * (tr.MAX_TEXT_CHARS + 1), "en", "es")


def test_pivot_through_spanish_is_reported() -> None:
    assert ("es", "fr") in tr.AVAILABLE_PAIRS, "apertium-fr-es missing: run scripts/system-deps.sh"
    r = tr.route("en", "fr")
    assert r.pivot == "es" and r.modes == ("eng-spa", "es-fr")
    assert tr.run_translate({"text": "The car is red.", "source": "en",
                             "target": "fr"}).output["pivot"] == "es"


def test_quality_flags_low_pairs_as_advisory(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tr.quality("en", "es") == {"chrf": tr.MEASURED_QUALITY[("en", "es")], "status": "ok"}
    monkeypatch.setitem(tr.MEASURED_QUALITY, ("en", "es"), 31.0)
    out = tr.run_translate({"text": "The car is red.", "source": "en", "target": "es"})
    assert out.output["quality"] == {"chrf": 31.0, "status": "advisory"}
    assert out.output["human_path"] == "request an interpreter"


def test_discovery_maps_apertium_codes_to_iso(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("eng-spa", "spa-eng_US", "eco-es-fr", "fr-es"):
        (tmp_path / f"{name}.mode").write_text("cat\n")
    assert tr.discover_pairs(tmp_path) == {("en", "es"): "eng-spa", ("fr", "es"): "fr-es"}


def test_translation_through_the_gateway_keeps_text_out_of_the_ledger(
        accord_env, database, make_user) -> None:  # type: ignore[no-untyped-def]
    governance = get_governance()
    user = make_user("li.wei")
    officer = Caller(user_id=user.id, username=user.username, roles=frozenset({"officer"}))
    text = "My passport was stolen on the bus this morning."
    result = governance.gateway.invoke(officer, GatewayRequest(
        capability_id="interpret.translate", purpose="victim-assistance",
        legal_basis="police-law-art-2", inputs={"text": text, "source": "en", "target": "es"}))
    out = result.output
    assert "pasaporte" in out["translation"].lower()
    assert out["back_translation"] and "passport" in out["back_translation"].lower()
    assert out["engine"] == "apertium" and out["pivot"] is None
    assert out["quality"]["status"] == "ok" and out["human_path"] is None
    assert "eng-spa" in result.explanation and "chrF2" in result.explanation
    assert result.ledger_seq >= 0
    with database.session() as session:
        entry = json.loads(session.get(LedgerEntry, result.ledger_seq).body)
    assert entry["capability"] == {"id": "interpret.translate", "version": "1.0.0"}
    raw = json.dumps(entry, ensure_ascii=False).lower()
    assert "passport" not in raw and "pasaporte" not in raw
