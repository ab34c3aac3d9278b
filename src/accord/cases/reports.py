"""AI-drafted case reports with safeguards: cited drafting, kept versions, attested submission.

There is no offline generative language model (see docs/MODELS.md), so the drafter is honest
about what it is: a **rule-based extractive drafter**. It arranges what the case file already
holds — the incident, the persons, the events and the statements — into a chronological
narrative. Each sentence is a short fixed framing around a passage quoted from one statement (or
one case record), with a citation marker naming the exact passage: ``〔S12:0-83〕`` is characters
0–83 of statement 12's *original* text, even where its Chinese translation is what is quoted.
It never invents facts: what a report needs but the file lacks becomes a placeholder
(``〔待补充：案发地点〕`` / ``[[TO COMPLETE: place of incident]]``), and the officer's own
assessment is always a placeholder, because that judgement is not the machine's.

Safeguards beyond today's commercial tools (California SB 524 is the practice anchor):

* every version is kept — the first AI draft stays as long as the final text; the service has no
  update path and the ORM refuses updates of version rows;
* each version records which characters the AI wrote and which the officer wrote (``spans``),
  recomputed with :mod:`difflib` on every edit: unchanged AI text stays ``ai``, new or changed
  text is ``officer``;
* submission is refused while placeholders remain, and needs the officer's typed attestation;
* drafts, edits and the submission are written to the tamper-evident ledger (text digests only).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cases.models import Case, Person, Statement
from accord.cases.report_models import CaseReport, CaseReportVersion
from accord.cases.subjects import case_subjects
from accord.config import get_settings
from accord.core.accounts.models import User
from accord.core.db import Database, utcnow
from accord.core.errors import (
    AccordError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from accord.core.gateway.service import Caller, GatewayRequest, GatewayService
from accord.core.i18n import M_, N_
from accord.core.ledger.store import LedgerService
from accord.interpret.langid import language_name

CAPABILITY_ID = "cases.draft-report"
FRAMING_LANGUAGES = ("zh", "en")
MAX_REPORT_CHARS = 60_000
MIN_KEPT_RUN = 3  # shorter unchanged runs between edits count as the officer's

ATTESTATION: dict[str, str] = {
    "en": "I have read and checked this report and take responsibility for its content.",
    "zh": "本人已阅读并核对本报告，并对其内容负责。",
}

# Placeholders the drafter writes, and the officer may also type, in either language.
PLACEHOLDER_RE = re.compile(r"〔待补充：[^〕]*〕|\[\[TO COMPLETE:[^\]]*\]\]")
# Citation markers: statement passage, event record, person record, case record.
CITATION_RE = re.compile(r"[〔\[](S(\d+):(\d+)-(\d+)|E\d+|P\d+|case)[〕\]]")
# A sentence: text up to and including its end punctuation (and closing quotes), or a line.
_SENTENCE_RE = re.compile(r"[^\n.!?。！？]*[.!?。！？]+[\"'”’」』)）]*|[^\n.!?。！？]+")

# Narrative nouns for person roles (the drafter's phrasing; UI labels live in vocab.py).
ROLE_NOUNS: dict[str, tuple[str, str]] = {
    "reporter": ("the reporting person", "报案人"),
    "victim": ("the victim", "被害人"),
    "witness": ("the witness", "证人"),
    "suspect": ("the suspect", "嫌疑人"),
    "detainee": ("the detained person", "被留置人"),
    "deceased": ("the deceased", "死者"),
    "next-of-kin": ("the next of kin", "近亲属"),
    "host": ("the host or employer", "接待方"),
    "other": ("the other party", "其他当事人"),
}
EVENT_PHRASES: dict[str, tuple[str, str]] = {
    "incident": ("the incident occurred", "案件发生"),
    "reported": ("the case was reported to police", "报警"),
    "first-contact": ("police first contacted the person", "民警首次接触当事人"),
    "arrival": ("the person arrived at the accommodation", "当事人抵达住宿地"),
    "questioning-started": ("on-the-spot questioning started", "开始当场盘问"),
    "detention": ("the person was detained", "对当事人采取强制措施"),
    "identity-established": ("the person's identity was established", "查明当事人身份"),
    "interview": ("an interview was held", "进行询问"),
    "rights-notified": ("the person was informed of their rights", "告知当事人权利"),
    "consular-rights-notified": (
        "the person was informed of the right to consular notification",
        "告知当事人享有领事通知权",
    ),
    "consular-notification-requested": (
        "the person asked for the consulate to be notified",
        "当事人要求通知领事馆",
    ),
    "consulate-notified": ("the consulate was notified", "通知领事馆"),
    "provincial-report": ("the case was reported to the provincial bureau", "向省级公安机关报告"),
    "registration": ("the accommodation was registered", "办理住宿登记"),
    "death": ("the death occurred", "死亡"),
    "release": ("the person was released", "当事人获释"),
    "transfer": ("the person was transferred to another facility", "当事人被移送其他场所"),
    "hand-over": ("the case was handed over", "案件移交"),
}
TRANSLATION_NOTES: dict[str, tuple[str, str]] = {
    "officer": ("translated by the officer", "民警翻译"),
    "interpreter": ("translated by an interpreter", "译员翻译"),
    "machine": ("machine translation (AI), not reviewed", "机器翻译（人工智能），未经人工审核"),
    "machine-reviewed": ("machine translation (AI), reviewed", "机器翻译（人工智能），经人工审核"),
}


# -- errors --------------------------------------------------------------------------------------
class PlaceholdersRemain(AccordError):
    status = 422
    message = N_("The report cannot be submitted while placeholders remain: %(items)s")


class AttestationMismatch(AccordError):
    status = 422
    message = N_("The attestation must be typed exactly as shown: %(sentence)s")


class ReportSubmitted(Conflict):
    message = N_("This report was submitted and can no longer be changed.")


class StaleVersion(Conflict):
    message = N_(
        "The report changed since you opened it (now version %(latest)s, you edited "
        "version %(base)s). Reload it and apply your changes again."
    )


# -- drafting ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Draft:
    text: str
    spans: list[dict[str, Any]]
    placeholders: list[str]
    citations: list[str]


@dataclass
class _Builder:
    """Appends text pieces and records, for each, its origin and cited source."""

    parts: list[str] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    length: int = 0

    def add(self, text: str, source: str = "", origin: str = "ai") -> None:
        if not text:
            return
        self.spans.append(
            {
                "start": self.length,
                "end": self.length + len(text),
                "origin": origin,
                "source": source,
            }
        )
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.parts)


def split_passages(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace trimmed), in order."""
    spans = []
    for match in _SENTENCE_RE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def placeholder(what_en: str, what_zh: str, language: str) -> str:
    return f"〔待补充：{what_zh}〕" if language == "zh" else f"[[TO COMPLETE: {what_en}]]"


