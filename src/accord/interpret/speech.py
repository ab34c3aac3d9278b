"""The checks every recording passes first, and PocketSphinx, the small English fallback engine.

Speech recognition for the twelve content languages is Whisper base
(:mod:`accord.interpret.whisper_asr`). PocketSphinx (the ``pocketsphinx`` wheel carries the CMU
US-English acoustic model, language model and dictionary) was the first engine; measured on the
real LibriSpeech clip it makes 10 % word errors where Whisper makes none, so it is kept only
as the English fallback when the Whisper model is not installed (29 MB, real-time factor 0.3).
Any language without a model is refused with the human path (request an interpreter).

Input is a WAV file of any sample rate and channel count (8/16/24/32-bit PCM). It is converted
to what the model was trained on — 16 kHz, mono, 16-bit — with numpy and
:func:`scipy.signal.resample_poly` (a polyphase anti-aliasing resampler; the standard library's
``audioop`` is deprecated and gone in Python 3.13). Before any model sees it, a recording is
refused when it is not a WAV file, is empty or silent (RMS level below
:data:`SILENCE_DBFS`), or is longer than :data:`MAX_SECONDS`; each refusal names the problem
and the human path.

The decoder is loaded once per process on first use and shared under a lock (a PocketSphinx
decoder holds one utterance at a time).
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import wave
from dataclasses import dataclass
from functools import lru_cache
from math import gcd, log10
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.errors import AccordError
from accord.core.i18n import M_, N_

SAMPLE_RATE = 16_000
MAX_SECONDS = 120.0
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000
#: A recording whose RMS level is below this is treated as silence (a quiet room with a laptop
#: microphone sits around −60 dBFS; quiet speech around −35 dBFS).
SILENCE_DBFS = -50.0
#: Languages with a speech-to-text model on this server (Whisper base, see
#: :mod:`accord.interpret.whisper_asr`): the twelve content languages.
LANGUAGES: dict[str, str] = {code: "whisper-base" for code in (
    "zh", "en", "ru", "fr", "es", "de", "pt", "ja", "ko", "ar", "vi", "th")}
#: Asked for instead of a language: Whisper suggests one, the person confirms it.
AUTO = "auto"
#: PocketSphinx, the small English engine kept as the fallback when Whisper is not installed,
#: and its model directory inside the pocketsphinx wheel.
POCKETSPHINX_LANGUAGES: dict[str, str] = {"en": "en-us"}
HUMAN_PATH = "request an interpreter"


class SpeechInputError(AccordError):
    """A recording the transcriber refuses; nothing was transcribed and nothing kept."""

    status = 422


class NotAWav(SpeechInputError):
    message = N_(
        "Not a WAV file: %(reason)s. Record again or upload a WAV (PCM) recording; if that is "
        "not possible, request an interpreter."
    )


class NoSpeechDetected(SpeechInputError):
    message = N_(
        "No speech detected: %(reason)s. Check the microphone and record again, or request an "
        "interpreter."
    )


class AudioTooLong(SpeechInputError):
    message = N_(
        "The recording is too long: %(seconds)s s (at most %(limit)s s). Record it in shorter "
        "parts, or request an interpreter."
    )


class UnsupportedTranscriptionLanguage(SpeechInputError):
    message = N_(
        "No speech-to-text model for language %(language)s. Transcription is available for: "
        "%(supported)s. Request an interpreter."
    )


@dataclass(frozen=True)
class Audio:
    """A recording converted for the recogniser: 16 kHz mono 16-bit samples."""

    samples: np.ndarray  # int16
    seconds: float
    source_rate: int
    source_channels: int
    source_bits: int
    level_dbfs: float

    def pcm(self) -> bytes:
        return self.samples.astype("<i2").tobytes()


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    seconds: float
    processing_seconds: float
    level_dbfs: float

    @property
    def rtf(self) -> float:
        return self.processing_seconds / self.seconds if self.seconds else 0.0


def check_language(lang: str, *, allow_auto: bool = False,
                   supported: Any = None) -> str:
    known = LANGUAGES if supported is None else supported
    if lang in known or (allow_auto and lang == AUTO):
        return lang
    raise UnsupportedTranscriptionLanguage(
        language=str(lang)[:16] or "(none)", supported=", ".join(known)
    )


def _decode_pcm(frames: bytes, width: int, channels: int) -> np.ndarray:
    """Integer PCM frames → float64 in [-1, 1], shape (n, channels)."""
    usable = len(frames) - len(frames) % (width * channels)
    raw = frames[:usable]
    if width == 1:  # 8-bit WAV is unsigned
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 3:  # 24-bit: sign-extend three little-endian bytes into int32
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints & 0x800000, ints - 0x1000000, ints)
        data = ints.astype(np.float64) / 8388608.0
    else:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0
    return data.reshape(-1, channels)


def resample(mono: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling ``rate`` → ``target`` (exact rational ratio, anti-aliased)."""
    if rate == target:
        return mono
    from scipy.signal import resample_poly

    divisor = gcd(rate, target)
    return resample_poly(mono, target // divisor, rate // divisor)


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level relative to full scale (float samples in [-1, 1]); −inf-safe."""
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20.0 * log10(rms) if rms > 1e-6 else -120.0


def load_wav(data: bytes, *, max_seconds: float = MAX_SECONDS) -> Audio:
    """Check a recording and convert it to 16 kHz mono 16-bit, or refuse it with the reason."""
    if not data:
        raise NoSpeechDetected(reason=M_("the file is empty"))
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise NotAWav(reason=M_("the file does not start with a RIFF/WAVE header"))
    try:
        with wave.open(io.BytesIO(data)) as wav:
            channels, width = wav.getnchannels(), wav.getsampwidth()
            rate, declared = wav.getframerate(), wav.getnframes()
            if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
                raise NotAWav(reason=M_("unsupported sample rate %(rate)s Hz", rate=rate))
            if channels < 1 or width not in (1, 2, 3, 4):
                raise NotAWav(
                    reason=M_("unsupported sample format (%(channels)s channels, %(bits)s-bit)",
                              channels=channels, bits=8 * width)
                )
            if declared / rate > max_seconds:
                raise AudioTooLong(seconds=f"{declared / rate:.0f}", limit=f"{max_seconds:.0f}")
            frames = wav.readframes(declared)
    except (wave.Error, EOFError) as error:
        # Python's wave reads PCM only; compressed or damaged files end here.
        raise NotAWav(reason=M_("corrupt or unsupported WAV (%(error)s)", error=error)) from None
    samples = _decode_pcm(frames, width, channels)
    if samples.shape[0] == 0:
        raise NoSpeechDetected(reason=M_("the recording holds no audio"))
    seconds = samples.shape[0] / rate
    if seconds > max_seconds:
        raise AudioTooLong(seconds=f"{seconds:.0f}", limit=f"{max_seconds:.0f}")
    mono = samples.mean(axis=1)
    level = level_dbfs(mono)
    if level < SILENCE_DBFS:
        raise NoSpeechDetected(reason=M_("the recording is silent (level %(level).0f dBFS)",
                                         level=level))
    converted = resample(mono, rate)
    pcm = np.clip(np.round(converted * 32767.0), -32768, 32767).astype(np.int16)
    return Audio(
        samples=pcm,
        seconds=pcm.size / SAMPLE_RATE,
        source_rate=rate,
        source_channels=channels,
        source_bits=8 * width,
        level_dbfs=round(level, 1),
    )


def to_wav(audio: Audio) -> bytes:
    """The converted recording as a WAV file (for tests and the bench)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(audio.pcm())
    return buffer.getvalue()


# -- the recogniser ----------------------------------------------------------------------------
_lock = threading.Lock()


def model_dir(lang: str = "en") -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path(
        POCKETSPHINX_LANGUAGES[check_language(lang, supported=POCKETSPHINX_LANGUAGES)]))


