"""Knowledge lookup: hit@1 / hit@3 per retrieval layer, "no passage" precision, latency.

    python bench/knowledge.py [--json] [--write]   # the gold set (data/knowledge_gold.yaml)
    python bench/knowledge.py --calibrate          # choose the threshold on the separate
                                                   # calibration set and store it

The gold set is never used for calibration. Each question lists the passage keys that answer
it (a fact and the cautions restating it are all acceptable); an empty list means that the base
holds no answer, and the right output is "no passage found". Runs on a fresh SQLite database in
a temporary directory, so nothing of an installation is touched.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
GOLD = HERE / "data" / "knowledge_gold.yaml"
CALIBRATION = HERE / "data" / "knowledge_calibration.yaml"


def _database() -> Any:
    """A migrated, synced SQLite database in a temporary directory."""
    tmp = Path(tempfile.mkdtemp(prefix="accord-kb-bench-"))
    os.environ["ACCORD_DATABASE_URL"] = f"sqlite:///{tmp / 'kb.sqlite3'}"
    os.environ["ACCORD_STATE_DIR"] = str(tmp / "var")
    import accord.assembly  # noqa: F401
    from accord.config import reset_settings_cache
    from accord.core import migrate
    from accord.core.runtime import get_database, reset_runtime
    from accord.knowledge.service import KnowledgeService

    reset_settings_cache()
    reset_runtime()
    migrate.upgrade(os.environ["ACCORD_DATABASE_URL"])
    database = get_database()
    with database.session() as session:
        KnowledgeService(session).sync()
    return database


def _load(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


def _cross(item: dict[str, Any]) -> bool:
    return bool(item.get("cross"))


def evaluate(database: Any, questions: list[dict[str, Any]],
             threshold: float) -> dict[str, Any]:
    from accord.knowledge.retrieval import LAYERS, lookup, rank

    answerable = [q for q in questions if q["expect"]]
    unanswerable = [q for q in questions if not q["expect"]]
    layers: dict[str, dict[str, float]] = {}
    misses: list[dict[str, Any]] = []
    with database.session() as session:
        lookup(session, "warm up")  # loads jieba, CC-CEDICT and the encoder
        for layer in LAYERS:
            hit1 = hit3 = 0
            for item in answerable:
                ranked, _ = rank(session, item["q"], layer)
                keys = [r.key for r in ranked[:3]]
                hit1 += bool(keys) and keys[0] in item["expect"]
                hit3 += any(k in item["expect"] for k in keys)
                if layer == "fusion" and not (keys and keys[0] in item["expect"]):
                    misses.append({"q": item["q"], "expect": item["expect"], "got": keys})
            n = len(answerable) or 1
            layers[layer] = {"hit1": round(hit1 / n, 4), "hit3": round(hit3 / n, 4),
                             "hit1_count": hit1, "hit3_count": hit3}
        cross = [q for q in answerable if _cross(q)]
        cross_hit1 = 0
        for item in cross:
            ranked, _ = rank(session, item["q"], "fusion")
            cross_hit1 += bool(ranked) and ranked[0].key in item["expect"]
        timings: list[float] = []
        refused_right = refused_wrong = 0
        wrong_passage_shown = 0
        for item in questions:
            started = time.perf_counter()
            result = lookup(session, item["q"])
            timings.append((time.perf_counter() - started) * 1000)
            if not result["found"]:
                if item["expect"]:
                    refused_wrong += 1
                else:
                    refused_right += 1
            elif not item["expect"]:
                wrong_passage_shown += 1
    refused = refused_right + refused_wrong
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return {
        "gold_questions": len(questions), "answerable": len(answerable),
        "cross_lingual": len(cross),
        "zh_questions": sum(1 for q in questions if any("\u4e00" <= c <= "\u9fff"
                                                       for c in q["q"])),
        "layers": layers,
        "cross_lingual_fusion_hit1": round(cross_hit1 / (len(cross) or 1), 4),
        "no_passage": {
            "threshold": threshold, "unanswerable": len(unanswerable), "refused": refused,
            "precision": round(refused_right / refused, 4) if refused else 0.0,
            "recall": round(refused_right / (len(unanswerable) or 1), 4),
            "false_refusals": refused_wrong,
            "unanswerable_given_a_passage": wrong_passage_shown,
        },
        "latency_ms": {"p50": round(statistics.median(timings), 1), "p95": round(p95, 1),
                       "queries": len(timings)},
        "fusion_misses": misses,
    }


def calibrate(database: Any) -> dict[str, Any]:
    """The threshold that best separates the calibration set's answerable questions whose top
    passage is right from its unanswerable ones (ties: the midpoint of the widest gap)."""
    from accord.knowledge.retrieval import answers, question_language, rank

    questions = _load(CALIBRATION)
    scored: list[tuple[Any, str, bool]] = []  # (top key, language, should answer)
    with database.session() as session:
        for item in questions:
            ranked, _ = rank(session, item["q"], "fusion")
            scored.append((ranked[0], question_language(item["q"]), bool(item["expect"])))
    values = sorted({r.cosine for r, _, _ in scored})
    candidates = [(a + b) / 2 for a, b in itertools.pairwise(values)] or [0.3]

    def right(t: float) -> int:
        return sum(answers(r, t, lang) == answer for r, lang, answer in scored)

    best = max(candidates, key=lambda t: (right(t), -abs(t - statistics.mean(candidates))))
    correct = right(best)
    return {"threshold": round(best, 4), "source": (
        f"calibrated on bench/data/knowledge_calibration.yaml ({len(questions)} questions, "
        f"{sum(a for _, _, a in scored)} answerable): {correct}/{len(scored)} decided right"),
        "command": "python bench/knowledge.py --calibrate",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scores": sorted([[round(r.cosine, 4), r.lexical_top, lang, a]
                          for r, lang, a in scored])}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/knowledge.json")
    parser.add_argument("--calibrate", action="store_true",
                        help="choose the threshold on the calibration set and store it")
    args = parser.parse_args(argv)
    if args.write:
        from _results import write
    database = _database()
    if args.calibrate:
        from accord.knowledge.retrieval import THRESHOLD_FILE

        result = calibrate(database)
        THRESHOLD_FILE.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    from accord.knowledge.retrieval import threshold

    result = evaluate(database, _load(GOLD), float(threshold()["threshold"]))
    if args.write:
        write("knowledge", "knowledge.py", argv,
              {k: v for k, v in result.items() if k != "fusion_misses"})
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{result['gold_questions']} questions ({result['answerable']} answerable, "
          f"{result['cross_lingual']} cross-lingual, {result['zh_questions']} in Chinese)")
    print(f"{'layer':<12} {'hit@1':>7} {'hit@3':>7}")
    for layer, row in result["layers"].items():
        print(f"{layer:<12} {row['hit1']:>7.1%} {row['hit3']:>7.1%}")
    np_ = result["no_passage"]
    print(f"no passage: threshold {np_['threshold']:.3f}, precision {np_['precision']:.1%}, "
          f"recall {np_['recall']:.1%} of {np_['unanswerable']}, false refusals "
          f"{np_['false_refusals']}")
    print(f"latency: p50 {result['latency_ms']['p50']} ms, p95 {result['latency_ms']['p95']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
