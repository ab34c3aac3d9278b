"""CaseService: validation, station time, statements, evidence custody, access rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.cases.models import Case, CustodyEvent, Person, Statement
from accord.cases.search import search_cases
from accord.cases.service import CaseService, EvidenceTampered
from accord.core.accounts.models import User
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.roles import Role


@pytest.fixture
def env(database: Database, make_user, tmp_path: Path) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    officer = make_user("off1", Role.OFFICER)
    other = make_user("off2", Role.OFFICER)
    supervisor = make_user("sup", Role.SUPERVISOR)
    interpreter = make_user("int", Role.INTERPRETER)
    session = database.sessions()
    blobs = BlobStore(tmp_path / "blobs")
    service = CaseService(session, blobs, "Asia/Shanghai")
    users = {u.username: session.get(User, u.id) for u in (officer, other, supervisor, interpreter)}
    yield {"service": service, "session": session, "blobs": blobs, "users": users}
    session.close()


def _case(service: CaseService, officer: User, **kw: object) -> Case:
    values: dict[str, object] = {
        "case_type": "theft-victim",
        "title": "Phone stolen",
        "officer_id": officer.id,
    }
    values.update(kw)
    return service.create_case(**values)  # type: ignore[arg-type]


def test_references_are_sequential_per_year_and_type_is_validated(env: dict) -> None:
    service, officer = env["service"], env["users"]["off1"]
    first = _case(service, officer)
    second = _case(service, officer)
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    assert first.reference == f"FR-{year}-000001"
    assert second.reference == f"FR-{year}-000002"
    # 17:00 UTC on 31 December is already 1 January in Beijing: the station's year counts.
    late = _case(service, officer, opened_at=datetime(2024, 12, 31, 17, 0, tzinfo=UTC))
    assert late.reference == "FR-2025-000001"
    with pytest.raises(ValidationFailed) as caught:
        _case(service, officer, case_type="burglary")
    assert "case_type" in str(caught.value)
    with pytest.raises(ValidationFailed, match="title"):
        _case(service, officer, title="  ")
    assert service.get(first.reference.lower()) is first
    with pytest.raises(NotFound):
        service.get("FR-1999-000001")
    assert [c.reference for c in service.list_cases(officer_id=officer.id, limit=2)] == [
        second.reference,
        first.reference,
    ]
    with pytest.raises(ValidationFailed, match="status"):
        service.list_cases(status="pending")


def test_persons_nationality_languages_and_documents(env: dict) -> None:
    service, session = env["service"], env["session"]
    case = _case(service, env["users"]["off1"])
    person = service.add_person(
        case,
        role="victim",
        full_name="Marie DUPONT",
        nationality="fra",
        languages="fr, EN-gb",
        sex="f",
        date_of_birth=date(1990, 5, 1),
    )
    assert (person.nationality, person.languages, person.sex) == ("FRA", ["fr", "en-GB"], "F")
    german = service.add_person(case, role="witness", full_name="Hans", nationality="D<<")
    assert german.nationality == "DEU"
    stateless = service.add_person(case, role="other", full_name="X", nationality="XXA")
    assert stateless.nationality == "XXA"
    for field, kwargs in [
        ("nationality", {"nationality": "ZZZ"}),
        ("languages", {"languages": ["klingonese-x"]}),
        ("sex", {"sex": "Q"}),
        ("role", {"role": "bystander"}),
        ("full_name", {"full_name": ""}),
        ("date_of_birth", {"date_of_birth": date.today() + timedelta(days=2)}),
    ]:
        values = {"role": "victim", "full_name": "Someone", **kwargs}
        with pytest.raises(ValidationFailed) as caught:
            service.add_person(case, **values)
        assert str(caught.value).startswith(f"Invalid input: {field}:"), caught.value
    assert len(case.persons) == 3
    document = service.add_document(
        person, kind="passport", number="15ab12345", issuing_state="FRA", expiry=date(2030, 1, 1)
    )
    assert document.number == "15AB12345" and document.mrz_verified is False
    with pytest.raises(ValidationFailed, match="mrz_decision_id"):
        service.add_document(
            person, kind="passport", number="X1", mrz_verified=True, mrz_decision_id="0" * 16
        )
    with pytest.raises(ValidationFailed, match="mrz_verified"):
        service.add_document(person, kind="passport", number="X1", mrz_verified=True)
    # Person and document together: a bad document stores neither.
    before = session.scalar(select(func.count()).select_from(Person))
    with pytest.raises(ValidationFailed, match="doc_issuing_state"):
        service.add_person_with_document(
            case,
            person={
                "role": "victim",
                "full_name": "Ana",
                "nationality": "ESP",
                "languages": "es",
                "speaks_chinese": False,
                "sex": "",
                "date_of_birth": None,
                "contact": "",
            },
            document={
                "kind": "passport",
                "number": "P123",
                "issuing_state": "QQQ",
                "expiry": None,
                "mrz_verified": False,
                "mrz_decision_id": "",
                "image_sha256": "",
            },
        )
    session.flush()
    assert session.scalar(select(func.count()).select_from(Person)) == before
    # Names and document numbers are searchable.
    session.commit()
    assert [h.case_reference for h in search_cases(session, "dupont")] == [case.reference]
    assert [h.case_reference for h in search_cases(session, "15AB12345")] == [case.reference]


def test_events_are_entered_in_station_time_and_stored_in_utc(env: dict) -> None:
    service, session = env["service"], env["session"]
    case = _case(service, env["users"]["off1"])
    event = service.add_event(
        case,
        kind="detention",
        occurred_at=datetime(2026, 3, 1, 21, 30),
        recorded_by=env["users"]["off1"],
    )
    session.commit()
    session.expire_all()
    assert event.occurred_at == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    assert service.local(event.occurred_at).strftime("%H:%M") == "21:30"
    with pytest.raises(ValidationFailed, match="occurred_at"):
        service.add_event(
            case, kind="detention", occurred_at=datetime.now(UTC) + timedelta(minutes=10)
        )
    near = service.add_event(
        case, kind="reported", occurred_at=datetime.now(UTC) + timedelta(minutes=2)
    )
    assert near.id
    with pytest.raises(ValidationFailed, match="kind"):
        service.add_event(case, kind="arrested", occurred_at=datetime(2026, 3, 1))
    other = _case(service, env["users"]["off2"])
    stranger = service.add_person(other, role="victim", full_name="Other case")
    with pytest.raises(ValidationFailed, match="person_id"):
        service.add_event(
            case, kind="incident", occurred_at=datetime(2026, 3, 1), person_id=stranger.id
        )


def test_statements_keep_the_original_and_label_machine_translations(env: dict) -> None:
    service, session = env["service"], env["session"]
    officer, supervisor = env["users"]["off1"], env["users"]["sup"]
    case = _case(service, officer)
    person = service.add_person(case, role="victim", full_name="Lucía", languages="es")
    original = "  Me robaron el móvil\nen el metro.  "
    statement = service.add_statement(
        case,
        person_id=person.id,
        language="es",
        text=original,
        translation="我的手机在地铁被偷了。",
        translation_language="zh",
        translation_source="officer",
        taken_by=officer,
    )
    assert statement.text == original  # verbatim
    with pytest.raises(ValidationFailed, match="text"):
        service.add_statement(case, person_id=person.id, language="es", text="   ")
    with pytest.raises(ValidationFailed, match="text"):
        service.add_statement(case, person_id=person.id, language="es", text="x" * 20_001)
    with pytest.raises(ValidationFailed, match="language"):
        service.add_statement(case, person_id=person.id, language="spanish!", text="hola")
    with pytest.raises(ValidationFailed, match="translation_decision_id"):
        service.add_statement(
            case,
            person_id=person.id,
            language="es",
            text="hola",
            translation="hello",
            translation_language="en",
            translation_source="machine",
        )
    with pytest.raises(Conflict):
        service.review_translation(statement, reviewer_id=supervisor.id)
    with pytest.raises(ValidationFailed, match="translation_decision_id"):
        service.add_statement(
            case,
            person_id=person.id,
            language="es",
            text="hola",
            translation="hello",
            translation_language="en",
            translation_source="machine",
            translation_decision_id="f" * 16,
        )
    session.commit()  # the gateway writes the ledger in its own transaction
    decision = get_governance().gateway.invoke(
        Caller(user_id=officer.id, username=officer.username, roles=frozenset({"officer"})),
        GatewayRequest(
            capability_id="interpret.translate",
            purpose="case-handling",
            legal_basis="criminal-procedure-law",
            inputs={"text": "hola", "source": "es", "target": "en"},
        ),
    )
    machine = service.add_statement(
        case,
        person_id=person.id,
        language="es",
        text="hola",
        translation=decision.output["translation"],
        translation_language="en",
        translation_source="machine",
        translation_decision_id=decision.decision_id,
    )
    assert machine.translation_reviewed_by is None
    service.review_translation(machine, reviewer_id=supervisor, corrected="hello there")
    assert (machine.translation, machine.translation_reviewed_by) == ("hello there", supervisor.id)
    with pytest.raises(Conflict, match="already reviewed"):
        service.review_translation(machine, reviewer_id=supervisor)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Statement)) == 2
    assert search_cases(session, "metro")[0].kind == "statement"


def test_evidence_custody_detects_a_tampered_file(env: dict) -> None:
    service, session, blobs = env["service"], env["session"], env["blobs"]
    officer = env["users"]["off1"]
    case = _case(service, officer)
    item = service.add_evidence(
        case,
        description="CCTV still",
        data=b"\x89PNG fake image",
        filename="C:\\cam\\still.png",
        media_type="image/png",
        collected_by=officer,
    )
    physical = service.add_evidence(case, description="Wallet", data=None, collected_by=officer)
    assert (item.label, physical.label) == ("E-1", "E-2")
    assert item.filename == "still.png"
    assert [(c.action, c.hash_verified) for c in item.custody] == [("collected", True)]
    assert physical.custody[0].hash_verified is None and physical.sha256 == ""
    assert service.evidence_file(item) == b"\x89PNG fake image"
    service.record_custody(
        item, action="transferred", from_holder="Off1", to_holder="Lab", by_user=officer
    )
    with pytest.raises(ValidationFailed, match="to_holder"):
        service.record_custody(item, action="transferred", by_user=officer)
    with pytest.raises(ValidationFailed, match="action"):
        service.record_custody(item, action="collected", by_user=officer)
    with pytest.raises(ValidationFailed, match="file"):
        service.add_evidence(case, description="empty", data=b"", collected_by=officer)
    # Someone overwrites the stored file.
    blobs.path_for(item.sha256).write_bytes(b"tampered")
    step = service.record_custody(item, action="examined", note="lab check", by_user=officer)
    assert step.hash_verified is False
    assert service.verify_evidence(item) is False
    with pytest.raises(EvidenceTampered, match="no longer matches"):
        service.evidence_file(item)
    service.record_custody(item, action="returned", to_holder="owner", by_user=officer)
    with pytest.raises(Conflict, match="returned"):
        service.record_custody(item, action="examined", by_user=officer)
    session.commit()
    assert session.scalar(select(func.count()).select_from(CustodyEvent)) == 5


def test_tasks_status_and_access_rule(env: dict) -> None:
    service, users = env["service"], env["users"]
    case = _case(service, users["off1"])
    task = service.add_task(case, title="Notify consulate", due_at=datetime(2026, 3, 4, 9, 0))
    assert task.due_at == datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    service.complete_task(task, by_user=users["off1"])
    with pytest.raises(Conflict):
        service.complete_task(task, by_user=users["off1"])
    with pytest.raises(ValidationFailed, match="title"):
        service.add_task(case, title="")
    service.set_status(case, "closed", users["off1"])
    assert case.closed_at is not None
    service.set_status(case, "open", users["off1"])
    assert case.closed_at is None
    with pytest.raises(ValidationFailed, match="status"):
        service.set_status(case, "archived", users["off1"])
    assert service.can_view(case, users["off1"])
    assert service.can_view(case, users["sup"])
    assert not service.can_view(case, users["off2"])
    assert not service.can_view(case, users["int"])


def test_bad_time_zone_is_refused(env: dict) -> None:
    session: Session = env["session"]
    with pytest.raises(ValidationFailed, match="station_timezone"):
        CaseService(session, env["blobs"], "Mars/Olympus")
