"""Write the knowledge base's precomputed passage vectors (``knowledge/data/passage_vectors.npz``)
for every bundled passage, so that a fresh process loads them instead of encoding (~9 s).
Only passages whose text changed since the last run (or all, after an encoder upgrade) are
encoded. Run after editing the legal facts, the guidance or cultural.yaml:

    PYTHONPATH=src python scripts/knowledge_vectors.py
"""

from __future__ import annotations

import json
import time

from accord.knowledge import encoder
from accord.knowledge.service import _embedding_text
from accord.knowledge.sources import bundled_passages


def main() -> None:
    started = time.perf_counter()
    texts = [_embedding_text(spec) for spec in bundled_passages()]
    counts = encoder.write_store(texts)
    print(json.dumps({**counts, "file": str(encoder.STORE_FILE.name),
                      "encoders": encoder.encoder_ids(),
                      "seconds": round(time.perf_counter() - started, 1)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
