"""The police-desk phrasebook: verified sentences in twelve languages, grouped by situation.

No text translation model into Chinese ships in any registry package, so Accord meets a person
through sentences written (and, in time, verified by certified translators) in advance: the
person's words are matched to an entry (:mod:`accord.interpret.phrase_match`), the person
confirms the entry in their own language, and the officer reads its Chinese text.

Data: ``content/phrasebook/<situation>.yaml``, one file per situation::

    situation: theft
    title: {zh: 盗窃, en: Theft}
    translations:                 # status of each language for every entry of the file
      ru: {status: maintainer-draft}
      es: {status: verified, translator: "…", date: 2026-12-01}
    entries:
      - id: theft-passport-stolen
        speaker: person           # who says it: person (to the officer) or officer
        text: {zh: 我的护照被偷了。, en: My passport was stolen., ru: …, …}
        status: {ru: verified}    # optional per-entry override, with translator and date

Statuses are those of the interview content (:data:`accord.interpret.library.STATUSES`):
``maintainer-draft`` until a certified translator verifies a language through the content
review. The files are validated when first loaded; an error names the file and the field.
The book's version is the SHA-256 of its files, so a stored confirmation names the exact text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from accord.core.errors import AccordError
from accord.core.i18n import M_

LANGUAGES = ("zh", "en", "ru", "fr", "es", "de", "pt", "ja", "ko", "ar", "vi", "th")
SITUATIONS = (
    "theft", "lost-documents", "assault", "traffic-accident", "accommodation-registration",
    "visa-stay", "medical", "lost-person", "directions", "rights-procedure", "consular",
    "payment-fines",
)
SPEAKERS = ("person", "officer")
STATUSES = ("maintainer-draft", "machine-draft", "verified")
DIRECTORY = Path(__file__).resolve().parent / "content" / "phrasebook"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: Scripts a text must contain, so a language's text cannot silently be another language's.
_SCRIPT = {
    "zh": re.compile(r"[\u4e00-\u9fff]"), "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "ko": re.compile(r"[\uac00-\ud7af]"), "ru": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"), "th": re.compile(r"[\u0e00-\u0e7f]"),
}

#: Terms the native-level review ruled out (issue 14), refused when the book loads: the error
#: names the file, the entry and the term to use instead.
FORBIDDEN_TERMS: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "vi": ((re.compile(r"cảnh sát", re.IGNORECASE),
            "use công an, the one term for the police"),),
    "ru": ((re.compile(r"допрашива|допрос", re.IGNORECASE),
            "general questioning (询问) is опрашивать / задавать вопросы, not допрашивать"),
           (re.compile(r"разрешени\w* на пребывание", re.IGNORECASE),
            "a residence permit (居留许可) is вид на жительство"),
           (re.compile(r"уведомлени\w* о консульском уведомлении", re.IGNORECASE),
            "a tautology: say уведомить консульство")),
    "ar": ((re.compile(r"تسجيل الدخول"), "that is logging in; hotel check-in is تسجيل الإقامة"),
           (re.compile(r"سطو أو خطف"), "reads as kidnapping: سرقة بالإكراه أو انتزاع")),
    "ko": ((re.compile(r"귀하의 위치"), "asks a physical location: the role is 귀하의 역할"),
           (re.compile(r"행정 복의|조정\(중재\)"), "use 행정심판; mediation is 조정, "
            "arbitration 중재")),
    "zh": ((re.compile(r"督察"), "a supervisor is 上级 or 主管 (督察 is the discipline unit)"),),
}


class PhrasebookError(AccordError):
    status = 500
    message = "phrasebook: %(detail)s"


@dataclass(frozen=True)
class Entry:
    id: str
    situation: str
    speaker: str
    text: dict[str, str]
    status: dict[str, str]

    def verified(self, lang: str) -> bool:
        return self.status.get(lang) == "verified"


@dataclass(frozen=True)
class Phrasebook:
    entries: tuple[Entry, ...]
    titles: dict[str, dict[str, str]]
    version: str

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def counts(self) -> dict[str, int]:
        """Entries per situation (the report and the bench print it)."""
        return {s: sum(1 for e in self.entries if e.situation == s) for s in SITUATIONS}


def _status(where: str, raw: Any) -> str:
    if not isinstance(raw, dict) or raw.get("status") not in STATUSES:
        raise PhrasebookError(detail=M_("%(where)s: status must be one of %(statuses)s",
                                        where=where, statuses=', '.join(STATUSES)))
    missing = not str(raw.get("translator", "")).strip() or not isinstance(raw.get("date"), date)
    if raw["status"] == "verified" and missing:
        raise PhrasebookError(detail=M_("%(where)s: a verified text needs translator and date",
                                        where=where))
    return str(raw["status"])


def _load_file(path: Path) -> tuple[str, dict[str, str], list[Entry]]:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PhrasebookError(detail=M_("%(name)s: not valid YAML (%(error)s)",
                                        name=name, error=error)) from None
    if not isinstance(data, dict):
        raise PhrasebookError(detail=M_("%(name)s: expected a mapping", name=name))
    situation = data.get("situation")
    if situation not in SITUATIONS or path.stem != situation:
        raise PhrasebookError(detail=M_("%(name)s: situation must be one of %(situations)s and "
                                        "match the file name", name=name, situations=SITUATIONS))
    title = data.get("title") or {}
    if not title.get("zh") or not title.get("en"):
        raise PhrasebookError(detail=M_("%(name)s: title needs zh and en", name=name))
    translations = data.get("translations") or {}
    defaults = {}
    for lang in LANGUAGES:
        if lang not in translations:
            raise PhrasebookError(detail=M_("%(name)s: translations: missing language %(lang)r",
                                            name=name, lang=lang))
        defaults[lang] = _status(f"{name}: translations.{lang}", translations[lang])
    entries = []
    for index, raw in enumerate(data.get("entries") or []):
        where = f"{name}: entries[{index}]"
        entry_id = str((raw or {}).get("id", ""))
        if not _ID.match(entry_id):
            raise PhrasebookError(detail=M_("%(where)s: id %(entry_id)r must be lower-case-words",
                                            where=where, entry_id=entry_id))
        where = f"{name}: entries[{index}] ({entry_id})"
        if raw.get("speaker") not in SPEAKERS:
            raise PhrasebookError(detail=M_("%(where)s.speaker: must be person or officer",
                                            where=where))
        text = raw.get("text") or {}
        for lang in LANGUAGES:
            value = text.get(lang)
            if not isinstance(value, str) or not value.strip():
                raise PhrasebookError(detail=M_("%(where)s.text: missing language %(lang)r",
                                                where=where, lang=lang))
            script = _SCRIPT.get(lang)
            if script is not None and not script.search(value):
                raise PhrasebookError(detail=M_("%(where)s.text.%(lang)s: not written in its "
                                                "script", where=where, lang=lang))
            for pattern, advice in FORBIDDEN_TERMS.get(lang, ()):
                found = pattern.search(value)
                if found:
                    raise PhrasebookError(
                        detail=M_("%(where)s.text.%(lang)s: %(value)r — %(advice)s",
                                  where=where, lang=lang, value=found.group(0), advice=advice))
        unknown = set(text) - set(LANGUAGES)
        if unknown:
            raise PhrasebookError(detail=M_("%(where)s.text: unknown language %(unknown)r",
                                            where=where, unknown=sorted(unknown)[0]))
        status = dict(defaults)
        for lang, override in (raw.get("status") or {}).items():
            if lang not in LANGUAGES:
                raise PhrasebookError(detail=M_("%(where)s.status: unknown language %(lang)r",
                                                where=where, lang=lang))
            status[lang] = _status(f"{where}.status.{lang}", override)
        entries.append(Entry(entry_id, situation, str(raw["speaker"]),
                             {lang: " ".join(text[lang].split()) for lang in LANGUAGES}, status))
    if not entries:
        raise PhrasebookError(detail=M_("%(name)s: no entries", name=name))
    return situation, {"zh": str(title["zh"]), "en": str(title["en"])}, entries


def load(directory: Path = DIRECTORY) -> Phrasebook:
    """Read and validate every situation file; refuse the whole book on the first error."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise PhrasebookError(detail=M_("no situation files in %(directory)s", directory=directory))
    digest = hashlib.sha256()
    entries: list[Entry] = []
    titles: dict[str, dict[str, str]] = {}
    seen: dict[str, str] = {}
    texts: dict[tuple[str, str], str] = {}
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        situation, title, found = _load_file(path)
        titles[situation] = title
        for entry in found:
            if entry.id in seen:
                raise PhrasebookError(
                    detail=M_("%(name)s: id %(id)r also in %(seen)s",
                              name=path.name, id=entry.id, seen=seen[entry.id]))
            seen[entry.id] = path.name
            # Two entries with one wording in a language could not be told apart by the
            # person confirming, nor by the matcher.
            for lang in LANGUAGES:
                key = (lang, entry.text[lang].casefold())
                if key in texts:
                    raise PhrasebookError(detail=M_("%(name)s: %(id)s.text.%(lang)s is the same "
                                                    "as %(texts)s.text.%(lang)s",
                                                    name=path.name, id=entry.id, lang=lang,
                                                    texts=texts[key]))
                texts[key] = entry.id
        entries.extend(found)
    return Phrasebook(tuple(entries), titles, "sha256:" + digest.hexdigest()[:16])


