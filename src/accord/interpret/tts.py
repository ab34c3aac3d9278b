"""Read texts aloud with the Debian ``espeak-ng`` program (GPL-3, run as a separate program).

espeak-ng is a rule-based formant synthesiser, not a trained model: its voices are robotic but
intelligible, it needs no network and nothing to download. It is run as a subprocess with a
timeout, the text on standard input (never on the command line), writing a WAV file into a
private temporary directory.

Voice notes (checked with ``espeak-ng -x``, which prints the phonemes it will say):

* Chinese uses ``cmn-latn-pinyin``. The plain ``cmn`` voice reads the tone digit of neutral-tone
  syllables as an English number (的 → "de five"); the pinyin variant is the same Mandarin voice
  without that flaw.
* Japanese reads kana only; kanji are spoken as "Chinese letter" in English. Japanese audio is
  therefore of little use for texts written with kanji (see ``QUALITY_NOTES``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from accord.core.errors import AccordError
from accord.core.i18n import M_, N_

#: Content language → espeak-ng voice.
VOICES: dict[str, str] = {
    "zh": "cmn-latn-pinyin", "en": "en", "ru": "ru", "ja": "ja", "ko": "ko", "fr": "fr",
    "es": "es", "de": "de", "ar": "ar", "pt": "pt", "vi": "vi", "th": "th",
}
#: Known weaknesses of a voice, in English (shown to officers, not to the public).
QUALITY_NOTES: dict[str, str] = {
    "ja": "espeak-ng reads Japanese kana only; kanji are not pronounced correctly.",
    "ar": "espeak-ng reads Arabic without short vowels marked; pronunciation may be rough.",
}
MAX_TEXT_CHARS = 8000
TIMEOUT_SECONDS = 20.0
QUEUE_SECONDS = 10.0  # how long a request waits for a free synthesiser before giving up
_concurrency = threading.BoundedSemaphore(2)  # 2 CPU cores: never more espeak-ng at once


class UnsupportedSpeechLanguage(AccordError):
    status = 422
    message = N_("No voice for language %(language)s. Supported: %(supported)s.")


class SpeechFailed(AccordError):
    status = 503
    message = N_("Speech synthesis failed: %(reason)s")


def espeak_path() -> str:
    path = shutil.which("espeak-ng")
    if not path:
        raise SpeechFailed(reason=M_("espeak-ng is not installed (Debian package espeak-ng)"))
    return path


def voice_for(lang: str) -> str:
    try:
        return VOICES[lang]
    except KeyError:
        raise UnsupportedSpeechLanguage(language=str(lang)[:16],
                                        supported=", ".join(VOICES)) from None


def speak(text: str, lang: str, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Return ``text`` read aloud in ``lang`` as WAV bytes (16-bit mono PCM, 22 050 Hz)."""
    voice = voice_for(lang)
    text = text.strip()
    if not text:
        raise SpeechFailed(reason=M_("empty text"))
    if len(text) > MAX_TEXT_CHARS:
        raise SpeechFailed(reason=M_("text longer than %(max_text_chars)s characters",
                                     max_text_chars=MAX_TEXT_CHARS))
    program = espeak_path()
    # Waiting threads are web worker threads: give up rather than let them pile up.
    if not _concurrency.acquire(timeout=QUEUE_SECONDS):
        raise SpeechFailed(reason=M_("all synthesisers are busy; try again shortly"))
    try:
        with tempfile.TemporaryDirectory(prefix="accord-tts-") as directory:
            out = Path(directory) / "speech.wav"
            try:
                # -b 1: the input is UTF-8. The text comes on stdin, so it is never an option.
                result = subprocess.run(  # noqa: S603 (fixed program, no shell)
                    [program, "-v", voice, "-b", "1", "-w", str(out)],
                    input=text.encode("utf-8"), capture_output=True, timeout=timeout,
                    check=False)
            except subprocess.TimeoutExpired:
                raise SpeechFailed(reason=M_("no answer within %(timeout)g s",
                                             timeout=timeout)) from None
            if result.returncode != 0 or not out.exists():
                detail = result.stderr.decode("utf-8", "replace").strip()[:200]
                raise SpeechFailed(reason=detail or M_("exit status %(status)s",
                                                       status=result.returncode))
            data = out.read_bytes()
    finally:
        _concurrency.release()
    if len(data) <= 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechFailed(reason=M_("espeak-ng produced no audio"))
    return data
