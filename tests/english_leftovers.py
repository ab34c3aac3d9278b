"""Find English words left visible on a page rendered in the Chinese UI.

Shared by ``tests/web/test_chinese_leftovers.py`` (every GET page, TestClient) and the station-day
browser test (every page it visits). What counts as visible: text nodes outside ``<script>``,
``<style>``, ``<template>`` and elements marked ``translate="no"`` or ``hidden``, plus the
attributes a reader sees (``title``, ``placeholder``, ``alt``, ``aria-label``, the ``value`` of
buttons). Text in ``<code>``, ``<kbd>``, ``<samp>`` and ``<pre>`` is an identifier or a record
the page marks as such (a capability id, a digest, a ledger entry): it is checked only for
shell commands, which no page may show to its reader.

Text marked as a language other than Chinese and English (``lang="ar"``, ``lang="ru"`` …: a
person's own words, the twelve-language public texts) is the page saying "this is not Chinese on
purpose", and is not counted. ``lang="en"`` is not enough: English kept on purpose (a ledger
record quoted verbatim, a model card not yet translated, a third party's own name) is marked
``translate="no"`` as well, so a string merely labelled English is still caught. E-mail
addresses and URLs are data. A "word" is three or more Latin letters with at least one
lower-case letter: all-capital tokens (PDF, CSV, ISO country codes such as PRT, the reference
prefix FR) are codes and stay. Everything else must be in :data:`ALLOWED`, each entry with
the reason it is kept.
"""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from accord.core import i18n

ROOT = Path(__file__).resolve().parents[1]
PENDING = ROOT / "docs" / "i18n-pending"

#: Words kept in English in the Chinese UI, each with its reason.
ALLOWED: dict[str, str] = {
    "Accord": "the product's name",
    "Apertium": "name of the rule-based translation engine (model card, third-party name)",
    "fastText": "name of the language-identification library",
    "Leaflet": "name of the map library credited on the map (its licence asks for credit)",
    "OpenStreetMap": "data source credited by name, as its licence requires",
    "Tesseract": "name of the OCR engine",
    "Whisper": "name of the speech model",
    "Piper": "name of the speech-synthesis engine",
    "espeak": "name of the speech-synthesis program (espeak-ng)",
    "CTranslate2": "name of the translation runtime",
    "OPUS": "name of the translation-model corpus family",
    "Helsinki": "part of the model publisher's name (Helsinki-NLP)",
    "FLORES": "name of the evaluation set cited with the scores",
    "chrF": "name of the translation metric",
    "spaCy": "name of the language-processing library",
    "jieba": "name of the Chinese word-segmentation library",
    "Argon2": "name of the password-hashing algorithm",
    "Ed25519": "name of the signature algorithm shown with ledger keys",
    "SHA": "name of the hash family (SHA-256)",
    "sha": "hash algorithm prefix in digests (sha256:…)",
    "UTC": "time-zone abbreviation",
    "OpenAPI": "name of the API description standard",
    "GeoJSON": "name of the map file format an installation supplies",
    "Atom": "name of the public feed format the alerts use",
    "devtest": "name of the FLORES evaluation split cited with the scores",
    "chrF2": "name of the translation metric",
    "wuu": "ISO 639-3 code shown beside the language's name (Wu)",
    "yue": "ISO 639-3 code shown beside the language's name (Cantonese)",
    "csl": "ISO 639-3 code of Chinese Sign Language, named in the field's hint",
    "Bowers": "author cited for the prospective hotspot method",
    "Johnson": "author cited for the prospective hotspot method",
    "Pease": "author cited for the prospective hotspot method",
    "Mohler": "author cited for the self-exciting point process",
    "none": "the test's placeholder id, echoed by a not-found message",
    "OpenAI": "name of the publisher of the Whisper model (model card)",
    "OpenCC": "name of the Traditional-to-Simplified Chinese converter (model card)",
    "PocketSphinx": "name of the fallback speech recogniser (model card)",
    "LibriSpeech": "name of the English speech corpus cited with the figures (model card)",
    "multilingual-e5-small": "name of the sentence-encoder model (model card)",
    "e5-small": "short name of the same sentence encoder (model card)",
    "Runtime": "part of the inference library's name, ONNX Runtime (model card)",
    "Yang": "author cited for the training data of the USE encoder (model card)",
    "Wang": "author cited for the training data of the e5 encoder (model card)",
    "Tatoeba": "name of a sentence corpus the language identifier was trained on (model card)",
    "SETimes": "name of a news corpus the language identifier was trained on (model card)",
    "natasha": "name of the Russian language-processing library (model card)",
    "OntoNotes": "name of the corpus the English spaCy model was trained on (model card)",
    "ClearNLP": "name of a corpus/tool the English spaCy model was trained with (model card)",
    "Explosion": "name of the company that publishes spaCy's models (model card)",
    "Debian": "name of the operating-system distribution the packages come from (model card)",
    "PyPI": "name of the Python package index the wheels come from (model card)",
    "DataSF": "name of San Francisco's open-data portal, the benchmark's source (model card)",
    "GeoDa": "name of the research centre that published the benchmark data (model card)",
    "Intel": "name of the company whose contributors trained the face cascades (model card)",
    "OpenCV": "name of the computer-vision library (model card)",
    "Viola-Jones": "name of the cascade detection method, after its authors (model card)",
    "scikit-image": "name of the image library whose sample pictures were used (model card)",
    "dlib": "name of the face-recognition library (model card)",
    "ResNet": "name of the neural-network architecture of the face descriptor (model card)",
    "FaceScrub": "name of a face data set the descriptor was trained on (model card)",
    "Asia": "part of the IANA time-zone name (Asia/Shanghai) shown with station times",
    "Shanghai": "part of the IANA time-zone name (Asia/Shanghai)",
}


