"""Stated needs on a case person: chosen from the fixed list, stored as codes, and the case page
shows the cross-cultural guidance for each, with its source — through the core's need_guidance
hook, which the knowledge package fills (cases does not import knowledge)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.cases.models import Person
from accord.core.contract import need_guidance
from accord.core.db import Database
from accord.core.roles import Role
from tests.helpers import login


def _case_with_person(client: TestClient, csrf: str, database: Database) -> tuple[str, int]:
    response = client.post("/cases/new", data={
        "csrf_token": csrf, "case_type": "illegal-stay", "title": "Overstay"},
        follow_redirects=False)
    ref = response.headers["location"].rsplit("/", 1)[1]
    added = client.post(f"/cases/{ref}/persons", data={
        "csrf_token": csrf, "role": "suspect", "full_name": "Amina K", "nationality": "",
        "sex": "F", "date_of_birth": "", "languages": "ar", "speaks_chinese": "",
        "contact": ""}, follow_redirects=False)
    assert added.status_code == 303, added.text
    with database.session() as session:
        person_id = session.scalar(select(Person.id))
    assert person_id is not None
    return ref, person_id


def _needs(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalar(select(Person.stated_needs)) or [])


def test_stated_needs_show_their_guidance_on_the_case_page(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-a", Role.OFFICER)
    make_user("officer-b", Role.OFFICER)
    csrf = login(client, "officer-a")
    ref, person_id = _case_with_person(client, csrf, database)
    page = client.get(f"/cases/{ref}")
    assert 'data-testid="needs-form"' in page.text
    assert 'data-testid="need-guidance"' not in page.text  # nothing stated, nothing shown

    saved = client.post(f"/cases/{ref}/persons/{person_id}/needs", data={
        "csrf_token": csrf, "need": ["prayer", "search-gender", "dietary"]},
        follow_redirects=False)
    assert saved.status_code == 303
    assert _needs(database) == ["dietary", "prayer", "search-gender"]  # the list's order
    page = client.get(f"/cases/{ref}", headers={"Accept-Language": "en"})
    assert page.text.count('data-testid="need-guidance-item"') == 3
    # Verbatim guidance with its source, not generated text.
    assert "A body search of a woman is carried out by a female officer." in page.text
    assert "Nelson Mandela Rules" in page.text and "Rule 66" in page.text
    assert "/knowledge/guidance?need=prayer" in page.text

    # A need outside the list is refused; nothing stored changes.
    bad = client.post(f"/cases/{ref}/persons/{person_id}/needs", data={
        "csrf_token": csrf, "need": ["prayer", "halal"]})
    assert bad.status_code == 422 and "stated_needs" in bad.text
    assert _needs(database) == ["dietary", "prayer", "search-gender"]
    # Clearing them (no box ticked) removes the guidance.
    cleared = client.post(f"/cases/{ref}/persons/{person_id}/needs", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert cleared.status_code == 303 and _needs(database) == []

    # Another officer (not on the case) cannot change them; a person of another case is 404.
    client.cookies.clear()
    csrf_b = login(client, "officer-b")
    other = client.post(f"/cases/{ref}/persons/{person_id}/needs", data={
        "csrf_token": csrf_b, "need": ["prayer"]})
    assert other.status_code in (403, 404)
    assert _needs(database) == []


def test_the_hook_returns_guidance_in_the_asked_language() -> None:
    zh = need_guidance(["minor"], "zh")
    en = need_guidance(["minor"], "en")
    assert zh and len(zh) == len(en)
    assert all(g.need == "minor" for g in zh)
    assert any("未成年人" in g.text for g in zh) and any("minor" in g.text for g in en)
    assert need_guidance([], "en") == [] and need_guidance(["unknown-need"], "en") == []
