"""The ``knowledge.lookup`` runner: find the passages that answer a question, or say none does.

Five rankings of passage keys, each usable alone (the benchmark measures each):

* ``lexical``     — BM25 over jieba-segmented tokens (:mod:`accord.knowledge.index`);
* ``dictionary``  — the same, with the question's words expanded zh↔en through CC-CEDICT;
* ``encoder``     — cosine under USE multilingual v3, brute force over the stored vectors;
* ``e5``          — cosine under multilingual-e5-small ("query: " / "passage: ");
* ``fusion``      — the two encoders' cosines, each standardised over the base (z-scores:
                    USE's cosines spread over 0.1–0.6, e5's over 0.75–0.9), added; for a
                    question in a language USE was not trained on, e5's alone.

On the calibration set (``bench/data/knowledge_calibration.yaml``, never the gold set) e5 alone
beat USE alone, the sum of the two standardised cosines was as good as e5 and better on the
cross-lingual questions, and adding the word rankings to the fusion (reciprocal rank fusion, the
first design) made hit@1 worse: the words' votes pulled in passages that share a term ("24
hours", "consulate") but not the subject. So the words no longer rank; they check.

A key is one passage in all its languages; the answer shows the version in the question's
language. The decision "found / no passage found" needs the best key's e5 cosine at or above a
threshold calibrated on the calibration set (``bench/knowledge.py --calibrate``, stored in
``data/threshold.json``) and, for a question in Chinese or English, the key among the word
search's top 3; otherwise the answer is "no passage found" and the page offers the legal
officer's queue. Output is the stored passages, verbatim — never generated text.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.registry import ModelOutput
from accord.core.runtime import get_database
from accord.knowledge import encoder, index, lexicon
from accord.knowledge.models import Passage
from accord.knowledge.service import KnowledgeService

LAYERS = ("lexical", "dictionary", "encoder", "e5", "fusion")
WORD_LANGUAGES = frozenset({"zh", "en"})  # the passages' languages: word search applies
LEXICAL_TOP = 3
MAX_RESULTS = 5
THRESHOLD_FILE = Path(__file__).resolve().parent / "data" / "threshold.json"
_CJK = re.compile(r"[\u3400-\u9fff]")
_sync_lock = threading.Lock()
_synced: set[str] = set()


def threshold() -> dict[str, Any]:
    """The calibrated no-passage threshold and where it came from."""
    return json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))


def question_language(question: str) -> str:
    """"zh" for any Chinese characters (mixed questions included), else fastText's guess."""
    if _CJK.search(question):
        return "zh"
    from accord.interpret.langid import identify

    guesses = identify(question, k=1)
    return str(guesses[0]["language"]) if guesses else "en"


@dataclass
class Ranked:
    key: str
    rank: int
    cosine: float  # best e5 cosine of the key's passages with the question (the threshold's)
    fused: float  # the sum of the two encoders' z-scores (fusion layer), else 0
    lexical_top: bool = False  # among the top 3 of the plain or the dictionary word search
    use_cosine: float = -1.0  # best USE cosine of the key's passages


def _vectors(session: Session) -> tuple[list[int], list[str], np.ndarray, np.ndarray]:
    """Ids, keys and both encoders' vectors of the searchable passages (a passage without an
    e5 vector yet — only between a migration and the next sync — gets zeros)."""
    rows = session.execute(select(Passage.id, Passage.key, Passage.vector, Passage.vector_e5)
                           .where(Passage.retired.is_(False), Passage.vector.is_not(None))
                           .order_by(Passage.id)).all()
    if not rows:
        return ([], [], np.zeros((0, encoder.DIM), dtype=np.float32),
                np.zeros((0, encoder.E5_DIM), dtype=np.float32))
    use = np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
    e5 = np.stack([np.frombuffer(r[3], dtype=np.float32) if r[3] is not None
                   else np.zeros(encoder.E5_DIM, dtype=np.float32) for r in rows])
    return [r[0] for r in rows], [r[1] for r in rows], use, e5


def _best_by_key(keys: list[str], sims: np.ndarray) -> dict[str, float]:
    best: dict[str, float] = {}
    for key, sim in zip(keys, sims.tolist(), strict=True):
        if sim > best.get(key, -2.0):
            best[key] = float(sim)
    return best


def _standardised(scores: Mapping[str, float]) -> dict[str, float]:
    values = np.fromiter(scores.values(), dtype=np.float64)
    spread = float(values.std()) or 1.0
    mean = float(values.mean())
    return {k: (v - mean) / spread for k, v in scores.items()}


def _collapse(passage_ids: list[int], key_of: Mapping[int, str]) -> list[str]:
    keys: list[str] = []
    for pid in passage_ids:
        key = key_of.get(pid)
        if key is not None and key not in keys:
            keys.append(key)
    return keys


