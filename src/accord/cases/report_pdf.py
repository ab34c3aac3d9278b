"""The case report as PDF: AI-written text marked, a disclosure on every page, sources attached.

Fonts come from the same places as the access report (:mod:`accord.governance.rights`): a CJK
font, fallbacks for other scripts, and shaping with ``uharfbuzz`` (Arabic joined, right to left).

Every page's footer carries the AI disclosure (California SB 524 asks for one on each page) in
Chinese and in the language of the person the case is about — the first victim, reporting person
or detained person with a recorded language. Where no disclosure text exists in that language,
the English one is used and the footer says so. The disclosure texts other than Chinese and
English were written by the developers and need a qualified translator's review before use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from accord.cases.models import Case, Person
from accord.cases.reports import ReportView, VersionView
from accord.core.pdf import main_font, prepare_fonts
from accord.interpret.langid import language_name

PERSON_ROLES_FOR_LANGUAGE = ("victim", "reporter", "detainee")

#: The disclosure, with ``{officer}`` and ``{time}``; ``{pending}`` replaces the attestation
#: clause while the report is a draft.
DISCLOSURES: dict[str, tuple[str, str]] = {
    "zh": (
        "本报告含有由人工智能系统（基于规则的抽取式起草程序）起草的文字；初稿已保留；"
        "由{officer}于{time}确认。",
        "本报告含有由人工智能系统（基于规则的抽取式起草程序）起草的文字；初稿已保留；"
        "本报告为草稿，尚未经民警确认。",
    ),
    "en": (
        "This report contains text drafted by an AI system (rule-based extractive drafter); "
        "the first draft is kept; attested by {officer} on {time}.",
        "This report contains text drafted by an AI system (rule-based extractive drafter); "
        "the first draft is kept; DRAFT, not yet attested by an officer.",
    ),
    "es": (
        "Este informe contiene texto redactado por un sistema de IA (redactor extractivo "
        "basado en reglas); se conserva el primer borrador; certificado por {officer} el "
        "{time}.",
        "Este informe contiene texto redactado por un sistema de IA (redactor extractivo "
        "basado en reglas); se conserva el primer borrador; BORRADOR, aún no certificado "
        "por un agente.",
    ),
    "fr": (
        "Ce rapport contient du texte rédigé par un système d'IA (rédacteur extractif à "
        "base de règles) ; le premier brouillon est conservé ; attesté par {officer} le "
        "{time}.",
        "Ce rapport contient du texte rédigé par un système d'IA (rédacteur extractif à "
        "base de règles) ; le premier brouillon est conservé ; BROUILLON, pas encore "
        "attesté par un agent.",
    ),
    "ru": (
        "Этот отчёт содержит текст, подготовленный системой ИИ (экстрактивный составитель "
        "на основе правил); первый черновик сохранён; удостоверено: {officer}, {time}.",
        "Этот отчёт содержит текст, подготовленный системой ИИ (экстрактивный составитель "
        "на основе правил); первый черновик сохранён; ЧЕРНОВИК, ещё не удостоверен "
        "сотрудником.",
    ),
    "ar": (
        "يحتوي هذا التقرير على نص صاغه نظام ذكاء اصطناعي (أداة صياغة استخلاصية قائمة على "
        "القواعد)؛ المسودة الأولى محفوظة؛ صادق عليه {officer} في {time}.",
        "يحتوي هذا التقرير على نص صاغه نظام ذكاء اصطناعي (أداة صياغة استخلاصية قائمة على "
        "القواعد)؛ المسودة الأولى محفوظة؛ مسودة لم يصادق عليها ضابط بعد.",
    ),
}

LEGEND = (
    "标有 [AI] 的蓝色下划线文字由人工智能系统（基于规则的抽取式起草程序）起草；"
    "黑色文字由民警撰写或修改。",
    "Blue underlined text marked [AI] was drafted by an AI system (rule-based extractive "
    "drafter); black text was written or changed by the officer.",
)
AI_COLOUR = (0, 60, 150)


@dataclass(frozen=True)
class Disclosure:
    chinese: str
    other: str
    other_language: str  # "en" when the person's language has no disclosure text
    note: str  # says so when English stands in for the person's language


def person_language(case: Case) -> str:
    """The first victim, reporting or detained person's preferred language ("" if none)."""
    for role in PERSON_ROLES_FOR_LANGUAGE:
        for person in case.persons:
            if person.role == role and person.languages:
                return person.languages[0].split("-")[0].lower()
    return ""


def disclosure(case: Case, report: ReportView, officer: str, zone: str) -> Disclosure:
    submitted = report.status == "submitted" and report.submitted_at is not None
    when = (
        report.submitted_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        if submitted and report.submitted_at
        else ""
    )

    def text(lang: str) -> str:
        attested, draft = DISCLOSURES[lang]
        return attested.format(officer=officer, time=f"{when} ({zone})") if submitted else draft

    wanted = person_language(case)
    note = ""
    if wanted in DISCLOSURES and wanted != "zh":
        other = wanted
    else:
        other = "en"
        if wanted and wanted != "zh":
            name = language_name(wanted)
            note = (
                f"（无{name['zh']}版本，以英文显示）No disclosure text in {name['en']}; "
                "shown in English."
            )
    return Disclosure(chinese=text("zh"), other=text(other), other_language=other, note=note)