def find_placeholders(text: str) -> list[str]:
    return PLACEHOLDER_RE.findall(text)


def citation(source: str, language: str) -> str:
    return f"〔{source}〕" if language == "zh" else f" [{source}]"


def _say(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "zh" else pair[0]


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _person_label(person: Person | None, language: str) -> str:
    if person is None:
        return "未记明身份的当事人" if language == "zh" else "an unidentified person"
    noun = _say(ROLE_NOUNS.get(person.role, ROLE_NOUNS["other"]), language)
    return f"{noun} {person.full_name}" if language == "zh" else f"{noun}, {person.full_name}"


def _usable_translation(statement: Statement, language: str) -> tuple[str, str] | None:
    """The translation to quote in ``language`` and its note, or None."""
    if not statement.translation.strip() or not statement.translation_source:
        return None
    if not statement.translation_language.lower().startswith(language):
        return None
    key = statement.translation_source
    if key == "machine" and statement.translation_reviewed_by is not None:
        key = "machine-reviewed"
    note = TRANSLATION_NOTES.get(key)
    return (statement.translation, _say(note, language)) if note else None


def _statement_passages(
    statement: Statement, language: str
) -> tuple[list[tuple[str, int, int]], str, bool]:
    """``[(quoted text, start, end)]`` citing the original, the translation note, and whether
    a translation into the framing language is missing."""
    original = statement.text
    own_language = statement.language.lower().startswith(language)
    translation = None if own_language else _usable_translation(statement, language)
    spans = split_passages(original)
    if not spans:
        return [], "", False
    if own_language or translation is None:
        return ([(original[s:e], s, e) for s, e in spans], "", not own_language)
    text, note = translation
    pieces = split_passages(text)
    if len(pieces) == len(spans):  # sentence-aligned: cite each sentence's original
        return (
            [(text[ts:te], s, e) for (ts, te), (s, e) in zip(pieces, spans, strict=True)],
            note,
            False,
        )
    # Not aligned sentence by sentence: quote the whole translation, cite the whole original.
    start, end = spans[0][0], spans[-1][1]
    return [(text.strip(), start, end)], note, False


def _statement_paragraph(
    builder: _Builder, statement: Statement, person: Person | None, language: str, zone: str
) -> None:
    passages, note, untranslated = _statement_passages(statement, language)
    if not passages:
        return
    lang_name = language_name(statement.language.split("-")[0])
    taken = _local(statement.taken_at, zone)
    who = _person_label(person, language)
    for index, (quoted, start, end) in enumerate(passages):
        source = f"S{statement.id}:{start}-{end}"
        if language == "zh":
            if index == 0:
                detail = f"{lang_name['zh']}陈述，{taken}" + (f"；{note}" if note else "")
                frame = f"据{who}（{detail}）称：“{quoted}”"
            else:
                frame = f"其还称：“{quoted}”"
            builder.add(frame + citation(source, language) + "。", source)
        else:
            if index == 0:
                detail = f"statement in {lang_name['en']}, {taken}" + (f"; {note}" if note else "")
                frame = f"According to {who} ({detail}): “{quoted}”"
            else:
                frame = f"They also said: “{quoted}”"
            builder.add(frame + citation(source, language) + " ", source)
    if untranslated:
        builder.add(
            placeholder(
                f"translation of statement S{statement.id} into English",
                f"陈述 S{statement.id} 的中文译文",
                language,
            )
        )
    builder.add("\n\n")


def draft_report(
    case: Case, language: str, statement_ids: Sequence[int] | None = None, zone: str | None = None
) -> Draft:
    """Draft the narrative of ``case`` in ``language`` ("zh" or "en") from its records."""
    if language not in FRAMING_LANGUAGES:
        raise ValidationFailed(detail=M_("language: one of %(framing_languages)s",
                                         framing_languages=', '.join(FRAMING_LANGUAGES)))
    zone = zone or get_settings().station_timezone
    statements = list(case.statements)
    if statement_ids:
        known = {s.id for s in statements}
        unknown = sorted(set(statement_ids) - known)
        if unknown:
            raise ValidationFailed(
                detail=M_("statement_ids: not statements of case %(reference)s: %(names)s",
                          reference=case.reference, names=', '.join(map(str, unknown)))
            )
        statements = [s for s in statements if s.id in set(statement_ids)]
    persons = {p.id: p for p in case.persons}
    zh = language == "zh"
    b = _Builder()

    # 1. The incident: when and where, from the records, or placeholders.
    events = sorted(case.events, key=lambda e: e.occurred_at)
    incident = next((e for e in events if e.kind == "incident"), None)
    if incident is not None:
        when = _local(incident.occurred_at, zone)
        b.add(
            (
                f"据案件记录，案发时间为{when}（{zone}）"
                if zh
                else f"According to the case record, the incident occurred at {when} ({zone})"
            )
            + citation(f"E{incident.id}", language)
            + ("。" if zh else ". "),
            f"E{incident.id}",
        )
    else:
        b.add(
            ("案发时间：" if zh else "Time of incident: ")
            + placeholder("time of incident", "案发时间", language)
            + ("。" if zh else ". ")
        )
    if incident is not None and incident.place.strip():
        b.add(
            (
                f"案发地点为{incident.place.strip()}"
                if zh
                else f"The place of the incident is {incident.place.strip()}"
            )
            + citation(f"E{incident.id}", language)
            + ("。" if zh else ". "),
            f"E{incident.id}",
        )
    elif case.place.strip():
        b.add(
            (
                f"案发地点为{case.place.strip()}"
                if zh
                else f"The place of the incident is {case.place.strip()}"
            )
            + citation("case", language)
            + ("。" if zh else ". "),
            "case",
        )
    else:
        b.add(
            ("案发地点：" if zh else "Place of incident: ")
            + placeholder("place of incident", "案发地点", language)
            + ("。" if zh else ". ")
        )
    b.add("\n\n")

    # 2. The persons concerned.
    for person in case.persons:
        noun = _say(ROLE_NOUNS.get(person.role, ROLE_NOUNS["other"]), language)
        langs = "、".join(language_name(code.split("-")[0])["zh"] for code in person.languages)
        langs_en = ", ".join(language_name(code.split("-")[0])["en"] for code in person.languages)
        if zh:
            facts = (f"，国籍{person.nationality}" if person.nationality else "") + (
                f"，使用{langs}" if langs else ""
            )
            b.add(
                f"{noun}：{person.full_name}{facts}" + citation(f"P{person.id}", language) + "。",
                f"P{person.id}",
            )
        else:
            facts = (f", nationality {person.nationality}" if person.nationality else "") + (
                f", speaks {langs_en}" if langs_en else ""
            )
            b.add(
                f"{noun[0].upper()}{noun[1:]}: {person.full_name}{facts}"
                + citation(f"P{person.id}", language)
                + ". ",
                f"P{person.id}",
            )
    if case.persons:
        b.add("\n\n")

    # 3. What happened afterwards, in time order.
    for event in events:
        if event is incident:
            continue
        when = _local(event.occurred_at, zone)
        what = _say(EVENT_PHRASES.get(event.kind, (event.kind, event.kind)), language)
        place = event.place.strip()
        note = event.note.strip()
        if zh:
            text = (
                f"{when}，{what}"
                + (f"，地点：{place}" if place else "")
                + (f"（记录备注：“{note}”）" if note else "")
            )
            b.add(text + citation(f"E{event.id}", language) + "。", f"E{event.id}")
        else:
            text = (
                f"At {when}, {what}"
                + (f", at {place}" if place else "")
                + (f" (recorded note: “{note}”)" if note else "")
            )
            b.add(text + citation(f"E{event.id}", language) + ". ", f"E{event.id}")
    if len(events) > (1 if incident is not None else 0):
        b.add("\n\n")

    # 4. The statements, in the order they were taken, each passage cited.
    statements.sort(key=lambda s: (s.taken_at, s.id))
    for statement in statements:
        _statement_paragraph(b, statement, persons.get(statement.person_id or -1), language, zone)
    if not statements:
        b.add(placeholder("statements of the persons concerned", "当事人陈述", language) + "\n\n")

    # 5. The officer's own assessment: never drafted by the machine.
    b.add(
        ("办案民警意见：" if zh else "Officer's assessment: ")
        + placeholder(
            "the officer's own assessment and action taken",
            "办案民警对案情的分析与处理意见",
            language,
        )
    )
    text = b.text()
    spans = merge_spans(b.spans)
    return Draft(
        text=text,
        spans=spans,
        placeholders=find_placeholders(text),
        citations=sorted({s["source"] for s in spans if s["source"]}),
    )


# -- spans ---------------------------------------------------------------------------------------
def merge_spans(spans: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join neighbouring spans with the same origin and source; drop empty ones."""
    merged: list[dict[str, Any]] = []
    for span in spans:
        if span["end"] <= span["start"]:
            continue
        last = merged[-1] if merged else None
        if (
            last
            and last["end"] == span["start"]
            and last["origin"] == span["origin"]
            and last["source"] == span["source"]
        ):
            last["end"] = span["end"]
        else:
            merged.append(dict(span))
    return merged


def recompute_spans(
    old_text: str, old_spans: list[dict[str, Any]], new_text: str
) -> list[dict[str, Any]]:
    """Spans of ``new_text``: characters unchanged from ``old_text`` keep their old origin and
    source; inserted or replaced characters are the officer's."""
    # Character origin of the old text, looked up per equal block below.
    old_origin: list[tuple[str, str]] = [("officer", "")] * len(old_text)
    for span in old_spans:
        for i in range(max(0, span["start"]), min(len(old_text), span["end"])):
            old_origin[i] = (span["origin"], span["source"])
    matcher = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False)
    spans: list[dict[str, Any]] = []
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        # A character or two that happen to match inside rewritten text (a "案" of the old
        # placeholder reused in the officer's sentence) is the officer's, not the AI's.
        if tag == "equal" and (j2 - j1 >= MIN_KEPT_RUN or j1 == 0 or j2 == len(new_text)):
            for offset in range(j2 - j1):
                origin, source = old_origin[i1 + offset]
                spans.append(
                    {
                        "start": j1 + offset,
                        "end": j1 + offset + 1,
                        "origin": origin,
                        "source": source,
                    }
                )
        elif j2 > j1:  # insert, replace, or a too-short equal run
            spans.append({"start": j1, "end": j2, "origin": "officer", "source": ""})
    return merge_spans(spans)


def segments(text: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{"text", "origin", "source"}]`` in order, for display."""
    return [
        {"text": text[s["start"] : s["end"]], "origin": s["origin"], "source": s["source"]}
        for s in spans
    ]


def diff_lines(old: str, new: str, old_label: str, new_label: str) -> list[str]:
    return list(
        difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label, lineterm="")
    )


def ai_share(text: str, spans: list[dict[str, Any]]) -> float:
    ai = sum(s["end"] - s["start"] for s in spans if s["origin"] == "ai")
    return ai / len(text) if text else 0.0


def check_citations(text: str, case: Case) -> list[str]:
    """Problems with the statement citations in ``text`` (unknown statement, span out of range)."""
    statements = {s.id: s for s in case.statements}
    problems = []
    for match in CITATION_RE.finditer(text):
        if match.group(2) is None:
            continue
        sid, start, end = int(match.group(2)), int(match.group(3)), int(match.group(4))
        statement = statements.get(sid)
        if statement is None:
            problems.append(f"S{sid}: no such statement in this case")
        elif not 0 <= start < end <= len(statement.text):
            problems.append(f"S{sid}:{start}-{end}: outside the statement")
    return problems


# -- the service ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionView:
    number: int
    text: str
    spans: list[dict[str, Any]]
    author_kind: str
    author_id: int | None
    decision_id: str
    created_at: datetime

    @property
    def placeholders(self) -> list[str]:
        return find_placeholders(self.text)

    @property
    def segments(self) -> list[dict[str, Any]]:
        return segments(self.text, self.spans)

    @property
    def ai_share(self) -> float:
        return ai_share(self.text, self.spans)


@dataclass(frozen=True)
class ReportView:
    case_reference: str
    status: str
    language: str
    created_by: int | None
    submitted_by: int | None
    submitted_at: datetime | None
    attestation: str
    submitted_version: int | None
    versions: list[VersionView]

    @property
    def current(self) -> VersionView:
        return self.versions[-1]

    @property
    def first(self) -> VersionView:
        return self.versions[0]


def _view(case: Case, report: CaseReport) -> ReportView:
    return ReportView(
        case_reference=case.reference,
        status=report.status,
        language=report.language,
        created_by=report.created_by,
        submitted_by=report.submitted_by,
        submitted_at=report.submitted_at,
        attestation=report.attestation,
        submitted_version=report.submitted_version,
        versions=[
            VersionView(
                number=v.number,
                text=v.text,
                spans=list(v.spans),
                author_kind=v.author_kind,
                author_id=v.author_id,
                decision_id=v.decision_id,
                created_at=v.created_at,
            )
            for v in report.versions
        ],
    )


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_statement_ids(value: str) -> list[int]:
    """``"12, 13"`` → ``[12, 13]``; anything else is a clear error."""
    ids = []
    for part in value.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.removeprefix("S").isdigit():
            raise ValidationFailed(detail=M_("statement_ids: %(part)r is not a statement id",
                                             part=part))
        ids.append(int(part.removeprefix("S")))
    return ids


class CaseReportService:
    """Drafts through the gateway, keeps every version, and submits with an attestation."""

    def __init__(self, database: Database, gateway: GatewayService, ledger: LedgerService) -> None:
        self.database = database
        self.gateway = gateway
        self.ledger = ledger

    @staticmethod
    def load_case(session: Session, reference: str) -> Case:
        case = session.scalar(select(Case).where(Case.reference == reference.strip()))
        if case is None:
            raise NotFound(N_("No case with reference %(reference)s."), reference=reference)
        return case

    @staticmethod
    def _report(session: Session, case: Case) -> CaseReport | None:
        return session.scalar(select(CaseReport).where(CaseReport.case_id == case.id))

    def get(self, reference: str) -> ReportView | None:
        with self.database.session() as session:
            case = self.load_case(session, reference)
            report = self._report(session, case)
            return _view(case, report) if report is not None and report.versions else None

    def check_visible(self, reference: str, user: User) -> None:
        """Refuse a user who may not open the case (:meth:`CaseService.can_view`): a report
        shows the statements of the case, so it has the case's access rule."""
        from accord.cases.service import CaseService

        with self.database.session() as session:
            case = self.load_case(session, reference)
            if not CaseService.can_view(case, user):
                raise PermissionDenied(
                    N_("Only the case officer and supervisors may open this case."))

    def statement_texts(self, reference: str) -> list[dict[str, Any]]:
        """The case's statements (original and translation) the report page shows next to
        the report, so that every citation can be checked against its source."""
        with self.database.session() as session:
            case = self.load_case(session, reference)
            return [
                {
                    "id": s.id,
                    "language": s.language,
                    "text": s.text,
                    "translation": s.translation,
                    "translation_language": s.translation_language,
                    "translation_source": s.translation_source,
                }
                for s in case.statements
            ]

    def author_names(self, report: ReportView | None) -> dict[int, str]:
        """The names of the people who wrote a version or submitted the report, by user id."""
        from accord.cases.report_pdf import officer_name

        if report is None:
            return {}
        ids = {v.author_id for v in report.versions} | {report.submitted_by}
        ids.discard(None)
        with self.database.session() as session:
            users = session.scalars(select(User).where(User.id.in_(ids)))
            return {u.id: officer_name(u) for u in users}

    def pdf(self, reference: str, report: ReportView, zone: str) -> bytes:
        """The report's current version as a PDF, signed with the submitting officer's name."""
        from accord.cases.report_pdf import case_report_pdf, officer_name

        with self.database.session() as session:
            case = self.load_case(session, reference)
            officer = session.get(User, report.submitted_by) if report.submitted_by else None
            return case_report_pdf(
                case, report, report.current, officer=officer_name(officer), zone=zone
            )

    def draft(
        self,
        reference: str,
        caller: Caller,
        language: str,
        *,
        purpose: str,
        legal_basis: str,
        statement_ids: Sequence[int] = (),
    ) -> ReportView:
        """A new AI draft through the gateway, stored as the next version (never overwriting)."""
        with self.database.session() as session:
            case = self.load_case(session, reference)
            report = self._report(session, case)
            if report is not None and report.status == "submitted":
                raise ReportSubmitted()
            subjects = case_subjects(session, case.reference)  # the report is about them all
        result = self.gateway.invoke(
            caller,
            GatewayRequest(
                capability_id=CAPABILITY_ID,
                purpose=purpose,
                legal_basis=legal_basis,
                case_ref=reference,
                subjects=subjects,
                inputs={
                    "case_ref": reference,
                    "language": language,
                    "statement_ids": ",".join(map(str, statement_ids)),
                },
            ),
        )
        output = result.output
        return self._add_version(
            reference,
            caller,
            text=str(output["text"]),
            spans=list(output["spans"]),
            author_kind="ai",
            decision_id=result.decision_id,
            language=language,
        )

    def edit(self, reference: str, caller: Caller, text: str, base_version: int) -> ReportView:
        """The officer's edited full text becomes a new version; spans recomputed by diff."""
        text = text.replace("\r\n", "\n")
        if not text.strip():
            raise ValidationFailed(detail=M_("text: the report is empty"))
        if len(text) > MAX_REPORT_CHARS:
            raise ValidationFailed(detail=M_("text: at most %(max_report_chars)s characters",
                                             max_report_chars=MAX_REPORT_CHARS))
        return self._add_version(
            reference,
            caller,
            text=text,
            spans=None,
            author_kind="officer",
            base_version=base_version,
        )

    def _add_version(
        self,
        reference: str,
        caller: Caller,
        *,
        text: str,
        spans: list[dict[str, Any]] | None,
        author_kind: str,
        decision_id: str = "",
        language: str = "",
        base_version: int | None = None,
    ) -> ReportView:
        with self.database.write_session() as session:
            case = self.load_case(session, reference)
            report = self._report(session, case)
            if report is None:
                if author_kind != "ai":
                    raise NotFound(N_("This case has no report yet: draft one first."))
                report = CaseReport(
                    case_id=case.id,
                    status="draft",
                    language=language,
                    created_by=caller.user_id,
                    attestation="",
                )
                session.add(report)
                session.flush()
            if report.status == "submitted":
                raise ReportSubmitted()
            latest = report.versions[-1] if report.versions else None
            if base_version is not None and (latest is None or latest.number != base_version):
                raise StaleVersion(latest=latest.number if latest else 0, base=base_version)
            if spans is None:
                assert latest is not None
                if text == latest.text:
                    raise ValidationFailed(detail=M_("text: nothing was changed"))
                spans = recompute_spans(latest.text, list(latest.spans), text)
            number = latest.number + 1 if latest else 1
            version = CaseReportVersion(
                report_id=report.id,
                number=number,
                text=text,
                spans=spans,
                author_kind=author_kind,
                author_id=caller.user_id,
                decision_id=decision_id,
            )
            session.add(version)
            if language:
                report.language = language
            self.ledger.append(
                session,
                "case-report-version",
                {
                    "actor": f"user:{caller.user_id}",
                    "roles": sorted(caller.roles),
                    "case_ref": case.reference,
                    "report": report.id,
                    "version": number,
                    "author_kind": author_kind,
                    "decision": decision_id,
                    "text_digest": _digest(text),
                },
            )
            session.flush()
            session.refresh(report)
            return _view(case, report)

    def submit(
        self, reference: str, caller: Caller, attestation: str, version: int, language: str
    ) -> ReportView:
        """Submit the current version: no placeholders, and the attestation typed exactly."""
        expected = ATTESTATION["zh" if language.startswith("zh") else "en"]
        with self.database.write_session() as session:
            case = self.load_case(session, reference)
            report = self._report(session, case)
            if report is None or not report.versions:
                raise NotFound(N_("This case has no report yet: draft one first."))
            if report.status == "submitted":
                raise ReportSubmitted()
            latest = report.versions[-1]
            if latest.number != version:
                raise StaleVersion(latest=latest.number, base=version)
            remaining = find_placeholders(latest.text)
            if remaining:
                raise PlaceholdersRemain(items="; ".join(remaining))
            if " ".join(attestation.split()) != expected:
                raise AttestationMismatch(sentence=expected)
            report.status = "submitted"
            report.submitted_by = caller.user_id
            report.submitted_at = utcnow()
            report.attestation = expected
            report.submitted_version = latest.number
            self.ledger.append(
                session,
                "case-report-submitted",
                {
                    "actor": f"user:{caller.user_id}",
                    "roles": sorted(caller.roles),
                    "case_ref": case.reference,
                    "report": report.id,
                    "version": latest.number,
                    "first_draft_digest": _digest(report.versions[0].text),
                    "text_digest": _digest(latest.text),
                    "attestation": expected,
                },
            )
            session.flush()
            return _view(case, report)


def service_from_governance() -> CaseReportService:
    from accord.core.governance import get_governance

    governance = get_governance()
    return CaseReportService(governance.gateway.database, governance.gateway, governance.ledger)
