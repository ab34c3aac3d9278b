"""A read service for district profiles: what the case files say about each district.

Why here: the training package builds a district's recommended course plan from the cases'
own data, and packages do not read each other's tables. This module is the one place that
counts them, and it returns only aggregates (counts by case type, nationality and language),
never a person, a name or a case reference.

A case's district is its police station's district when the case has a station
(``accord.cases.stations``); otherwise the first part of its ``place``, up to and including the
administrative suffix "区" (Beijing's districts: "朝阳区三里屯" → "朝阳区"), as the officer's form
writes it. A case with neither counts as "" (unrecorded), and the profile says how many cases
that is, rather than guessing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cases.models import Case, Person, Statement
from accord.cases.stations import station_district
from accord.interpret.interpreter_models import InterpreterRequest
from accord.interpret.models import InterviewReport

DISTRICT_SUFFIXES = ("区", "县")
UNRECORDED = ""


def case_district(station: str, place: str) -> str:
    """A case's district: its station's when it has one, else the one its place names."""
    return station_district(station) or district_of(place)


def district_of(place: str) -> str:
    """The district a case's place names, or "" when it names none."""
    place = (place or "").strip()
    for index, char in enumerate(place[:12]):
        if char in DISTRICT_SUFFIXES and index > 0:
            return place[: index + 1]
    return UNRECORDED


@dataclass
class DistrictFacts:
    """Counts for one district, from its case files and what was linked to them."""

    district: str
    cases: int = 0
    synthetic: int = 0
    case_types: Counter[str] = field(default_factory=Counter)
    nationalities: Counter[str] = field(default_factory=Counter)  # persons, ISO alpha-3
    interpreter_languages: Counter[str] = field(default_factory=Counter)
    statement_languages: Counter[str] = field(default_factory=Counter)  # interview languages
    report_languages: Counter[str] = field(default_factory=Counter)  # guided interview reports


def district_facts(session: Session) -> dict[str, DistrictFacts]:
    """Every district with at least one case, by name ("" for cases without a district)."""
    facts: dict[str, DistrictFacts] = {}
    district_by_ref: dict[str, str] = {}
    by_case_id: dict[int, str] = {}
    for case_id, reference, case_type, place, station, synthetic in session.execute(
            select(Case.id, Case.reference, Case.case_type, Case.place, Case.station,
                   Case.synthetic)):
        district = case_district(station, place)
        district_by_ref[reference] = district
        by_case_id[case_id] = district
        entry = facts.setdefault(district, DistrictFacts(district))
        entry.cases += 1
        entry.synthetic += int(bool(synthetic))
        entry.case_types[case_type] += 1
    for case_id, nationality in session.execute(select(Person.case_id, Person.nationality)):
        if nationality and case_id in by_case_id:
            facts[by_case_id[case_id]].nationalities[nationality.upper()] += 1
    for case_id, language in session.execute(select(Statement.case_id, Statement.language)):
        if language and case_id in by_case_id:
            facts[by_case_id[case_id]].statement_languages[language] += 1
    for case_ref, language in session.execute(
            select(InterpreterRequest.case_ref, InterpreterRequest.language)
            .where(InterpreterRequest.case_ref != "")):
        if case_ref in district_by_ref and language:
            facts[district_by_ref[case_ref]].interpreter_languages[language] += 1
    for case_ref, language in session.execute(
            select(InterviewReport.case_reference, InterviewReport.language)
            .where(InterviewReport.case_reference != "")):
        if case_ref in district_by_ref and language:
            facts[district_by_ref[case_ref]].report_languages[language] += 1
    return facts


def language_label(code: str) -> dict[str, str]:
    """{"en": …, "zh": …} for a language tag (the tag itself when unknown)."""
    from accord.interpret.langid import language_name

    return language_name(code)


def nationality_label(code: str) -> dict[str, str]:
    """{"en": …, "zh": …} for an ISO 3166-1 alpha-3 code (the code itself when unknown)."""
    from accord.cases.notices import country_name

    return {"en": country_name(code, "en"), "zh": country_name(code, "zh")}
