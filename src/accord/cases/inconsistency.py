"""Inconsistency hints between two statements of one case, for a human to weigh.

Why slots, not similarity: sentence-embedding models score "a red jacket" and "a blue jacket"
as near-identical, and no offline contradiction model ships. So both statements go through the
entity extractor and the slot rules of :mod:`accord.cases.hint_slots`, each normalised value is
attached to a *topic* (the incident time, the number of a named item, the colour of a named
object, the nationality or age of a described person), and only values of the same kind on the
same topic are compared — as sets, so a statement that names two times, one of which the other
statement gives, is not a hint. Weekdays are checked against dates by the calendar.

Slots without a topic of their own (the spatial relation to a place, the vehicle, the role or
name of whoever did something, colours in languages without an object parser) are compared only
between sentences that the multilingual sentence encoder pairs as being about the same thing
(:mod:`accord.cases.pairing`). Identifiers that differ by one character or two swapped
neighbours get the kind ``transcription-check``: a likely copying difference to verify, not a
contradiction. Different wording with the same values gives no hint. A hint shows both passages
side by side and a neutral sentence; it never says who is right, and Accord computes no
credibility or truthfulness score.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.cases import hint_slots as rules
from accord.cases.extract import COLOURS, base_language, extract, sentences

HINT_KINDS: tuple[str, ...] = rules.ALL_KINDS
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


def _same_time(a: dict[str, Any], b: dict[str, Any]) -> bool:
    approximate = bool(
        a.get("attrs", {}).get("approximate") or b.get("attrs", {}).get("approximate")
    )
    gap = abs(_minutes(a["value"]) - _minutes(b["value"]))
    return min(gap, 1440 - gap) <= (30 if approximate else 10)


def _same_date(a: str, b: str) -> bool:
    if a.startswith("--") or b.startswith("--"):
        return a[-5:] == b[-5:]
    return a == b


def _differs(slot_a: Slot, slot_b: Slot) -> bool:
    a, b = slot_a.entity, slot_b.entity
    approximate = bool(
        a.get("attrs", {}).get("approximate") or b.get("attrs", {}).get("approximate")
    )
    if slot_a.kind == "time":
        return not _same_time(a, b)
    if slot_a.kind == "date":
        return not _same_date(a["value"], b["value"])
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


def _same_person(a: str, b: str) -> bool:
    """One name is the other or a part of it, allowing case endings (Anna / Anna Petrova,
    Иван Петров / Ивана Петрова, 张丽 / 张丽)."""
    if re.search(r"[\u4e00-\u9fff]", a + b):
        return a in b or b in a
    words_a = {w.lower()[:4] for w in re.findall(r"\w+", a)}
    words_b = {w.lower()[:4] for w in re.findall(r"\w+", b)}
    return bool(words_a & words_b)


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


def _shown(slot: Slot) -> str:
    value = str(slot.entity["value"])
    if slot.topic.startswith("nationality:"):
        return f"{slot.entity['text']} ({value})"
    if slot.kind == "weekday":
        return rules.WEEKDAY_NAMES[int(value)]
    if slot.kind == "date" and slot.entity.get("attrs", {}).get("weekday_of"):
        return f"{value} (a {rules.WEEKDAY_NAMES[int(slot.entity['attrs']['weekday_of'])]})"
    if value.startswith("floor:"):
        return f"floor {value[6:]}"
    return value


def _hint(
    kind: str, label: str, text_a: str, slot_a: Slot, text_b: str, slot_b: Slot, source: str
) -> dict[str, Any]:
    va, vb = _shown(slot_a), _shown(slot_b)
    if kind == "transcription-check":
        explanation = (
            f"Statement A has {slot_a.entity['text']}, statement B has "
            f"{slot_b.entity['text']}: the two differ by one character or two swapped "
            "characters, most likely a transcription difference. Check the document or ask."
        )
    elif slot_a.kind == "weekday" and slot_b.kind == "date":
        explanation = (f"Statement A says {va}; statement B gives {vb} for the {label}.")
    elif slot_a.kind == "date" and slot_b.kind == "weekday":
        explanation = (f"Statement A gives {va}; statement B says {vb} for the {label}.")
    else:
        explanation = f"Statement A says {va}, statement B says {vb} for the {label}."
    return {
        "kind": kind,
        "topic": slot_a.topic,
        "about": label,
        "a": _passage(text_a, slot_a, source),
        "b": _passage(text_b, slot_b, source),
        "explanation": explanation,
    }


def _place_key(value: str) -> str:
    return re.sub(r"[\s\-]+|^the\s+", "", value.lower())


def _overlaps(entity: dict[str, Any], spans: list[tuple[int, int]]) -> bool:
    return any(s < entity["end"] and entity["start"] < e for s, e in spans)


def _merge(first: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``first`` plus the entities of ``more`` that overlap none of them."""
    spans = [(e["start"], e["end"]) for e in first]
    return first + [e for e in more if not _overlaps(e, spans)]


