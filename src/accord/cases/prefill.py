"""What a case opened from a guided-interview report starts with, besides the summary.

The report's answers already hold the person's name, nationality, phone, passport number and
the place: the case starts with them as a person, an identity document and the case's place,
and the officer confirms or corrects them. An answer the case file would not accept (say, a
passport number with characters no passport has) is left out rather than stopping the case from
opening: it stays readable in the summary, which keeps every answer verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import pycountry

from accord.core.errors import ValidationFailed

if TYPE_CHECKING:
    from accord.cases.models import Case, Person
    from accord.cases.service import CaseService

#: The person's role in the case, by form; any other form: the reporting person.
FORM_PERSON_ROLES: dict[str, str] = {"theft-fraud": "victim", "detention": "detainee"}
PLACE_MAX = 200


def _alpha3(code: Any) -> str:
    """The reports store ISO 3166-1 alpha-2 (``EG``); case files use alpha-3 (``EGY``)."""
    text = str(code or "").strip().upper()
    if len(text) == 2:
        country = pycountry.countries.get(alpha_2=text)
        return country.alpha_3 if country is not None else ""
    return text


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def place_from_answers(answers: Mapping[str, Any]) -> str:
    """The place in words (as the person wrote it) and, if they marked it, the coordinates."""
    parts = []
    described = str(answers.get("location_description") or "").strip()
    if described:
        parts.append(described)
    point = answers.get("incident_location")
    if isinstance(point, Mapping) and "lat" in point and "lon" in point:
        parts.append(f"{point['lat']}, {point['lon']}")
    return " · ".join(parts)[:PLACE_MAX]


def prefill_case(service: CaseService, case: Case, form_id: str, language: str,
                 answers: Mapping[str, Any]) -> Person | None:
    """Add the person, their passport and the place from ``answers`` to ``case``.

    Returns the person added, or None when the report names nobody.
    """
    place = place_from_answers(answers)
    if place and not case.place:
        service.update_case(case, place=place)
    name = str(answers.get("full_name") or "").strip()
    if not name:
        return None
    person_fields: dict[str, Any] = {
        "role": FORM_PERSON_ROLES.get(form_id, "reporter"),
        "full_name": name,
        "nationality": _alpha3(answers.get("nationality")),
        "languages": [language] if language else [],
        "speaks_chinese": language == "zh",
        "sex": "",
        "date_of_birth": _date(answers.get("date_of_birth")),
        "contact": str(answers.get("contact_phone") or "").strip(),
    }
    # Each optional detail the case file refuses is dropped, one at a time; the name stays.
    for optional in ("", "nationality", "date_of_birth", "languages", "contact"):
        if optional:
            person_fields[optional] = [] if optional == "languages" else (
                None if optional == "date_of_birth" else "")
        try:
            service._new_person(case, **person_fields)  # validation only: stores nothing
            break
        except ValidationFailed:
            continue
    else:
        return None
    number = str(answers.get("passport_number") or "").strip()
    if number:
        document = {"kind": "passport", "number": number,
                    "issuing_state": person_fields["nationality"], "expiry": None,
                    "mrz_verified": False, "mrz_decision_id": "", "image_sha256": ""}
        try:
            return service.add_person_with_document(case, person=person_fields,
                                                    document=document)
        except ValidationFailed:
            pass  # a number no passport has: the person without it; the summary keeps it
    return service.add_person(case, **person_fields)
