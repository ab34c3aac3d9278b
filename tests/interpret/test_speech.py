"""Speech: piper reads English that PocketSphinx writes back, espeak-ng for other languages,
bad recordings refused with the reason, transcription through the governed gateway with the
audio deleted unless saved to a case, and the ``accord speak`` / ``accord transcribe`` commands.

No recorded or expected transcript is faked: the audio is synthesised by a real voice and
decoded by the real model, and the check is a word error rate bound, not an exact match.
"""

from __future__ import annotations

import io
import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cases.models import Statement
from accord.cases.service import CaseService
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.gateway.models import Decision, LedgerEntry
from accord.core.gateway.service import Caller
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.interpret import speech
from accord.interpret import transcribe_capability as tc
from accord.interpret.piper_voice import read_aloud, speak_neural_en
from accord.interpret.tts import UnsupportedSpeechLanguage

SENTENCE = "The man took my passport and ran towards the subway station."
#: Clear synthetic speech is decoded nearly exactly (6% WER measured); allow some slack for
#: a different onnxruntime build, but fail on anything that is not recognisably the sentence.
MAX_WER = 0.25


def _wav(samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def spoken() -> bytes:
    """The sentence read by piper's English voice (22 050 Hz mono 16-bit)."""
    return speak_neural_en(SENTENCE, deterministic=True)


def test_word_error_rate() -> None:
    assert speech.word_error_rate("The man ran.", "the man ran") == 0.0
    assert speech.word_error_rate("a b c d", "a x c") == 0.5
    assert speech.word_error_rate("", "") == 0.0


def test_piper_english_is_transcribed_back(spoken: bytes) -> None:
    with wave.open(io.BytesIO(spoken)) as wav:
        assert wav.getframerate() == 22050 and wav.getnchannels() == 1
    result = speech.transcribe(spoken, "en")
    wer = speech.word_error_rate(SENTENCE, result.text)
    assert wer <= MAX_WER, (result.text, wer)
    assert result.seconds > 2 and result.processing_seconds > 0


def test_any_rate_and_channel_count_is_converted(spoken: bytes) -> None:
    """48 kHz stereo 24-bit in: the same words come out (resampling keeps the speech)."""
    with wave.open(io.BytesIO(spoken)) as wav:
        mono = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    from scipy.signal import resample_poly

    up = resample_poly(mono, 320, 147)  # 22 050 → 48 000
    ints = np.clip(np.round(up * 256), -(2**23), 2**23 - 1).astype(np.int32)
    stereo = np.repeat(ints, 2)
    packed = np.stack([stereo & 0xFF, (stereo >> 8) & 0xFF, (stereo >> 16) & 0xFF], axis=1).astype(
        np.uint8
    )
    data = _wav(packed, 48000, channels=2, width=3)
    audio = speech.load_wav(data)
    assert (audio.source_rate, audio.source_channels, audio.source_bits) == (48000, 2, 24)
    assert abs(audio.seconds - mono.size / 22050) < 0.01
    text = speech.decode(audio)
    assert speech.word_error_rate(SENTENCE, text) <= MAX_WER, text


def test_read_aloud_engines() -> None:
    english, engine = read_aloud("You have the right to an interpreter.", "en")
    assert engine == "piper" and english[:4] == b"RIFF"
    french, engine = read_aloud("Vous avez le droit à un interprète.", "fr")
    assert engine == "espeak-ng"
    with wave.open(io.BytesIO(french)) as wav:
        assert wav.getnframes() / wav.getframerate() > 1.0
    forced, engine = read_aloud("Hello.", "en", "espeak")
    assert engine == "espeak-ng" and forced[:4] == b"RIFF"
    with pytest.raises(UnsupportedSpeechLanguage):
        read_aloud("Bonjour.", "fr", "piper")


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"", speech.NoSpeechDetected, "the file is empty"),
        (b"ID3\x04 this is an mp3 file, really", speech.NotAWav, "RIFF/WAVE header"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage", speech.NotAWav, "corrupt"),
        (_wav(np.zeros(0, dtype="<i2"), 16000), speech.NoSpeechDetected, "holds no audio"),
        (_wav(np.zeros(32000, dtype="<i2"), 16000), speech.NoSpeechDetected, "silent"),
        (_wav(np.zeros(121 * 8000, dtype="<i2"), 8000), speech.AudioTooLong, "at most 120"),
    ],
    ids=["empty", "not-wav", "corrupt", "no-frames", "silent", "too-long"],
)
def test_bad_recordings_are_refused_with_the_reason(data: bytes, error: type, words: str) -> None:
    with pytest.raises(error) as caught:
        speech.transcribe(data, "en")
    message = str(caught.value)
    assert words in message and "interpreter" in message
    assert caught.value.status == 422


