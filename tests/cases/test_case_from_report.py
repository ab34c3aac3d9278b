"""A report made on the public self-service page becomes a draft case the station reads in
Chinese, opened once by an officer."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.cases.models import Case
from accord.core.db import Database
from accord.core.roles import Role
from accord.interpret.models import InterviewReport
from accord.interpret.routes import interviews
from tests.helpers import login

REFERENCE = re.compile(r'data-testid="reference">(RPT-[A-Z0-9]{10})<')


def _public_report(client: TestClient) -> str:
    assert client.get("/public/report/lost-passport?lang=ar").status_code == 200
    token = client.cookies.get(interviews.PUBLIC_CSRF_COOKIE)
    answers = {
        "what_happened": "stolen", "full_name": "Samir Haddad", "nationality": "EG",
        "date_of_birth": "1991-04-12", "incident_date": "2026-11-20", "other_items": "no",
        "stay_permission": "visa", "contact_phone": "+20 100 000 0001",
        "location_description": "محطة المترو، المخرج ب",
    }
    sent = client.post("/public/report/lost-passport",
                       data={"csrf_token": token, "lang": "ar", **answers})
    match = REFERENCE.search(sent.text)
    assert sent.status_code == 200 and match, sent.text[:500]
    return match.group(1)


def test_officer_opens_a_chinese_draft_case_from_a_public_report(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    reference = _public_report(client)
    officer = make_user("case.opener", Role.OFFICER)
    csrf = login(client, "case.opener")
    page = client.get(f"/interviews/reports/{reference}")
    assert 'data-testid="open-case"' in page.text

    opened = client.post(f"/cases/from-report/{reference}", data={"csrf_token": csrf},
                         follow_redirects=False)
    assert opened.status_code == 303
    case_url = opened.headers["location"]
    again = client.post(f"/cases/from-report/{reference}", data={"csrf_token": csrf},
                        follow_redirects=False)
    assert again.headers["location"] == case_url  # opened once

    with database.session() as session:
        cases = session.scalars(select(Case).where(Case.source_report == reference)).all()
        assert len(cases) == 1
        case = cases[0]
        assert case.case_type == "lost-passport" and case.officer_id == officer.id
        assert "护照" in case.title and "Samir Haddad" in case.summary
        assert "محطة المترو" in case.summary  # free text kept verbatim
        status = session.scalar(select(InterviewReport.status)
                                .where(InterviewReport.reference == reference))
        assert status == "case-opened"
    assert client.get(case_url).status_code == 200


def test_unknown_report_and_wrong_role_are_refused(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    reference = _public_report(client)
    make_user("case.opener2", Role.OFFICER)
    csrf = login(client, "case.opener2")
    missing = client.post("/cases/from-report/RPT-0000000000", data={"csrf_token": csrf})
    assert missing.status_code == 404 and "RPT-0000000000" in missing.text
    client.post("/logout", data={"csrf_token": csrf})
    make_user("interp.x", Role.INTERPRETER)
    csrf = login(client, "interp.x")
    refused = client.post(f"/cases/from-report/{reference}", data={"csrf_token": csrf})
    assert refused.status_code == 403
    with database.session() as session:
        assert session.scalar(select(Case).where(Case.source_report == reference)) is None
