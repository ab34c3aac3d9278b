"""``interpret.transcribe``: speech-to-text behind the governed gateway, and the one service
function the CLI and the web page both call.

Audio never travels through the gateway (its inputs are JSON, at most 64 KB): the recording is
put in the content-addressed blob store first and the gateway gets its SHA-256. The blob is
*unsaved* until the caller saves the transcript to a case; an unsaved recording is deleted as
soon as the call ends, whatever its outcome ("audio is kept only if saved to a case"). While a
recording is unsaved a marker file sits in ``<state_dir>/speech-unsaved/``, so a recording left
behind by a crash is found and removed by :func:`sweep_unsaved`.

The transcript itself is AI decision content: it is kept in the gateway's decision record under
the ``ai-decision-content`` retention class (erased after the period in ``retention.yaml``),
and the ledger holds only digests of it. Saved to a case, it becomes a statement of the case
file with ``origin="transcribed"`` and the audio digest beside it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.core.blobs import BlobStore
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.core.retention import retention_days
from accord.interpret import speech

CAPABILITY_ID = "interpret.transcribe"
RETENTION_CLASS = "ai-decision-content"
UNSAVED_DIR = "speech-unsaved"
#: An unsaved recording older than this is a leftover (a crash mid-call) and is swept.
UNSAVED_MAX_AGE_SECONDS = 3600.0
# Measured 2026-11-23 with accord.interpret.speech.measure() and the six BENCH_SENTENCES read
# by piper's "joe" voice, decoded by PocketSphinx 5.1.1 en-us on the shared 2-core machine.
MEASURED = (
    "Word error rate 9.1% (5 of 55 words) on six clear synthetic English sentences (Piper "
    "en_US-joe voice); real-time factor 0.27-0.29 in CPU time, 0.4-0.6 wall clock on a busy "
    "2-core machine (2026-11-23, `accord.interpret.speech.measure()`). Robotic espeak-ng "
    "speech is largely misrecognised. Not measured on real recorded, accented or noisy speech."
)


def _state_dir() -> Path:
    from accord.config import get_settings

    return get_settings().state_dir


def blob_store(state_dir: Path | None = None) -> BlobStore:
    return BlobStore.for_state_dir(state_dir or _state_dir())


def retention() -> dict[str, Any]:
    """The retention class of a transcript and its period from ``retention.yaml``."""
    return {"class": RETENTION_CLASS, "days": retention_days(RETENTION_CLASS)}


# -- the capability ----------------------------------------------------------------------------
def run_transcribe(inputs: Mapping[str, Any]) -> ModelOutput:
    language = speech.check_language(str(inputs["language"]))
    data = blob_store().get(str(inputs["audio_sha256"]))
    result = speech.transcribe(data, language)
    # The explanation goes into the ledger: figures about the audio only, never its words.
    explanation = (
        f"PocketSphinx {speech.pocketsphinx_version()} US-English model; "
        f"{result.seconds:.1f} s of audio decoded in {result.processing_seconds:.1f} s "
        f"(level {result.level_dbfs:.0f} dBFS). Machine transcript: read it back to the person "
        "and correct it; names, numbers and accented speech are often wrong."
    )
    return ModelOutput(
        output={
            "transcript": result.text,
            "language": language,
            "seconds": result.seconds,
            "processing_seconds": result.processing_seconds,
            "rtf": round(result.rtf, 3),
            "level_dbfs": result.level_dbfs,
            "engine": f"pocketsphinx {speech.pocketsphinx_version()}",
            "retention": retention(),
            "human_path": speech.HUMAN_PATH,
        },
        explanation=explanation,
        confidence=None,
    )


def _model_version() -> str:
    try:
        return f"pocketsphinx {speech.pocketsphinx_version()}, model en-us"
    except Exception:  # not installed: the card says so, the runner fails clearly
        return "pocketsphinx (not installed)"


def _model_digest() -> str:
    try:
        return speech.model_files_digest()
    except Exception:
        return "sha256:unavailable"


TRANSCRIBE_CAPABILITY = Capability(
    id=CAPABILITY_ID,
    version="1.0.0",
    title_en="Speech transcription (English, offline)",
    title_zh="语音转写（英语，离线）",
    description_en=(
        "Turns a short English recording (at most two minutes) into text, so an officer can "
        "read back and correct what a person said. English only; for any other language, or "
        "when the words matter as evidence, request an interpreter. The audio is deleted after "
        "transcription unless the transcript is saved to a case."
    ),
    description_zh=(
        "将简短的英语录音（最长两分钟）转写为文字，便于民警向当事人复述并更正。仅支持英语；"
        "其他语种或作为证据的内容，请申请译员。除非将转写结果保存到案件，录音在转写后即被删除。"
    ),
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset(
        {
            "victim-assistance",
            "witness-interview",
            "suspect-interview",
            "public-service",
            "interpretation",
            "case-handling",
        }
    ),
    legal_bases=frozenset(
        {"police-law-art-2", "criminal-procedure-law", "administrative-law", "consent"}
    ),
    roles=frozenset({"officer", "interpreter", "supervisor"}),
    data_categories=(
        "voice recording of the person (deleted unless saved to a case)",
        "transcript of what the person said (may contain personal data)",
    ),
    review_required=False,
    inputs={
        "audio_sha256": InputSpec(
            kind="text",
            max_length=64,
            description="SHA-256 of the WAV recording in the blob store.",
        ),
        "language": InputSpec(
            kind="choice",
            choices=tuple(speech.LANGUAGES),
            description="Language spoken in the recording (ISO 639-1).",
        ),
    },
    model=ModelCard(
        name="CMU PocketSphinx US-English (acoustic model, trigram LM, CMU dictionary)",
        version=_model_version(),
        digest=_model_digest(),
        licence="BSD-2-Clause (PocketSphinx and its en-us model)",
        source="The en-us model shipped inside the pocketsphinx wheel (PyPI)",
        training_data="CMU Sphinx US-English acoustic model trained on read and broadcast "
        "American English (CMU); language model from general English text.",
        measured_accuracy=MEASURED,
        known_limitations=(
            "English only: there is no model for Chinese or any other language; request an "
            "interpreter.",
            "Trained on American English: other accents and non-native speakers get many more "
            "errors.",
            "Background noise, several people speaking, phone-quality audio and distance from "
            "the microphone raise the error rate sharply.",
            "Names, street names, numbers and words outside its dictionary are often replaced "
            "by similar-sounding common words.",
            "No punctuation, no capital letters, no speaker labels.",
        ),
        intended_use="A first draft of what an English speaker said, read back and corrected "
        "with the person; never the sole record of a statement.",
    ),
    runner=run_transcribe,
    timeout_seconds=180.0,
    isolation="process",  # seconds of CPU per call: off the web process
    max_concurrent=2,
)


# -- the unsaved recording -------------------------------------------------------------------
class UnsavedAudio:
    """A recording in the blob store that is deleted when the call ends unless :meth:`keep` is
    called. A blob that already existed (the same bytes saved before) is never deleted."""

    def __init__(self, store: BlobStore, data: bytes, state_dir: Path) -> None:
        self.store = store
        self.marker_dir = state_dir / UNSAVED_DIR
        sha256 = hashlib.sha256(data).hexdigest()  # the name put() will give it
        self.existed = store.path_for(sha256).exists()
        self.marker = self.marker_dir / sha256
        if not self.existed:
            self.marker_dir.mkdir(parents=True, exist_ok=True)
            self.marker.touch()
        self.sha256 = store.put(data)
        self.kept = False

    def keep(self) -> None:
        self.kept = True
        self.marker.unlink(missing_ok=True)

    def discard(self) -> bool:
        """Delete the recording unless kept or pre-existing; True when deleted."""
        if self.kept or self.existed:
            return False
        deleted = self.store.delete(self.sha256)
        self.marker.unlink(missing_ok=True)
        return deleted


@contextmanager
def unsaved_audio(data: bytes, state_dir: Path | None = None) -> Iterator[UnsavedAudio]:
    state = state_dir or _state_dir()
    audio = UnsavedAudio(blob_store(state), data, state)
    try:
        yield audio
    finally:
        audio.discard()


def sweep_unsaved(state_dir: Path | None = None, max_age: float = UNSAVED_MAX_AGE_SECONDS) -> int:
    """Delete recordings left unsaved by an interrupted call (older than ``max_age``), unless a
    case statement points at them. Returns how many were deleted."""
    from accord.core.contract import blob_in_use
    from accord.core.runtime import get_database

    state = state_dir or _state_dir()
    folder = state / UNSAVED_DIR
    if not folder.is_dir():
        return 0
    store, removed, now = blob_store(state), 0, time.time()
    for marker in folder.iterdir():
        if now - marker.stat().st_mtime < max_age or len(marker.name) != 64:
            continue
        with get_database().session() as session:
            used = blob_in_use(session, marker.name)  # e.g. a case statement keeps it
        if not used and store.delete(marker.name):
            removed += 1
        os.unlink(marker)
    return removed


# -- the service the CLI and the web share ---------------------------------------------------
@dataclass(frozen=True)
class SpeechCall:
    result: Any  # accord.core.gateway.service.GatewayResult
    audio_sha256: str
    audio_kept: bool
    statement_id: int | None = None


def transcribe_call(
    gateway: Any,
    caller: Any,
    data: bytes,
    *,
    language: str,
    purpose: str,
    legal_basis: str,
    case_ref: str = "",
    save: Any = None,
    state_dir: Path | None = None,
) -> SpeechCall:
    """Check the recording, store it unsaved, transcribe through the gateway, then either
    hand it to ``save(result, audio_sha256) -> statement id`` (which keeps the audio) or delete
    it. Bad audio and unsupported languages are refused before anything is stored."""
    from accord.core.gateway.service import GatewayRequest

    speech.check_language(language)
    speech.load_wav(data)  # refuse bad, silent or too-long audio before storing anything
    sweep_unsaved(state_dir)  # leftovers of interrupted calls (a directory listing when none)
    with unsaved_audio(data, state_dir) as audio:
        result = gateway.invoke(
            caller,
            GatewayRequest(
                capability_id=CAPABILITY_ID,
                purpose=purpose,
                legal_basis=legal_basis,
                inputs={"audio_sha256": audio.sha256, "language": language},
                case_ref=case_ref,
            ),
        )
        statement_id = None
        if save is not None:
            statement_id = save(result, audio.sha256)
            audio.keep()
        return SpeechCall(
            result=result,
            audio_sha256=audio.sha256,
            audio_kept=audio.kept or audio.existed,
            statement_id=statement_id,
        )