@lru_cache(maxsize=1)
def get_phrasebook() -> Phrasebook:
    return load()


#: Each language's name in that language: the person picks their own language from this list.
ENDONYMS = {
    "zh": "中文", "en": "English", "ru": "Русский", "fr": "Français", "es": "Español",
    "de": "Deutsch", "pt": "Português", "ja": "日本語", "ko": "한국어", "ar": "العربية",
    "vi": "Tiếng Việt", "th": "ไทย",
}
#: The question the person answers on their side, in their language (maintainer drafts).
CONFIRM_PROMPT = {
    "zh": "这是您想说的意思吗？", "en": "Is this what you mean?", "ru": "Вы это имеете в виду?",
    "fr": "Est-ce bien ce que vous voulez dire ?", "es": "¿Es esto lo que quiere decir?",
    "de": "Meinen Sie das?", "pt": "É isto que quer dizer?",
    "ja": "これはあなたが言いたいことですか。", "ko": "이것이 말씀하시려는 뜻입니까?",
    "ar": "هل هذا ما تقصده؟", "vi": "Đây có phải là điều anh/chị muốn nói không?",
    "th": "นี่คือสิ่งที่คุณหมายถึงใช่ไหม",
}
NONE_OF_THESE = {
    "zh": "都不是", "en": "None of these", "ru": "Ничего из этого",
    "fr": "Aucune de ces phrases", "es": "Ninguna de estas", "de": "Nichts davon",
    "pt": "Nenhuma destas", "ja": "どれも違います", "ko": "해당 없음", "ar": "لا شيء من هذه",
    "vi": "Không câu nào đúng", "th": "ไม่ใช่ทั้งหมด",
}
RTL = frozenset({"ar"})
