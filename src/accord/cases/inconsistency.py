"""Inconsistency hints between two statements of one case, for a human to weigh.

Why slots, not similarity: sentence-embedding models score "a red jacket" and "a blue jacket"
as near-identical, and no offline contradiction model ships. So both statements go through the
entity extractor, each normalised value is attached to a *topic* (the incident time, the number
of a named item, the colour of a named object, the nationality or age of a described person),
and only values of the same kind on the same topic are compared. Different wording with the same
values gives no hint. A hint shows both passages side by side and a neutral sentence; it never
says who is right, and Accord computes no credibility or truthfulness score.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.cases.extract import base_language, extract, sentences

HINT_KINDS: tuple[str, ...] = ("time", "date", "place", "quantity", "colour", "identity")
NOT_A_JUDGEMENT = (
    "Hints point at differences between the statements for a human to look at. They are not "
    "credibility or truthfulness judgements: people remember differently, and translations "
    "and estimates differ."
)

# Which event a time or date belongs to, by cue words in its sentence (first match wins).
_TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (
            "report",
            r"\b(?:call(?:ed)? the police|rang the police|reported|phoned the police|"
            r"police (?:came|arrived))",
        ),
        ("arrival", r"\b(?:arrived|got (?:there|to|home|back)|came (?:to|back|home)|reached)\b"),
        ("departure", r"\b(?:left|departed|went home)\b"),
    ),
    "zh": (
        ("report", r"报警|报案|警察来了|民警赶到"),
        ("arrival", r"到达|来到|到了|回到"),
        ("departure", r"离开"),
    ),
}
_TOPIC_LABEL = {
    "incident": "the incident",
    "report": "the report to the police",
    "arrival": "the arrival",
    "departure": "the departure",
}

# Who an identity detail is about.
_REFERENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("speaker", r"\b(?:I am|I'm|my name is|I was born|I come from|I hold)\b"),
        ("driver", r"\bdriver\b"),
        ("thief", r"\b(?:thief|pickpocket|robber)\b"),
        ("man", r"\b(?:man|guy|he|him)\b"),
        ("woman", r"\b(?:woman|lady|she|her)\b"),
        ("employer", r"\b(?:employer|boss|owner)\b"),
    ),
    "zh": (
        ("speaker", r"我叫|我是|我今年|我来自|我的名字"),
        ("driver", r"司机"),
        ("thief", r"小偷|扒手|劫匪"),
        ("man", r"男子|男人|男的|他"),
        ("woman", r"女子|女人|女的|她"),
        ("employer", r"雇主|老板"),
    ),
}


@dataclass(frozen=True)
class Slot:
    kind: str  # hint kind
    topic: str  # e.g. "incident", "item:phone", "object:jacket", "nationality:man"
    label: str  # human wording of the topic
    entity: dict[str, Any]
    sentence: tuple[int, int]


def _plural(item: str) -> str:
    irregular = {"man": "men", "woman": "women", "person": "people", "child": "children"}
    if item in irregular:
        return irregular[item]
    if not item.isascii():
        return f"“{item}”"
    return item if item.endswith("s") else item + "s"


def _match_first(table: tuple[tuple[str, str], ...], sentence: str, default: str) -> str:
    for name, pattern in table:
        if re.search(pattern, sentence, re.I):
            return name
    return default


def slots(text: str, language: str, entities: list[dict[str, Any]]) -> list[Slot]:
    lang = base_language(language)
    spans = sentences(text)
    out: list[Slot] = []
    for entity in entities:
        sentence = next(((s, e) for s, e in spans if s <= entity["start"] < e), (0, len(text)))
        sentence_text = text[sentence[0] : sentence[1]]
        kind, value, attrs = entity["kind"], entity["value"], entity.get("attrs", {})
        if not value:
            continue
        if kind in ("time", "date", "place"):
            topic = _match_first(_TOPICS.get(lang, ()), sentence_text, "incident")
            if kind == "place" and topic != "incident":
                continue
            what = {"time": "time", "date": "date", "place": "place"}[kind]
            out.append(Slot(kind, topic, f"{what} of {_TOPIC_LABEL[topic]}", entity, sentence))
        elif kind == "quantity" and attrs.get("item"):
            out.append(
                Slot(
                    "quantity",
                    f"item:{attrs['item']}",
                    f"number of {_plural(attrs['item'])}",
                    entity,
                    sentence,
                )
            )
        elif kind == "colour" and attrs.get("object"):
            out.append(
                Slot(
                    "colour",
                    f"object:{attrs['object']}",
                    f"colour of the {attrs['object']}",
                    entity,
                    sentence,
                )
            )
        elif kind in ("nationality", "age"):
            who = _match_first(_REFERENTS.get(lang, ()), sentence_text, "other")
            label = "the person giving the statement" if who == "speaker" else f"the {who}"
            out.append(Slot("identity", f"{kind}:{who}", f"{kind} of {label}", entity, sentence))
        elif kind == "person":
            out.append(Slot("identity", "name", "spelling of a name", entity, sentence))
    return out


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _differs(slot_a: Slot, slot_b: Slot) -> bool:
    a, b = slot_a.entity, slot_b.entity
    approximate = bool(
        a.get("attrs", {}).get("approximate") or b.get("attrs", {}).get("approximate")
    )
    if slot_a.kind == "time":
        gap = abs(_minutes(a["value"]) - _minutes(b["value"]))
        gap = min(gap, 1440 - gap)
        return gap > (30 if approximate else 10)
    if slot_a.kind == "date":
        va, vb = a["value"], b["value"]
        if va.startswith("--") or vb.startswith("--"):
            return va[-5:] != vb[-5:]
        return bool(va != vb)
    if slot_a.topic.startswith("age:"):
        return abs(int(a["value"]) - int(b["value"])) > (5 if approximate else 1)
    return bool(a["value"] != b["value"])


def _similar_names(a: str, b: str) -> bool:
    """Same person, different spelling: close but not equal (Petrov/Petrow, 李明/李鸣)."""
    if a == b:
        return False
    if re.search(r"[\u4e00-\u9fff]", a + b):
        return (
            len(a) == len(b) >= 2
            and a[0] == b[0]
            and sum(x != y for x, y in zip(a, b, strict=True)) == 1
        )
    ratio = difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()
    return ratio >= 0.8 and a.split()[0].lower()[:1] == b.split()[0].lower()[:1]


def _passage(text: str, slot: Slot, source: str) -> dict[str, Any]:
    s, e = slot.sentence
    return {
        "sentence": text[s:e],
        "sentence_start": s,
        "sentence_end": e,
        "text": slot.entity["text"],
        "start": slot.entity["start"],
        "end": slot.entity["end"],
        "value": slot.entity["value"],
        "source": source,
    }


def _hint(
    kind: str, label: str, text_a: str, slot_a: Slot, text_b: str, slot_b: Slot, source: str
) -> dict[str, Any]:
    va, vb = slot_a.entity["value"], slot_b.entity["value"]
    if slot_a.topic.startswith("nationality:"):
        va, vb = f"{slot_a.entity['text']} ({va})", f"{slot_b.entity['text']} ({vb})"
    return {
        "kind": kind,
        "topic": slot_a.topic,
        "about": label,
        "a": _passage(text_a, slot_a, source),
        "b": _passage(text_b, slot_b, source),
        "explanation": f"Statement A says {va}, statement B says {vb} for the {label}.",
    }


def _place_key(value: str) -> str:
    return re.sub(r"[\s\-]+|^the\s+", "", value.lower())


def compare_texts(
    text_a: str, text_b: str, language: str, *, same_speaker: bool = False, source: str = "original"
) -> list[dict[str, Any]]:
    """Hints between two texts in the same language."""
    ents_a = extract(text_a, language)["entities"]
    ents_b = extract(text_b, language)["entities"]
    slots_a, slots_b = slots(text_a, language, ents_a), slots(text_b, language, ents_b)
    hints: list[dict[str, Any]] = []

    def first_by_topic(items: list[Slot], kind: str) -> dict[str, Slot]:
        out: dict[str, Slot] = {}
        for slot in items:
            if slot.kind == kind and slot.topic not in out:
                out[slot.topic] = slot
        return out

    for kind in ("time", "date", "quantity", "colour"):
        a_first, b_first = first_by_topic(slots_a, kind), first_by_topic(slots_b, kind)
        for topic, slot_a in a_first.items():
            slot_b = b_first.get(topic)
            if slot_b is not None and _differs(slot_a, slot_b):
                hints.append(_hint(kind, slot_a.label, text_a, slot_a, text_b, slot_b, source))
    # Places of the incident: what each side names that the other does not mention at all.
    places_a = [s for s in slots_a if s.kind == "place"]
    places_b = [s for s in slots_b if s.kind == "place"]

    def unmatched(mine: list[Slot], theirs: list[Slot]) -> list[Slot]:
        keys = [_place_key(s.entity["value"]) for s in theirs]
        return [
            s
            for s in mine
            if not any(
                k in _place_key(s.entity["value"]) or _place_key(s.entity["value"]) in k
                for k in keys
            )
        ]

    only_a, only_b = unmatched(places_a, places_b), unmatched(places_b, places_a)
    if only_a and only_b:
        hints.append(_hint("place", only_a[0].label, text_a, only_a[0], text_b, only_b[0], source))
    # Identity details: nationality and age of the same described person; name spellings.
    for topic_kind in ("nationality", "age"):
        a_first = {s.topic: s for s in reversed(slots_a) if s.topic.startswith(topic_kind)}
        b_first = {s.topic: s for s in reversed(slots_b) if s.topic.startswith(topic_kind)}
        for topic, slot_a in a_first.items():
            if topic.endswith(":speaker") and not same_speaker:
                continue  # two people each describing themselves differ, naturally
            if topic.endswith(":other"):
                continue  # who it is about is unclear: no hint rather than a wrong one
            slot_b = b_first.get(topic)
            if slot_b is not None and _differs(slot_a, slot_b):
                hints.append(
                    _hint("identity", slot_a.label, text_a, slot_a, text_b, slot_b, source)
                )
    names_b = [s for s in slots_b if s.topic == "name"]
    for slot_a in (s for s in slots_a if s.topic == "name"):
        if any(s.entity["value"] == slot_a.entity["value"] for s in names_b):
            continue
        match = next(
            (s for s in names_b if _similar_names(slot_a.entity["value"], s.entity["value"])), None
        )
        if match is not None:
            hints.append(_hint("identity", slot_a.label, text_a, slot_a, text_b, match, source))
    return hints


def compare(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Compare two statements; across languages only through translations in a common one."""
    lang_a = base_language(str(inputs["language_a"]))
    lang_b = base_language(str(inputs["language_b"]))
    text_a, text_b = str(inputs["text_a"]), str(inputs["text_b"])
    same_speaker = bool(inputs.get("same_speaker", False))
    versions_a = {lang_a: (text_a, "original")}
    versions_b = {lang_b: (text_b, "original")}
    if inputs.get("translation_a") and inputs.get("translation_language_a"):
        versions_a.setdefault(
            base_language(str(inputs["translation_language_a"])),
            (str(inputs["translation_a"]), "translation"),
        )
    if inputs.get("translation_b") and inputs.get("translation_language_b"):
        versions_b.setdefault(
            base_language(str(inputs["translation_language_b"])),
            (str(inputs["translation_b"]), "translation"),
        )
    common = [lang for lang in versions_a if lang in versions_b]
    if not common:
        return {
            "comparable": False,
            "language": None,
            "compared": None,
            "hints": [],
            "reason": "not comparable: different languages without a common translation",
            "note": NOT_A_JUDGEMENT,
        }
    # Prefer originals, then a language with an entity model.
    common.sort(
        key=lambda lang: (
            versions_a[lang][1] != "original" or versions_b[lang][1] != "original",
            lang not in ("en", "zh"),
        )
    )
    lang = common[0]
    (a, source_a), (b, source_b) = versions_a[lang], versions_b[lang]
    source = "original" if source_a == source_b == "original" else "translation"
    hints = compare_texts(a, b, lang, same_speaker=same_speaker, source=source)
    compared = "originals" if source == "original" else f"texts in {lang} (translation used)"
    return {
        "comparable": True,
        "language": lang,
        "compared": compared,
        "hints": hints,
        "texts": {"a": a, "b": b},
        "reason": f"{len(hints)} difference(s) in times, dates, places, quantities, "
        "colours or identity details",
        "note": NOT_A_JUDGEMENT,
    }