@dataclass(frozen=True)
class _Statement:
    text: str
    lang: str
    spans: list[tuple[int, int]]
    slots: list[Slot]

    def sentence_of(self, entity: dict[str, Any]) -> tuple[int, int]:
        return next(
            ((s, e) for s, e in self.spans if s <= entity["start"] < e), (0, len(self.text))
        )

    def of(self, kind: str, topic: str | None = None) -> list[Slot]:
        return [s for s in self.slots if s.kind == kind and (topic is None or s.topic == topic)]

    def in_sentence(self, sentence: tuple[int, int], kind: str) -> list[Slot]:
        return [s for s in self.slots if s.kind == kind and s.sentence == sentence]


def _topic(lang: str, sentence: str) -> str:
    table = _TOPICS.get(lang) or rules.TOPICS.get(lang, ())
    return _match_first(table, sentence, "incident")


def _statement(text: str, language: str) -> _Statement:
    """Every slot of one statement: the extractor's entities plus the hint rules."""
    lang = base_language(language)
    spans = sentences(text)
    entities = extract(text, language)["entities"]
    ids = rules.identifiers(text)
    id_spans = [(e["start"], e["end"]) for e in ids]
    # Counts and times inside an identifier (a phone number read as "13812345678 phones").
    entities = [e for e in entities if e["kind"] == "document" or not _overlaps(e, id_spans)]
    if lang == "ru":
        from accord.cases.russian import entities as natasha_entities

        # The extractor's Russian colours are bare stems ("сер" in "Сергей"): the hint rules
        # read colours with their adjective endings instead.
        entities = [e for e in entities if e["kind"] != "colour"]

        entities = _merge(
            entities, [e for e in natasha_entities(text) if not _overlaps(e, id_spans)]
        )
    statement = _Statement(text, lang, spans, [])
    out = [s for s in slots(text, language, entities) if s.kind != "quantity" or lang == "en"
           or lang == "zh"]
    # Times and dates the extractor does not read (в 2 часа ночи, 3 ноября 2026 года).
    known = [s.entity for s in out if s.kind in ("time", "date")]
    extra = [
        e for e in rules.times(text, lang) + rules.dates(text, lang)
        if not _overlaps(e, [(k["start"], k["end"]) for k in known] + id_spans)
    ]
    for entity in extra:
        sentence = statement.sentence_of(entity)
        topic = _topic(lang, text[sentence[0] : sentence[1]])
        label = f"{entity['kind']} of {_TOPIC_LABEL[topic]}"
        out.append(Slot(entity["kind"], topic, label, entity, sentence))
    for entity in rules.weekdays(text, lang):
        sentence = statement.sentence_of(entity)
        # A weekday names the day of the whole account ("That Friday I left work late…"):
        # only the report to the police is kept apart.
        topic = _topic(lang, text[sentence[0] : sentence[1]])
        topic = "report" if topic == "report" else "incident"
        out.append(Slot("weekday", topic, f"day of {_TOPIC_LABEL[topic]}", entity, sentence))
    for entity in entities:
        if entity["kind"] == "amount" and entity["value"]:
            currency = entity.get("attrs", {}).get("currency") or entity["value"].split()[-1]
            out.append(Slot("amount", f"amount:{currency}", "amount of money", entity,
                            statement.sentence_of(entity)))
    for entity in ids:
        out.append(Slot("identifier", "identifier", "identifier", entity,
                        statement.sentence_of(entity)))
    # Slots compared only inside paired sentences.
    paired: list[tuple[str, list[dict[str, Any]]]] = [
        ("relation", rules.relations(text, lang)),
        ("vehicle", rules.vehicles(text, lang)),
        ("role", rules.roles(text, lang)),
        ("sentence-colour", [e for e in entities if e["kind"] == "colour"]
         + [e for e in rules.colours(text, lang, table=COLOURS)
            if not _overlaps(e, [(c["start"], c["end"]) for c in entities
                                 if c["kind"] == "colour"])]),
        ("person", [e for e in entities if e["kind"] == "person"]),
    ]
    if lang != "en":
        paired.append(("sentence-quantity", [
            e for e in rules.quantities(text, lang)
            if not _overlaps(e, id_spans + [(s.entity["start"], s.entity["end"]) for s in out])
        ]))
    for kind, found in paired:
        for entity in found:
            out.append(Slot(kind, kind, kind, entity, statement.sentence_of(entity)))
    return _Statement(text, lang, spans, out)


