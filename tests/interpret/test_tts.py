"""Read-aloud with the Debian espeak-ng program: real audio, per-language voices, clear errors."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import pytest

from accord.interpret import tts
from accord.interpret.library import LANGUAGES, get_library
from accord.interpret.tts import (
    VOICES,
    SpeechFailed,
    UnsupportedSpeechLanguage,
    speak,
    voice_for,
)

SAMPLES = {
    "zh": "您有权要求翻译。我的护照丢了。",
    "ar": "يحق لك الحصول على مترجم.",
    "en": "You have the right to an interpreter.",
}


def _duration(audio: bytes) -> float:
    with wave.open(io.BytesIO(audio)) as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        return wav.getnframes() / wav.getframerate()


@pytest.mark.parametrize("lang", ["zh", "ar", "en"])
def test_speak_produces_a_valid_wav(lang: str) -> None:
    audio = speak(SAMPLES[lang], lang)
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    duration = _duration(audio)
    assert 0.5 < duration < 30, duration


def test_longer_text_gives_longer_audio() -> None:
    short = _duration(speak("护照", "zh"))
    long = _duration(speak("我的护照在地铁站被偷了，请帮我报案。", "zh"))
    assert long > short * 2


def test_every_content_language_has_a_working_voice() -> None:
    assert set(VOICES) == set(LANGUAGES)
    library = get_library()
    for lang in VOICES:
        # Each language reads its own "Choose your language" from the content files.
        assert _duration(speak(library.text("choose_language", lang), lang)) > 0.3, lang


def test_chinese_voice_reads_chinese_not_english_digits() -> None:
    """The plain ``cmn`` voice says 的 as "de five" (English); the chosen voice must not."""
    phonemes = subprocess.run([tts.espeak_path(), "-q", "-x", "-v", VOICES["zh"], "我的护照丢了"],
                              capture_output=True, text=True, check=True).stdout
    assert "(en)" not in phonemes, phonemes


@pytest.mark.parametrize("lang", ["xx", "tlh", "", "zh-TW", "../../etc/passwd"])
def test_unsupported_language_is_a_clear_error(lang: str) -> None:
    with pytest.raises(UnsupportedSpeechLanguage) as caught:
        speak("hello", lang)
    assert caught.value.status == 422
    assert "Supported: zh, en, ru" in str(caught.value)
    with pytest.raises(UnsupportedSpeechLanguage):
        voice_for(lang)


def test_text_is_never_taken_as_an_option() -> None:
    """Text goes on stdin: a text that looks like an option is read, not obeyed."""
    audio = speak("--version -w /tmp/owned.wav", "en")
    assert _duration(audio) > 0.5


def test_empty_or_huge_text_and_timeouts_fail_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SpeechFailed, match="empty"):
        speak("   ", "en")
    with pytest.raises(SpeechFailed, match="longer than"):
        speak("a" * (tts.MAX_TEXT_CHARS + 1), "en")
    with pytest.raises(SpeechFailed, match="no answer within"):
        speak("This sentence takes longer than a microsecond to say.", "en", timeout=1e-6)


def test_missing_program_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SpeechFailed, match="espeak-ng is not installed"):
        speak("hello", "en")


def test_busy_synthesisers_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tts, "QUEUE_SECONDS", 0.05)
    assert tts._concurrency.acquire(timeout=1) and tts._concurrency.acquire(timeout=1)
    try:
        with pytest.raises(SpeechFailed, match="busy"):
            speak("hello", "en")
    finally:
        tts._concurrency.release()
        tts._concurrency.release()
    assert _duration(speak("hello", "en")) > 0
