"""Whisper base on real recordings: Simplified Chinese with segment confidences through the
gateway and the CLI, English from LibriSpeech, the pinned model digest, language detection as a
suggestion only, and the PocketSphinx fallback for English.

The clips are real speech (``shared/data/speech``, see its PROVENANCE.md: AISHELL-1, Apache-2.0;
LibriSpeech, CC BY 4.0). The bounds are error rates, never an exact transcript: Whisper base gave
CER 0.17 on the Mandarin clip and WER 0.00 on the English one; the bounds leave room for another
CTranslate2 build but fail on anything that is not recognisably the utterance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.core.db import Database
from accord.core.gateway.models import LedgerEntry
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.interpret import speech, whisper_asr
from accord.interpret import transcribe_capability as tc

ZH, EN = whisper_asr.REAL_CLIPS
MAX_CER_ZH = 0.3
MAX_WER_EN = 0.1


def _clip(clip: whisper_asr.Clip) -> bytes:
    path = whisper_asr.speech_data_dir() / clip.file
    assert path.is_file(), f"real speech clip missing: {path} (see shared/data/speech)"
    return path.read_bytes()


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> object:
    """Join and load the model once for the module."""
    return whisper_asr.load(tmp_path_factory.mktemp("whisper-state"))


def test_english_librispeech_clip(model: object) -> None:
    audio = speech.load_wav(_clip(EN))
    result = whisper_asr.transcribe(audio.samples, "en")
    metric, value = whisper_asr.error_rate("en", EN.reference, result.text)
    assert metric == "wer" and value <= MAX_WER_EN, result.text
    assert result.segments and all(s.avg_logprob > -1.0 for s in result.segments)


def test_cli_gives_simplified_chinese_with_segment_confidences(  # type: ignore[no-untyped-def]
    model: object, make_user, database: Database, tmp_path: Path
) -> None:
    from accord.cli import app

    make_user("wh.officer", Role.OFFICER)
    wav = tmp_path / "zh.wav"
    wav.write_bytes(_clip(ZH))
    done = CliRunner().invoke(app, ["transcribe", str(wav), "--lang", "zh", "--user",
                                    "wh.officer", "--purpose", "victim-assistance", "--json"])
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    text = out["transcript"]
    assert whisper_asr.character_error_rate(ZH.reference, text) <= MAX_CER_ZH, text
    # Simplified, not Traditional: the t2s conversion leaves nothing to convert.
    assert whisper_asr.to_simplified(text) == text and "廣" not in text and "協會" not in text
    assert out["status"] == "draft" and out["language"] == "zh"
    assert out["language_source"] == "given" and out["engine"].startswith("faster-whisper")
    assert out["segments"] and {"avg_logprob", "no_speech_prob", "uncertain"} <= set(
        out["segments"][0])
    with database.session() as session:
        body = session.get(LedgerEntry, out["ledger_seq"]).body
    assert "广州" not in body and "協會" not in body  # the ledger holds no words


def test_auto_language_is_a_suggestion(model: object, make_user) -> None:  # type: ignore[no-untyped-def]
    audio = speech.load_wav(_clip(ZH))
    suggestions = whisper_asr.detect_languages(audio.samples)
    assert suggestions[0][0] == "zh" and len(suggestions) == 3
    assert suggestions[0][1] >= suggestions[1][1] >= suggestions[2][1]


def test_the_joined_model_is_checked_against_the_pinned_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whisper_asr, "MODEL_SHA256", "0" * 64)
    with pytest.raises(whisper_asr.WhisperUnavailable) as caught:
        whisper_asr.model_dir(tmp_path)
    assert "expected 0000" in str(caught.value) and caught.value.status == 503
    folder = tmp_path / whisper_asr.MODEL_SUBDIR
    assert not (folder / "model.bin").exists()  # nothing half-written is left to load
    assert not list(folder.glob("*.partial"))


def test_english_falls_back_to_pocketsphinx_and_other_languages_refuse(  # type: ignore[no-untyped-def]
    make_user, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accord.core.gateway.service import Caller

    def missing(state_dir: object = None) -> object:
        raise whisper_asr.WhisperUnavailable(reason="test: wheels removed")

    monkeypatch.setattr(whisper_asr, "load", missing)
    # The fallback is the runner's own logic: run it here, where the patch is, not in the
    # model worker processes (which would load the real wheels).
    from accord.core.gateway import service as gateway_service

    monkeypatch.setattr(gateway_service, "runs_in_process", lambda capability: False)
    user = make_user("wh.fallback", Role.OFFICER)
    caller = Caller(user_id=user.id, username=user.username, roles=frozenset({"officer"}))
    gateway = get_governance().gateway
    # The clip's first sentence (3 s) keeps the slow fallback decoder's share of the test small.
    full = speech.load_wav(_clip(EN))
    first = speech.to_wav(speech.Audio(full.samples[:3 * speech.SAMPLE_RATE], 3.0,
                                       speech.SAMPLE_RATE, 1, 16, full.level_dbfs))
    call = tc.transcribe_call(gateway, caller, first, language="en",
                              purpose="victim-assistance", legal_basis="police-law-art-2")
    out = call.result.output
    assert out["engine"].startswith("pocketsphinx") and out["status"] == "draft"
    reference = "IT WAS THE FIRST GREAT SORROW OF HIS LIFE"
    assert speech.word_error_rate(reference, out["transcript"]) <= 0.3, out["transcript"]
    with pytest.raises(whisper_asr.WhisperUnavailable):
        tc.transcribe_call(gateway, caller, _clip(ZH), language="zh",
                           purpose="victim-assistance", legal_basis="police-law-art-2")
