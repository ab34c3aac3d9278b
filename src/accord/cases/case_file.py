"""The printable case file: one PDF with everything a prosecutor, a supervisor or a court needs
to read the case without Accord — persons, timeline, deadlines, statements (the original words
and the confirmed interpretation), evidence, tasks, and every AI decision recorded in the case.

The footer of every page says who printed it and when, and that the AI outputs are listed in
their own section: nothing an AI produced reaches the file unmarked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from accord.cases.guidance import DeadlineStatus, deadlines_for_case
from accord.cases.models import Case
from accord.cases.report_pdf import FooterPdf, local_time, officer_name
from accord.cases.service import CaseService
from accord.cases.vocab import CASE_TYPES, EVENT_KINDS, PERSON_ROLES
from accord.core.accounts.models import User
from accord.core.gateway.models import Decision

SECTIONS = (
    "一、当事人 Persons",
    "二、经过 Timeline",
    "三、法定时限 Deadlines",
    "四、陈述 Statements",
    "五、证据 Evidence",
    "六、任务 Tasks",
    "七、人工智能决定 AI decisions",
)

#: Each section's sensitivity when the file is sent out (issue #18, minimum-necessary share):
#: sections that name or describe people, or hold their words, are high; a file holding any
#: of them waits for a supervisor's approval before it reaches a named recipient.
SECTION_SENSITIVITY: dict[str, str] = {
    SECTIONS[0]: "high",  # names, nationalities, dates of birth
    SECTIONS[1]: "high",  # what happened to whom, where
    SECTIONS[2]: "low",  # statutory deadlines of the case type
    SECTIONS[3]: "high",  # the persons' own words
    SECTIONS[4]: "high",  # evidence descriptions
    SECTIONS[5]: "low",  # the officers' tasks
    SECTIONS[6]: "low",  # which AI capability ran, and its review
}


def case_file_pdf(case: Case, *, deadlines: Sequence[DeadlineStatus],
                  decisions: Sequence[Decision], users: Mapping[int, Any], zone: str,
                  printed_by: str, printed_at: datetime, font_path: str = "") -> bytes:
    """Render the case file as PDF bytes (times in the station's zone ``zone``)."""
    footer = [
        f"案件卷宗 Case file {case.reference} · 打印人 printed by {printed_by} · "
        f"{local_time(printed_at, zone)} ({zone})",
        "人工智能输出均列于第七部分，并注明是否经人工审核。"
        "AI outputs are listed in section 7 with their human review.",
    ]
    doc = FooterPdf(footer, font_path)
    pdf = doc.pdf
    pdf.set_title(f"Case file {case.reference}")
    pdf.add_page()
    doc.line(f"案件卷宗 Case file — {case.reference}", size=16, height=9)
    doc.line(case.title, size=12)
    doc.line(
        f"类型 Type: {CASE_TYPES.get(case.case_type, case.case_type)} · 状态 Status: "
        f"{case.status} · 主办民警 Officer: {officer_name(users.get(case.officer_id or -1))} · "
        f"立案 Opened: {local_time(case.opened_at, zone)}"
        + (f" · 地点 Place: {case.place}" if case.place else ""), size=9.5)
    if case.summary:
        doc.line(case.summary, size=10)
    persons = {p.id: p for p in case.persons}

    _heading(doc, SECTIONS[0])
    for p in case.persons:
        facts = [PERSON_ROLES.get(p.role, p.role), p.nationality or "—",
                 ", ".join(p.languages) or "—"]
        if p.date_of_birth:
            facts.append(p.date_of_birth.isoformat())
        doc.line(f"{p.full_name} · " + " · ".join(facts), size=10)
    if not case.persons:
        doc.line("—", size=10)

    _heading(doc, SECTIONS[1])
    for event in sorted(case.events, key=lambda e: e.occurred_at):
        who = persons.get(event.person_id or -1)
        doc.line(f"{local_time(event.occurred_at, zone)} · "
                 f"{EVENT_KINDS.get(event.kind, event.kind)}"
                 + (f" · {who.full_name}" if who else "")
                 + (f" · {event.place}" if event.place else ""), size=10)
    if not case.events:
        doc.line("—", size=10)

    _heading(doc, SECTIONS[2])
    for step in deadlines:
        due = ("依法立即 without delay" if step.without_delay
               else local_time(step.due_at, zone) or "—")
        done = f" · 完成 done {local_time(step.done_at, zone)}" if step.done_at else ""
        doc.line(f"{step.title_zh} / {step.title_en} · {due} · {step.state}{done} · "
                 f"{step.citation_zh or step.citation} / {step.citation}", size=9.5)

    _heading(doc, SECTIONS[3])
    for statement in case.statements:
        who = persons.get(statement.person_id or -1)
        doc.line(f"S{statement.id} · {who.full_name if who else '—'} · {statement.language} · "
                 f"{local_time(statement.taken_at, zone)}"
                 + (f" · 翻译 interpreter: {statement.interpreter}"
                    if statement.interpreter else ""), size=10.5, height=6)
        doc.line(statement.text, size=10)
        if statement.translation.strip():
            reviewed = statement.translation_reviewed_by is not None
            status = ("已确认 confirmed" if reviewed or statement.translation_source != "machine"
                      else "机器翻译，未审核 machine translation, not reviewed")
            doc.line(f"译文 Interpretation ({statement.translation_language}; "
                     f"{statement.translation_source or '—'}; {status})", size=9)
            doc.line(statement.translation, size=10)
    if not case.statements:
        doc.line("—", size=10)

    _heading(doc, SECTIONS[4])
    for item in case.evidence:
        digest = f" · SHA-256 {item.sha256}" if item.sha256 else " · 实物 physical"
        doc.line(f"{item.label} · {item.description} · {local_time(item.collected_at, zone)}"
                 f"{digest}", size=9.5)
    if not case.evidence:
        doc.line("—", size=10)

    _heading(doc, SECTIONS[5])
    for task in case.tasks:
        doc.line(f"{task.title} · {task.status}"
                 + (f" · 期限 due {local_time(task.due_at, zone)}" if task.due_at else ""),
                 size=9.5)
    if not case.tasks:
        doc.line("—", size=10)

    _heading(doc, SECTIONS[6])
    for decision in decisions:
        actor = officer_name(users.get(decision.actor_id or -1))
        doc.line(f"{local_time(decision.created_at, zone)} · {decision.capability_id} "
                 f"({decision.model_version or decision.capability_version}) · {decision.status}"
                 f" · {actor} · 目的 purpose {decision.purpose} · 依据 legal basis "
                 f"{decision.legal_basis} · 账本 ledger #{decision.ledger_seq}", size=9)
    if not decisions:
        doc.line("本案没有人工智能决定。No AI decision was recorded in this case.", size=10)
    return bytes(pdf.output())


def _heading(doc: FooterPdf, text: str) -> None:
    doc.pdf.ln(3)
    doc.line(text, size=13, height=8)


def render_case_file(service: CaseService, case: Case, user: User, *, now: datetime,
                     zone: str) -> bytes:
    """The case file of a case ``user`` may open (the caller checked), as PDF bytes."""
    decisions = service.decisions_in(case)
    ids = {case.officer_id, user.id, *(d.actor_id for d in decisions)}
    return case_file_pdf(case, deadlines=deadlines_for_case(case, now=now, tz=zone),
                         decisions=decisions, users=service.users_by_id(ids), zone=zone,
                         printed_by=officer_name(user), printed_at=now)
