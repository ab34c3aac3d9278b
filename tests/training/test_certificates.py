"""Certificates gate capabilities: a user without a valid AI-literacy certificate is refused
the inconsistency hints with the course named and linked; after the course is completed (at the
console or through the lesson assessments) the call runs; an expired certificate closes it
again. Completion is ledgered as a training event carrying the user id and nothing else about
the person."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from accord.cli import app
from accord.core.db import Database, utcnow
from accord.core.gateway.models import LedgerEntry, UserCertificate
from accord.core.gateway.service import Caller, GatewayDenied, GatewayRequest
from accord.core.governance import get_governance
from accord.core.registry import build_registry
from accord.core.roles import Role
from accord.training.courses import course
from accord.training.models import TrainingPass
from tests.helpers import login

HINTS = GatewayRequest(
    capability_id="cases.inconsistency", purpose="case-handling",
    legal_basis="police-law-art-2",
    inputs={"text_a": "At 21:30 a man in a blue jacket took my phone.", "language_a": "en",
            "text_b": "At 22:15 a man in a red jacket took my phone.", "language_b": "en"})


def _invoke(user) -> object:  # type: ignore[no-untyped-def]
    caller = Caller(user.id, user.username, frozenset({"officer"}))
    return get_governance().gateway.invoke(caller, HINTS)


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, ["training", *args])


def test_the_registry_adds_the_courses_certificate_to_the_capability() -> None:
    hints = build_registry().get("cases.inconsistency")
    assert "ai-literacy" in hints.required_certificates
    # Without the training package's requirement the capability needs no certificate.
    from accord.core.contract import installed

    others = [p for p in installed() if p.name != "training"]
    assert build_registry(others).get("cases.inconsistency").required_certificates == set()


def test_refused_without_certificate_then_allowed_after_completing_the_course(
        make_user, database: Database, hints_cleared) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("wang.officer", Role.OFFICER)
    with pytest.raises(GatewayDenied) as refused:
        _invoke(officer)
    for language in ("en", "zh_Hans"):
        text = refused.value.reasons_in(language)
        assert "ai-literacy" in text and "/training/courses/ai-literacy" in text
    assert "AI literacy for officers" in refused.value.reasons_in("en")
    assert "警务人员人工智能素养" in refused.value.reasons_in("zh_Hans")

    done = _cli("complete", "ai-literacy", "--user", "wang.officer", "--json")
    assert done.exit_code == 0, done.output
    issued = json.loads(done.output)
    assert issued["valid"] and issued["certificate"] == "ai-literacy"

    result = _invoke(officer)
    assert result.output["hints"], result.output  # the model ran

    status = _cli("status", "--user", "wang.officer", "--json")
    assert status.exit_code == 0, status.output
    listed = {c["certificate"]: c for c in json.loads(status.output)["certificates"]}
    assert listed["ai-literacy"]["valid"] and listed["ai-literacy"]["expires_at"]
    assert listed["ai-literacy"]["required_for"] == ["cases.inconsistency"]
    assert not listed["digital-ethics"]["valid"] and listed["digital-ethics"]["issued_at"] is None

    # An expired certificate closes the capability again.
    with database.session() as session:
        session.execute(update(UserCertificate).values(expires_at=utcnow() - timedelta(days=1)))
    with pytest.raises(GatewayDenied) as expired:
        _invoke(officer)
    assert "/training/courses/ai-literacy" in expired.value.reasons_in("en")


def test_completion_is_a_training_event_with_the_user_id_only(
        make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("li.secretname", Role.OFFICER)
    assert _cli("complete", "communication", "--user", "li.secretname").exit_code == 0
    with database.session() as session:
        (entry,) = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "training-event"))
        body = json.loads(entry.body)
        (passed,) = session.scalars(select(TrainingPass))
    assert body["actor"] == f"user:{officer.id}" and body["event"] == "certificate-issued"
    assert body["course"]["id"] == "communication"
    assert body["course"]["digest"] == course("communication").digest
    assert "secretname" not in entry.body
    assert passed.ledger_seq == entry.seq and passed.channel == "cli"


def test_cli_refuses_unknown_courses_and_users_writing_nothing(
        make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    make_user("zhao.officer", Role.OFFICER)
    unknown = _cli("complete", "no-such-course", "--user", "zhao.officer")
    assert unknown.exit_code == 1 and "no-such-course" in unknown.output
    nobody = _cli("complete", "ai-literacy", "--user", "nobody")
    assert nobody.exit_code == 1 and "nobody" in nobody.output
    with database.session() as session:
        assert session.scalars(select(UserCertificate)).all() == []
        assert session.scalars(select(TrainingPass)).all() == []


def _answers(course_id: str, lesson_id: str, *, wrong: bool = False) -> dict[str, str]:
    lesson = course(course_id).lesson(lesson_id)
    return {f"q{i}": str((q.answer + 1) % len(q.choices) if wrong else q.answer)
            for i, q in enumerate(lesson.questions)}


def test_lessons_with_assessments_issue_the_certificate_when_all_are_passed(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    make_user("sun.officer", Role.OFFICER)
    csrf = login(client, "sun.officer")
    ethics = course("digital-ethics")
    page = client.get(f"{ethics.href}/lessons/refused-uses")
    assert page.status_code == 200
    assert 'data-testid="prohibited-uses"' in page.text and "watchlist" in page.text.lower()
    assert 'name="csrf_token"' in page.text

    url = f"{ethics.href}/lessons/minimisation"
    # No CSRF token: refused, nothing recorded.
    assert client.post(url, data=_answers("digital-ethics", "minimisation")).status_code == 403
    # Not every question answered: 422, nothing recorded.
    missing = client.post(url, data={"csrf_token": csrf})
    assert missing.status_code == 422 and "Answer every question" in missing.text
    with database.session() as session:
        assert session.scalars(select(TrainingPass)).all() == []
    # Wrong answers: recorded as not passed, no certificate.
    failed = client.post(url, data={**_answers("digital-ethics", "minimisation", wrong=True),
                                    "csrf_token": csrf})
    assert failed.status_code == 200 and "Not passed" in failed.text
    for lesson in ethics.lessons:
        response = client.post(f"{ethics.href}/lessons/{lesson.id}",
                               data={**_answers("digital-ethics", lesson.id), "csrf_token": csrf})
        assert response.status_code == 200 and "Passed" in response.text
    assert 'data-testid="certificate-issued"' in response.text
    certificates = client.get("/training/certificates")
    assert 'data-testid="certificate-digital-ethics"' in certificates.text
    row = certificates.text.split('data-testid="certificate-digital-ethics"')[1].split("</tr>")[0]
    assert ">valid<" in row
    with database.session() as session:
        passes = session.scalars(select(TrainingPass).order_by(TrainingPass.id)).all()
    assert [p.passed for p in passes] == [False, True, True, True, True]  # 3 lessons + course
    assert passes[-1].lesson_id == ""


def test_lesson_pages_show_model_cards_and_guidance_with_fact_status(
        client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("qian.officer", Role.OFFICER)
    login(client, "qian.officer")
    cards = client.get("/training/courses/ai-literacy/lessons/capabilities")
    assert cards.status_code == 200
    hints = build_registry().get("cases.inconsistency")
    assert hints.model is not None
    assert hints.model.measured_accuracy.split(" (")[0][:40] in cards.text.replace("&#39;", "'")
    steps = client.get("/training/courses/foreign-procedure/lessons/detention")
    assert steps.status_code == 200 and 'data-testid="guidance-steps"' in steps.text
    assert "Exit and Entry Administration Law Art. 60" in steps.text
    assert ">verified<" in steps.text
    assert client.get("/training/courses/nope").status_code == 404
    assert client.get("/training/courses/ai-literacy/lessons/nope").status_code == 404


def test_dashboard_warns_of_a_certificate_about_to_expire(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("zhou.officer", Role.OFFICER)
    login(client, "zhou.officer")
    assert 'data-testid="card-notice"' not in client.get("/").text
    with database.session() as session:
        session.add(UserCertificate(user_id=officer.id, name="ai-literacy",
                                    expires_at=utcnow() + timedelta(days=10)))
    page = client.get("/").text
    assert 'data-testid="card-notice"' in page and "ai-literacy" in page
    with database.session() as session:
        session.execute(update(UserCertificate).values(expires_at=utcnow() + timedelta(days=90)))
    assert 'data-testid="card-notice"' not in client.get("/").text


def test_hints_page_links_the_course_and_opens_after_it(
        client: TestClient, make_user, database: Database, accord_env,  # type: ignore[no-untyped-def]
        hints_cleared) -> None:
    from pathlib import Path

    from accord.cases.service import CaseService
    from accord.core.blobs import BlobStore

    officer = make_user("feng.officer", Role.OFFICER)
    with database.session() as session:
        blobs = BlobStore.for_state_dir(Path(accord_env["ACCORD_STATE_DIR"]))
        service = CaseService(session, blobs)
        case = service.create_case(case_type="theft-victim", title="Phone", officer_id=officer.id)
        for key in ("text_a", "text_b"):
            service.add_statement(case, person_id=None, language="en", text=HINTS.inputs[key])
        ref = case.reference
    login(client, "feng.officer")
    refused = client.get(f"/cases/{ref}/hints")
    assert refused.status_code == 200 and 'data-testid="hint"' not in refused.text
    assert 'data-testid="course-link"' in refused.text
    assert 'href="/training/courses/ai-literacy"' in refused.text
    assert _cli("complete", "ai-literacy", "--user", "feng.officer").exit_code == 0
    allowed = client.get(f"/cases/{ref}/hints")
    assert 'data-testid="course-link"' not in allowed.text and 'data-testid="hint"' in allowed.text
