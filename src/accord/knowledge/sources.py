"""Where passages come from: the legal facts, case-type guidance, cautions, cross-cultural
guidance (bundled), and the operator's own procedures (imported from Markdown).

Everything here is plain data → :class:`PassageSpec`; the service stores and indexes it. The
text of a passage is always the source's own words: a legal fact's rule, a checklist step's
title and note, a caution, a cultural-guidance statement, a procedure section. Nothing is
paraphrased or merged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from accord.cases.guidance import Guidance, LegalFact, get_guidance
from accord.cases.vocab import STATED_NEEDS
from accord.core.contract import NeedGuidance
from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

HERE = Path(__file__).resolve().parent
CULTURAL_FILE = HERE / "data" / "cultural.yaml"
LANGUAGES = ("zh", "en")
STATUSES = ("verified", "unverified")
MAX_IMPORT_BYTES = 2_000_000
MAX_SECTION_CHARS = 1200  # longer sections are split at paragraph boundaries


@dataclass(frozen=True)
class PassageSpec:
    key: str
    kind: str  # legal-fact | guidance | caution | cultural | procedure | answer
    document: str
    section: str
    version: str
    effective_date: date | None
    language: str
    citation: str
    status: str
    status_note: str
    source_link: str
    text: str

    @property
    def digest(self) -> str:
        payload = {k: (v.isoformat() if isinstance(v, date) else v)
                   for k, v in asdict(self).items()}
        return hashlib.sha256(json.dumps(payload, sort_keys=True,
                                         ensure_ascii=False).encode()).hexdigest()


#: A fact's status in the data, as the note of a passage says it (partly verified facts show
#: as unverified, so the note tells which it was).
_DATA_STATUS_ZH = {"verified": "已核实", "partly-verified": "部分核实", "unverified": "未核实"}


def fact_status(fact: LegalFact, language: str = "en") -> tuple[str, str]:
    """(status, note in ``language``): partly verified facts show as unverified, with the
    data's note."""
    zh = language == "zh"
    note = fact.note_zh if zh else fact.note_en
    if fact.status == "verified":
        return "verified", note
    return "unverified", note or (f"数据中的状态：{_DATA_STATUS_ZH.get(fact.status, fact.status)}"
                                  if zh else f"status in the data: {fact.status}")


def _fact_link(fact_id: str) -> str:
    return f"/legal/facts#fact-{fact_id}"


def _year(source: str) -> str:
    match = re.search(r"\((\d{4})", source)
    return match.group(1) if match else ""


def legal_fact_passages(guidance: Guidance) -> list[PassageSpec]:
    out = []
    for fact in guidance.facts.values():
        year = _year(fact.source)
        for lang, text in (("en", fact.rule_en), ("zh", fact.rule_zh)):
            # Each language's passage cites its source as a reader of that language does.
            status, note = fact_status(fact, lang)
            zh = lang == "zh"
            out.append(PassageSpec(
                key=f"fact:{fact.id}", kind="legal-fact",
                document=fact.source_zh if zh else fact.source,
                section=fact.article_zh if zh else fact.article,
                version=f"legal_facts.yaml ({year} text)" if year
                else "legal_facts.yaml", effective_date=None, language=lang,
                citation=fact.citation(lang), status=status, status_note=note,
                source_link=_fact_link(fact.id), text=text))
    return out


def guidance_passages(guidance: Guidance) -> list[PassageSpec]:
    out: list[PassageSpec] = []
    seen: dict[str, str] = {}
    for case_type, checklist in sorted(guidance.checklists.items()):
        for step in checklist.steps:
            fact = guidance.facts.get(step.fact)
            texts = {"en": " ".join(p for p in (step.title_en, step.note_en) if p),
                     "zh": " ".join(p for p in (step.title_zh, step.note_zh) if p)}
            key = f"step:{step.id}"
            if seen.get(key) not in (None, texts["en"]):
                key = f"step:{case_type}:{step.id}"
            if key in seen:
                continue
            seen[key] = texts["en"]
            for lang, text in texts.items():
                status, note = fact_status(fact, lang) if fact else ("unverified", "")
                out.append(PassageSpec(
                    key=key, kind="guidance",
                    document=f"Accord case guidance ({checklist.version_label})",
                    section=step.id, version=str(checklist.version), effective_date=None,
                    language=lang, citation=step.citation_zh if lang == "zh" else step.citation,
                    status=status, status_note=note,
                    source_link=_fact_link(step.fact) if fact else "", text=text))
    return out


