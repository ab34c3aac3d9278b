"""A report sent twice (a double click, a refreshed confirmation) is filed once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.core.db import Database
from accord.interpret.models import InterviewReport
from accord.interpret.routes import interviews

REFERENCE = re.compile(r'data-testid="reference">(RPT-[A-Z0-9]{10})<')
SUBMIT_TOKEN = re.compile(r'name="submit_token" value="([A-Za-z0-9_-]+)"')
ANSWERS = {
    "what_happened": "stolen", "full_name": "Ahmed Ali", "nationality": "EG",
    "date_of_birth": "1990-02-28", "incident_date": "2026-01-20", "other_items": "no",
    "stay_permission": "visa", "contact_phone": "+20 100 000 0000",
}


def _form(web: TestClient) -> tuple[str, str]:
    page = web.get("/public/report/lost-passport?lang=en")
    match = SUBMIT_TOKEN.search(page.text)
    assert page.status_code == 200 and match, page.text[:300]
    return web.cookies.get(interviews.PUBLIC_CSRF_COOKIE) or "", match.group(1)


def _count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(InterviewReport.id))) or 0


def test_the_same_form_sent_twice_files_one_report_and_shows_its_reference(
        web: TestClient, report_table: Database) -> None:
    csrf, token = _form(web)
    data = {"csrf_token": csrf, "lang": "en", "submit_token": token, **ANSWERS}
    first = web.post("/public/report/lost-passport", data=data, follow_redirects=False)
    assert first.status_code == 303  # post/redirect/get: a refresh reloads the GET
    location = first.headers["location"]
    assert location.startswith("/public/report/received/RPT-")
    received = web.get(location)
    assert received.status_code == 200
    reference = REFERENCE.search(received.text).group(1)
    assert location.endswith(f"{reference}?lang=en")
    assert web.get(location).text.count(reference) == received.text.count(reference)  # refresh

    second = web.post("/public/report/lost-passport", data=data)  # the double submit
    assert second.status_code == 200
    assert REFERENCE.search(second.text).group(1) == reference
    assert _count(report_table) == 1
    with report_table.session() as session:
        assert session.scalar(select(InterviewReport.submit_token)) == token


def test_a_new_form_page_files_a_new_report(web: TestClient, report_table: Database) -> None:
    references = set()
    for _ in range(2):
        csrf, token = _form(web)
        sent = web.post("/public/report/lost-passport",
                        data={"csrf_token": csrf, "lang": "en", "submit_token": token, **ANSWERS})
        references.add(REFERENCE.search(sent.text).group(1))
    assert len(references) == 2 and _count(report_table) == 2


def test_errors_keep_the_token_so_the_corrected_form_is_still_one_report(
        web: TestClient, report_table: Database) -> None:
    csrf, token = _form(web)
    bad = web.post("/public/report/lost-passport",
                   data={"csrf_token": csrf, "lang": "en", "submit_token": token,
                         **ANSWERS, "full_name": ""})
    assert bad.status_code == 422
    assert SUBMIT_TOKEN.search(bad.text).group(1) == token
    assert _count(report_table) == 0


def test_without_a_token_each_post_files_one_report(web: TestClient,
                                                    report_table: Database) -> None:
    """Decided: a page cached before tokens existed still reaches the station (CSRF and the
    rate limit still apply); each such POST files exactly one report."""
    csrf, _token = _form(web)
    sent = web.post("/public/report/lost-passport",
                    data={"csrf_token": csrf, "lang": "en", **ANSWERS})
    assert sent.status_code == 200 and REFERENCE.search(sent.text)
    assert _count(report_table) == 1


def test_a_malformed_token_is_refused(web: TestClient, report_table: Database) -> None:
    csrf, _token = _form(web)
    sent = web.post("/public/report/lost-passport",
                    data={"csrf_token": csrf, "lang": "en", "submit_token": "<x>", **ANSWERS})
    assert sent.status_code == 403 and _count(report_table) == 0


def test_received_page_for_an_unknown_reference_is_not_found(web: TestClient,
                                                             report_table: Database) -> None:
    assert web.get("/public/report/received/RPT-0000000000?lang=en").status_code == 404