class _Visible(HTMLParser):
    """Collect the text a reader sees, tagged with the element it sits in."""

    HIDDEN: ClassVar[set[str]] = {"script", "style", "template", "noscript"}
    CODE: ClassVar[set[str]] = {"code", "kbd", "samp", "pre"}  # identifiers, records
    VOID: ClassVar[set[str]] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                "link", "meta", "param", "source", "track", "wbr"}
    SEEN_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its content hidden?
        self.texts: list[str] = []
        self.code_depth = 0
        self.code_texts: list[str] = []  # inside <code>: checked for commands only

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = (values.get("lang") or "").lower()
        # Text in another language than Chinese or English (a person's own words, the
        # twelve-language public texts) is foreign on purpose. English is not: lang="en" alone
        # no longer hides text, or every untranslated string could hide behind it. English
        # kept on purpose (a verbatim ledger record, a model's or a licence's own name) says
        # so with translate="no", the HTML attribute for text that must not be translated.
        foreign = bool(lang) and not lang.startswith(("zh", "en"))
        hidden = (self._hidden() or tag in self.HIDDEN or values.get("translate") == "no"
                  or "hidden" in values or foreign)
        if not hidden:
            for name in self.SEEN_ATTRIBUTES:
                if values.get(name):
                    self.texts.append(str(values[name]))
            if tag == "input" and values.get("type") in ("submit", "button") and values.get(
                    "value"):
                self.texts.append(str(values["value"]))
        if tag not in self.VOID:
            self.stack.append(hidden)
        if tag in self.CODE:
            self.code_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()
        if tag in self.CODE and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._hidden() or not data.strip():
            return
        (self.code_texts if self.code_depth else self.texts).append(data)


ADDRESS = re.compile(r"\S+@\S+|https?://\S+|\bsha256:[0-9a-f]+|\b(?:user|token):\d+"
                     r"|(?<![\w.])/[a-z][\w/.-]*"  # URL paths
                     r"|\b[0-9a-f]{12,}\b"  # request ids and digests in hex (…3337dfae)
                     r"|`[^`]*`"  # code spans in a sentence (Markdown's backticks)
                     r"|\b[\w-]+\.(?:yaml|json|csv|txt|pdf|md)\b")  # file names
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")