def caution_passages(guidance: Guidance) -> list[PassageSpec]:
    out = []
    for caution in guidance.cautions:
        fact = guidance.facts.get(caution.fact) if caution.fact else None
        for lang, text in (("en", caution.text_en), ("zh", caution.text_zh)):
            status, note = fact_status(fact, lang) if fact else ("unverified", "")
            citation = guidance.caution_source(caution, lang)
            link = _fact_link(fact.id) if fact else ""
            out.append(PassageSpec(
                key=f"caution:{caution.id}", kind="caution", document="Accord procedural cautions",
                section=caution.id, version="cautions.yaml", effective_date=None, language=lang,
                citation=citation, status=status, status_note=note, source_link=link, text=text))
    return out


# -- cross-cultural guidance ---------------------------------------------------------------------
@dataclass(frozen=True)
class CulturalEntry:
    id: str
    needs: tuple[str, ...]
    status: str
    citation: str
    source_link: str
    text_en: str
    text_zh: str
    version: int
    citation_zh: str = ""

    def citation_in(self, language: str) -> str:
        """The source as the reader of ``language`` cites it."""
        return self.citation_zh if language.startswith("zh") and self.citation_zh else (
            self.citation)


#: Words that would make a statement about a group rather than a stated need or a procedure.
GROUP_WORDS = re.compile(
    r"\b(muslims?|christians?|jews|hindus|buddhists|arabs?|africans?|americans?|russians?|"
    r"koreans?|japanese|westerners?|asians?)\b|穆斯林|基督徒|犹太人|阿拉伯人|非洲人|外国人都|西方人",
    re.IGNORECASE)


def load_cultural(path: Path = CULTURAL_FILE,
                  guidance: Guidance | None = None) -> list[CulturalEntry]:
    """The cross-cultural guidance, validated: a source and status for every statement, and no
    statement about a nationality or religion as a group."""
    guidance = guidance or get_guidance()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    version = int(data["version"])
    entries = []
    ids: set[str] = set()
    for raw in data["entries"]:
        entry_id = str(raw["id"])
        if entry_id in ids:
            raise ValueError(f"{path.name}: entry {entry_id} appears twice")
        ids.add(entry_id)
        text = raw.get("text") or {}
        if not text.get("en") or not text.get("zh"):
            raise ValueError(f"{path.name}: {entry_id} needs text in en and zh")
        for value in text.values():
            if GROUP_WORDS.search(value):
                raise ValueError(f"{path.name}: {entry_id} speaks about a group of people; "
                                 "state a need the person states or a procedure instead")
        if raw.get("fact"):
            fact = guidance.facts.get(raw["fact"])
            if fact is None:
                raise ValueError(f"{path.name}: {entry_id} rests on unknown fact {raw['fact']}")
            status = fact_status(fact)[0]
            if raw.get("status", status) != status:
                raise ValueError(f"{path.name}: {entry_id} says {raw['status']} but its fact "
                                 f"{fact.id} is {status}")
            citation, link = fact.citation("en"), _fact_link(fact.id)
            citation_zh = fact.citation("zh")
        elif raw.get("source"):
            status = str(raw.get("status", "unverified"))
            if status != "unverified":
                raise ValueError(f"{path.name}: {entry_id} has no verified fact behind it; "
                                 "its status is unverified until a legal officer confirms it")
            citation = f"{raw['source']} {raw.get('section', '')}".strip()
            if not raw.get("source_zh"):
                raise ValueError(f"{path.name}: {entry_id} needs source_zh (and section_zh): "
                                 "the Chinese UI cites the source in Chinese")
            citation_zh = f"{raw['source_zh']}{raw.get('section_zh', '')}".strip()
            link = ""
        else:
            raise ValueError(f"{path.name}: {entry_id} names no source")
        unknown = set(raw.get("needs") or ()) - set(STATED_NEEDS)
        if unknown:
            raise ValueError(f"{path.name}: {entry_id} names needs a person cannot state on the "
                             f"case page: {', '.join(sorted(unknown))}")
        entries.append(CulturalEntry(entry_id, tuple(raw.get("needs") or ()), status, citation,
                                     link, text["en"], text["zh"], version, citation_zh))
    return entries


