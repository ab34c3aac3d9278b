"""Knowledge lookup: hit@1 / hit@3 per retrieval layer, "no passage" precision, latency.

    python bench/knowledge.py [--json] [--write]   # the gold set (data/knowledge_gold.yaml)
    python bench/knowledge.py --calibrate          # choose the threshold on the separate
                                                   # calibration set and store it
    python bench/knowledge.py --rules              # other "no passage" rules, leave-one-out
                                                   # on the calibration set only

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


def _features(database: Any) -> list[dict[str, Any]]:
    """Per calibration question: what a decision rule may look at (never the gold set)."""
    from accord.knowledge import index, lexicon
    from accord.knowledge.retrieval import _collapse, _vectors, question_language, rank

    rows = []
    with database.session() as session:
        ids, keys, _, _ = _vectors(session)
        key_of = dict(zip(ids, keys, strict=True))
        for item in _load(CALIBRATION):
            ranked, e5 = rank(session, item["q"], "fusion")
            top, second = ranked[0], ranked[1]
            words = index.terms(item["q"])
            lexical = _collapse(index.search(session, words, limit=100), key_of)
            expanded = _collapse(index.search(session, words + lexicon.expand(words),
                                              limit=100), key_of)
            word_rank = min(lexical.index(top.key) + 1 if top.key in lexical else 999,
                            expanded.index(top.key) + 1 if top.key in expanded else 999)
            rows.append({
                "should": bool(item["expect"]), "language": question_language(item["q"]),
                "cosine": top.cosine, "word_rank": word_rank, "margin": top.fused - second.fused,
                "e5_agrees": max(e5, key=lambda k: e5[k]) == top.key,
                "use_agrees": max(ranked, key=lambda r: r.use_cosine).key == top.key})
    return rows


def compare_rules(database: Any) -> dict[str, Any]:
    """Decision rules for "no passage found", each fitted on the calibration set and scored
    out of sample by leave-one-out (fit on 108, decide the 109th): the current rule against
    the two encoders' agreement, a margin between the top two keys, and a looser or stricter
    word check. Only the calibration set is read."""
    from accord.knowledge.retrieval import WORD_LANGUAGES

    rows = _features(database)
    cosines = sorted({r["cosine"] for r in rows})
    thresholds = [(a + b) / 2 for a, b in itertools.pairwise(cosines)]
    margins = sorted({r["margin"] for r in rows})
    margin_grid = [0.0, *[(a + b) / 2 for a, b in itertools.pairwise(margins)][::3]]

    def words(r: dict[str, Any], k: int) -> bool:
        return r["word_rank"] <= k or r["language"] not in WORD_LANGUAGES

    rules: dict[str, tuple[Any, list[tuple[float, ...]]]] = {
        "current: e5 cosine ≥ t and word top-3": (
            lambda r, t: r["cosine"] >= t and words(r, 3), [(t,) for t in thresholds]),
        "+ e5 and fusion agree on the top key": (
            lambda r, t: r["cosine"] >= t and words(r, 3) and r["e5_agrees"],
            [(t,) for t in thresholds]),
        "+ USE or e5 agrees with the fusion": (
            lambda r, t: r["cosine"] >= t and words(r, 3) and (r["e5_agrees"]
                                                                or r["use_agrees"]),
            [(t,) for t in thresholds]),
        "+ fused margin top-1 − top-2 ≥ m": (
            lambda r, t, m: r["cosine"] >= t and words(r, 3) and r["margin"] >= m,
            [(t, m) for t in thresholds[::2] for m in margin_grid]),
        "words or a margin ≥ m (either)": (
            lambda r, t, m: r["cosine"] >= t and (words(r, 3) or r["margin"] >= m),
            [(t, m) for t in thresholds[::2] for m in margin_grid]),
        "word check top-1 (key terms)": (
            lambda r, t: r["cosine"] >= t and words(r, 1), [(t,) for t in thresholds]),
        "word check top-k, k fitted (1,2,3,5,10)": (
            lambda r, t, k: r["cosine"] >= t and words(r, int(k)),
            [(t, k) for t in thresholds for k in (1, 2, 3, 5, 10)]),
    }

    def right(rule: Any, subset: list[dict[str, Any]], params: tuple[float, ...]) -> int:
        return sum(rule(r, *params) == r["should"] for r in subset)

    out = {}
    for name, (rule, grid) in rules.items():
        fitted = max(grid, key=lambda p, rule=rule: right(rule, rows, p))
        held_out = refused = refused_right = 0
        for i, r in enumerate(rows):
            rest = rows[:i] + rows[i + 1:]
            params = max(grid, key=lambda p, rule=rule, rest=rest: right(rule, rest, p))
            decided = rule(r, *params)
            held_out += decided == r["should"]
            refused += not decided
            refused_right += not decided and not r["should"]
        out[name] = {"in_sample": right(rule, rows, fitted), "leave_one_out": held_out,
                     "loo_no_passage_precision": round(refused_right / (refused or 1), 4),
                     "loo_no_passage_recall": round(
                         refused_right / (sum(not r["should"] for r in rows) or 1), 4),
                     "fitted": [round(x, 4) for x in fitted]}
    return {"calibration_questions": len(rows), "rules": out}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/knowledge.json")
    parser.add_argument("--calibrate", action="store_true",
                        help="choose the threshold on the calibration set and store it")
    parser.add_argument("--rules", action="store_true",
                        help="compare 'no passage' rules on the calibration set only "
                             "(leave-one-out)")
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
    if args.rules:
        compared = compare_rules(database)
        if args.json:
            print(json.dumps(compared, indent=2, ensure_ascii=False))
            return 0
        print(f"{'rule (calibration set, ' + str(compared['calibration_questions']) + ')':<44}"
              f" {'fitted':>7} {'LOO':>5} {'prec':>6} {'recall':>6}")
        for name, row in compared["rules"].items():
            print(f"{name:<44} {row['in_sample']:>7} {row['leave_one_out']:>5} "
                  f"{row['loo_no_passage_precision']:>6.0%} {row['loo_no_passage_recall']:>6.0%}")
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
