"""Exports made by other packages land in the share log through the core hook: the printed
case file (cases) and the EIDO incident (dispatch) — the fields they hold, the recipient, the
legal basis, a digest of the bytes (never the content), ledgered; the case file also in the
access report of every person in it."""

from __future__ import annotations

import hashlib
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.cases.case_file import SECTIONS
from accord.cases.models import Case, IdentityDocument, Person
from accord.core.contract import subject_records
from accord.core.db import Database
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.core.subjects import Subject
from accord.dispatch import eido
from accord.dispatch.service import Actor, DispatchService
from accord.knowledge.models import KnowledgeShare
from tests.helpers import login


def _shares(database: Database) -> list[KnowledgeShare]:
    with database.session() as session:
        rows = list(session.scalars(select(KnowledgeShare).order_by(KnowledgeShare.id)))
        session.expunge_all()
    return rows


def test_case_file_export_is_in_the_share_log_and_the_access_report(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer.x", Role.OFFICER)
    make_user("other.x", Role.OFFICER)
    with database.session() as session:
        case = Case(reference="FR-2026-000888", case_type="theft-victim", title="Wallet",
                    officer_id=officer.id)
        session.add(case)
        session.flush()
        person = Person(case_id=case.id, role="victim", full_name="Ana LOPEZ",
                        nationality="ESP")
        session.add(person)
        session.flush()
        session.add(IdentityDocument(person_id=person.id, kind="passport", number="P7654321",
                                     issuing_state="ESP"))
        session.commit()
    login(client, "officer.x")
    response = client.get("/cases/FR-2026-000888/file.pdf",
                          params={"recipient": "District Procuratorate"})
    assert response.status_code == 200
    [share] = _shares(database)
    assert share.template_id == "case-file" and share.status == "exported"
    assert share.recipient == "District Procuratorate" and share.values == {}
    assert share.fields == list(SECTIONS) and share.requested_by == officer.id
    assert share.ledger_seq is not None
    entry = get_governance().ledger.entry(share.ledger_seq)
    assert entry is not None and entry.kind == "knowledge-share"
    fields = json.loads(entry.body)
    assert fields["content_digest"] == "sha256:" + hashlib.sha256(response.content).hexdigest()
    assert fields["recipient"] == "District Procuratorate" and "Ana LOPEZ" not in str(fields)
    key = get_governance().gateway.subject_keys(Subject(document="P7654321"))[0]
    with database.session() as session:
        records = [r for r in subject_records(session, key) if r.kind == "outbound-share"]
    assert len(records) == 1 and "District Procuratorate" in records[0].note
    assert records[0].title == "Case file exported (PDF)"
    # Without a recipient the print is logged as internal, by whom; refused exports log nothing.
    client.get("/cases/FR-2026-000888/file.pdf")
    assert _shares(database)[-1].recipient == "internal (printed by officer.x)"
    client.cookies.clear()
    login(client, "other.x")
    assert client.get("/cases/FR-2026-000888/file.pdf").status_code in (403, 404)
    assert len(_shares(database)) == 2


def test_eido_export_is_in_the_share_log(database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("officer.e", Role.OFFICER)
    service = DispatchService(database)
    incident = service.create_incident(Actor(user.id, user.username), type_code="theft",
                                       lat=60.17, lon=24.94)
    document = eido.export_logged(service.incident(incident["reference"]),
                                  recipient="Regional emergency centre", user_id=user.id)
    [share] = _shares(database)
    assert share.template_id == "eido" and share.case_reference == incident["reference"]
    assert share.recipient == "Regional emergency centre"
    assert "incidentComponent" in share.fields and share.values == {}
    assert document["incidentComponent"]["internalIncidentId"] == incident["reference"]
