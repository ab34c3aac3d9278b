"""The JSON API's read endpoints: cases, the ledger, the latest checkpoint and alerts.

Each is called with a real API token, as an integrating system would. The object rule is
the pages' rule: an officer sees only their own cases (the list leaves the others out, and a
case of another officer is the same 403 as its page), supervisors see all.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient

from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.accounts import AccountService, User
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.governance import get_governance
from accord.core.roles import Role
from tests.helpers import login


def _token(database: Database, user: User) -> dict[str, str]:
    with database.session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.get_user(user.id), "test").token
        session.commit()
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


def _case(database: Database, officer: User, case_type: str = "lost-passport",
          title: str = "Lost passport") -> str:
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                              settings.station_timezone)
        case = service.create_case(case_type=case_type, title=title, officer_id=officer.id,
                                   place="Sanlitun")
        service.add_person(case, role="reporter", full_name="Ana Sousa", nationality="PRT",
                           languages=["pt"], contact="+351 900 000 000")
        session.commit()
        return case.reference


def _refs(body: dict[str, Any]) -> list[str]:
    return [item["reference"] for item in body["items"]]


def test_officers_see_only_their_cases_supervisors_all(client: TestClient, database: Database,
                                                       make_user: Any) -> None:
    alice = make_user("alice", Role.OFFICER)
    bob = make_user("bob", Role.OFFICER)
    chief = make_user("chief", Role.SUPERVISOR)
    mine = [_case(database, alice), _case(database, alice, "illegal-stay", "Overstay")]
    theirs = _case(database, bob)

    as_alice = _token(database, alice)
    listed = client.get("/api/v1/cases", headers=as_alice)
    assert listed.status_code == 200, listed.text
    assert sorted(_refs(listed.json())) == sorted(mine)
    assert listed.json()["items"][0]["officer"]["username"] == "alice"
    # Asking for another officer's cases does not widen the view.
    other = client.get("/api/v1/cases", params={"officer": bob.id}, headers=as_alice)
    assert other.status_code == 200 and _refs(other.json()) == []

    as_chief = _token(database, chief)
    everything = client.get("/api/v1/cases", headers=as_chief).json()
    assert sorted(_refs(everything)) == sorted([*mine, theirs])
    only_bob = client.get("/api/v1/cases", params={"officer": bob.id}, headers=as_chief).json()
    assert _refs(only_bob) == [theirs]
    stays = client.get("/api/v1/cases", params={"case_type": "illegal-stay"},
                       headers=as_chief).json()
    assert _refs(stays) == [mine[1]]

    # Paging: newest first, next_offset until the end.
    first = client.get("/api/v1/cases", params={"limit": 2}, headers=as_chief).json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    rest = client.get("/api/v1/cases", params={"limit": 2, "offset": 2},
                      headers=as_chief).json()
    assert rest["next_offset"] is None
    assert sorted(_refs(first) + _refs(rest)) == sorted([*mine, theirs])


def test_another_officers_case_is_refused_as_on_its_page(client: TestClient,
                                                         database: Database,
                                                         make_user: Any) -> None:
    alice = make_user("alice", Role.OFFICER)
    bob = make_user("bob", Role.OFFICER)
    theirs = _case(database, bob)
    refused = client.get(f"/api/v1/cases/{theirs}", headers=_token(database, alice))
    assert refused.status_code == 403
    assert "Ana Sousa" not in refused.text
    login(client, "alice")
    page = client.get(f"/cases/{theirs}", follow_redirects=False)
    assert page.status_code == refused.status_code


def test_a_case_is_minimised(client: TestClient, database: Database, make_user: Any) -> None:
    alice = make_user("alice", Role.OFFICER)
    reference = _case(database, alice)
    answer = client.get(f"/api/v1/cases/{reference}", headers=_token(database, alice))
    assert answer.status_code == 200, answer.text
    case = answer.json()
    assert case["reference"] == reference and case["place"] == "Sanlitun"
    assert [(p["full_name"], p["nationality"], p["languages"]) for p in case["persons"]] == [
        ("Ana Sousa", "PRT", ["pt"])]
    assert case["steps"], "a lost-passport case has a checklist"
    assert {"step_id", "state", "due_at", "citation"} <= set(case["steps"][0])
    # Contact details, summaries and dates of birth stay on the page.
    assert "+351" not in answer.text
    assert not {"summary", "statements", "evidence"} & set(case)
    assert not {"contact", "date_of_birth", "documents"} & set(case["persons"][0])


def test_bad_case_requests_are_clear_4xx(client: TestClient, database: Database,
                                         make_user: Any) -> None:
    chief = _token(database, make_user("chief", Role.SUPERVISOR))
    assert client.get("/api/v1/cases/FR-2000-999999", headers=chief).status_code == 404
    assert client.get("/api/v1/cases/nonsense", headers=chief).status_code == 422
    for params in ({"case_type": "piracy"}, {"station": "atlantis"}, {"status": "lost"},
                   {"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"officer": "x"}):
        answer = client.get("/api/v1/cases", params=params, headers=chief)
        assert answer.status_code == 422, (params, answer.text)
        assert "detail" in answer.json()
    interpreter = _token(database, make_user("ina", Role.INTERPRETER))
    assert client.get("/api/v1/cases", headers=interpreter).status_code == 403
    assert client.get("/api/v1/cases").status_code == 401


def test_ledger_entries_page_by_sequence(client: TestClient, database: Database,
                                         make_user: Any) -> None:
    ledger = get_governance().ledger
    start = ledger.size()
    for number in range(5):
        ledger.append_now("decision" if number % 2 else "denial",
                          {"actor": f"user:{number}", "n": number})
    auditor = _token(database, make_user("audrey", Role.AUDITOR))
    seen: list[dict[str, Any]] = []
    next_seq: int | None = start
    while next_seq is not None:
        page = client.get("/api/v1/ledger/entries", params={"start": next_seq, "limit": 2},
                          headers=auditor)
        assert page.status_code == 200, page.text
        seen += page.json()["entries"]
        next_seq = page.json()["next_seq"]
    assert [e["seq"] for e in seen] == list(range(start, start + 5))
    for entry in seen:  # RFC 6962 leaf hash of the body as stored
        leaf = hashlib.sha256(b"\x00" + entry["body"].encode()).hexdigest()
        assert entry["leaf_hash"] == leaf
    denials = client.get("/api/v1/ledger/entries", params={"start": start, "kind": "denial"},
                         headers=auditor).json()["entries"]
    assert [e["seq"] for e in denials] == [start, start + 2, start + 4]
    bad = client.get("/api/v1/ledger/entries", params={"kind": "gossip"}, headers=auditor)
    assert bad.status_code == 422
    officer = _token(database, make_user("olga", Role.OFFICER))
    assert client.get("/api/v1/ledger/entries", headers=officer).status_code == 403


def test_latest_checkpoint_is_the_signed_note(client: TestClient, database: Database,
                                              make_user: Any) -> None:
    officer = _token(database, make_user("olga", Role.OFFICER))
    ledger = get_governance().ledger
    if ledger.size() == 0:
        empty = client.get("/api/v1/ledger/checkpoints/latest", headers=officer)
        assert empty.status_code == 404
    ledger.append_now("decision", {"actor": "user:1"})
    answer = client.get("/api/v1/ledger/checkpoints/latest", headers=officer)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["size"] == ledger.size()
    assert body["note"] == client.get("/ledger/checkpoint").text
    assert [s["role"] for s in body["signatures"]] == ["log"]
    assert body["root_hash"] == ledger.tree().root(body["size"]).hex()


def test_alerts_list_what_was_published(client: TestClient, database: Database,
                                        make_user: Any) -> None:
    from accord.dispatch.service import Actor, DispatchService

    officer = make_user("olga", Role.OFFICER)
    headers = _token(database, officer)
    assert client.get("/api/v1/dispatch/alerts", headers=headers).json() == []
    saved = DispatchService(database).save_alert(
        Actor(officer.id, officer.username, frozenset({"officer"})), None, "urn:test:1",
        "Road closed", ["zh", "en"], "<alert/>")
    listed = client.get("/api/v1/dispatch/alerts", headers=headers)
    assert listed.status_code == 200
    assert [(a["id"], a["identifier"], a["languages"], a["url"]) for a in listed.json()] == [
        (saved["id"], "urn:test:1", ["zh", "en"], f"/alerts/{saved['id']}.xml")]
    assert client.get(listed.json()[0]["url"]).text == "<alert/>"
    analyst = _token(database, make_user("ana", Role.ANALYST))
    assert client.get("/api/v1/dispatch/alerts", headers=analyst).status_code == 403
