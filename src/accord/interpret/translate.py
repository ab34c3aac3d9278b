"""Offline machine translation behind the governed gateway: Apertium and installed model packs.

Engines:

* **Apertium** (GPL-2.0), run as separate programs, never linked. The language pairs are the
  Debian packages installed on the host, discovered from the modes directory. Each mode's
  pipeline is kept warm (:mod:`accord.interpret.apertium_warm`, null-flush mode) instead of
  spawning ``apertium -u PAIR`` per call.
* **CTranslate2 model packs** installed by the operator from a file (``accord models install``,
  :mod:`accord.interpret.packs`); each was measured on FLORES-200 at install time.

Routing takes a direct pair, else pivots through Spanish or English (Apertium's hub languages)
and says so in the output. A direction with no engine is *not* an error: the governed call
ends in a ledgered decision whose output says "no model — request an interpreter".

Quality is the measured chrF2 on FLORES-200 devtest: :data:`MEASURED_QUALITY` for Apertium, the
``translation_packs`` table for packs. Below :data:`ADVISORY_CHRF` a pair is ``advisory`` and the
output points to the human path.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from accord.core.errors import ValidationFailed
from accord.core.figures import measured_or_missing as measured
from accord.core.figures import measured_or_missing_zh as measured_zh
from accord.core.i18n import M_
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.interpret.apertium_warm import PipelineError, WarmPool
from accord.interpret.langid import LANGUAGE_NAMES
from accord.shared_data import shared_dir

MODES_DIR = Path(os.environ.get("ACCORD_APERTIUM_MODES", "/usr/share/apertium/modes"))
MAX_TEXT_CHARS = 2000
SUBPROCESS_TIMEOUT = 10.0
PIVOTS = ("es", "en")
ADVISORY_CHRF = 40.0
HUMAN_PATH = "request an interpreter"
NO_MODEL = "no model — request an interpreter"
DEBIAN_PACKAGES = ("apertium", "apertium-eng-spa", "apertium-fr-es", "apertium-es-pt")
# The content languages Accord serves; the availability page lists every pair among them.
CONTENT_LANGUAGES = ("zh", "en", "ru", "ja", "ko", "fr", "es", "de", "ar", "pt", "vi", "th")

# Apertium language codes (ISO 639-3 or 639-1) to the ISO 639-1 codes Accord uses.
APERTIUM_TO_ISO: dict[str, str] = {
    "eng": "en", "en": "en", "spa": "es", "es": "es", "fra": "fr", "fr": "fr",
    "por": "pt", "pt": "pt", "cat": "ca", "ca": "ca", "ita": "it", "it": "it",
    "glg": "gl", "gl": "gl", "deu": "de", "de": "de", "nld": "nl", "nl": "nl",
    "oci": "oc", "oc": "oc", "ron": "ro", "ro": "ro", "eus": "eu", "eu": "eu",
}
# FLORES-200 file stems (devtest) for the languages Accord can measure.
FLORES_CODES: dict[str, str] = {
    "en": "eng_Latn", "es": "spa_Latn", "fr": "fra_Latn", "pt": "por_Latn", "de": "deu_Latn",
    "zh": "zho_Hans", "ru": "rus_Cyrl", "ja": "jpn_Jpan", "ko": "kor_Hang", "ar": "arb_Arab",
    "vi": "vie_Latn", "th": "tha_Thai", "it": "ita_Latn", "nl": "nld_Latn", "pl": "pol_Latn",
    "tr": "tur_Latn", "uk": "ukr_Cyrl", "kk": "kaz_Cyrl", "uz": "uzn_Latn", "id": "ind_Latn",
    "ms": "zsm_Latn", "tl": "tgl_Latn", "km": "khm_Khmr", "lo": "lao_Laoo", "my": "mya_Mymr",
    "hi": "hin_Deva", "ur": "urd_Arab", "bn": "ben_Beng", "ne": "npi_Deva", "fa": "pes_Arab",
    "he": "heb_Hebr", "ca": "cat_Latn", "mn": "khk_Cyrl", "yue": "yue_Hant",
}
FLORES_LICENCE = ("FLORES-200 (NLLB Team, Meta AI), CC-BY-SA 4.0; licence and provenance "
                  "kept beside the copy in shared/data/parallel/flores200/")


def flores_dir() -> Path:
    """FLORES-200 devtest, from the team's shared data (``ACCORD_SHARED_DIR`` overrides)."""
    return shared_dir() / "data" / "parallel" / "flores200" / "devtest"


