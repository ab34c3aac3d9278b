"""Guidance for the needs a person stated is shown in context beyond the case page (issue
#18): on the officer's conversation screen for the conversation's case (through the core's
object hooks — interpret imports neither cases nor knowledge), and on a dispatch incident for
its linked persons, verbatim with source and status. Only the fixed need codes are accepted;
a caller who may not open the case learns nothing."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cases.models import Case, Person
from accord.cli import app
from accord.core.contract import need_guidance, stated_needs_guidance
from accord.core.db import Database
from accord.core.gateway.service import Caller
from accord.core.roles import Role
from accord.dispatch.models import DispatchPerson
from accord.dispatch.service import Actor, DispatchService
from tests.helpers import add_case, login


def test_conversation_screen_shows_the_case_persons_needs_guidance(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer.n", Role.OFFICER)
    other = make_user("other.n", Role.OFFICER)
    reference = add_case(database, "FR-2026-000955", officer.id)
    with database.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        session.add(Person(case_id=case.id, role="detainee", full_name="Omar HADDAD",
                           nationality="JOR", stated_needs=["dietary", "prayer"]))
        session.add(Person(case_id=case.id, role="witness", full_name="No NEEDS"))
        session.commit()
    expected = need_guidance(["dietary", "prayer"], "en")
    assert expected  # the knowledge base has guidance for these needs

    csrf = login(client, "officer.n")
    started = client.post("/interpret/conversations", data={
        "csrf_token": csrf, "case_ref": reference, "purpose": "victim-assistance",
        "legal_basis": "police-law-art-2", "pin": "2468"})
    assert started.status_code == 201, started.text
    page = html.unescape(started.text)
    section = page.split('data-testid="need-guidance"')[1].split("</section>")[0]
    assert "Omar HADDAD" in section and "No NEEDS" not in section
    shown = [html.unescape(t.split("</span>")[0]) for t in
             section.split('data-testid="need-guidance-text">')[1:]]
    assert shown == [g.text for g in expected]  # verbatim, each once, in order
    assert all(g.citation in section for g in expected)

    # The one-place rule decides: another officer's call learns nothing of the case.
    with database.session() as session:
        mine = stated_needs_guidance(session, Caller(officer.id, "officer.n",
                                                     frozenset({"officer"})),
                                     "case", reference, "zh")
        theirs = stated_needs_guidance(session, Caller(other.id, "other.n",
                                                       frozenset({"officer"})),
                                       "case", reference, "en")
        missing = stated_needs_guidance(session, Caller(officer.id, "officer.n",
                                                        frozenset({"officer"})),
                                        "case", "FR-2026-999999", "en")
    assert [name for name, _ in mine] == ["Omar HADDAD"]
    assert [g.text for g in mine[0][1]] == [g.text for g in need_guidance(["dietary", "prayer"],
                                                                          "zh")]
    assert theirs == [] and missing == []


def test_dispatch_incident_linked_person_states_needs_and_sees_guidance(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("disp.n", Role.OFFICER)
    service = DispatchService(database)
    actor = Actor(user.id, user.username, frozenset({"officer"}))
    incident = service.create_incident(actor, type_code="theft", lat=60.17, lon=24.94)
    ref = incident["reference"]
    linked = service.link_person(actor, ref, role="victim", name="Li WEI")
    person_id = linked["persons"][0]["id"]
    url = f"/dispatch/incidents/{ref}/persons/{person_id}/needs"

    csrf = login(client, "disp.n")
    page = html.unescape(client.get(f"/dispatch/incidents/{ref}").text)
    assert 'data-testid="needs-form"' in page and 'data-testid="need-guidance"' not in page
    bad = client.post(url, data={"csrf_token": csrf, "need": ["dietary", "halal"]})
    assert bad.status_code == 422 and "halal" in bad.text
    with database.session() as session:
        assert session.get(DispatchPerson, person_id).stated_needs == []  # nothing stored
    assert client.post(f"/dispatch/incidents/{ref}/persons/999999/needs",
                       data={"csrf_token": csrf, "need": "minor"}).status_code == 404
    done = client.post(url, data={"csrf_token": csrf, "need": ["search-gender", "minor"]},
                       follow_redirects=True)
    assert done.status_code == 200
    page = html.unescape(client.get(f"/dispatch/incidents/{ref}").text)
    section = page.split('data-testid="need-guidance"')[1].split("</div>")[0]
    expected = need_guidance(["minor", "search-gender"], "en")
    assert expected
    shown = [t.split("</span>")[0] for t in section.split('data-testid="need-guidance-text">')[1:]]
    assert shown == [g.text for g in expected]
    assert all(g.citation in section for g in expected)
    assert "verified" in section  # the status is shown

    cleared = CliRunner().invoke(app, ["dispatch", "incident", "needs", ref, str(person_id),
                                       "--user", "disp.n"])
    assert cleared.exit_code == 0 and "no needs" in cleared.stdout
    wrong = CliRunner().invoke(app, ["dispatch", "incident", "needs", ref, str(person_id),
                                     "--need", "religion", "--user", "disp.n"])
    assert wrong.exit_code == 1 and "religion" in wrong.stderr
    with database.session() as session:
        assert session.get(DispatchPerson, person_id).stated_needs == []
