"""A report that became a case follows the case's access rule, and the case starts with what the
report already said (person, passport, place)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.cases.models import Case, IdentityDocument, Person
from accord.core.db import Database
from accord.core.roles import Role
from accord.interpret.models import InterviewReport
from accord.interpret.routes import interviews
from tests.helpers import login

REFERENCE = re.compile(r'data-testid="reference">(RPT-[A-Z0-9]{10})<')
ANSWERS = {
    "what_happened": "stolen", "full_name": "Samir Haddad", "nationality": "EG",
    "date_of_birth": "1991-04-12", "passport_number": "A12345678",
    "incident_date": "2026-11-20", "other_items": "no", "stay_permission": "visa",
    "contact_phone": "+20 100 000 0001", "location_description": "محطة المترو، المخرج ب",
    "incident_location__lat": "31.2304", "incident_location__lon": "121.4737",
}


def _public_report(client: TestClient, **overrides: str) -> str:
    assert client.get("/public/report/lost-passport?lang=ar").status_code == 200
    token = client.cookies.get(interviews.PUBLIC_CSRF_COOKIE)
    sent = client.post("/public/report/lost-passport",
                       data={"csrf_token": token, "lang": "ar", **ANSWERS, **overrides})
    match = REFERENCE.search(sent.text)
    assert sent.status_code == 200 and match, sent.text[:500]
    return match.group(1)


def _open_case(client: TestClient, csrf: str, reference: str) -> str:
    opened = client.post(f"/cases/from-report/{reference}", data={"csrf_token": csrf},
                         follow_redirects=False)
    assert opened.status_code == 303, opened.text[:300]
    return opened.headers["location"].rsplit("/", 1)[1]


def test_a_report_that_became_a_case_follows_the_case(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    reference = _public_report(client)
    make_user("officer.a", Role.OFFICER)
    make_user("officer.b", Role.OFFICER)
    make_user("super.c", Role.SUPERVISOR)

    csrf = login(client, "officer.b")
    assert client.get(f"/interviews/reports/{reference}").status_code == 200  # a draft: shared
    assert reference in client.get("/interviews/reports").text
    client.post("/logout", data={"csrf_token": csrf})

    csrf = login(client, "officer.a")
    case_reference = _open_case(client, csrf, reference)
    own = client.get(f"/interviews/reports/{reference}")
    assert own.status_code == 200
    assert 'data-testid="open-case"' not in own.text  # it is a case now: a link to it instead
    assert f'href="/cases/{case_reference}"' in own.text
    client.post("/logout", data={"csrf_token": csrf})

    login(client, "officer.b")
    assert client.get(f"/interviews/reports/{reference}").status_code == 403
    assert reference not in client.get("/interviews/reports").text
    client.cookies.clear()

    login(client, "super.c")
    assert client.get(f"/interviews/reports/{reference}").status_code == 200
    assert reference in client.get("/interviews/reports").text
    with database.session() as session:
        assert session.scalar(select(InterviewReport.case_reference)
                              .where(InterviewReport.reference == reference)) == case_reference


def test_a_case_from_a_report_starts_with_person_passport_and_place(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    reference = _public_report(client)
    officer = make_user("officer.p", Role.OFFICER)
    case_reference = _open_case(client, login(client, "officer.p"), reference)
    with database.session() as session:
        case = session.scalar(select(Case).where(Case.reference == case_reference))
        assert case.officer_id == officer.id
        assert case.place == "محطة المترو، المخرج ب · 31.2304, 121.4737"
        (person,) = session.scalars(select(Person).where(Person.case_id == case.id)).all()
        assert (person.role, person.full_name, person.nationality, person.contact) == (
            "reporter", "Samir Haddad", "EGY", "+20 100 000 0001")
        assert str(person.date_of_birth) == "1991-04-12" and person.languages == ["ar"]
        (document,) = session.scalars(select(IdentityDocument)
                                      .where(IdentityDocument.person_id == person.id)).all()
        assert (document.kind, document.number, document.issuing_state) == (
            "passport", "A12345678", "EGY")
        assert not document.mrz_verified  # typed by the person: the officer checks it


def test_an_answer_the_case_file_refuses_is_left_out_not_fatal(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    """E.g. a report stored before today's checks: a number no passport has, an unknown
    country. The case opens with the name; the summary keeps every answer verbatim."""
    answers = {"what_happened": "lost", "full_name": "Ana Ruiz", "nationality": "ZZ",
               "passport_number": "AB/12_34", "contact_phone": "+34 600 000 000"}
    with database.write_session() as session:
        session.add(InterviewReport(reference="RPT-OLDREPORT2", form_id="lost-passport",
                                    form_version=1, language="es", channel="officer",
                                    status="draft", answers=answers, content_statuses=[]))
    make_user("officer.q", Role.OFFICER)
    case_reference = _open_case(client, login(client, "officer.q"), "RPT-OLDREPORT2")
    with database.session() as session:
        case = session.scalar(select(Case).where(Case.reference == case_reference))
        (person,) = session.scalars(select(Person).where(Person.case_id == case.id)).all()
        assert (person.full_name, person.nationality, person.contact) == (
            "Ana Ruiz", "", "+34 600 000 000")
        assert session.scalars(select(IdentityDocument)
                               .where(IdentityDocument.person_id == person.id)).all() == []
        assert "AB/12_34" in case.summary and case.place == ""
