"""Exports made by other packages go through the share log's rule (core hooks ``share_out`` /
``release_share``): the printed case file (cases) and the EIDO incident (dispatch) list the
fields they hold, the recipient, the legal basis, a digest of the bytes (never the content),
ledgered. Sent out with a field above the sensitivity level they are held until a supervisor
other than the requester approves; a refusal (with its reason) means the bytes are never
produced. The case file is also in the access report of every person in it."""

from __future__ import annotations

import hashlib
import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cases.case_file import SECTIONS
from accord.cases.models import Case, IdentityDocument, Person
from accord.cli import app
from accord.core.contract import subject_records
from accord.core.db import Database
from accord.core.gateway.models import LedgerEntry
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.core.subjects import Subject
from accord.dispatch import eido
from accord.dispatch.service import Actor, DispatchService
from accord.knowledge.models import KnowledgeShare
from tests.helpers import login

runner = CliRunner()


def _shares(database: Database) -> list[KnowledgeShare]:
    with database.session() as session:
        rows = list(session.scalars(select(KnowledgeShare).order_by(KnowledgeShare.id)))
        session.expunge_all()
    return rows


def _ledger(seq: int | None) -> tuple[str, dict]:  # type: ignore[type-arg]
    assert seq is not None
    entry = get_governance().ledger.entry(seq)
    assert entry is not None
    return entry.kind, json.loads(entry.body)


def _case(database: Database, officer_id: int) -> None:
    with database.session() as session:
        case = Case(reference="FR-2026-000888", case_type="theft-victim", title="Wallet",
                    officer_id=officer_id)
        session.add(case)
        session.flush()
        person = Person(case_id=case.id, role="victim", full_name="Ana LOPEZ",
                        nationality="ESP")
        session.add(person)
        session.flush()
        session.add(IdentityDocument(person_id=person.id, kind="passport", number="P7654321",
                                     issuing_state="ESP"))
        session.commit()


