"""Offline translation with Apertium: real translations through warm pipelines, the interpreter
path (a ledgered "no model" decision) for pairs no engine covers, and a governed call whose
ledger entry holds no input text."""

from __future__ import annotations

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from accord.core.errors import ValidationFailed
from accord.core.gateway.models import Decision, LedgerEntry
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.interpret import translate as tr
from accord.interpret.apertium_warm import WarmPipeline, deformat, reformat

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


def test_stored_en_es_quality_is_what_sacrebleu_measures_now() -> None:
    """The en→es figure shown to officers, recomputed here from scratch: each of the first 200
    FLORES-200 devtest sentences translated one by one through the public ``translate()``
    (not the batch path ``score_route`` used for the stored table), scored with sacrebleu's
    chrF2 and BLEU. Fails when the stored figure is stale (another Apertium version) or when
    ``quality()`` reports anything but the measurement."""
    import sacrebleu

    sources, references = tr.flores_sentences("en", 200), tr.flores_sentences("es", 200)
    hypotheses = [tr.translate(s, "en", "es") for s in sources]
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    bleu = sacrebleu.corpus_bleu(hypotheses, [references], tokenize="13a").score
    q = tr.quality("en", "es")
    assert q["chrf"] == pytest.approx(chrf, abs=0.05)
    assert q["bleu"] == pytest.approx(bleu, abs=0.05)
    assert q["status"] == ("offered" if chrf >= tr.ADVISORY_CHRF else "advisory")
    assert q["measured_on"] == tr.QUALITY_MEASURED_ON and "score_route" in q["command"]


def test_quality_flags_low_pairs_as_advisory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tr.MEASURED_QUALITY, ("en", "es"), 31.0)
    out = tr.run_translate({"text": "The car is red.", "source": "en", "target": "es"})
    assert out.output["quality"]["chrf"] == 31.0
    assert out.output["quality"]["status"] == "advisory"
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
    assert out["quality"]["status"] == "offered" and out["human_path"] is None
    assert "eng-spa" in result.explanation and "chrF2" in result.explanation
    assert result.ledger_seq >= 0
    with database.session() as session:
        entry = json.loads(session.get(LedgerEntry, result.ledger_seq).body)
    assert entry["capability"] == {"id": "interpret.translate",
                                   "version": tr.TRANSLATE_CAPABILITY.version}
    raw = json.dumps(entry, ensure_ascii=False).lower()
    assert "passport" not in raw and "pasaporte" not in raw


# -- warm pipelines ------------------------------------------------------------------------------
def test_stream_format_round_trips_reserved_characters_and_lines() -> None:
    text = "a [b] $c^ \\ <d> / @e {f}\nsecond line"
    assert reformat(deformat(text)) == text + "\n"


def test_warm_pipeline_matches_apertium_spawned_per_call() -> None:
    sentences = tr.flores_sentences("en", 20)
    spawned = tr.spawn_mode("eng-spa", "\n".join(sentences)).rstrip("\n").split("\n")
    warm = [tr.warm_mode("eng-spa", s) for s in sentences]
    assert warm == spawned


def test_warm_pipeline_restarts_after_its_process_dies() -> None:
    pipeline = WarmPipeline(tr.MODES_DIR / "eng-spa.mode")
    try:
        assert "coche" in pipeline.translate("The car is red.")
        assert pipeline.starts == 1
        os.killpg(pipeline._proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        pipeline._proc.wait()  # type: ignore[union-attr]
        assert "coche" in pipeline.translate("The car is blue.")
        assert pipeline.starts == 2
    finally:
        pipeline.close()
    assert not pipeline.running


def test_warm_pipeline_is_thread_safe() -> None:
    sentences = [f"The car number {n} is red." for n in range(24)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda s: tr.warm_mode("eng-spa", s), sentences))
    # Each answer belongs to its own request (no interleaving between threads).
    assert results == [tr.warm_mode("eng-spa", s) for s in sentences]
    assert all(f" {n} " in r and "rojo" in r for n, r in enumerate(results))


def test_flores_comes_from_the_shared_data_directory() -> None:
    from accord.shared_data import shared_dir

    assert tr.flores_dir() == shared_dir() / "data" / "parallel" / "flores200" / "devtest"
    assert len(tr.flores_sentences("zh", 3)) == 3


def test_pair_without_any_engine_is_a_ledgered_no_model_decision(
        accord_env, database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("no.model")
    officer = Caller(user_id=user.id, username=user.username, roles=frozenset({"officer"}))
    result = get_governance().gateway.invoke(officer, GatewayRequest(
        capability_id="interpret.translate", purpose="victim-assistance",
        legal_basis="police-law-art-2",
        inputs={"text": "Where is the police station?", "source": "en", "target": "ar"}))
    out = result.output
    assert out["translation"] is None and out["no_model"] is True
    assert out["message"] == "no model — request an interpreter"
    assert out["human_path"] == "request an interpreter"
    assert out["quality"]["status"] == "no-model"
    assert "en→ar" in result.explanation
    with database.session() as session:
        decision = session.get(Decision, result.decision_id)
        assert decision is not None and decision.status == "completed"
        assert decision.ledger_seq == result.ledger_seq


def test_chinese_source_carries_a_cedict_gloss_even_without_a_model(
        accord_env, database) -> None:  # type: ignore[no-untyped-def]
    out = tr.run_translate({"text": "我的护照被偷了", "source": "zh", "target": "en"}).output
    assert out["no_model"] is True and out["translation"] is None
    gloss = out["gloss"]
    assert gloss["label"] == "Glossary — word-level help, not a translation"
    words = {item["word"]: item for item in gloss["items"]}
    assert "passport" in words["护照"]["readings"][0]["senses"]
    assert "CC BY-SA 4.0" in gloss["attribution"]