def flores_sentences(lang: str, n: int, directory: Path | None = None) -> list[str]:
    """The first ``n`` FLORES-200 devtest sentences in ``lang``."""
    if lang not in FLORES_CODES:
        raise ValidationFailed(detail=M_("no FLORES-200 test set for %(lang)r", lang=lang))
    path = (directory or flores_dir()) / f"{FLORES_CODES[lang]}.devtest"
    if not path.is_file():
        raise ValidationFailed(detail=M_("FLORES-200 file missing: %(path)s", path=path))
    with path.open(encoding="utf-8") as handle:
        return [line.rstrip("\n") for _, line in zip(range(n), handle, strict=False)]


# chrF2 and BLEU (sacrebleu 2.6.0 defaults; BLEU tokenizer 13a) on the first 200 sentences of
# FLORES-200 devtest, measured 2026-11-23 with Debian bookworm apertium 3.8.3,
# apertium-eng-spa 0.8.1, apertium-fr-es 0.9.4, apertium-es-pt 1.1.6, by
#   .venv/bin/python -c "from accord.interpret.translate import score_route as s; print(s(S, T))"
# Keys are (source, target); pivoted pairs are measured through the pivot as translate() runs them.
QUALITY_MEASURED_ON = "2026-11-23"
QUALITY_COMMAND = "score_route(src, tgt, n=200) (accord.interpret.translate)"
MEASURED_QUALITY: dict[tuple[str, str], float] = {
    ("en", "es"): 44.2, ("es", "en"): 46.3,
    ("fr", "es"): 46.6, ("es", "fr"): 47.2,
    ("es", "pt"): 49.3, ("pt", "es"): 49.7,
    # through the Spanish pivot
    ("en", "fr"): 47.4, ("fr", "en"): 49.5, ("en", "pt"): 50.0, ("pt", "en"): 53.7,
    ("fr", "pt"): 48.8, ("pt", "fr"): 50.8,
}
MEASURED_BLEU: dict[tuple[str, str], float] = {
    ("en", "es"): 12.0, ("es", "en"): 10.9,
    ("fr", "es"): 15.8, ("es", "fr"): 14.2,
    ("es", "pt"): 17.1, ("pt", "es"): 19.7,
    ("en", "fr"): 16.1, ("fr", "en"): 15.7, ("en", "pt"): 17.4, ("pt", "en"): 20.3,
    ("fr", "pt"): 17.4, ("pt", "fr"): 20.9,
}


class UnsupportedPair(ValidationFailed):
    """No engine (direct or through a pivot) for this direction."""


class TranslationFailed(RuntimeError):
    """An engine ran but failed (non-zero exit, broken pipeline or time-out)."""


@dataclass(frozen=True)
class Leg:
    """One translation step: an Apertium mode or an installed pack."""

    engine: str  # "apertium" | "ctranslate2"
    source: str
    target: str
    mode: str  # Apertium mode name, or "pack:<name>-<version>"
    pack: Any = None  # accord.interpret.pack_models.TranslationPack (detached) for packs

    @property
    def label(self) -> str:
        if self.pack is None:
            return f"Apertium {self.mode}"
        return (f"CTranslate2 pack {self.pack.name} {self.pack.version} "
                f"(manifest sha256:{self.pack.manifest_sha256[:16]}…)")


