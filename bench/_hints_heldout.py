"""Recall and false-positive rate of the inconsistency hints on the held-out pairs.

Imported by ``bench/cases_nlp.py``. The pairs in ``bench/data/hints_heldout_*.yaml`` were
written before the slot rules of issue 22 (see each file's header): the set "written apart
from the rules". Per language and per hint kind it reports

* recall: conflicting pairs (``expect`` is a kind, or a list of kinds for the author-made
  pairs: each counts) that got at least one hint of that kind;
* false-positive rate: agreeing pairs (``expect: none``) that got any hint, per ``topic`` and
  overall;
* wrong-kind: conflicting pairs that got hints, but none of the expected kind.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"
HELD_OUT_FILES = ("hints_heldout_en_zh.yaml", "hints_heldout_ru_fr_es.yaml")
STATEMENTS_FILE = "hints_heldout_v2_statements.yaml"
UNTUNED_FILE = "hints_heldout_v3_statements.yaml"


def _load(*names: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        out.extend(yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["pairs"])
    return out


def held_out_pairs() -> list[dict[str, Any]]:
    """The one-sentence pairs written before the rules (then used to fix three rules)."""
    return _load(*HELD_OUT_FILES)


def held_out_statements() -> list[dict[str, Any]]:
    """The multi-sentence pairs written after the rules (measured untuned at R 0.833 / FP 0.000,
    then used to fix three rules)."""
    return _load(STATEMENTS_FILE)


def untuned_statements() -> list[dict[str, Any]]:
    """The multi-sentence pairs written before those fixes and never tuned on."""
    return _load(UNTUNED_FILE)


def author_pairs(items: Iterable[Any]) -> list[dict[str, Any]]:
    """The author-made synthetic pairs (``accord.cases.evalset``) in the same shape."""
    out = []
    for pair in items:
        kinds = sorted({h["kind"] for h in pair.hints})
        out.append({
            "id": pair.id, "lang": pair.language, "a": pair.a.text, "b": pair.b.text,
            "expect": kinds or "none", "topic": "wording",
        })
    return out


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def evaluate(
    items: Iterable[dict[str, Any]], compare: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``compare`` on every pair and tally the figures described in the module docstring."""
    found: dict[str, Counter[str]] = defaultdict(Counter)  # lang -> kind -> found
    total: dict[str, Counter[str]] = defaultdict(Counter)
    fp: dict[str, Counter[str]] = defaultdict(Counter)  # lang -> topic -> pairs with a hint
    neg: dict[str, Counter[str]] = defaultdict(Counter)
    fp_kinds: dict[str, Counter[str]] = defaultdict(Counter)  # lang -> emitted kind on negatives
    wrong_kind: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    false_alarms: list[dict[str, Any]] = []
    n_pairs = 0
    for pair in items:
        n_pairs += 1
        lang = pair["lang"]
        result = compare(
            {"text_a": pair["a"], "language_a": lang, "text_b": pair["b"], "language_b": lang}
        )
        kinds = [h["kind"] for h in result["hints"]]
        if pair["expect"] == "none":
            topic = pair.get("topic", "other")
            neg[lang][topic] += 1
            if kinds:
                fp[lang][topic] += 1
                fp_kinds[lang].update(set(kinds))
                false_alarms.append({"id": pair["id"], "kinds": kinds})
        else:
            expected = pair["expect"] if isinstance(pair["expect"], list) else [pair["expect"]]
            for kind in expected:
                total[lang][kind] += 1
                if kind in kinds:
                    found[lang][kind] += 1
                else:
                    if kinds:
                        wrong_kind[lang] += 1
                    misses.append({"id": pair["id"], "expected": kind, "got": kinds})
    per_language: dict[str, Any] = {}
    languages = sorted(set(total) | set(neg), key=lambda x: ("en", "zh", "ru", "fr", "es",
                                                              x).index(x) if x in (
        "en", "zh", "ru", "fr", "es") else 9)
    for lang in languages:
        kinds_seen = sorted(set(total[lang]) | set(neg[lang]))
        rows = {
            kind: {
                "conflicting": total[lang][kind],
                "found": found[lang][kind],
                "recall": _rate(found[lang][kind], total[lang][kind]),
                "agreeing": neg[lang][kind],
                "false_alarms": fp[lang][kind],
                "fp_rate": _rate(fp[lang][kind], neg[lang][kind]),
            }
            for kind in kinds_seen
        }
        n_pos, n_neg = sum(total[lang].values()), sum(neg[lang].values())
        n_found, n_fp = sum(found[lang].values()), sum(fp[lang].values())
        per_language[lang] = {
            "conflicting": n_pos,
            "found": n_found,
            "recall": _rate(n_found, n_pos),
            "agreeing": n_neg,
            "false_alarms": n_fp,
            "fp_rate": _rate(n_fp, n_neg),
            "wrong_kind": wrong_kind[lang],
            "false_alarm_kinds": dict(sorted(fp_kinds[lang].items())),
            "per_kind": rows,
        }
    n_pos = sum(v["conflicting"] for v in per_language.values())
    n_neg = sum(v["agreeing"] for v in per_language.values())
    n_found = sum(v["found"] for v in per_language.values())
    n_fp = sum(v["false_alarms"] for v in per_language.values())
    return {
        "pairs": n_pairs,
        "all": {
            "conflicting": n_pos,
            "found": n_found,
            "recall": _rate(n_found, n_pos),
            "agreeing": n_neg,
            "false_alarms": n_fp,
            "fp_rate": _rate(n_fp, n_neg),
        },
        "per_language": per_language,
        "misses": misses,
        "false_alarms": false_alarms,
    }