def test_case_file_to_a_recipient_waits_for_a_supervisor_then_goes_out_ledgered(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer.x", Role.OFFICER)
    make_user("other.x", Role.OFFICER)
    make_user("super.x", Role.SUPERVISOR, Role.OFFICER)
    make_user("super.y", Role.SUPERVISOR)
    _case(database, officer.id)
    url = "/cases/FR-2026-000888/file.pdf"

    # An internal print (no recipient) goes out and is logged, by whom.
    login(client, "officer.x")
    internal = client.get(url)
    assert internal.status_code == 200 and internal.content.startswith(b"%PDF")
    [printed] = _shares(database)
    assert printed.status == "exported"
    assert printed.recipient == "internal (printed by officer.x)"

    # Named recipient: persons and statements are high sensitivity → held, no PDF.
    held = client.get(url, params={"recipient": "District Procuratorate"},
                      follow_redirects=False)
    assert held.status_code == 303 and held.headers["location"].startswith("/knowledge/shares/")
    share = _shares(database)[-1]
    assert share.template_id == "case-file" and share.status == "awaiting-approval"
    assert share.recipient == "District Procuratorate" and share.values == {}
    assert share.fields == list(SECTIONS) and share.requested_by == officer.id
    assert share.sensitivity == "high"
    kind, body = _ledger(share.ledger_seq)
    assert kind == "knowledge-share" and body["status"] == "awaiting-approval"
    assert "content_digest" not in body and "Ana LOPEZ" not in str(body)
    page = client.get(held.headers["location"])
    assert 'data-status="awaiting-approval"' in page.text
    assert 'data-testid="download"' not in page.text
    # Not yet approved: 409, and the bytes are not produced.
    assert client.get(url, params={"share": share.id}).status_code == 409
    # The requester cannot approve their own share (not a supervisor; and see below).
    csrf = client.cookies.get("accord_csrf")
    assert client.post(f"/knowledge/shares/{share.id}/approve",
                       data={"csrf_token": csrf}).status_code == 403
    client.cookies.clear()

    # A supervisor who asked for a share cannot approve it either.
    login(client, "super.x")
    own = client.get(url, params={"recipient": "Court"}, follow_redirects=False)
    assert own.status_code == 303
    own_share = _shares(database)[-1]
    csrf = client.cookies.get("accord_csrf")
    assert client.post(f"/knowledge/shares/{own_share.id}/approve",
                       data={"csrf_token": csrf}).status_code == 403
    assert _shares(database)[-1].status == "awaiting-approval"
    client.cookies.clear()

    # Another supervisor approves; approving twice is a conflict.
    csrf = login(client, "super.y")
    approve = f"/knowledge/shares/{share.id}/approve"
    assert client.post(approve, data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    assert client.post(approve, data={"csrf_token": csrf}).status_code == 409
    # A refusal needs a reason; it then refuses the supervisor's own-requested other share.
    refuse = f"/knowledge/shares/{own_share.id}/refuse"
    assert client.post(refuse, data={"csrf_token": csrf, "reason": "  "}).status_code == 422
    assert client.post(refuse, data={"csrf_token": csrf, "reason": "the court asked for the "
                                     "statements only"}, follow_redirects=False).status_code == 303
    assert client.post(refuse, data={"csrf_token": csrf, "reason": "again"}).status_code == 409
    # The approver is not the requester: the approved file is not theirs to download.
    assert client.get(url, params={"share": share.id}).status_code in (403, 404)
    client.cookies.clear()

    login(client, "super.x")  # the refused share: never downloaded
    assert client.get(url, params={"share": own_share.id}).status_code == 409
    client.cookies.clear()

    login(client, "other.x")  # cannot open the case at all
    assert client.get(url, params={"share": share.id}).status_code in (403, 404)
    client.cookies.clear()

    login(client, "officer.x")
    page = client.get(f"/knowledge/shares/{share.id}")
    assert 'data-testid="download"' in page.text and f"file.pdf?share={share.id}" in page.text
    assert client.get(url, params={"share": own_share.id}).status_code in (403, 404)
    assert client.get(url, params={"share": 999999}).status_code == 404
    sent = client.get(url, params={"share": share.id})
    assert sent.status_code == 200 and sent.content.startswith(b"%PDF")
    rows = {s.id: s for s in _shares(database)}
    assert rows[share.id].status == "exported" and rows[own_share.id].status == "refused"
    assert rows[own_share.id].decision_note == "the court asked for the statements only"
    with database.session() as session:
        entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind.in_(
            ["knowledge-share-approved", "knowledge-share-refused",
             "knowledge-share-released"])).order_by(LedgerEntry.seq)))
        kinds = [(e.kind, json.loads(e.body)) for e in entries]
    assert [k for k, _ in kinds] == ["knowledge-share-approved", "knowledge-share-refused",
                                     "knowledge-share-released"]
    assert kinds[1][1]["reason"] == "the court asked for the statements only"
    assert kinds[2][1]["content_digest"] == \
        "sha256:" + hashlib.sha256(sent.content).hexdigest()
    assert kinds[2][1]["recipient"] == "District Procuratorate"

    key = get_governance().gateway.subject_keys(Subject(document="P7654321"))[0]
    with database.session() as session:
        records = [r for r in subject_records(session, key) if r.kind == "outbound-share"]
    # What went out is listed (the internal print, the approved file); the refused one is not.
    assert [r.reference for r in records] == [f"share:{printed.id}", f"share:{share.id}"]
    assert "District Procuratorate" in records[1].note
    assert records[1].title == "Case file exported (PDF)"