def rank(session: Session, question: str, layer: str = "fusion",
         ) -> tuple[list[Ranked], dict[str, float]]:
    """Keys ranked by ``layer``, with each key's best cosines; also the e5 cosine of every
    key."""
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {', '.join(LAYERS)}")
    ids, keys, use_matrix, e5_matrix = _vectors(session)
    key_of = dict(zip(ids, keys, strict=True))
    use_by_key: dict[str, float] = {}
    e5_by_key: dict[str, float] = {}
    if ids:
        use_by_key = _best_by_key(keys, use_matrix @ encoder.encode([question])[0])
        e5_by_key = _best_by_key(keys, e5_matrix @ encoder.encode_e5([question], query=True)[0])
    words = index.terms(question)
    lexical_keys = _collapse(index.search(session, words, limit=100), key_of)
    dictionary_keys = _collapse(index.search(session, words + lexicon.expand(words), limit=100),
                                key_of)
    fused: dict[str, float] = {}
    if layer == "encoder":
        ordered = sorted(use_by_key, key=lambda k: -use_by_key[k])
    elif layer == "e5":
        ordered = sorted(e5_by_key, key=lambda k: -e5_by_key[k])
    elif layer == "lexical":
        ordered = lexical_keys
    elif layer == "dictionary":
        ordered = dictionary_keys
    else:
        # USE was not trained on every language (Vietnamese, for one): there its cosines are
        # noise, and e5 ranks alone.
        use_z = (_standardised(use_by_key)
                 if question_language(question) in encoder.LANGUAGES else {})
        e5_z = _standardised(e5_by_key)
        fused = {k: use_z.get(k, 0.0) + e5_z[k] for k in e5_z} if e5_z else {}
        ordered = sorted(fused, key=lambda k: (-fused[k], k))
    word_top = set(lexical_keys[:LEXICAL_TOP]) | set(dictionary_keys[:LEXICAL_TOP])
    return [Ranked(k, n, e5_by_key.get(k, -1.0), fused.get(k, 0.0), k in word_top,
                   use_by_key.get(k, -1.0))
            for n, k in enumerate(ordered, start=1)], e5_by_key


def answers(item: Ranked, threshold_value: float, language: str) -> bool:
    """Whether the top key is an answer: its meaning is close enough (e5 cosine at or above
    the calibrated threshold) AND, for a question in Chinese or English, its words agree (it is
    among the top 3 of the word search, with or without the dictionary). Either signal alone
    lets through questions from neighbouring subjects ("taxi refuses a fare" is close in
    meaning to "penalty for not registering"). A question in another language has no words in
    common with the passages, so the encoder decides alone."""
    if item.cosine < threshold_value:
        return False
    return item.lexical_top or language not in WORD_LANGUAGES


def _ensure_synced(session: Session) -> None:
    """Index the bundled sources once per process and database (and after they change)."""
    url = str(session.get_bind().url)
    with _sync_lock:
        if url in _synced:
            return
        KnowledgeService(session).sync()
        _synced.add(url)


def reset_sync_cache() -> None:
    with _sync_lock:
        _synced.clear()


def _passage_view(passage: Passage, item: Ranked,
                  versions: list[Passage] | None = None) -> dict[str, Any]:
    # The citation in each language the passage exists in: a page shows the one of its
    # reader's language, whatever the language of the quoted text.
    citations = {v.language: v.citation for v in versions or [passage]}
    return {
        "id": passage.id, "key": passage.key, "citation": passage.citation,
        "citations": citations,
        "text": passage.text, "status": passage.status, "status_note": passage.status_note,
        "score": round(item.cosine, 4), "rank": item.rank, "language": passage.language,
        "document": passage.document, "section": passage.section, "version": passage.version,
        "effective_date": passage.effective_date.isoformat() if passage.effective_date else None,
        "kind": passage.kind, "link": f"/knowledge/passages/{passage.id}",
        "source_link": passage.source_link,
    }


def lookup(session: Session, question: str, *, top: int = 3,
           layer: str = "fusion") -> dict[str, Any]:
    """The answer to ``question``: up to ``top`` passages verbatim, or no passage found."""
    question = " ".join((question or "").split())
    top = max(1, min(int(top), MAX_RESULTS))
    ranked, _ = rank(session, question, layer)
    calibrated = threshold()
    language = question_language(question)
    best = ranked[0].cosine if ranked else -1.0
    found = bool(ranked) and answers(ranked[0], float(calibrated["threshold"]), language)
    shown = "zh" if language == "zh" else "en"
    passages: list[dict[str, Any]] = []
    if found:
        chosen = ranked[:top]
        rows = session.scalars(select(Passage).where(
            Passage.key.in_([c.key for c in chosen]), Passage.retired.is_(False))).all()
        by_key: dict[str, list[Passage]] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(row)
        for item in chosen:
            versions = by_key.get(item.key) or []
            if not versions:
                continue
            pick = next((v for v in versions if v.language == shown), versions[0])
            passages.append(_passage_view(pick, item, versions))
    return {
        "question": question, "language": language, "found": found,
        "message": "" if found else "no passage found",
        "passages": passages, "best_score": round(best, 4),
        "threshold": calibrated["threshold"], "threshold_source": calibrated.get("source", ""),
        "layer": layer, "encoder_covers_language": True,
        "use_covers_language": language in encoder.LANGUAGES,
    }


def run_lookup(inputs: Mapping[str, Any]) -> ModelOutput:
    question = str(inputs["question"])
    top = int(inputs.get("top") or 3)
    with get_database().session() as session:
        _ensure_synced(session)
        result = lookup(session, question, top=top)
    if result["found"]:
        first = result["passages"][0]
        explanation = (
            f"{len(result['passages'])} passage(s) quoted verbatim; best: {first['citation']} "
            f"(e5 cosine {first['score']:.2f} ≥ calibrated threshold "
            f"{result['threshold']:.2f}, and among the word search's top 3), ranked by the "
            "sum of the standardised USE multilingual v3 and multilingual-e5-small "
            "similarities.")
    else:
        explanation = (
            f"No passage found: the closest passage scored {result['best_score']:.2f} (the "
            f"calibrated threshold is {result['threshold']:.2f}, and its words must match too)."
            " Ask the legal officer.")
    return ModelOutput(output=result, explanation=explanation,
                       confidence=max(0.0, result["best_score"]) if result["found"] else None)
