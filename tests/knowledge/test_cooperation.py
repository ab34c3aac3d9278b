"""International cooperation: only declared fields are shared, the share log lists them,
high-sensitivity shares wait for a supervisor, each share is ledgered, and the person's access
report (the contract's ``subject_records``) lists what was shared about them."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.cases.models import Case, IdentityDocument, Person
from accord.cli import app
from accord.core.contract import subject_records
from accord.core.db import Database
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.core.subjects import Subject
from accord.knowledge.models import KnowledgeShare
from tests.helpers import login


def _case(database: Database, officer_id: int) -> tuple[str, int]:
    with database.session() as session:
        case = Case(reference="FR-2026-000777", case_type="death", title="Death of a tourist",
                    officer_id=officer_id)
        session.add(case)
        session.flush()
        person = Person(case_id=case.id, role="deceased", full_name="John SMITH",
                        nationality="USA")
        session.add(person)
        session.flush()
        session.add(IdentityDocument(person_id=person.id, kind="passport", number="X1234567",
                                     issuing_state="USA"))
        session.commit()
        return case.reference, person.id


def test_share_from_a_case_is_minimal_approved_ledgered_and_in_the_access_report(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer.s", Role.OFFICER)
    make_user("other.s", Role.OFFICER)
    make_user("super.s", Role.SUPERVISOR)
    make_user("dpo.s", Role.DPO)
    reference, person_id = _case(database, officer.id)

    csrf = login(client, "other.s")  # not their case: refused, nothing written
    refused = client.post("/knowledge/cooperation", data={
        "csrf_token": csrf, "template": "consular-death", "case": reference,
        "recipient": "Consulate", "field_nationality": "USA"})
    assert refused.status_code in (403, 404)
    client.post("/logout", data={"csrf_token": csrf})

    csrf = login(client, "officer.s")
    form = {"csrf_token": csrf, "template": "consular-death", "case": reference,
            "person_id": str(person_id), "recipient": "Consulate General of the USA",
            "field_person_name": "John SMITH", "field_nationality": "USA",
            "field_date_of_death": "2026-12-06", "field_place_of_death": "Chaoyang"}
    extra = client.post("/knowledge/cooperation", data={**form, "field_religion": "x"})
    assert extra.status_code == 422 and "minimum necessary" in extra.text
    made = client.post("/knowledge/cooperation", data=form, follow_redirects=False)
    assert made.status_code == 303
    share_url = made.headers["location"]
    page = client.get(share_url)
    assert 'data-status="awaiting-approval"' in page.text  # a name is high sensitivity
    fields = re.search(r'data-testid="fields">([^<]*)<', page.text)
    assert fields is not None
    assert fields.group(1) == "date_of_death, nationality, person_name, place_of_death"
    assert "letter-en" not in page.text  # not released before approval
    client.post("/logout", data={"csrf_token": csrf})

    csrf = login(client, "super.s")
    approved = client.post(f"{share_url}/approve", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert approved.status_code == 303
    page = client.get(share_url)
    assert 'data-status="released"' in page.text
    assert "your national John SMITH (document number [not shared]) died on 2026-12-06" in page.text
    client.post("/logout", data={"csrf_token": csrf})

    login(client, "dpo.s")
    log = client.get("/knowledge/shares")
    assert log.status_code == 200 and log.text.count('data-testid="share-row"') == 1
    assert "Consulate General of the USA" in log.text

    with database.session() as session:
        share = session.query(KnowledgeShare).one()
        seq = share.ledger_seq
    ledger = get_governance().ledger
    entry = ledger.entry(seq)
    assert entry is not None and entry.kind == "knowledge-share"
    approval = ledger.entry(seq + 1)
    assert approval is not None and approval.kind == "knowledge-share-approved"
    listed = CliRunner().invoke(app, ["knowledge", "shares", "--user", "dpo.s", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)[0]["fields"] == ["date_of_death", "nationality",
                                                      "person_name", "place_of_death"]
    refused_log = CliRunner().invoke(app, ["knowledge", "shares", "--user", "officer.s"])
    assert refused_log.exit_code == 1
    key = get_governance().gateway.subject_keys(Subject(document="X1234567"))[0]
    with database.session() as session:
        records = [r for r in subject_records(session, key) if r.kind == "outbound-share"]
    assert len(records) == 1
    assert "Consulate General of the USA" in records[0].note and "person_name" in records[0].note


def test_a_recorded_legal_decision_withholds_a_share_from_the_access_report(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer.w", Role.OFFICER)
    make_user("super.w", Role.SUPERVISOR)
    make_user("dpo.w", Role.DPO)
    reference, person_id = _case(database, officer.id)
    key = get_governance().gateway.subject_keys(Subject(document="X1234567"))[0]

    def shares_in_report() -> list[tuple[bool, str]]:
        with database.session() as session:
            return [(r.withheld, r.note) for r in subject_records(session, key)
                    if r.kind == "outbound-share"]

    csrf = login(client, "officer.w")
    form = {"csrf_token": csrf, "template": "consular-death", "case": reference,
            "person_id": str(person_id), "recipient": "Consulate General of the USA",
            "field_person_name": "John SMITH", "field_nationality": "USA",
            "field_date_of_death": "2026-12-06", "field_place_of_death": "Chaoyang"}
    share_url = client.post("/knowledge/cooperation", data=form,
                            follow_redirects=False).headers["location"]
    held_url = client.post("/knowledge/cooperation", data=form,
                           follow_redirects=False).headers["location"]
    # An officer may not withhold anything, not even their own share.
    assert client.post(f"{share_url}/withhold", data={
        "csrf_token": csrf, "decision": "x"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, "super.w")
    client.post(f"{share_url}/approve", data={"csrf_token": csrf})
    client.post("/logout", data={"csrf_token": csrf})
    assert [withheld for withheld, _ in shares_in_report()] == [False]
    assert "Consulate General of the USA" in shares_in_report()[0][1]

    csrf = login(client, "dpo.w")
    page = client.get(share_url)
    assert 'data-testid="withhold-form"' in page.text
    # Without the decision: refused, nothing changes.
    assert client.post(f"{share_url}/withhold", data={
        "csrf_token": csrf, "decision": "  "}).status_code == 422
    assert shares_in_report()[0][0] is False
    # A share still awaiting approval did not go out: nothing to withhold.
    assert client.post(f"{held_url}/withhold", data={
        "csrf_token": csrf, "decision": "Decision 2026-17"}).status_code == 409
    decision = "Decision 2026-17 of the investigating unit: disclosure would prejudice the case"
    done = client.post(f"{share_url}/withhold", data={"csrf_token": csrf, "decision": decision},
                       follow_redirects=False)
    assert done.status_code == 303
    assert [withheld for withheld, _ in shares_in_report()] == [True]
    assert decision in client.get(share_url).text
    assert client.post(f"{share_url}/withhold", data={
        "csrf_token": csrf, "decision": decision}).status_code == 409
    ledger = get_governance().ledger
    last = ledger.entry(ledger.size() - 1)
    assert last is not None and last.kind == "knowledge-share-withheld"

    share_id = share_url.rsplit("/", 1)[1]
    runner = CliRunner()
    no_reason = runner.invoke(app, ["knowledge", "share-disclose", share_id, "--user", "dpo.w"])
    assert no_reason.exit_code == 1 and shares_in_report()[0][0] is True
    not_dpo = runner.invoke(app, ["knowledge", "share-disclose", share_id, "--reason", "ended",
                                  "--user", "super.w"])
    assert not_dpo.exit_code == 1 and shares_in_report()[0][0] is True
    lifted = runner.invoke(app, ["knowledge", "share-disclose", share_id,
                                 "--reason", "the investigation closed", "--user", "dpo.w"])
    assert lifted.exit_code == 0, lifted.output
    assert shares_in_report()[0][0] is False
