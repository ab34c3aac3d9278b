"""People and places in Russian statements, with natasha (slovnet NER over navec embeddings).

Why natasha: it is the one Russian entity model that ships its weights inside PyPI wheels
(natasha 1.6: ``navec_news_v1_1B_250K_300d_100q`` and ``slovnet_ner_news_v1``, MIT), so it runs
offline. Only the segmenter and the NER tagger are loaded — natasha's ``MorphVocab``
(pymorphy2) needs ``pkg_resources``, which this Python does not have, and the hints do not need
lemmas: names are matched on their first letters, which survives case endings (Петров /
Петрова). Loaded once per process (~3 s); used by the ``cases.inconsistency`` runner only.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib.metadata import version
from typing import Any

MODEL_NAME = "natasha 1.6 (slovnet NER news v1, navec news v1)"
_lock = threading.Lock()
_models: list[Any] = []


def _load() -> tuple[Any, Any]:
    with _lock:
        if not _models:
            from natasha import NewsEmbedding, NewsNERTagger, Segmenter

            _models.extend([Segmenter(), NewsNERTagger(NewsEmbedding())])
        return _models[0], _models[1]


def entities(text: str) -> list[dict[str, Any]]:
    """PER → ``person`` and LOC → ``place`` spans of ``text`` (entity-like dicts)."""
    from natasha import Doc

    segmenter, tagger = _load()
    doc = Doc(text)
    with _lock:
        doc.segment(segmenter)
        doc.tag_ner(tagger)
    kinds = {"PER": "person", "LOC": "place"}
    return [
        {"kind": kinds[span.type], "text": span.text, "value": span.text,
         "start": span.start, "end": span.stop, "attrs": {"engine": "natasha"}}
        for span in doc.spans
        if span.type in kinds
    ]


@lru_cache(maxsize=1)
def versions() -> str:
    try:
        return f"natasha {version('natasha')}, slovnet {version('slovnet')}"
    except Exception:
        return "natasha (not installed)"
