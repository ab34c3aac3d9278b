"""Precision and recall of the case-file language capabilities on the labelled synthetic set.

    python bench/cases_nlp.py [--quick] [--json] [--seed N]

Runs the same functions the gateway capabilities run (``cases.extract``, ``cases.classify``,
``cases.inconsistency``) on ``accord.cases.evalset`` (300 statements and 200 statement pairs,
half English, half Chinese; ``--quick``: 60 and 40), and reports:

* extraction: per entity kind and language, P/R/F1, where a prediction counts only if its kind
  is right, its span overlaps the gold span and its normalised value equals the gold value
  (people and places: span overlap only);
* classification: accuracy, how often a suggestion was made, accuracy when made, per-class P/R;
* inconsistency hints: P/R per hint kind, where a hint counts if its kind and both values are
  right, and the number of hints on pairs that differ only in wording;
* inconsistency hints on held-out pairs (``bench/data/hints_heldout_*.yaml``, issue 22), per
  language and per hint kind: recall on conflicting pairs and false-alarm rate on agreeing
  pairs — the one-sentence set written before the rules, two multi-sentence sets (v2 written
  after the rules and then used to fix them, v3 written before those fixes and never tuned
  on), and the author-made synthetic pairs in the same measure for comparison
  (``--hints-only`` runs just these).

It also reports the resident-memory growth of loading spaCy and jieba.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from typing import Any

from _hints_heldout import (
    author_pairs,
    held_out_pairs,
    held_out_statements,
    untuned_statements,
)
from _hints_heldout import evaluate as evaluate_held_out

from accord.cases.classify import classify
from accord.cases.evalset import (
    EvalPair,
    EvalStatement,
    Gold,
    hard_descriptions,
    pairs,
    statements,
)
from accord.cases.extract import ENTITY_KINDS, extract, jieba_tokenizer, spacy_model
from accord.cases.inconsistency import compare
from accord.cases.vocab import CASE_TYPES

SPAN_ONLY = {"person", "place"}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(f, 3),
    }


def _entity_match(pred: dict[str, Any], gold: Gold) -> bool:
    if pred["kind"] != gold.kind or not (pred["start"] < gold.end and gold.start < pred["end"]):
        return False
    return gold.kind in SPAN_ONLY or pred["value"] == gold.value


def eval_extraction(items: list[EvalStatement]) -> dict[str, Any]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    errors: list[dict[str, Any]] = []
    for item in items:
        predicted = extract(item.text, item.language)["entities"]
        unmatched = list(item.entities)
        for pred in predicted:
            gold = next((g for g in unmatched if _entity_match(pred, g)), None)
            key = (item.language, pred["kind"])
            if gold is None:
                counts[key]["fp"] += 1
                if len(errors) < 40:
                    errors.append(
                        {
                            "id": item.id,
                            "type": "fp",
                            "kind": pred["kind"],
                            "text": pred["text"],
                            "value": pred["value"],
                        }
                    )
            else:
                counts[key]["tp"] += 1
                unmatched.remove(gold)
        for gold in unmatched:
            counts[(item.language, gold.kind)]["fn"] += 1
            if len(errors) < 40:
                errors.append(
                    {
                        "id": item.id,
                        "type": "fn",
                        "kind": gold.kind,
                        "text": gold.text,
                        "value": gold.value,
                    }
                )
    table = {}
    for lang in ("en", "zh"):
        rows = {
            kind: prf(**{k: counts[(lang, kind)][k] for k in ("tp", "fp", "fn")})
            for kind in ENTITY_KINDS
            if sum(counts[(lang, kind)].values())
        }
        total = Counter[str]()
        for kind in ENTITY_KINDS:
            total.update(counts[(lang, kind)])
        rows["all"] = prf(total["tp"], total["fp"], total["fn"])
        table[lang] = rows
    return {"per_language": table, "examples_of_errors": errors}


def eval_classification(items: list[EvalStatement]) -> dict[str, Any]:
    per_class: dict[str, Counter[str]] = defaultdict(Counter)
    made = correct = correct_made = 0
    by_lang: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        result = classify(item.text, item.language)
        suggestion = result["suggestion"]
        gold = item.case_type or None
        ok = suggestion == gold
        correct += ok
        by_lang[item.language]["n"] += 1
        by_lang[item.language]["correct"] += ok
        if suggestion is not None:
            made += 1
            correct_made += ok
            per_class[suggestion]["tp" if ok else "fp"] += 1
        if gold is not None and not ok:
            per_class[gold]["fn"] += 1
    n = len(items)
    return {
        "n": n,
        "accuracy": round(correct / n, 3),
        "suggestion_rate": round(made / n, 3),
        "accuracy_when_suggested": round(correct_made / made, 3) if made else 0.0,
        "per_language_accuracy": {
            lang: round(c["correct"] / c["n"], 3) for lang, c in sorted(by_lang.items())
        },
        "per_class": {
            ct: prf(per_class[ct]["tp"], per_class[ct]["fp"], per_class[ct]["fn"])
            for ct in CASE_TYPES
        },
    }


def _hint_match(pred: dict[str, Any], gold: dict[str, str]) -> bool:
    if pred["kind"] != gold["kind"]:
        return False
    va, vb = pred["a"]["value"], pred["b"]["value"]
    if gold["kind"] == "date":
        return va[-5:] == gold["a"] and vb[-5:] == gold["b"]
    if gold["kind"] == "place":
        return (gold["a"] in va or va in gold["a"]) and (gold["b"] in vb or vb in gold["b"])
    return va == gold["a"] and vb == gold["b"]


def eval_hints(items: list[EvalPair]) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    wording_only = wording_only_false = 0
    errors: list[dict[str, Any]] = []
    for pair in items:
        result = compare(
            {
                "text_a": pair.a.text,
                "language_a": pair.language,
                "text_b": pair.b.text,
                "language_b": pair.language,
            }
        )
        unmatched = list(pair.hints)
        if not pair.hints:
            wording_only += 1
            wording_only_false += len(result["hints"])
        for hint in result["hints"]:
            gold = next((g for g in unmatched if _hint_match(hint, g)), None)
            if gold is None:
                counts[hint["kind"]]["fp"] += 1
                if len(errors) < 30:
                    errors.append(
                        {
                            "id": pair.id,
                            "type": "fp",
                            "kind": hint["kind"],
                            "explanation": hint["explanation"],
                        }
                    )
            else:
                counts[hint["kind"]]["tp"] += 1
                unmatched.remove(gold)
        for gold in unmatched:
            counts[gold["kind"]]["fn"] += 1
            if len(errors) < 30:
                errors.append({"id": pair.id, "type": "fn", **gold})
    rows = {kind: prf(c["tp"], c["fp"], c["fn"]) for kind, c in sorted(counts.items())}
    total = Counter[str]()
    for c in counts.values():
        total.update(c)
    rows["all"] = prf(total["tp"], total["fp"], total["fn"])
    return {
        "n_pairs": len(items),
        "per_kind": rows,
        "wording_only_pairs": wording_only,
        "hints_on_wording_only_pairs": wording_only_false,
        "examples_of_errors": errors,
    }


def held_out_figures(pair_items: list[EvalPair]) -> dict[str, Any]:
    """Recall and false-alarm rate per language and hint kind on the three sets."""

    def run(pair: dict[str, Any]) -> dict[str, Any]:
        return compare(pair)

    started = time.perf_counter()
    one = evaluate_held_out(held_out_pairs(), run)
    several = evaluate_held_out(held_out_statements(), run)
    untuned = evaluate_held_out(untuned_statements(), run)
    author = evaluate_held_out(author_pairs(pair_items), run)
    n = one["pairs"] + several["pairs"] + untuned["pairs"] + author["pairs"]
    return {
        "hints_held_out": one,
        "hints_held_out_statements": several,
        "hints_held_out_untuned": untuned,
        "hints_author_made": author,
        "hints_ms_per_pair": round(1000 * (time.perf_counter() - started) / max(1, n), 1),
    }


def print_held_out(report: dict[str, Any]) -> None:
    names = {
        "hints_held_out": "held-out one-sentence pairs (written before the rules)",
        "hints_held_out_statements": "held-out statements v2 (written after the rules; "
                                     "first run R 0.833, then used to fix three rules)",
        "hints_held_out_untuned": "held-out statements v3 (written before those fixes, "
                                  "never tuned on)",
        "hints_author_made": "author-made synthetic pairs",
    }
    for key, name in names.items():
        block = report[key]
        print(f"\nInconsistency hints, {name}: {block['pairs']} pairs, recall "
              f"{block['all']['recall']}, false-alarm rate {block['all']['fp_rate']}")
        print(f"  {'lang':<6}{'kind':<22}{'recall':>8}{'n':>5}{'FP rate':>9}{'n':>5}")
        for lang, row in block["per_language"].items():
            print(f"  {lang:<6}{'all':<22}{row['recall']!s:>8}{row['conflicting']:>5}"
                  f"{row['fp_rate']!s:>9}{row['agreeing']:>5}")
            for kind, k in row["per_kind"].items():
                print(f"  {'':<6}{kind:<22}{k['recall']!s:>8}{k['conflicting']:>5}"
                      f"{k['fp_rate']!s:>9}{k['agreeing']:>5}")


def hints_only(args: argparse.Namespace, argv: list[str], n_pairs: int) -> int:
    pair_items = pairs(n_pairs, args.seed)
    report = {"seed": args.seed, "pairs": n_pairs, "hints": eval_hints(pair_items),
              **held_out_figures(pair_items)}
    if args.write:
        from _results import write

        write("cases_nlp-hints", "cases_nlp.py", argv, report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_held_out(report)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="60 statements, 40 pairs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/cases_nlp.json "
                        "(with --hints-only: cases_nlp-hints.json)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hints-only", action="store_true",
                        help="only the inconsistency hints on the held-out and author-made pairs")
    args = parser.parse_args(argv)
    if args.write:  # records the commit before anything is measured
        from _results import write
    n_statements, n_pairs = (60, 40) if args.quick else (300, 200)
    if args.hints_only:
        return hints_only(args, argv, n_pairs)

    before = rss_mb()
    started = time.perf_counter()
    spacy_model()
    after_spacy = rss_mb()
    jieba_tokenizer()
    after_jieba = rss_mb()
    memory = {
        "rss_before_mb": round(before, 1),
        "spacy_growth_mb": round(after_spacy - before, 1),
        "jieba_growth_mb": round(after_jieba - after_spacy, 1),
        "load_seconds": round(time.perf_counter() - started, 2),
    }

    items = statements(n_statements, args.seed)
    pair_items = pairs(n_pairs, args.seed)
    started = time.perf_counter()
    extraction = eval_extraction(items)
    extraction["ms_per_statement"] = round(1000 * (time.perf_counter() - started) / len(items), 1)
    classification = eval_classification(items)
    hard = eval_classification(hard_descriptions())
    hints = eval_hints(pair_items)
    held_out = held_out_figures(pair_items)
    report = {
        "seed": args.seed,
        "statements": len(items),
        "pairs": len(pair_items),
        "memory": memory,
        "extraction": extraction,
        "classification": classification,
        "classification_hand_written": hard,
        "hints": hints,
        **held_out,
    }
    if args.write:
        write("cases_nlp", "cases_nlp.py", argv, report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(
        f"labelled synthetic set: {len(items)} statements, {len(pair_items)} pairs "
        f"(seed {args.seed})"
    )
    print(
        f"memory: spaCy +{memory['spacy_growth_mb']} MB, jieba +{memory['jieba_growth_mb']} "
        f"MB RSS, loaded in {memory['load_seconds']} s"
    )
    print(f"\nEntity extraction ({extraction['ms_per_statement']} ms/statement)")
    print(f"{'lang':<5}{'kind':<13}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>5}{'fn':>5}")
    for lang, rows in extraction["per_language"].items():
        for kind, row in rows.items():
            print(
                f"{lang:<5}{kind:<13}{row['precision']:>7.3f}{row['recall']:>7.3f}"
                f"{row['f1']:>7.3f}{row['tp']:>6}{row['fp']:>5}{row['fn']:>5}"
            )
    c = classification
    print(
        f"\nCase-type suggestion: accuracy {c['accuracy']:.3f}, suggestion made for "
        f"{c['suggestion_rate']:.3f}, accuracy when made {c['accuracy_when_suggested']:.3f} "
        f"(en {c['per_language_accuracy'].get('en', 0):.3f}, "
        f"zh {c['per_language_accuracy'].get('zh', 0):.3f})"
    )
    for ct, row in c["per_class"].items():
        print(f"  {ct:<28}P {row['precision']:.3f}  R {row['recall']:.3f}")
    h = hard
    print(
        f"\nCase-type suggestion on {h['n']} hand-written plain descriptions: accuracy "
        f"{h['accuracy']:.3f}, suggestion made for {h['suggestion_rate']:.3f}, accuracy when "
        f"made {h['accuracy_when_suggested']:.3f} (en {h['per_language_accuracy']['en']:.3f}, "
        f"zh {h['per_language_accuracy']['zh']:.3f})"
    )
    print(f"\nInconsistency hints on {hints['n_pairs']} pairs")
    for kind, row in hints["per_kind"].items():
        print(
            f"  {kind:<10}P {row['precision']:.3f}  R {row['recall']:.3f}  "
            f"(tp {row['tp']}, fp {row['fp']}, fn {row['fn']})"
        )
    print(
        f"  hints on {hints['wording_only_pairs']} wording-only pairs: "
        f"{hints['hints_on_wording_only_pairs']}"
    )
    print_held_out(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
