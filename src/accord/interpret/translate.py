"""Offline machine translation with Apertium, behind the governed gateway.

Apertium (GPL-2.0) is run as a separate program (``apertium -u PAIR``) through ``subprocess``;
nothing of it is linked or imported. The language pairs are the Debian packages installed on the
host (``apertium-eng-spa``, ``apertium-fr-es``, ``apertium-es-pt``, …), discovered at run time
from the modes directory. Pairs Apertium does not cover (Chinese, Arabic, Japanese, Korean,
Russian, …) are refused with a pointer to the human path: request an interpreter.

Apertium gives gist-quality, rule-based translation. Measured quality (chrF2 on FLORES-200
devtest) is stored in :data:`MEASURED_QUALITY`; pairs below :data:`ADVISORY_CHRF` are marked
``advisory`` and the output tells the officer to request an interpreter.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from accord.core.errors import ValidationFailed
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.interpret.langid import LANGUAGE_NAMES

MODES_DIR = Path(os.environ.get("ACCORD_APERTIUM_MODES", "/usr/share/apertium/modes"))
MAX_TEXT_CHARS = 2000
SUBPROCESS_TIMEOUT = 10.0
PIVOTS = ("es", "en")
ADVISORY_CHRF = 40.0
HUMAN_PATH = "request an interpreter"
FLORES_DIR = Path("/work/shared/data/parallel/flores200/devtest")
DEBIAN_PACKAGES = ("apertium", "apertium-eng-spa", "apertium-fr-es", "apertium-es-pt")

# Apertium language codes (ISO 639-3 or 639-1) to the ISO 639-1 codes Accord uses.
APERTIUM_TO_ISO: dict[str, str] = {
    "eng": "en", "en": "en", "spa": "es", "es": "es", "fra": "fr", "fr": "fr",
    "por": "pt", "pt": "pt", "cat": "ca", "ca": "ca", "ita": "it", "it": "it",
    "glg": "gl", "gl": "gl", "deu": "de", "de": "de", "nld": "nl", "nl": "nl",
    "oci": "oc", "oc": "oc", "ron": "ro", "ro": "ro", "eus": "eu", "eu": "eu",
}
# FLORES-200 file stems for the languages measured.
FLORES_CODES: dict[str, str] = {"en": "eng_Latn", "es": "spa_Latn", "fr": "fra_Latn",
                                "pt": "por_Latn"}

# chrF2 (sacrebleu 2.6.0 defaults) on the first 200 sentences of FLORES-200 devtest, measured
# 2026-11-23 with Debian bookworm apertium 3.8.3, apertium-eng-spa 0.8.1, apertium-fr-es 0.9.4,
# apertium-es-pt 1.1.6, by
#   .venv/bin/python -c "from accord.interpret.translate import score_pair; print(score_pair(S, T))"
# Keys are (source, target); pivoted pairs are measured through the pivot as translate() runs them.
QUALITY_MEASURED_ON = "2026-11-23"
QUALITY_COMMAND = "score_pair(src, tgt, n=200) (accord.interpret.translate)"
MEASURED_QUALITY: dict[tuple[str, str], float] = {
    ("en", "es"): 44.2, ("es", "en"): 46.3,
    ("fr", "es"): 46.6, ("es", "fr"): 47.1,
    ("es", "pt"): 49.3, ("pt", "es"): 49.7,
    # through the Spanish pivot
    ("en", "fr"): 47.4, ("fr", "en"): 49.5, ("en", "pt"): 50.0, ("pt", "en"): 53.7,
}


class UnsupportedPair(ValidationFailed):
    """No installed Apertium pair (direct or through a pivot) for this direction."""


class TranslationFailed(RuntimeError):
    """Apertium ran but failed (non-zero exit or time-out)."""


@dataclass(frozen=True)
class Route:
    """How a direction is translated: one Apertium mode, or two through a pivot language."""

    source: str
    target: str
    modes: tuple[str, ...]
    pivot: str | None = None


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


def route(src: str, tgt: str) -> Route:
    """The direct pair, or a pivot through Spanish or English when both legs exist."""
    if src == tgt:
        raise ValidationFailed(detail=f"source and target are both {src!r}")
    if (src, tgt) in AVAILABLE_PAIRS:
        return Route(src, tgt, (AVAILABLE_PAIRS[(src, tgt)],))
    for pivot in PIVOTS:
        if pivot in (src, tgt):
            continue
        first, second = AVAILABLE_PAIRS.get((src, pivot)), AVAILABLE_PAIRS.get((pivot, tgt))
        if first and second:
            return Route(src, tgt, (first, second), pivot)
    raise UnsupportedPair(detail=f"no model for {src}→{tgt} — request a human interpreter")


def _apertium() -> str:
    exe = shutil.which("apertium")
    if not exe:
        raise TranslationFailed("the apertium program is not installed (apt-get install apertium)")
    return exe


def _run_mode(mode: str, text: str, timeout: float = SUBPROCESS_TIMEOUT) -> str:
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


def _run_route(r: Route, text: str, timeout: float = SUBPROCESS_TIMEOUT) -> str:
    for mode in r.modes:
        text = _run_mode(mode, text, timeout)
    return text


def translate_routed(text: str, src: str, tgt: str) -> tuple[str, Route]:
    """Translate and say how: the result and the :class:`Route` (``route.pivot`` if pivoted)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed(detail="text: nothing to translate")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationFailed(detail=f"text: at most {MAX_TEXT_CHARS} characters "
                               f"(got {len(text)})")
    r = route(src, tgt)
    return _run_route(r, text).strip(), r