class FooterPdf:
    """fpdf2 document with the disclosure drawn in every page's footer."""

    def __init__(self, footer_lines: list[str], font_path: str) -> None:
        from fpdf import FPDF

        font = main_font(font_path)
        lines = footer_lines

        class Document(FPDF):  # type: ignore[misc]
            def footer(self) -> None:
                self.set_y(-30)
                self.set_font("main", size=7)
                self.set_text_color(60, 60, 60)
                for line in lines:
                    self.multi_cell(0, 3.4, line, new_x="LMARGIN", new_y="NEXT")
                self.cell(0, 3.4, f"{self.page_no()}/{{nb}}", align="R")
                self.set_text_color(0, 0, 0)

        pdf = Document(format="A4")
        pdf.set_auto_page_break(auto=True, margin=34)
        prepare_fonts(pdf, font)
        self.pdf = pdf

    def line(self, text: str, size: float = 10, height: float = 5.5) -> None:
        self.pdf.set_font("main", size=size)
        self.pdf.multi_cell(self.pdf.epw, height, text, new_x="LMARGIN", new_y="NEXT")

    def narrative(self, version: VersionView, size: float = 10.5, height: float = 6) -> None:
        pdf = self.pdf
        for origin, text in runs(version.segments):
            for index, piece in enumerate(text.split("\n")):
                if index:
                    pdf.ln(height)
                if not piece:
                    continue
                if origin == "ai":
                    pdf.set_text_color(*AI_COLOUR)
                    pdf.set_font("main", style="U", size=size)
                    # Every AI run (and each of its lines) starts with the marker, so the
                    # marking survives black-and-white copies.
                    pdf.write(height, "[AI] " + piece if piece.strip() else piece)
                else:
                    pdf.set_text_color(0, 0, 0)
                    pdf.set_font("main", size=size)
                    pdf.write(height, piece)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("main", size=size)
        pdf.ln(height)


def runs(segments: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Neighbouring segments of the same origin joined: ``[(origin, text)]``."""
    joined: list[tuple[str, str]] = []
    for segment in segments:
        if joined and joined[-1][0] == segment["origin"]:
            joined[-1] = (segment["origin"], joined[-1][1] + segment["text"])
        else:
            joined.append((segment["origin"], segment["text"]))
    return joined


def case_report_pdf(
    case: Case,
    report: ReportView,
    version: VersionView,
    *,
    officer: str,
    zone: str,
    font_path: str = "",
) -> bytes:
    """Render ``version`` of the case report with its sources, as PDF bytes."""
    notice = disclosure(case, report, officer, zone)
    footer = [notice.chinese, notice.other] + ([notice.note] if notice.note else [])
    doc = FooterPdf(footer, font_path)
    pdf = doc.pdf
    pdf.set_title(f"Case report {case.reference}")
    pdf.add_page()
    doc.line(f"案件报告 Case report — {case.reference}", size=16, height=9)
    doc.line(case.title, size=11)
    status = "已提交 Submitted" if report.status == "submitted" else "草稿 Draft"
    doc.line(
        f"状态 Status: {status} · 版本 Version {version.number}/{len(report.versions)} · "
        f"AI {version.ai_share:.0%}",
        size=9,
    )
    doc.line(
        f"初稿 First draft: 版本 version 1, "
        f"{report.first.created_at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})",
        size=9,
    )
    pdf.ln(2)
    for text in LEGEND:
        doc.line(text, size=8.5, height=4.5)
    pdf.ln(3)
    doc.line("一、报告正文 Narrative", size=13, height=8)
    doc.narrative(version)
    pdf.ln(4)
    doc.line("二、来源陈述（原文） Source statements (original language)", size=13, height=8)
    persons: dict[int, Person] = {p.id: p for p in case.persons}
    for statement in case.statements:
        person = persons.get(statement.person_id or -1)
        who = f"{person.full_name} ({person.role})" if person else "—"
        taken = statement.taken_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        pdf.ln(2)
        doc.line(f"S{statement.id} · {who} · {statement.language} · {taken}", size=10.5, height=6)
        doc.line(statement.text, size=10)
        if statement.translation.strip():
            source = statement.translation_source or "—"
            reviewed = (
                "reviewed" if statement.translation_reviewed_by is not None else "not reviewed"
            )
            label = (
                f"译文 Translation ({statement.translation_language}; {source}"
                + (f", {reviewed}" if source == "machine" else "")
                + ")"
            )
            doc.line(label, size=9)
            doc.line(statement.translation, size=10)
    return bytes(pdf.output())


def officer_name(user: Any) -> str:
    if user is None:
        return "—"
    return str(user.display_name or user.username)


def local_time(moment: datetime | None, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") if moment else ""
