"""What interpretation holds about a data subject: guided-interview and public reports.

The ``subject_records`` hook for the rights portal. A report names its person through its
answers: every answer to a ``document`` question (a passport number), and the ``name``
question with ``date_of_birth`` and ``nationality``. Keys are computed from the stored answers on
each lookup, with the same keyed digest as the gateway's, so the clear number is never compared
outside this package and nothing new is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.contract import SubjectRecord
from accord.core.subjects import Subject
from accord.interpret.models import InterviewReport

_DOCUMENT_IDS = ("passport_number",)
_NAME_IDS = ("full_name",)


def report_subjects(answers: Mapping[str, Any], types: Mapping[str, str] | None = None
                    ) -> tuple[Subject, ...]:
    """The person a report is about, one subject per document number in its answers.

    ``types`` maps question ids to question types (from the form); without the form the
    shipped question ids are used."""
    types = types or {}
    documents = [str(v) for k, v in answers.items()
                 if v and (types.get(k) == "document" or k in _DOCUMENT_IDS)]
    names = [str(v) for k, v in answers.items()
             if v and (types.get(k) == "name" or k in _NAME_IDS)]
    common = {"name": names[0] if names else "",
              "birth_date": answers.get("date_of_birth") or None,
              "nationality": str(answers.get("nationality") or "")}
    subjects = [Subject(document=number, **common) for number in documents] or [
        Subject(**common)]
    return tuple(s for s in subjects if s)


def _question_types(form_id: str) -> dict[str, str]:
    from accord.interpret.library import get_library

    form = get_library().form(form_id)
    return {q.id: q.type for q in form.questions} if form is not None else {}


def subject_records(session: Session, key: str) -> Iterable[SubjectRecord]:
    """The interview and public reports about the person with this subject key."""
    from accord.core.governance import get_governance

    if not key:
        return []
    gateway = get_governance().gateway
    types: dict[str, dict[str, str]] = {}
    records = []
    for report in session.scalars(select(InterviewReport).order_by(InterviewReport.created_at,
                                                                   InterviewReport.id)):
        if report.form_id not in types:
            types[report.form_id] = _question_types(report.form_id)
        subjects = report_subjects(report.answers or {}, types[report.form_id])
        if key not in gateway.subject_keys(*subjects):
            continue
        public = report.channel == "public"
        records.append(SubjectRecord(
            kind="public-report" if public else "interview-report",
            reference=f"report:{report.reference}",
            title=f"{report.form_id} ({'self-service report' if public else 'interview'}, "
                  f"{report.language})",
            created_at=report.created_at,
            note=f"status {report.status}"))
    return records