#: A developer's command shown to a user (the audit page once showed
#: ``python -m accord.core.ledger.export``): never allowed, not even inside <code>.
COMMAND = re.compile(r"(?:^|\s)(?:accord|python3?|pip|make|alembic)\s+-{0,2}[a-z]")


def _parse(html: str) -> _Visible:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser


def visible_text(html: str) -> list[str]:
    return _parse(html).texts


def developer_commands(html: str) -> list[str]:
    """Visible text (code included) that shows a shell command to the reader."""
    parser = _parse(html)
    return [" ".join(t.split()) for t in parser.texts + parser.code_texts if COMMAND.search(t)]


def english_words(html: str, extra_allowed: frozenset[str] = frozenset()) -> list[str]:
    """English words visible on ``html`` that are not allowed (in page order, each once)."""
    found: list[str] = []
    for text in visible_text(html):
        for match in WORD.finditer(ADDRESS.sub(" ", text)):
            for word in re.split(r"[-']", match.group()):
                letters = re.sub(r"[0-9]", "", word)
                if letters != word and re.fullmatch(r"[0-9a-f]+", word):
                    continue  # a digest or an id in hex
                if len(letters) < 3 or letters.isupper():
                    continue
                if word in ALLOWED or word in extra_allowed or match.group() in ALLOWED:
                    continue
                if word not in found:
                    found.append(word)
    return found


def leftovers_in_context(html: str, extra_allowed: frozenset[str] = frozenset(),
                         width: int = 40, limit: int = 12) -> list[str]:
    """The first offending words with the visible text around them, for a readable failure."""
    words = english_words(html, extra_allowed)
    texts = [" ".join(text.split()) for text in visible_text(html)]
    lines = []
    for word in words[:limit]:
        pattern = re.compile(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])")
        for flat in texts:
            hit = pattern.search(flat)
            if hit:
                start = hit.start()
                lines.append(f"{word!r} in …{flat[max(0, start - width):start + width]}…")
                break
    if len(words) > limit:
        lines.append(f"… and {len(words) - limit} more: {' '.join(words[limit:])}")
    return lines


def pending_translations() -> dict[str, str]:
    """Translations waiting in docs/i18n-pending (English msgid, or ``context\\x04msgid``)."""
    known: dict[str, str] = {}
    for path in sorted(PENDING.glob("*.zh.json")):
        known.update(json.loads(path.read_text(encoding="utf-8")))
    return known


class _WithPending(gettext.NullTranslations):
    """The zh_Hans catalog with the pending translations laid over it (as after the merge)."""

    def __init__(self, base: gettext.NullTranslations, pending: dict[str, str]) -> None:
        super().__init__()
        self.base = base
        self.pending = pending

    def gettext(self, message: str) -> str:
        return self.pending.get(message) or self.base.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if singular in self.pending and n == 1:
            return self.pending[singular]
        if plural in self.pending and n != 1:
            return self.pending[plural]
        return self.base.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.pending.get(f"{context}\x04{message}") or self.base.pgettext(context, message)


@contextmanager
def chinese_with_pending() -> Iterator[None]:
    """Render Chinese pages with the pending translations, as the merged catalog will be.

    The catalog is only rebuilt by the lead (scripts/i18n_merge.py); the pending JSON files hold
    what each branch added. The test judges the page as users will see it after that merge.
    """
    base = i18n.translations("zh_Hans")
    overlay = _WithPending(base, pending_translations())
    original = i18n.translations

    def patched(language: str) -> gettext.NullTranslations:
        return overlay if language == "zh_Hans" else original(language)

    i18n.translations = patched  # type: ignore[assignment]
    try:
        yield
    finally:
        i18n.translations = original
