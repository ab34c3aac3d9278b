"""Precomputed passage vectors: a fresh process loads the shipped ones (keyed by the text's
digest under the encoder's id and version) instead of encoding; a passage whose text changed
gets a vector of its own, encoded; a store written under another encoder version is ignored.
Real encoders throughout (loaded once for the module); the encoder calls are counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from accord.knowledge import encoder
from accord.knowledge.service import _embedding_text
from accord.knowledge.sources import bundled_passages

FIRST = "Foreign nationals staying outside hotels register within 24 hours."
SECOND = "境外人员在宾馆以外住宿的，应当在入住后二十四小时内办理住宿登记。"
CHANGED = "Foreign nationals staying outside hotels register within 72 hours."


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """Each text the encoders are asked to encode afresh (both encoders), with the shipped
    store pointed at a file of this test's own."""
    calls: list[str] = []
    real_use, real_e5 = encoder.encode, encoder.encode_e5

    def use(texts: list[str]) -> np.ndarray:
        calls.extend(f"use:{t}" for t in texts)
        return real_use(texts)

    def e5(texts: list[str], *, query: bool) -> np.ndarray:
        calls.extend(f"e5:{t}" for t in texts)
        return real_e5(texts, query=query)

    monkeypatch.setattr(encoder, "encode", use)
    monkeypatch.setattr(encoder, "encode_e5", e5)
    encoder.use_store(tmp_path / "vectors.npz")
    yield calls
    encoder.use_store(encoder.STORE_FILE)


def test_a_fresh_process_loads_vectors_and_a_changed_passage_is_encoded(
        counted: list[str], tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    written = encoder.write_store([FIRST, SECOND], path)
    assert written == {"texts": 2, "encoded_use": 2, "encoded_e5": 2}
    assert len(counted) == 4
    stored_first = encoder.encode_e5_passages([FIRST])[0]

    encoder.use_store(path)  # a fresh process: nothing in memory, the file on disk
    counted.clear()
    use = encoder.encode_passages([FIRST, SECOND])
    e5 = encoder.encode_e5_passages([FIRST, SECOND])
    assert counted == []  # loaded, not encoded
    assert use.shape == (2, encoder.DIM) and e5.shape == (2, encoder.E5_DIM)
    assert np.array_equal(e5[0], stored_first)

    encoder.use_store(path)
    counted.clear()
    vectors = encoder.encode_e5_passages([FIRST, CHANGED])
    assert counted == [f"e5:{CHANGED}"]  # only the changed text is encoded
    assert not np.allclose(vectors[1], e5[0])  # and it has a vector of its own
    assert np.array_equal(vectors[1], encoder.encode_e5([CHANGED], query=False)[0])

    # Rewriting keeps only the current texts and encodes only what is new.
    encoder.use_store(path)
    counted.clear()
    assert encoder.write_store([FIRST, CHANGED], path) == \
        {"texts": 2, "encoded_use": 1, "encoded_e5": 1}
    encoder.use_store(path)
    assert set(encoder.read_store(path)["e5"]) == {encoder.text_digest(FIRST),
                                                   encoder.text_digest(CHANGED)}


def test_a_store_of_another_encoder_version_or_a_broken_file_is_ignored(
        counted: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "vectors.npz"
    encoder.write_store([FIRST], path)
    ids = dict(encoder.encoder_ids())
    monkeypatch.setattr(encoder, "encoder_ids",
                        lambda: {**ids, "e5": ids["e5"].replace("0.3.0", "9.9.9")})
    loaded = encoder.read_store(path)
    assert loaded["e5"] == {} and len(loaded["use"]) == 1
    encoder.use_store(path)
    counted.clear()
    encoder.encode_e5_passages([FIRST])
    assert counted == [f"e5:{FIRST}"]
    path.write_bytes(b"not a numpy file")
    assert encoder.read_store(path) == {"use": {}, "e5": {}}


def test_the_shipped_store_covers_every_bundled_passage() -> None:
    """Fails when a bundled source changed without ``python scripts/knowledge_vectors.py``
    (a fresh process would then encode the changed passages: slower, not wrong)."""
    stored = encoder.read_store(encoder.STORE_FILE)
    digests = {encoder.text_digest(_embedding_text(s)) for s in bundled_passages()}
    assert digests <= set(stored["use"]) and digests <= set(stored["e5"]), \
        "run: PYTHONPATH=src python scripts/knowledge_vectors.py"