@dataclass(frozen=True)
class Route:
    """How a direction is translated: one leg, or two through a pivot language."""

    source: str
    target: str
    legs: tuple[Leg, ...]
    pivot: str | None = None

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(leg.mode for leg in self.legs)

    @property
    def engine(self) -> str:
        engines = sorted({leg.engine for leg in self.legs})
        return "+".join(engines)


def _iso(code: str) -> str | None:
    return APERTIUM_TO_ISO.get(code)


def discover_pairs(modes_dir: Path = MODES_DIR) -> dict[tuple[str, str], str]:
    """``{(src, tgt): apertium mode}`` for installed base pairs, from ``*.mode`` files.

    Variant modes (``es-pt_BR``, ``spa-eng_US``) and experimental ones (``eco-…``) are skipped:
    only ``XX-YY`` where both sides map to an ISO code count.
    """
    pairs: dict[tuple[str, str], str] = {}
    if not modes_dir.is_dir():
        return pairs
    for mode_file in sorted(modes_dir.glob("*.mode")):
        parts = mode_file.stem.split("-")
        if len(parts) != 2:
            continue
        src, tgt = _iso(parts[0]), _iso(parts[1])
        if src and tgt and src != tgt:
            pairs.setdefault((src, tgt), mode_file.stem)
    return pairs


AVAILABLE_PAIRS: dict[tuple[str, str], str] = discover_pairs()

PackLookup = Callable[[str, str], Any]


