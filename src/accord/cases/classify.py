"""Case-type suggestion: a transparent cue-word scorer whose every point has a reason.

Why not a trained classifier: there is no labelled corpus of real foreign-related cases to
train on, and an officer must be able to see *why* a type was suggested. Each case type has cue
words or phrases with weights (``classify_cues.yaml``); the score of a type is the sum of the
weights of its cues found in the description, each cue counted once. The top type is suggested
only when it reaches a minimum score and leads the runner-up by a margin; otherwise the answer
is "no confident suggestion". The officer always chooses the type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from accord.cases.extract import base_language
from accord.cases.vocab import CASE_TYPES

CUES_FILE = "classify_cues.yaml"


@dataclass(frozen=True)
class Cue:
    phrase: str
    weight: float
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class CueBook:
    version: int
    min_score: float
    margin: float
    cues: dict[str, dict[str, tuple[Cue, ...]]]  # case type -> language -> cues


def _pattern(phrase: str, language: str) -> re.Pattern[str]:
    if language == "zh":
        return re.compile(re.escape(phrase))
    words = [re.escape(word) for word in phrase.split()]
    # Word start, any ending on the last word ("overstay" -> "overstayed").
    return re.compile(r"(?<![\w])" + r"\s+".join(words) + r"\w*", re.I)


@lru_cache(maxsize=1)
def cue_book() -> CueBook:
    raw = yaml.safe_load((files("accord.cases") / CUES_FILE).read_text(encoding="utf-8"))
    cues: dict[str, dict[str, tuple[Cue, ...]]] = {}
    for case_type, by_language in raw["types"].items():
        if case_type not in CASE_TYPES:
            raise ValueError(f"{CUES_FILE}: unknown case type {case_type!r}")
        cues[case_type] = {
            lang: tuple(Cue(str(p), float(w), _pattern(str(p), lang)) for p, w in table.items())
            for lang, table in by_language.items()
        }
    return CueBook(int(raw["version"]), float(raw["min_score"]), float(raw["margin"]), cues)


def classify(description: str, language: str) -> dict[str, Any]:
    """Ranked case types with the cues that matched, and whether the top one is confident."""
    book = cue_book()
    lang = base_language(language)
    if lang not in ("en", "zh"):
        return {
            "language": lang,
            "suggestion": None,
            "confident": False,
            "ranking": [],
            "reason": f"no cue list for language {lang!r} (English and Chinese only)",
        }
    ranking = []
    for case_type, by_language in book.cues.items():
        reasons, seen_spans = [], []
        score = 0.0
        # Longer cues first, so "lost my passport" claims its words before "passport".
        for cue in sorted(by_language.get(lang, ()), key=lambda c: -len(c.phrase)):
            match = cue.pattern.search(description)
            if match is None:
                continue
            if any(s <= match.start() and match.end() <= e for s, e in seen_spans):
                continue  # a shorter cue inside a longer one already counted
            seen_spans.append((match.start(), match.end()))
            score += cue.weight
            reasons.append(
                {
                    "cue": cue.phrase,
                    "weight": cue.weight,
                    "text": match.group(),
                    "start": match.start(),
                    "end": match.end(),
                }
            )
        if score > 0:
            ranking.append(
                {
                    "case_type": case_type,
                    "label": CASE_TYPES[case_type],
                    "score": score,
                    "reasons": sorted(reasons, key=lambda r: r["start"]),
                }
            )
    ranking.sort(key=lambda r: (-r["score"], r["case_type"]))
    top = ranking[0]["score"] if ranking else 0.0
    second = ranking[1]["score"] if len(ranking) > 1 else 0.0
    confident = top >= book.min_score and top - second >= book.margin
    if confident:
        reason = (
            f"{ranking[0]['case_type']} scored {top:g} against {second:g} for the next "
            "type (cue words found in the description)."
        )
    elif not ranking:
        reason = "no cue word of any case type was found"
    else:
        reason = (
            f"no confident suggestion: the top score {top:g} is below "
            f"{book.min_score:g} or leads the next ({second:g}) by less than "
            f"{book.margin:g}"
        )
    return {
        "language": lang,
        "suggestion": ranking[0]["case_type"] if confident else None,
        "confident": confident,
        "ranking": ranking,
        "reason": reason,
        "cues_version": book.version,
    }