def test_eido_without_narrative_goes_out_with_it_waits(
        accord_env, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("officer.e", Role.OFFICER)
    make_user("super.e", Role.SUPERVISOR)
    service = DispatchService(database)
    actor = Actor(user.id, user.username)
    plain = service.create_incident(actor, type_code="theft", lat=60.17, lon=24.94)
    state, body = eido.export_shared(service.incident(plain["reference"]),
                                     recipient="Regional emergency centre", user_id=user.id)
    assert state is not None and state.status == "exported" and body is not None
    [share] = _shares(database)
    assert share.template_id == "eido" and share.case_reference == plain["reference"]
    assert share.recipient == "Regional emergency centre" and share.sensitivity == "low"
    assert "incidentComponent" in share.fields and "notesComponent" not in share.fields
    assert json.loads(body)["incidentComponent"]["internalIncidentId"] == plain["reference"]
    _, entry = _ledger(share.ledger_seq)
    assert entry["content_digest"] == "sha256:" + hashlib.sha256(body).hexdigest()

    # With a narrative (free text about people): held, through the CLI as through the web.
    noted = service.create_incident(actor, type_code="burglary", lat=60.17, lon=24.94,
                                    narrative="window broken")
    ref = noted["reference"]
    held = runner.invoke(app, ["dispatch", "export", ref, "--recipient", "Centre",
                               "--user", "officer.e"])
    assert held.exit_code == 3 and "awaits a supervisor's approval" in held.stderr
    assert held.stdout == ""
    share = _shares(database)[-1]
    assert share.status == "awaiting-approval" and "notesComponent" in share.fields
    early = runner.invoke(app, ["dispatch", "export", ref, "--share", str(share.id),
                                "--user", "officer.e"])
    assert early.exit_code == 1 and "awaiting" in early.stderr
    own = runner.invoke(app, ["knowledge", "share-approve", str(share.id), "--user",
                              "officer.e"])
    assert own.exit_code == 1
    no_reason = runner.invoke(app, ["knowledge", "share-refuse", str(share.id), "--user",
                                    "super.e"])
    assert no_reason.exit_code == 1 and "reason" in no_reason.stderr
    approved = runner.invoke(app, ["knowledge", "share-approve", str(share.id), "--user",
                                   "super.e"])
    assert approved.exit_code == 0 and "approved" in approved.stdout
    again = runner.invoke(app, ["knowledge", "share-approve", str(share.id), "--user",
                                "super.e"])
    assert again.exit_code == 1 and "not awaiting approval" in again.stderr
    wrong = runner.invoke(app, ["dispatch", "export", plain["reference"], "--share",
                                str(share.id), "--user", "officer.e"])
    assert wrong.exit_code == 1  # another incident's share
    fetched = runner.invoke(app, ["dispatch", "export", ref, "--share", str(share.id),
                                  "--user", "officer.e"])
    assert fetched.exit_code == 0, fetched.output
    document = json.loads(fetched.stdout)
    assert document["notesComponent"][0]["notesActionComments"] == "window broken"
    assert _shares(database)[-1].status == "exported"


def test_a_refused_eido_share_is_never_produced(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("disp.r", Role.OFFICER)
    make_user("super.r", Role.SUPERVISOR)
    service = DispatchService(database)
    incident = service.create_incident(Actor(user.id, user.username), type_code="theft",
                                       lat=60.17, lon=24.94, narrative="a man in a red coat")
    url = f"/dispatch/incidents/{incident['reference']}/eido.json"
    login(client, "disp.r")
    held = client.get(url, params={"recipient": "Neighbouring centre"})
    assert held.status_code == 202 and held.json()["status"] == "awaiting-approval"
    share_id = held.json()["share"]
    client.cookies.clear()
    csrf = login(client, "super.r")
    assert client.post(f"/knowledge/shares/{share_id}/refuse",
                       data={"csrf_token": csrf, "reason": "no legal basis"},
                       follow_redirects=False).status_code == 303
    assert client.post(f"/knowledge/shares/{share_id}/approve",
                       data={"csrf_token": csrf}).status_code == 409
    client.cookies.clear()
    login(client, "disp.r")
    refused = client.get(url, params={"share": share_id})
    assert refused.status_code == 409 and "a man in a red coat" not in refused.text
    page = client.get(f"/knowledge/shares/{share_id}")
    assert 'data-status="refused"' in page.text and "no legal basis" in page.text
    assert 'data-testid="download"' not in page.text