def installed_pack(src: str, tgt: str) -> Any:
    """The installed pack serving ``src``→``tgt`` from the model registry, or None.

    A database without the table (not migrated yet) or unreachable means no packs: Apertium
    keeps working and every other direction gets the interpreter path.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from accord.core.runtime import get_database
    from accord.interpret.packs import best_pack

    try:
        return best_pack(get_database(), src, tgt)
    except SQLAlchemyError:
        return None


def _leg(src: str, tgt: str, packs: PackLookup) -> Leg | None:
    mode = AVAILABLE_PAIRS.get((src, tgt))
    if mode:
        return Leg("apertium", src, tgt, mode)
    pack = packs(src, tgt)
    if pack is not None:
        return Leg("ctranslate2", src, tgt, f"pack:{pack.directory}", pack)
    return None


def route(src: str, tgt: str, packs: PackLookup | None = None) -> Route:
    """The direct pair (Apertium, else a pack), or a pivot through Spanish or English."""
    if src == tgt:
        raise ValidationFailed(detail=M_("source and target are both %(src)r", src=src))
    packs = packs or installed_pack
    direct = _leg(src, tgt, packs)
    if direct:
        return Route(src, tgt, (direct,))
    for pivot in PIVOTS:
        if pivot in (src, tgt):
            continue
        first = _leg(src, pivot, packs)
        second = _leg(pivot, tgt, packs) if first else None
        if first and second:
            return Route(src, tgt, (first, second), pivot)
    raise UnsupportedPair(detail=M_("no model for %(src)s→%(tgt)s — request a human interpreter",
                                    src=src, tgt=tgt))


def _apertium() -> str:
    exe = shutil.which("apertium")
    if not exe:
        raise TranslationFailed("the apertium program is not installed (apt-get install apertium)")
    return exe


def spawn_mode(mode: str, text: str, timeout: float = SUBPROCESS_TIMEOUT) -> str:
    """One ``apertium -u MODE`` process for this text (the cold path; kept for batches/bench)."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, mode from the installed list
            [_apertium(), "-u", mode], input=text, capture_output=True, text=True,
            timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        raise TranslationFailed(f"apertium {mode} took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        # stderr names the mode, never the text.
        raise TranslationFailed(f"apertium {mode} failed (exit {done.returncode})")
    return done.stdout


WARM = WarmPool(MODES_DIR)
atexit.register(WARM.close)


def warm_mode(mode: str, text: str, timeout: float = SUBPROCESS_TIMEOUT) -> str:
    """``text`` through the warm pipeline of ``mode`` (restarted on failure)."""
    try:
        return WARM.translate(mode, text, timeout)
    except PipelineError as error:
        raise TranslationFailed(str(error)) from None


def _run_leg(leg: Leg, text: str, timeout: float, warm: bool) -> str:
    if leg.pack is None:
        return (warm_mode if warm else spawn_mode)(leg.mode, text, timeout)
    from accord.config import get_settings
    from accord.interpret.packs import engine_for

    return engine_for(get_settings().state_dir, leg.pack).translate(text)


def _run_route(r: Route, text: str, timeout: float = SUBPROCESS_TIMEOUT, *,
               warm: bool = True) -> str:
    for leg in r.legs:
        text = _run_leg(leg, text, timeout, warm)
    return text


def _check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed(detail=M_("text: nothing to translate"))
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationFailed(detail=M_("text: at most %(max_text_chars)s characters (got "
                                         "%(count)s)",
                                         max_text_chars=MAX_TEXT_CHARS, count=len(text)))
    return text


def translate_routed(text: str, src: str, tgt: str,
                     packs: PackLookup | None = None) -> tuple[str, Route]:
    """Translate and say how: the result and the :class:`Route` (``route.pivot`` if pivoted)."""
    _check_text(text)
    r = route(src, tgt, packs)
    return _run_route(r, text).strip(), r


def translate(text: str, src: str, tgt: str) -> str:
    """``text`` from ``src`` into ``tgt`` (ISO 639-1 codes)."""
    return translate_routed(text, src, tgt)[0]


def back_translate(translation: str, src: str, tgt: str,
                   packs: PackLookup | None = None) -> str | None:
    """``translation`` (in ``tgt``) back into ``src``, or None when no reverse route exists."""
    if not translation.strip():
        return None
    try:
        r = route(tgt, src, packs)
    except UnsupportedPair:
        return None
    # No length check here: the translation of a text within the limit may be a little longer.
    return _run_route(r, translation).strip()


# -- quality -----------------------------------------------------------------------------------
def score_pair(src: str, tgt: str, n: int = 200, flores: Path | None = None) -> float:
    """chrF2 of the routed ``src``→``tgt`` on the first ``n`` FLORES-200 devtest sentences."""
    return score_route(src, tgt, n, flores)["chrf"]


def score_route(src: str, tgt: str, n: int = 200, flores: Path | None = None) -> dict[str, Any]:
    """chrF2 and BLEU (sacrebleu) of the current route for a direction on FLORES-200 devtest."""
    import sacrebleu

    from accord.interpret.packs import bleu_tokenizer

    sources = flores_sentences(src, n, flores)
    references = flores_sentences(tgt, n, flores)
    r = route(src, tgt)
    # One sentence per line; both engines keep line breaks, so the batch goes in one call.
    out = _run_route(r, "\n".join(sources), timeout=600.0)
    hypotheses = out.rstrip("\n").split("\n")
    if len(hypotheses) != len(references):
        raise TranslationFailed(f"{r.modes} returned {len(hypotheses)} lines for {n}")
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    bleu = sacrebleu.corpus_bleu(hypotheses, [references], tokenize=bleu_tokenizer(tgt)).score
    return {"source": src, "target": tgt, "engine": r.engine, "pivot": r.pivot,
            "modes": list(r.modes), "sentences": n, "chrf": round(float(chrf), 1),
            "bleu": round(float(bleu), 1)}


NO_MODEL_QUALITY: dict[str, Any] = {"chrf": None, "bleu": None, "status": "no-model",
                                    "measured_on": None, "command": None}


def _status(chrf: float | None) -> str:
    if chrf is None:
        return "unmeasured"
    return "offered" if chrf >= ADVISORY_CHRF else "advisory"


def quality(src: str, tgt: str, r: Route | None = None) -> dict[str, Any]:
    """The measured quality of a direction as routed: chrF2 (+ BLEU for packs), status
    offered/advisory/unmeasured, and when and how it was measured."""
    if r is None:
        try:
            r = route(src, tgt)
        except UnsupportedPair:
            return dict(NO_MODEL_QUALITY)
    if all(leg.pack is None for leg in r.legs):
        chrf = MEASURED_QUALITY.get((src, tgt))
        return {"chrf": chrf, "bleu": MEASURED_BLEU.get((src, tgt)), "status": _status(chrf),
                "measured_on": QUALITY_MEASURED_ON if chrf is not None else None,
                "command": QUALITY_COMMAND if chrf is not None else None}
    if len(r.legs) == 1:
        pack = r.legs[0].pack
        measured = pack.measured_at.date().isoformat() if pack.measured_at else None
        return {"chrf": pack.chrf, "bleu": pack.bleu, "status": pack.status,
                "measured_on": measured, "command": pack.measured_command}
    # A pivot with a pack leg was never measured end to end: say so, do not guess.
    return {"chrf": None, "bleu": None, "status": "unmeasured", "measured_on": None,
            "command": None}


def availability(languages: tuple[str, ...] = CONTENT_LANGUAGES) -> list[dict[str, Any]]:
    """Per direction among ``languages``: engine, route and measured quality, or no model."""
    from sqlalchemy.exc import SQLAlchemyError

    from accord.core.runtime import get_database
    from accord.interpret.packs import pack_index

    try:
        index = pack_index(get_database())
    except SQLAlchemyError:
        index = {}
    rows = []
    for src in languages:
        for tgt in languages:
            if src == tgt:
                continue
            try:
                r = route(src, tgt, lambda s, t: index.get((s, t)))
            except UnsupportedPair:
                rows.append({"source": src, "target": tgt, "engine": None, "pivot": None,
                             "modes": [], "quality": dict(NO_MODEL_QUALITY), "no_model": True})
                continue
            rows.append({"source": src, "target": tgt, "engine": r.engine, "pivot": r.pivot,
                         "modes": list(r.modes), "labels": [leg.label for leg in r.legs],
                         "quality": quality(src, tgt, r), "no_model": False})
    return rows


def gloss_for(text: str, src: str, tgt: str) -> dict[str, Any] | None:
    """Word-level CC-CEDICT help when Chinese and English are involved (never a translation)."""
    from accord.interpret import glossary

    if src == "zh":
        return glossary.gloss_chinese(text)
    if src == "en" and tgt == "zh":
        return glossary.gloss_english(text)
    return None


# -- model card --------------------------------------------------------------------------------
_QUOTED_PATH = re.compile(r"'(/[^']+)'")


@lru_cache(maxsize=1)
def _pairs_digest() -> str:
    """sha256 over the installed mode files and every data file they reference, in name order."""
    if not AVAILABLE_PAIRS:
        return ""
    sha = hashlib.sha256()
    for mode in sorted(set(AVAILABLE_PAIRS.values())):
        mode_file = MODES_DIR / f"{mode}.mode"
        body = mode_file.read_bytes()
        sha.update(mode_file.name.encode() + b"\0" + body)
        for ref in sorted(set(_QUOTED_PATH.findall(body.decode("utf-8", "replace")))):
            path = Path(ref)
            if path.is_file():
                sha.update(ref.encode() + b"\0" + path.read_bytes())
    return "sha256:" + sha.hexdigest()


@lru_cache(maxsize=1)
def _package_versions() -> str:
    try:
        done = subprocess.run(  # noqa: S603
            ["dpkg-query", "-W", *DEBIAN_PACKAGES], capture_output=True, text=True,  # noqa: S607
            timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "see dpkg"
    found = [" ".join(line.split()) for line in done.stdout.splitlines() if line.split()[1:]]
    return "; ".join(found) or "see dpkg"


def _measured_text() -> str:
    figures = ", ".join(f"{s}→{t} {v:.1f}" for (s, t), v in sorted(MEASURED_QUALITY.items()))
    return (f"chrF2 on the first 200 FLORES-200 devtest sentences: {figures} "
            f"({QUALITY_MEASURED_ON}, `{QUALITY_COMMAND}`). Pairs below {ADVISORY_CHRF:.0f} "
            "are advisory.")


def run_translate(inputs: Mapping[str, Any]) -> ModelOutput:
    src, tgt = str(inputs["source"]), str(inputs["target"])
    text = _check_text(inputs["text"])
    gloss = gloss_for(text, src, tgt)
    try:
        r = route(src, tgt)
    except UnsupportedPair:
        # Not an error: the decision is ledgered and its answer is the human path.
        return ModelOutput(
            output={"translation": None, "back_translation": None, "source": src,
                    "target": tgt, "engine": None, "pivot": None, "modes": [],
                    "quality": quality(src, tgt), "no_model": True, "message": NO_MODEL,
                    "human_path": HUMAN_PATH, "gloss": gloss},
            explanation=(f"No machine translation model is installed for {src}→{tgt} "
                         "(neither an Apertium pair nor a measured model pack, directly or "
                         "through es/en): no translation was made; request an interpreter."),
            confidence=None,
        )
    translation = _run_route(r, text).strip()
    back = back_translate(translation, src, tgt) if translation else None
    q = quality(src, tgt, r)
    advisory = q["status"] != "offered"
    if q["chrf"] is not None:
        measured = f"measured chrF2 {q['chrf']:.1f} on FLORES-200 ({q['measured_on']})"
    else:
        measured = "quality not measured for this direction"
    explanation = (
        " + ".join(leg.label for leg in r.legs)
        + (f" (through {r.pivot}: pivoted, errors of both legs add up)" if r.pivot else "")
        + f", {measured}"
        + ("; advisory: gist only, request an interpreter for anything that matters."
           if advisory else "; machine gist translation, confirm important points with the "
                            "person.")
    )
    packs = [{"name": leg.pack.name, "version": leg.pack.version,
              "manifest_sha256": leg.pack.manifest_sha256} for leg in r.legs if leg.pack]
    return ModelOutput(
        output={"translation": translation, "back_translation": back, "source": src,
                "target": tgt, "engine": r.engine, "pivot": r.pivot, "modes": list(r.modes),
                "packs": packs, "quality": q, "no_model": False, "message": None,
                "human_path": HUMAN_PATH if advisory else None, "gloss": gloss},
        explanation=explanation,
        confidence=None,
    )


LANGUAGE_CHOICES: tuple[str, ...] = tuple(sorted(
    set(LANGUAGE_NAMES) | {lang for pair in AVAILABLE_PAIRS for lang in pair}))

TRANSLATE_CAPABILITY = Capability(
    id="interpret.translate",
    version="1.1.0",
    title_en="Text translation (offline, measured pairs)",
    title_zh="文本翻译（离线，经测量的语言对）",
    description_en=(
        "Gist translation of short texts between the language pairs installed on the server "
        "(Apertium: English–Spanish, French–Spanish, Spanish–Portuguese and pivots through "
        "them; plus model packs an operator installed and measured), with a back-translation "
        "to check and the pair's measured quality. A pair without a model answers 'no model — "
        "request an interpreter'. It does not replace an interpreter."
    ),
    description_zh=(
        "在服务器已安装的语言对之间（Apertium：英语–西班牙语、法语–西班牙语、西班牙语–葡萄牙语及经其"
        "转译；以及运维人员安装并经测量的模型包）对短文本作大意翻译，附回译以便核对，并显示该语言对的"
        "实测质量。没有模型的语言对答复“无可用模型——请申请译员”。不能替代译员。"
    ),
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset({"victim-assistance", "witness-interview", "suspect-interview",
                        "public-service", "interpretation", "case-handling"}),
    legal_bases=frozenset({"police-law-art-2", "criminal-procedure-law", "administrative-law",
                           "consent"}),
    roles=frozenset({"officer", "interpreter", "supervisor"}),
    data_categories=("free text written by or for the person (may contain personal data)",),
    review_required=False,
    inputs={
        "text": InputSpec(kind="text", max_length=MAX_TEXT_CHARS,
                          description="The text to translate."),
        "source": InputSpec(kind="choice", choices=LANGUAGE_CHOICES,
                            description="Language of the text (ISO 639-1)."),
        "target": InputSpec(kind="choice", choices=LANGUAGE_CHOICES,
                            description="Language to translate into (ISO 639-1)."),
    },
    model=ModelCard(
        name="Apertium rule-based MT (Debian packages) + installed CTranslate2 packs",
        version=_package_versions(),
        digest=_pairs_digest(),
        licence="GPL-2.0 (separate program)",
        source="Debian packages apertium, apertium-eng-spa, apertium-fr-es, apertium-es-pt, "
               "run as warm null-flush pipelines (apertium-wblank-mode -z); model packs "
               "installed with `accord models install` (each decision's explanation names the "
               "pack and its manifest digest; see /interpret/pairs)",
        training_data="None: hand-written dictionaries and transfer rules (Apertium project).",
        measured_accuracy=measured(
            "interpret", "chrF2 on the first {quality_sentences} FLORES-200 devtest sentences: "
            + ", ".join(f"{s}→{t} {{quality_by_pair[{s}-{t}][chrf]:.1f}}"
                        for s, t in sorted(MEASURED_QUALITY))
            + f". Pairs below {ADVISORY_CHRF:.0f} are advisory"),
        known_limitations=(
            "Apertium has no zh/ar/ja/ko/ru pairs (and no de↔en): without an installed pack "
            "these answer 'no model — request an interpreter'.",
            "Installed packs below chrF2 40 on FLORES-200 stay advisory; pivots through a pack "
            "are not measured end to end and are advisory.",
            "Gist quality: word order, idioms, names and unknown words are often wrong; unknown "
            "words are passed through untranslated.",
            "Pivoted directions (e.g. en→fr through es) compound the errors of both legs.",
            "Back-translation can look right even when the translation is wrong.",
        ),
        intended_use="Help an officer and a person get the gist of short texts; never for "
                     "statements, notices of rights or anything read back as evidence.",
        training_data_zh="无：人工编写的词典和转换规则（Apertium项目）。",
        measured_accuracy_zh=measured_zh(
            "interpret", "FLORES-200 devtest前{quality_sentences}个句子上的chrF2："
            + "，".join(f"{s}→{t} {{quality_by_pair[{s}-{t}][chrf]:.1f}}"
                        for s, t in sorted(MEASURED_QUALITY))
            + f"。chrF2低于{ADVISORY_CHRF:.0f}的语言对仅供参考"),
        known_limitations_zh=(
            "Apertium没有中文、阿拉伯文、日文、韩文、俄文的语言对（也没有德英互译）：未安装模型包时，"
            "这些语言答复“无可用模型——请申请译员”。",
            "在FLORES-200上chrF2低于40的已安装模型包仅供参考；经模型包转译的方向未作端到端测量，"
            "仅供参考。",
            "大意级质量：语序、习语、人名和生词常常出错；生词不翻译，原样保留。",
            "经中介语言转译的方向（如经西班牙语的英译法）会叠加两段翻译的错误。",
            "即使译文有误，回译也可能看起来正确。",
        ),
        intended_use_zh="帮助民警和当事人了解短文本的大意；绝不用于笔录、权利告知或任何作为证据"
                        "宣读的内容。",
    ),
    runner=run_translate,
    timeout_seconds=30.0,
)
