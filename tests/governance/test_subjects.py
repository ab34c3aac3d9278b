"""Data subjects linked to decisions and records; the DPO's look-up finds a person's data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cases.models import Case
from accord.cases.mrz_specimen import SpecimenPerson, data_page, td3_lines, to_bytes
from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.gateway.models import Decision, DecisionSubject, LedgerEntry
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.core.subjects import normalise_name, subject_key, subject_key_for
from accord.interpret.models import InterviewReport
from tests.helpers import login

NUMBER = "753912846"
HOLDER = SpecimenPerson("NGUYEN", "THI LAN", NUMBER, "VNM", date(1988, 5, 17), "F",
                        date(2031, 3, 9))


def test_keys_normalise_document_name_date_and_nationality() -> None:
    secret = b"s" * 32
    assert subject_key_for(secret, document="e 1234-5678") == \
        subject_key_for(secret, document="E12345678") == subject_key(secret, "E12345678")
    person = subject_key_for(secret, name="María José O'Neill-García", birth_date="1990-02-28",
                             nationality="es")
    assert person == subject_key_for(secret, name="ONEILL GARCIA, MARIA JOSE",
                                     birth_date=date(1990, 2, 28), nationality="ESP")
    assert normalise_name("  Lan  THI nguyễn ") == "lan nguyen thi"
    # every part counts; a part missing gives no key; documents and persons never collide
    assert person != subject_key_for(secret, name="Maria Jose Oneill Garcia",
                                     birth_date="1990-02-27", nationality="ESP")
    assert person != subject_key_for(secret, name="Maria Jose Oneill Garcia",
                                     birth_date="1990-02-28", nationality="PRT")
    assert subject_key_for(secret, name="Maria Garcia", birth_date="1990-02-28") == ""
    assert subject_key_for(secret, document="   ") == ""
    assert subject_key_for(secret, document=NUMBER) != subject_key_for(b"t" * 32, document=NUMBER)


def test_keys_are_stable() -> None:
    """Stored keys must keep matching after an upgrade: known answers, computed once."""
    assert subject_key(b"k" * 32, "e 1234-5678") == \
        "8d3c994c8ebb7e7303e73b58e9c40a6d8f3707ec472f640912bbd7ec240cd74a"
    assert subject_key_for(b"k" * 32, name="Anna Maria ERIKSSON", birth_date="1974-08-12",
                           nationality="SE") == \
        "481a37d3a2d72eb5d1d0ca7484103707a50b08b88b14bbdf5d8458243e99cd47"


def _run(*args: str):  # type: ignore[no-untyped-def]
    from accord.cli import app

    return CliRunner().invoke(app, list(args))


def _case_holding(database: Database, officer_id: int, number: str) -> str:
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(get_settings().state_dir))
        case = service.create_case(case_type="lost-passport", title="Lost passport",
                                   officer_id=officer_id)
        person = service.add_person(case, role="reporter", full_name="Lan Nguyen Thi",
                                    nationality="VNM", date_of_birth=date(1988, 5, 17))
        service.add_document(person, kind="passport", number=number)
        session.commit()
        return case.reference


def _interview_report(database: Database, number: str) -> str:
    with database.session() as session:
        report = InterviewReport(
            reference="RPT-SUBJECT01", form_id="lost-passport", form_version=1, language="vi",
            channel="public", status="draft",
            answers={"full_name": "Nguyen Thi Lan", "passport_number": number.lower(),
                     "date_of_birth": "1988-05-17", "description": "lost at the airport"})
        session.add(report)
        session.commit()
        return report.reference


def test_mrz_read_links_the_holder_and_the_dpo_report_finds_everything(
        make_user, database: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("demo-officer", Role.OFFICER)
    make_user("dpo-s", Role.DPO)
    image = tmp_path / "PASSPORT.png"
    image.write_bytes(to_bytes(data_page(td3_lines(HOLDER))))

    read = _run("mrz", str(image), "--user", "demo-officer", "--purpose", "identity-check",
                "--json")
    assert read.exit_code == 0, read.output
    decision_id = json.loads(read.stdout)["decision_id"]
    case_ref = _case_holding(database, officer.id, NUMBER)
    report_ref = _interview_report(database, NUMBER)
    _case_holding(database, officer.id, "X1234567")  # someone else's case

    result = _run("rights", "report", "--document", NUMBER, "--json", "--user", "dpo-s")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [d["decision"] for d in report["decisions"]] == [decision_id]
    row = report["decisions"][0]
    assert row["capability"]["id"] == "cases.mrz" and row["purpose"] and row["time"]
    records = {r["reference"]: r for r in report["records"]}
    assert set(records) == {f"case:{case_ref}", f"report:{report_ref}"}
    assert records[f"case:{case_ref}"]["withheld"] is True  # open case: the DPO decides
    assert records[f"report:{report_ref}"]["kind"] == "public-report"
    assert not records[f"report:{report_ref}"]["withheld"]
    assert report["query"] == {"by": "document", "document_number": "7••••••46"}

    # the MRZ also gave name + date of birth + nationality: a look-up without the document
    # finds the decision and the case person (word order and case do not matter)
    by_person = json.loads(_run("rights", "report", "--name", "lan THI nguyen", "--birth-date",
                                "1988-05-17", "--nationality", "vn", "--json",
                                "--user", "dpo-s").stdout)
    assert [d["decision"] for d in by_person["decisions"]] == [decision_id]
    assert f"case:{case_ref}" in {r["reference"] for r in by_person["records"]}

    other = json.loads(_run("rights", "report", "--document", "753912847", "--json",
                            "--user", "dpo-s").stdout)
    assert other["decisions"] == [] and other["records"] == []

    refused = _run("rights", "report", "--document", NUMBER, "--json", "--user",
                   "demo-officer")
    assert refused.exit_code != 0 and "data-protection officer" in refused.output
    assert NUMBER not in refused.output

    # the decision row holds the key; the ledger holds neither the number nor any key
    secret = get_governance().gateway.subject_secret
    key = subject_key_for(secret, document=NUMBER)
    person_key = subject_key_for(secret, name="NGUYEN THI LAN", birth_date="1988-05-17",
                                 nationality="VNM")
    with database.session() as session:
        links = set(session.scalars(select(DecisionSubject.subject_key).where(
            DecisionSubject.decision_id == decision_id)))
        assert links == {key, person_key}
        assert session.get(Decision, decision_id).subject_key == key
        bodies = [e.body.encode() for e in session.scalars(select(LedgerEntry))]
    assert any(b'"subject-lookup"' in body for body in bodies)
    for body in bodies:
        assert NUMBER.encode() not in body
        assert key.encode() not in body and person_key.encode() not in body


def test_statement_call_links_its_person_and_the_dpo_page_shows_it(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer-st", Role.OFFICER)
    make_user("dpo-p", Role.DPO)
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(get_settings().state_dir))
        case = service.create_case(case_type="theft-victim", title="Bag taken",
                                   officer_id=officer.id)
        person = service.add_person(case, role="victim", full_name="Élodie Martin",
                                    nationality="FRA", date_of_birth=date(1979, 1, 2))
        statement = service.add_statement(case, person_id=person.id, language="fr",
                                          text="Le 20/11/2026 à 21:30, mon sac noir a disparu.")
        session.commit()
        ref, statement_id = case.reference, statement.id
    csrf = login(client, "officer-st")
    page = client.get(f"/cases/{ref}/statements/{statement_id}/entities")
    assert page.status_code == 200, page.text
    assert client.get("/dpo/subjects").status_code == 403  # the DPO's page only
    client.post("/logout", data={"csrf_token": csrf})

    csrf = login(client, "dpo-p")
    found = client.post("/dpo/subjects", data={
        "csrf_token": csrf, "name": "MARTIN ELODIE", "birth_date": "1979-01-02",
        "nationality": "fr"})
    assert found.status_code == 200, found.text
    with database.session() as session:
        decision = session.scalar(select(Decision).where(Decision.case_ref == ref,
                                                         Decision.capability_id == "cases.extract"))
        assert decision is not None
    assert found.text.count('data-testid="subject-decision"') == 1
    assert f'data-decision="{decision.id}"' in found.text
    assert f'data-reference="case:{ref}" data-withheld="yes"' in found.text

    missing = client.post("/dpo/subjects", data={
        "csrf_token": csrf, "name": "Martin Elodie", "birth_date": "1979-01-03",
        "nationality": "FRA"})
    assert missing.status_code == 200 and 'data-testid="subject-decision"' not in missing.text
    incomplete = client.post("/dpo/subjects", data={"csrf_token": csrf, "name": "Martin"})
    assert incomplete.status_code == 422 and "date of birth" in incomplete.text


@pytest.mark.parametrize("status, withheld", [("open", True), ("closed", False)])
def test_only_open_case_files_are_withheld(make_user, database: Database, status: str,
                                           withheld: bool) -> None:  # type: ignore[no-untyped-def]
    from accord.core.contract import subject_records

    officer = make_user("officer-w", Role.OFFICER)
    ref = _case_holding(database, officer.id, "K7654321")
    with database.session() as session:
        case = session.scalar(select(Case).where(Case.reference == ref))
        case.status = status
        session.commit()
        key = get_governance().gateway.subject_key("k 765 4321")
        records = [r for r in subject_records(session, key) if r.kind == "case-file"]
    assert [(r.reference, r.withheld) for r in records] == [(f"case:{ref}", withheld)]