_PAIRED_LABELS = {
    "relation": ("place", "place: where it was, relative to the place"),
    "vehicle": ("vehicle", "vehicle"),
    "role": ("role", "role of the person involved"),
    "person": ("person", "person named"),
    "sentence-colour": ("colour", "colour"),
    "sentence-quantity": ("quantity", "number"),
}


# -- the topic of a hint in Chinese ---------------------------------------------------------------
# A hint's "about" is composed in English from a small grammar (see slots() and
# _PAIRED_LABELS); the Chinese UI shows it through about_zh(), which reads the same grammar.
# Stored outputs keep the English label, so the page translates at display time.
_TOPIC_ZH = {"the incident": "事发", "the report to the police": "报警",
             "the arrival": "到达", "the departure": "离开"}
_WHAT_ZH = {"time": "时间", "date": "日期", "place": "地点"}
_WHO_ZH = {"the person giving the statement": "陈述人", "the driver": "司机",
           "the thief": "窃贼", "the man": "男子", "the woman": "女子",
           "the employer": "雇主", "the other": "其他人员"}
_FIXED_ZH = {
    "spelling of a name": "姓名的拼写",
    "amount of money": "金额",
    "identifier": "证件号码或其他号码",
    "place: where it was, relative to the place": "地点：相对于某处的位置",
    "vehicle": "车辆",
    "role of the person involved": "涉事人员的身份",
    "person named": "提及的人员",
    "colour": "颜色",
    "number": "数量",
}


def about_zh(label: str) -> str:
    """The Chinese wording of a hint's topic (``about``); "" for a label outside the grammar
    (the page then shows only the hint's kind, never the English label)."""
    if label in _FIXED_ZH:
        return _FIXED_ZH[label]
    match = re.fullmatch(r"(time|date|place|day) of (.+)", label)
    if match and match.group(2) in _TOPIC_ZH:
        topic = _TOPIC_ZH[match.group(2)]
        return f"{topic}当天是星期几" if match.group(1) == "day" else (
            f"{topic}{_WHAT_ZH[match.group(1)]}")
    match = re.fullmatch(r"(number|colour) of (?:the )?(.+)", label)
    if match:
        what = "数量" if match.group(1) == "number" else "颜色"
        item = match.group(2).strip("“”")
        # An item named in Chinese (a Chinese statement) is shown; an English noun is not.
        return f"{item}的{what}" if not item.isascii() else f"物品的{what}"
    match = re.fullmatch(r"(nationality|age) of (.+)", label)
    if match and match.group(2) in _WHO_ZH:
        return f"{_WHO_ZH[match.group(2)]}的{'国籍' if match.group(1) == 'nationality' else '年龄'}"
    return ""