def need_guidance(needs: Sequence[str], language: str) -> list[NeedGuidance]:
    """The cross-cultural statements for needs a person stated, verbatim in ``language``
    (Chinese, else English), with their sources: what the case page shows next to the person.
    Statements that apply to every need (no ``needs`` tag) are left to the guidance page."""
    wanted = [n for n in dict.fromkeys(needs) if n in STATED_NEEDS]
    out: list[NeedGuidance] = []
    for entry in load_cultural():
        matched = next((n for n in wanted if n in entry.needs), None)
        if matched is None:
            continue
        out.append(NeedGuidance(
            need=matched, text=entry.text_zh if language == "zh" else entry.text_en,
            citation=entry.citation_in(language), status=entry.status,
            source_link=entry.source_link,
            link=f"/knowledge/guidance?need={matched}"))
    return out


def cultural_passages(entries: list[CulturalEntry]) -> list[PassageSpec]:
    return [PassageSpec(
        key=f"cultural:{e.id}", kind="cultural", document="Accord cross-cultural guidance",
        section=e.id, version=f"cultural.yaml v{e.version}", effective_date=None,
        language=lang, citation=e.citation_in(lang), status=e.status, status_note="",
        source_link=e.source_link, text=text)
        for e in entries for lang, text in (("en", e.text_en), ("zh", e.text_zh))]


def bundled_passages() -> list[PassageSpec]:
    guidance = get_guidance()
    return [*legal_fact_passages(guidance), *guidance_passages(guidance),
            *caution_passages(guidance), *cultural_passages(load_cultural(guidance=guidance))]


# -- the operator's own procedures ---------------------------------------------------------------
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _slug(value: str) -> str:
    return re.sub(r"[^\w]+", "-", value.lower(), flags=re.UNICODE).strip("-")[:60] or "doc"


def markdown_sections(source: str) -> list[tuple[str, str]]:
    """(section path, text) per heading of a Markdown document; text before the first heading
    is the "preamble". Paragraph breaks are kept; code fences are kept as text."""
    path: list[str] = []
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            level = len(match.group(1))
            path = path[: level - 1] + [""] * max(0, level - 1 - len(path)) + [match.group(2)]
            sections.append((" › ".join(p for p in path if p), []))
        else:
            sections[-1][1].append(line)
    out = []
    for title, lines in sections:
        text = "\n".join(lines).strip()
        text = re.sub(r"\n{3,}", "\n\n", text)
        if text:
            out.append((title or "preamble", text))
    return out


def _split(text: str) -> list[str]:
    if len(text) <= MAX_SECTION_CHARS:
        return [text]
    parts: list[str] = []
    for paragraph in text.split("\n\n"):
        if parts and len(parts[-1]) + len(paragraph) + 2 <= MAX_SECTION_CHARS:
            parts[-1] += "\n\n" + paragraph
        else:
            parts.append(paragraph)
    return parts


def procedure_passages(source: str, *, document: str, version: str, language: str,
                       effective_date: date | None) -> list[PassageSpec]:
    """Passages of one procedure document (status unverified until a legal officer verifies
    each); refuses an empty or headingless document with a clear message."""
    document = (document or "").strip()
    if not document or len(document) > 300:
        raise ValidationFailed(detail=M_("document: give the document's title (at most 300 chars)"))
    version = (version or "").strip()
    if not version or len(version) > 64:
        raise ValidationFailed(detail=M_("version: give the document's version (at most 64 chars)"))
    if language not in LANGUAGES:
        raise ValidationFailed(detail=M_("language: one of %(languages)s",
                                         languages=', '.join(LANGUAGES)))
    sections = markdown_sections(source)
    if not sections:
        raise ValidationFailed(detail=M_("the document has no text"))
    if not any(title != "preamble" for title, _ in sections):
        raise ValidationFailed(detail=M_("the document has no headings: sections are cut at "
                                         "Markdown headings (# Title)"))
    slug = _slug(document)
    out = []
    for number, (title, text) in enumerate(sections, start=1):
        pieces = _split(text)
        for part, piece in enumerate(pieces, start=1):
            section = title if len(pieces) == 1 else f"{title} ({part}/{len(pieces)})"
            out.append(PassageSpec(
                key=f"doc:{slug}:{number}.{part}", kind="procedure", document=document,
                section=section[:200], version=version, effective_date=effective_date,
                language=language, citation=f"{document} ({version}) — {section}"[:400],
                status="unverified", status_note="imported; awaiting a legal officer",
                source_link="", text=piece))
    return out


def document_prefix(document: str) -> str:
    return f"doc:{_slug(document)}:"


def spec_dict(spec: PassageSpec) -> dict[str, Any]:
    return asdict(spec)