@lru_cache(maxsize=1)
def model_files_digest() -> str:
    """sha256 over the model directory's files (name and bytes, in name order)."""
    root = model_dir("en")
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        sha.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return "sha256:" + sha.hexdigest()


def pocketsphinx_version() -> str:
    from importlib.metadata import version

    return version("pocketsphinx")


@lru_cache(maxsize=1)
def _decoder() -> Any:
    """The US-English decoder (acoustic model, trigram LM, CMU dictionary from the wheel)."""
    from pocketsphinx import Decoder

    return Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")


def decode(audio: Audio) -> str:
    with _lock:
        decoder = _decoder()
        decoder.start_utt()
        decoder.process_raw(audio.pcm(), no_search=False, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
    return " ".join((hypothesis.hypstr if hypothesis else "").split())


def transcribe(wav_bytes: bytes, lang: str) -> Transcript:
    """Check, convert and transcribe a WAV recording with PocketSphinx (English only); refuses
    with the reason and human path."""
    check_language(lang, supported=POCKETSPHINX_LANGUAGES)
    audio = load_wav(wav_bytes)
    started = time.perf_counter()
    text = decode(audio)
    elapsed = time.perf_counter() - started
    if not text:
        raise NoSpeechDetected(reason=M_("no words were recognised"))
    return Transcript(
        text=text,
        language=lang,
        seconds=round(audio.seconds, 2),
        processing_seconds=round(elapsed, 3),
        level_dbfs=audio.level_dbfs,
    )


# -- measurement -------------------------------------------------------------------------------
def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance / reference length (case and punctuation ignored)."""

    def words(text: str) -> list[str]:
        cleaned = "".join(ch.lower() if ch.isalnum() or ch == "'" else " " for ch in text)
        return cleaned.split()

    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


#: Clear English sentences of the kind an officer hears, for the RTF/WER measurement.
BENCH_SENTENCES = (
    "The man took my passport and ran towards the subway station.",
    "I lost my wallet on the bus this morning.",
    "My phone was stolen from my bag at the market.",
    "I need help to find my hotel.",
    "Someone broke the window of my car last night.",
    "I would like to speak to an interpreter please.",
)


def measure(seconds_of_audio: float = 20.0) -> dict[str, Any]:
    """Synthesise clear English with piper, transcribe it: RTF, WER and sizes.

    RTF = decoding time (wall clock) / audio duration, the decoder loaded beforehand (load
    time reported separately). The sentences repeat until ``seconds_of_audio`` is reached.
    """
    from accord.interpret.piper_voice import speak_neural_en

    started = time.perf_counter()
    _decoder()
    load_seconds = time.perf_counter() - started
    total_audio = total_decode = total_cpu = 0.0
    errors: list[float] = []
    heard: list[tuple[str, str]] = []
    index = 0
    while total_audio < seconds_of_audio:
        sentence = BENCH_SENTENCES[index % len(BENCH_SENTENCES)]
        audio = load_wav(speak_neural_en(sentence, deterministic=True))
        began, began_cpu = time.perf_counter(), time.thread_time()
        text = decode(audio)
        total_decode += time.perf_counter() - began
        total_cpu += time.thread_time() - began_cpu
        total_audio += audio.seconds
        errors.append(word_error_rate(sentence, text))
        heard.append((sentence, text))
        index += 1
    # rtf is wall-clock (what a user waits); rtf_cpu is the decoder's own CPU time, which
    # separates the model's cost from contention on a busy machine.
    return {
        "rtf": round(total_decode / total_audio, 3),
        "rtf_cpu": round(total_cpu / total_audio, 3),
        "audio_seconds": round(total_audio, 1),
        "decode_seconds": round(total_decode, 2),
        "load_seconds": round(load_seconds, 2),
        "utterances": index,
        "wer": round(sum(errors) / len(errors), 3),
        "heard": heard,
    }


def measure_rtf(seconds_of_audio: float = 20.0) -> float:
    """Wall-clock real-time factor on clear synthetic English (used by bench/interpret.py)."""
    return float(measure(seconds_of_audio)["rtf"])