def test_a_language_without_a_model_names_the_supported_ones_and_the_human_path(
    spoken: bytes,
) -> None:
    # PocketSphinx (the English fallback) refuses Chinese; the service refuses Swahili.
    with pytest.raises(speech.UnsupportedTranscriptionLanguage) as caught:
        speech.transcribe(spoken, "zh")
    assert "zh" in str(caught.value) and "available for: en" in str(caught.value)
    assert "Request an interpreter" in str(caught.value)
    with pytest.raises(speech.UnsupportedTranscriptionLanguage) as caught:
        speech.check_language("sw")
    assert "available for: zh, en, ru" in str(caught.value)


# -- through the gateway -------------------------------------------------------------------------
def _caller(make_user, name: str, *roles: Role) -> Caller:  # type: ignore[no-untyped-def]
    user = make_user(name, *roles)
    return Caller(
        user_id=user.id, username=user.username, roles=frozenset(str(r) for r in user.roles)
    )


def test_gateway_call_ledgers_no_transcript_and_deletes_the_audio(
    database: Database,
    make_user,
    spoken: bytes,  # type: ignore[no-untyped-def]
    accord_env: dict[str, str],
) -> None:
    state = Path(accord_env["ACCORD_STATE_DIR"])
    caller = _caller(make_user, "sp.officer", Role.OFFICER)
    call = tc.transcribe_call(
        get_governance().gateway,
        caller,
        spoken,
        language="en",
        purpose="victim-assistance",
        legal_basis="police-law-art-2",
    )
    out = call.result.output
    assert speech.word_error_rate(SENTENCE, out["transcript"]) <= MAX_WER
    assert out["retention"]["class"] == "ai-decision-content" and out["retention"]["days"] > 0
    assert not call.audio_kept
    store = BlobStore.for_state_dir(state)
    assert not store.path_for(call.audio_sha256).exists()
    assert not any((state / tc.UNSAVED_DIR).iterdir())
    with database.session() as session:
        entry = session.get(LedgerEntry, call.result.ledger_seq)
        decision = session.get(Decision, call.result.decision_id)
        assert entry is not None and decision is not None
        body = entry.body.lower()
        assert entry.capability_id == "interpret.transcribe"
        for word in ("passport", "subway", "station"):
            assert word not in body, f"transcript word {word!r} in the ledger"
        assert "faster-whisper" in body and "input_digest" in body
        assert decision.inputs == {"audio_sha256": call.audio_sha256, "language": "en"}


def test_audio_saved_to_a_case_is_kept_and_an_existing_blob_is_never_deleted(
    database: Database,
    make_user,
    spoken: bytes,  # type: ignore[no-untyped-def]
    accord_env: dict[str, str],
) -> None:
    state = Path(accord_env["ACCORD_STATE_DIR"])
    store = BlobStore.for_state_dir(state)
    caller = _caller(make_user, "sp.officer2", Role.OFFICER)
    with database.session() as session:
        service = CaseService(session, store)
        case = service.create_case(
            case_type="theft-victim", title="Passport taken", officer_id=caller.user_id
        )
        session.commit()

        def save(result, sha256: str) -> int:  # type: ignore[no-untyped-def]
            statement = service.add_statement(
                case,
                person_id=None,
                language="en",
                text=result.output["transcript"],
                origin="transcribed",
                taken_by=caller.user_id,
            )
            statement.audio_sha256 = sha256
            session.commit()
            return statement.id

        call = tc.transcribe_call(
            get_governance().gateway,
            caller,
            spoken,
            language="en",
            purpose="victim-assistance",
            legal_basis="police-law-art-2",
            case_ref=case.reference,
            save=save,
        )
    assert call.audio_kept and call.statement_id is not None
    assert store.verify(call.audio_sha256)
    with database.session() as session:
        statement = session.scalar(select(Statement).where(Statement.id == call.statement_id))
        assert statement is not None and statement.origin == "transcribed"
        assert statement.audio_sha256 == call.audio_sha256
    # The same recording transcribed again without saving: the case's copy stays.
    again = tc.transcribe_call(
        get_governance().gateway,
        caller,
        spoken,
        language="en",
        purpose="victim-assistance",
        legal_basis="police-law-art-2",
    )
    assert again.audio_sha256 == call.audio_sha256 and again.audio_kept
    assert store.verify(call.audio_sha256)


def test_bad_audio_and_refusals_store_nothing(
    database: Database,
    make_user,
    spoken: bytes,  # type: ignore[no-untyped-def]
    accord_env: dict[str, str],
) -> None:
    from accord.core.gateway.service import GatewayDenied

    state = Path(accord_env["ACCORD_STATE_DIR"])
    officer = _caller(make_user, "sp.officer3", Role.OFFICER)
    silent = _wav(np.zeros(16000, dtype="<i2"), 16000)
    with pytest.raises(speech.NoSpeechDetected):
        tc.transcribe_call(
            get_governance().gateway,
            officer,
            silent,
            language="en",
            purpose="victim-assistance",
            legal_basis="police-law-art-2",
        )
    analyst = _caller(make_user, "sp.analyst", Role.ANALYST)
    with pytest.raises(GatewayDenied):
        tc.transcribe_call(
            get_governance().gateway,
            analyst,
            spoken,
            language="en",
            purpose="victim-assistance",
            legal_basis="police-law-art-2",
        )
    blobs = state / "blobs"
    assert not blobs.exists() or not [p for p in blobs.rglob("*") if p.is_file()]