def compare_texts(
    text_a: str, text_b: str, language: str, *, same_speaker: bool = False, source: str = "original"
) -> list[dict[str, Any]]:
    """Hints between two texts in the same language."""
    lang = base_language(language)
    sa, sb = _statement(text_a, language), _statement(text_b, language)
    hints: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()

    def add(kind: str, label: str, slot_a: Slot, slot_b: Slot) -> None:
        key = (kind, str(slot_a.entity["value"]), str(slot_b.entity["value"]))
        if key in seen or (kind == "colour" and any(k[0] == "colour" for k in seen)):
            return
        seen.add(key)
        hints.append(_hint(kind, label, text_a, slot_a, text_b, slot_b, source))

    def topics(kind: str) -> list[str]:
        return list(dict.fromkeys(s.topic for s in sa.of(kind) + sb.of(kind)))

    # Times: a hint when no time of A is close to a time of B on the same topic.
    for topic in topics("time"):
        ta, tb = sa.of("time", topic), sb.of("time", topic)
        if ta and tb and not any(_same_time(x.entity, y.entity) for x in ta for y in tb):
            add("time", ta[0].label, ta[0], tb[0])
    # Dates, then weekdays against weekdays and against dates by the calendar.
    for topic in topics("date"):
        da, db = sa.of("date", topic), sb.of("date", topic)
        if da and db and not any(
            _same_date(x.entity["value"], y.entity["value"]) for x in da for y in db
        ):
            add("date", da[0].label, da[0], db[0])
    for topic in topics("weekday"):
        wa, wb = sa.of("weekday", topic), sb.of("weekday", topic)
        if wa and wb:
            if not {s.entity["value"] for s in wa} & {s.entity["value"] for s in wb}:
                add("weekday", wa[0].label, wa[0], wb[0])
            continue
        for mine, theirs, a_side in ((wa, sb, True), (wb, sa, False)):
            if not mine:
                continue
            days = {s.entity["value"] for s in mine}
            # Weekdays are statement-wide: against every date not about the report.
            candidates = (
                theirs.of("date", topic)
                if topic == "report"
                else [d for d in theirs.of("date") if d.topic != "report"]
            )
            dated = [(d, rules.weekday_of(d.entity["value"])) for d in candidates]
            dated = [(d, w) for d, w in dated if w]
            if dated and not any(w in days for _, w in dated):
                date_slot, day = dated[0]
                shown = Slot(date_slot.kind, date_slot.topic, date_slot.label,
                             {**date_slot.entity, "attrs": {**date_slot.entity.get("attrs", {}),
                                                            "weekday_of": day}},
                             date_slot.sentence)
                label = mine[0].label
                if a_side:
                    add("weekday", label, mine[0], shown)
                else:
                    add("weekday", label, shown, mine[0])
    # Counts of a named item, colours of a named object, amounts per currency: as sets.
    for kind in ("quantity", "colour", "amount"):
        for topic in topics(kind):
            xa, xb = sa.of(kind, topic), sb.of(kind, topic)
            if xa and xb and not (
                {s.entity["value"] for s in xa} & {s.entity["value"] for s in xb}
            ):
                add(kind, xa[0].label, xa[0], xb[0])
    # Identifiers one character or one swap apart: a transcription difference to check.
    values_b = {s.entity["value"] for s in sb.of("identifier")}
    for ia in sa.of("identifier"):
        if ia.entity["value"] in values_b:
            continue
        match = next(
            (ib for ib in sb.of("identifier")
             if rules.near_identical(ia.entity["value"], ib.entity["value"])
             and ib.entity["value"] not in {s.entity["value"] for s in sa.of("identifier")}),
            None,
        )
        if match is not None:
            add("transcription-check", "identifier (document, plate or phone number)", ia,
                match)
    # Floors: a building's floors are few, so two statements that name only different floors
    # are compared even when the encoder does not pair their sentences.
    floors_a = [s for s in sa.of("relation") if str(s.entity["value"]).startswith("floor:")]
    floors_b = [s for s in sb.of("relation") if str(s.entity["value"]).startswith("floor:")]
    if floors_a and floors_b and not (
        {s.entity["value"] for s in floors_a} & {s.entity["value"] for s in floors_b}
    ):
        add("place", _PAIRED_LABELS["relation"][1], floors_a[0], floors_b[0])
    # Places of the incident: what each side names that the other does not mention at all.
    places_a = [s for s in sa.slots if s.kind == "place"]
    places_b = [s for s in sb.slots if s.kind == "place"]

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
        add("place", only_a[0].label, only_a[0], only_b[0])
    # Identity details: nationality and age of the same described person; name spellings.
    for topic_kind in ("nationality", "age"):
        a_first = {s.topic: s for s in reversed(sa.slots) if s.topic.startswith(topic_kind)}
        b_first = {s.topic: s for s in reversed(sb.slots) if s.topic.startswith(topic_kind)}
        for topic, slot_a in a_first.items():
            if topic.endswith(":speaker") and not same_speaker:
                continue  # two people each describing themselves differ, naturally
            if topic.endswith(":other"):
                continue  # who it is about is unclear: no hint rather than a wrong one
            slot_b = b_first.get(topic)
            if slot_b is not None and _differs(slot_a, slot_b):
                add("identity", slot_a.label, slot_a, slot_b)
    names_b = [s for s in sb.slots if s.topic == "name"]
    for slot_a in (s for s in sa.slots if s.topic == "name"):
        if any(s.entity["value"] == slot_a.entity["value"] for s in names_b):
            continue
        match = next(
            (s for s in names_b if _similar_names(slot_a.entity["value"], s.entity["value"])), None
        )
        if match is not None:
            add("identity", slot_a.label, slot_a, match)
    # Slots without a topic: only between sentences about the same thing.
    texts_a = [text_a[s:e] for s, e in sa.spans]
    texts_b = [text_b[s:e] for s, e in sb.spans]
    if any(s.kind in _PAIRED_LABELS for s in sa.slots) and any(
        s.kind in _PAIRED_LABELS for s in sb.slots
    ):
        from accord.cases.pairing import pairs

        for i, j, _sim in pairs(texts_a, texts_b, lang):
            span_a, span_b = sa.spans[i], sb.spans[j]
            for kind, (hint_kind, label) in _PAIRED_LABELS.items():
                xa, xb = sa.in_sentence(span_a, kind), sb.in_sentence(span_b, kind)
                if not xa or not xb:
                    continue
                va = [str(s.entity["value"]) for s in xa]
                vb = [str(s.entity["value"]) for s in xb]
                pair: tuple[str, str] | None = None
                if kind == "relation":
                    pair = rules.relations_clash(va, vb)
                elif kind == "vehicle":
                    pair = rules.vehicles_clash(va, vb)
                elif kind == "person":
                    if not same_speaker and (
                        rules.introduces_speaker(texts_a[i])
                        or rules.introduces_speaker(texts_b[j])
                    ):
                        continue
                    if any(_same_person(x, y) or _similar_names(x, y) for x in va for y in vb):
                        continue
                    pair = (va[0], vb[0])
                elif kind == "sentence-quantity":
                    items_b = {s.entity["attrs"]["item"]: s for s in xb}
                    for s in xa:
                        other = items_b.get(s.entity["attrs"]["item"])
                        if other is not None and other.entity["value"] != s.entity["value"]:
                            pair = (str(s.entity["value"]), str(other.entity["value"]))
                            break
                else:  # roles and colours: something only in A and something only in B
                    only_a_values = sorted(set(va) - set(vb))
                    only_b_values = sorted(set(vb) - set(va))
                    if only_a_values and only_b_values:
                        pair = (only_a_values[0], only_b_values[0])
                if pair is None:
                    continue
                slot_a = next(s for s in xa if str(s.entity["value"]) == pair[0])
                slot_b = next(s for s in xb if str(s.entity["value"]) == pair[1])
                add(hint_kind, label, slot_a, slot_b)
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
