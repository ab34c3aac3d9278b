"""District profiles and the course plan recommended for each, explained from the district's data.

The counts come from the cases package's read service (``accord.cases.profiles``): case types
and nationalities in the case files, languages requested from interpreters, statement
(interview) languages and guided-interview report languages, per district. The plan is a short
list of rules, each stated with the figure that triggered it, so a trainer can see why a course
is on the list ("朝阳区: 38 % of cases are lost passports → lesson «Lost or stolen passport»")
and disagree with it. No rule looks at a person; the nationality shares are shown for planning
interpreters and notices, never to recommend anything about a nationality.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from accord.cases.profiles import (
    UNRECORDED,
    DistrictFacts,
    district_facts,
    language_label,
    nationality_label,
)
from accord.cases.vocab import CASE_TYPES
from accord.training.courses import courses

#: A case type this share of a district's cases or more gets its procedure lesson recommended.
CASE_TYPE_SHARE = 0.15
#: How many languages and nationalities a profile lists.
TOP = 5
COMMUNICATION = "communication"
PROCEDURE = "foreign-procedure"
AI_LITERACY = "ai-literacy"


def _shares(counter: Counter[str], label: Any = None) -> list[dict[str, Any]]:
    total = sum(counter.values())
    rows = []
    for key, count in counter.most_common(TOP):
        row: dict[str, Any] = {"code": key, "count": count,
                               "share": round(count / total, 4) if total else 0.0}
        if label is not None:
            row["name"] = label(key)
        rows.append(row)
    return rows


def _pct(share: float) -> str:
    return f"{round(share * 100)} %"


def _recommend(facts: DistrictFacts) -> list[dict[str, Any]]:
    catalogue = courses()
    plan: list[dict[str, Any]] = []
    procedure = catalogue.get(PROCEDURE)
    if procedure is not None and facts.cases:
        lessons = {lesson.guidance: lesson for lesson in procedure.lessons if lesson.guidance}
        for case_type, count in facts.case_types.most_common():
            share = count / facts.cases
            if share < CASE_TYPE_SHARE:
                break
            lesson = lessons.get(case_type)
            why_en = (f"{_pct(share)} of the district's cases ({count} of {facts.cases}) are "
                      f"{CASE_TYPES.get(case_type, case_type).lower()}")
            why_zh = f"本辖区{_pct(share)}的案件（{facts.cases}件中的{count}件）属于“{case_type}”类"
            if lesson is None:
                why_en += "; the course has no lesson for this case type yet (a gap to fill)"
                why_zh += "；课程尚无该类案件的课时（有待补充）"
            plan.append({"course": procedure.id, "lesson": lesson.id if lesson else None,
                         "title": {"en": (lesson or procedure).title.en,
                                   "zh": (lesson or procedure).title.zh},
                         "href": procedure.href + (f"/lessons/{lesson.id}" if lesson else ""),
                         "why": {"en": why_en, "zh": why_zh}})
    languages = facts.interpreter_languages + facts.statement_languages + facts.report_languages
    foreign = Counter({k: v for k, v in languages.items() if k.split("-")[0] != "zh"})
    communication = catalogue.get(COMMUNICATION)
    if communication is not None and foreign:
        top = [language_label(code) for code, _ in foreign.most_common(2)]
        requested = sum(facts.interpreter_languages.values())
        plan.append({
            "course": communication.id, "lesson": None,
            "title": {"en": communication.title.en, "zh": communication.title.zh},
            "href": communication.href,
            "why": {"en": (f"{' and '.join(t['en'] for t in top)} are the languages most used "
                           f"with interpreters and in interviews here ({requested} interpreter "
                           "requests linked to the district's cases)"),
                    "zh": (f"本辖区与翻译和询问中最常用的语言是{'和'.join(t['zh'] for t in top)}"
                           f"（与本辖区案件相关的翻译申请共{requested}次）")},
        })
    ai = catalogue.get(AI_LITERACY)
    if ai is not None and facts.statement_languages:
        statements = sum(facts.statement_languages.values())
        plan.append({
            "course": ai.id, "lesson": None, "title": {"en": ai.title.en, "zh": ai.title.zh},
            "href": ai.href,
            "why": {"en": (f"{statements} statements are on file here; comparing them with "
                           "inconsistency hints needs this certificate"),
                    "zh": f"本辖区有{statements}份陈述；使用不一致提示比对陈述须持有本证书"},
        })
    return plan


def _profile(facts: DistrictFacts) -> dict[str, Any]:
    return {
        "district": facts.district, "cases": facts.cases, "synthetic_cases": facts.synthetic,
        "case_types": _shares(facts.case_types),
        "nationalities": _shares(facts.nationalities, nationality_label),
        "interpreter_languages": _shares(facts.interpreter_languages, language_label),
        "interview_languages": _shares(facts.statement_languages, language_label),
        "report_languages": _shares(facts.report_languages, language_label),
        "recommended": _recommend(facts),
    }


def districts(session: Session) -> list[dict[str, Any]]:
    """Every district with cases: name, case count, top case type ("" = no district recorded)."""
    rows = []
    for name, facts in sorted(district_facts(session).items(),
                              key=lambda item: (-item[1].cases, item[0])):
        top = facts.case_types.most_common(1)
        rows.append({"district": name, "cases": facts.cases,
                     "synthetic_cases": facts.synthetic,
                     "top_case_type": top[0][0] if top else None,
                     "recorded": name != UNRECORDED})
    return rows


def profile(session: Session, district: str) -> dict[str, Any] | None:
    """The profile of one district, None when no case names it."""
    facts = district_facts(session).get(district.strip())
    return None if facts is None else _profile(facts)