def test_sweep_removes_recordings_left_unsaved_by_a_crash(
    database: Database, accord_env: dict[str, str], spoken: bytes
) -> None:
    state = Path(accord_env["ACCORD_STATE_DIR"])
    left = tc.UnsavedAudio(tc.blob_store(state), spoken, state)  # never discarded: a "crash"
    assert tc.sweep_unsaved(state) == 0  # too recent to be a leftover
    assert tc.sweep_unsaved(state, max_age=0) == 1
    assert not tc.blob_store(state).path_for(left.sha256).exists()


# -- command line -------------------------------------------------------------------------------
def test_cli_speak_and_transcribe(make_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from accord.cli import app

    make_user("sp.cli", Role.OFFICER)
    runner = CliRunner()
    out = tmp_path / "en.wav"
    as_officer = ["--user", "sp.cli", "--purpose", "victim-assistance"]
    done = runner.invoke(app, ["speak", "--lang", "en", SENTENCE, "-o", str(out), *as_officer])
    assert done.exit_code == 0, done.output
    assert "piper" in done.output and out.read_bytes()[:4] == b"RIFF"
    assert re.search(r"ledger entry \d+", done.output)
    french = runner.invoke(
        app, ["speak", "--lang", "fr", "Bonjour.", "-o", str(tmp_path / "fr.wav"), *as_officer]
    )
    assert french.exit_code == 0 and "espeak-ng" in french.output
    heard = runner.invoke(
        app,
        [
            "transcribe",
            str(out),
            "--lang",
            "en",
            "--user",
            "sp.cli",
            "--purpose",
            "victim-assistance",
            "--json",
        ],
    )
    assert heard.exit_code == 0, heard.output
    payload = json.loads(heard.stdout)
    assert speech.word_error_rate(SENTENCE, payload["transcript"]) <= MAX_WER
    assert payload["audio_kept"] is False and payload["ledger_seq"] >= 0
    plain = runner.invoke(
        app, ["transcribe", str(out), "--user", "sp.cli", "--purpose", "victim-assistance"]
    )
    assert plain.exit_code == 0, plain.output
    assert "retention ai-decision-content (90 days) · audio deleted · ledger entry" in plain.output
    wrong = runner.invoke(app, ["transcribe", str(out), "--lang", "sw", "--user", "sp.cli"])
    assert wrong.exit_code == 1 and "error: No speech-to-text model for language sw" in wrong.output
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio")
    bad = runner.invoke(app, ["transcribe", str(junk), "--user", "sp.cli"])
    assert bad.exit_code == 1 and "error: Not a WAV file" in bad.output
    missing = runner.invoke(
        app, ["speak", "--lang", "xx", "Hi", "-o", str(tmp_path / "x.wav"), *as_officer]
    )
    assert missing.exit_code == 1 and "error: No voice for language xx" in missing.output


def test_cli_speak_is_ledgered_and_refused_when_suspended(  # type: ignore[no-untyped-def]
    make_user, database: Database, tmp_path: Path
) -> None:
    from sqlalchemy import func

    from accord.cli import app

    def ledger() -> int:
        with database.session() as session:
            return int(session.scalar(select(func.count()).select_from(LedgerEntry)))

    make_user("sp.admin", Role.ADMIN)
    make_user("sp.speaker", Role.OFFICER)
    runner = CliRunner()
    out = tmp_path / "out.wav"
    args = ["speak", "--lang", "de", "Bitte warten.", "-o", str(out), "--user", "sp.speaker",
            "--purpose", "public-service"]
    anonymous = runner.invoke(app, args[:6])
    assert anonymous.exit_code != 0 and "no user" in anonymous.output
    before = ledger()
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    seq = int(re.search(r"ledger entry (\d+)", done.output).group(1))
    assert ledger() == before + 1
    with database.session() as session:
        record = session.scalar(select(Decision).where(Decision.ledger_seq == seq))
        assert record.capability_id == "interpret.speak" and record.purpose == "public-service"
        assert "audio" not in json.dumps(record.inputs)  # the text, language and engine only
    suspended = runner.invoke(app, ["capabilities", "suspend", "interpret.speak", "--reason",
                                    "voice under review", "--user", "sp.admin"])
    assert suspended.exit_code == 0, suspended.output
    out.unlink()
    before = ledger()
    refused = runner.invoke(app, args)
    assert refused.exit_code == 3
    assert "refused: " in refused.output and "suspended: voice under review" in refused.output
    assert not out.exists() and ledger() == before + 1  # the refusal is ledgered