def translate(text: str, src: str, tgt: str) -> str:
    """``text`` from ``src`` into ``tgt`` (ISO 639-1 codes) with Apertium."""
    return translate_routed(text, src, tgt)[0]


def back_translate(translation: str, src: str, tgt: str) -> str | None:
    """``translation`` (in ``tgt``) back into ``src``, or None when no reverse route exists."""
    if not translation.strip():
        return None
    try:
        r = route(tgt, src)
    except UnsupportedPair:
        return None
    # No length check here: the translation of a text within the limit may be a little longer.
    return _run_route(r, translation).strip()


# -- quality -----------------------------------------------------------------------------------
def score_pair(src: str, tgt: str, n: int = 200, flores_dir: Path = FLORES_DIR) -> float:
    """chrF2 of Apertium ``src``→``tgt`` on the first ``n`` FLORES-200 devtest sentences."""
    import sacrebleu

    sources = _flores(flores_dir, src, n)
    references = _flores(flores_dir, tgt, n)
    # One sentence per line; Apertium keeps line breaks, so the whole batch goes in one call.
    out = _run_route(route(src, tgt), "\n".join(sources) + "\n", timeout=600.0)
    hypotheses = out.rstrip("\n").split("\n")
    if len(hypotheses) != len(references):
        raise TranslationFailed(f"apertium returned {len(hypotheses)} lines for {n}")
    return round(float(sacrebleu.corpus_chrf(hypotheses, [references]).score), 1)


def _flores(flores_dir: Path, lang: str, n: int) -> list[str]:
    path = flores_dir / f"{FLORES_CODES[lang]}.devtest"
    with path.open(encoding="utf-8") as handle:
        return [line.rstrip("\n") for _, line in zip(range(n), handle, strict=False)]


def quality(src: str, tgt: str) -> dict[str, Any]:
    """The stored measurement for a direction: ``{chrf, status}``; status ok/advisory/unmeasured."""
    chrf = MEASURED_QUALITY.get((src, tgt))
    if chrf is None:
        return {"chrf": None, "status": "unmeasured"}
    return {"chrf": chrf, "status": "ok" if chrf >= ADVISORY_CHRF else "advisory"}


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


def _mode_label(r: Route) -> str:
    return " + ".join(r.modes)


def run_translate(inputs: Mapping[str, Any]) -> ModelOutput:
    src, tgt = str(inputs["source"]), str(inputs["target"])
    translation, r = translate_routed(str(inputs["text"]), src, tgt)
    back = back_translate(translation, src, tgt) if translation else None
    q = quality(src, tgt)
    advisory = q["status"] != "ok"
    measured = (f"measured chrF2 {q['chrf']:.1f} on FLORES-200" if q["chrf"] is not None
                else "quality not measured for this direction")
    explanation = (
        f"Apertium {_mode_label(r)}"
        + (f" (through {r.pivot})" if r.pivot else "")
        + f", {measured}"
        + ("; gist only, request an interpreter for anything that matters." if advisory
           else "; rule-based gist translation, confirm important points with the person.")
    )
    return ModelOutput(
        output={"translation": translation, "back_translation": back, "source": src,
                "target": tgt, "engine": "apertium", "pivot": r.pivot, "quality": q,
                "human_path": HUMAN_PATH if advisory else None},
        explanation=explanation,
        confidence=None,
    )


LANGUAGE_CHOICES: tuple[str, ...] = tuple(sorted(
    set(LANGUAGE_NAMES) | {lang for pair in AVAILABLE_PAIRS for lang in pair}))

TRANSLATE_CAPABILITY = Capability(
    id="interpret.translate",
    version="1.0.0",
    title_en="Text translation (offline, European pairs)",
    title_zh="文本翻译（离线，欧洲语言对）",
    description_en=(
        "Gist translation of short texts between the language pairs installed on the server "
        "(English–Spanish, French–Spanish, Spanish–Portuguese and pivots through them), with a "
        "back-translation to check. It does not replace an interpreter; for other languages, "
        "or when it matters, request an interpreter."
    ),
    description_zh=(
        "在服务器已安装的语言对之间（英语–西班牙语、法语–西班牙语、西班牙语–葡萄牙语及经其转译）"
        "对短文本作大意翻译，并附回译以便核对。不能替代译员；其他语种或事关重要时，请申请译员。"
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
        name="Apertium rule-based MT (Debian packages)",
        version=_package_versions(),
        digest=_pairs_digest(),
        licence="GPL-2.0 (separate program)",
        source="Debian packages apertium, apertium-eng-spa, apertium-fr-es, apertium-es-pt; "
               "run as `apertium -u PAIR`",
        training_data="None: hand-written dictionaries and transfer rules (Apertium project).",
        measured_accuracy=_measured_text(),
        known_limitations=(
            "No zh/ar/ja/ko/ru pairs (and no fr↔en or de↔en): request an interpreter.",
            "Gist quality: word order, idioms, names and unknown words are often wrong; unknown "
            "words are passed through untranslated.",
            "Pivoted directions (e.g. en→fr through es) compound the errors of both legs.",
            "Back-translation can look right even when the translation is wrong.",
        ),
        intended_use="Help an officer and a person get the gist of short texts; never for "
                     "statements, notices of rights or anything read back as evidence.",
    ),
    runner=run_translate,
    timeout_seconds=30.0,
)
