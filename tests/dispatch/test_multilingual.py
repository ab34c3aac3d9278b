"""Multilingual intake: guided questions from the phrasebook, a language suggestion through the
gateway, and interpreter requests through the core object hook (dispatch never imports
interpret)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accord.core.contract import ObjectKindMissing, create_object, object_kind, phrase_text
from accord.core.errors import PermissionDenied, ValidationFailed
from accord.core.roles import Role
from accord.dispatch.service import Actor, DispatchService
from accord.dispatch.vocabulary import incident_types
from tests.dispatch.conftest import CENTRE
from tests.helpers import login


def test_questions_that_name_a_phrase_say_what_the_phrasebook_says() -> None:
    """The vocabulary repeats the zh/en text so dispatch works alone; it must not drift."""
    named = [(t.code, q) for t in incident_types().values() for q in t.questions if q.phrase]
    assert len(named) >= 10
    for code, question in named:
        zh, en = phrase_text(question.phrase, "zh"), phrase_text(question.phrase, "en")
        assert zh is not None and en is not None, (code, question.phrase)
        assert (zh.text, en.text) == (question.zh, question.en), (code, question.phrase)


def test_questions_come_in_the_callers_language_where_the_phrasebook_has_it(
        service: DispatchService) -> None:
    theft = service.intake_questions("theft", "ru-RU")
    assert theft[0]["zh"] == "东西是什么时候被偷的？"
    assert theft[0]["caller"]["language"] == "ru"
    assert theft[0]["caller"]["text"] == phrase_text("theft-when-happened", "ru").text
    assert theft[0]["caller"]["status"] in ("maintainer-draft", "verified")
    burglary = service.intake_questions("burglary", "ru")
    assert burglary[0]["caller"] is None and burglary[1]["caller"] is not None  # own question
    assert all(q["caller"] is None for q in service.intake_questions("theft", "fi"))
    assert all(q["caller"] is None for q in service.intake_questions("theft", "zh"))
    with pytest.raises(ValidationFailed, match="unknown incident type"):
        service.intake_questions("arson", "ru")


def test_core_refuses_to_create_a_kind_nobody_offers() -> None:
    with pytest.raises(ObjectKindMissing):
        create_object("no-such-kind", None, {})


def test_interpreter_request_from_an_incident(service: DispatchService, officer: Actor,
                                              make_user, database) -> None:  # type: ignore[no-untyped-def]
    incident = service.create_incident(officer, type_code="theft", lat=CENTRE[0],
                                       lon=CENTRE[1], language="ru")
    done = service.request_interpreter(officer, incident["reference"], "caller at the kiosk")
    assert done["request"].startswith("IR-") and done["language"] == "ru"
    kind = object_kind("interpreter-request")
    assert kind is not None
    with database.session() as session:
        assert kind.can_access(session, officer, done["request"]) is True
    timeline = service.incident(incident["reference"])["timeline"]
    assert [e["request"] for e in timeline if e["kind"] == "interpreter-requested"] == [
        done["request"]]
    # No language recorded: refused, nothing requested.
    quiet = service.create_incident(officer, type_code="noise", lat=CENTRE[0], lon=CENTRE[1])
    with pytest.raises(ValidationFailed, match="caller's language first"):
        service.request_interpreter(officer, quiet["reference"])
    other = make_user("interp.one", Role.INTERPRETER)
    with pytest.raises(PermissionDenied):
        service.request_interpreter(Actor(other.id, other.username, frozenset({"interpreter"})),
                                    incident["reference"])
    assert [e["kind"] for e in service.events_after(0)].count("interpreter-requested") == 1


def test_interpreter_request_and_its_incident_event_commit_together(
        service: DispatchService, officer: Actor, database,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The event is written in the request's transaction: when it cannot be written, no
    request is left behind (and no event without its request)."""
    from sqlalchemy import func, select

    from accord.interpret.interpreter_models import InterpreterRequest

    incident = service.create_incident(officer, type_code="theft", lat=CENTRE[0],
                                       lon=CENTRE[1], language="ru")
    real_event = DispatchService._event

    def failing(session, kind, actor, **kwargs):  # type: ignore[no-untyped-def]
        if kind == "interpreter-requested":
            raise RuntimeError("the event log is unavailable")
        return real_event(session, kind, actor, **kwargs)

    monkeypatch.setattr(DispatchService, "_event", staticmethod(failing))
    with pytest.raises(RuntimeError, match="event log"):
        service.request_interpreter(officer, incident["reference"])
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(InterpreterRequest)) == 0
    monkeypatch.setattr(DispatchService, "_event", staticmethod(real_event))
    done = service.request_interpreter(officer, incident["reference"])
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(InterpreterRequest)) == 1
    assert [e.get("request") for e in service.events_after(0)
            if e["kind"] == "interpreter-requested"] == [done["request"]]


def test_intake_page_suggests_a_language_and_shows_questions(
        client: TestClient, officer: Actor, service: DispatchService) -> None:
    csrf = login(client, officer.username)
    form = {"csrf_token": csrf, "type": "theft", "lat": "60.17", "lon": "24.94",
            "language": "", "narrative": "Здравствуйте, у меня на вокзале украли паспорт и "
                                         "кошелёк, пожалуйста помогите"}
    page = client.post("/dispatch/intake/language", data=form)
    assert page.status_code == 200, page.text
    assert "Suggestion: ru (Russian)" in page.text
    assert "Only a suggestion" in page.text
    assert 'name="language" maxlength="35" value=""' in page.text  # not filled in for them
    assert "东西是什么时候被偷的？" in page.text
    empty = client.post("/dispatch/intake/language", data={**form, "narrative": " "})
    assert empty.status_code == 422
    assert service.queue() == []  # nothing stored either way
    ru = client.post("/dispatch/intake/language", data={**form, "language": "ru"})
    assert phrase_text("theft-saw-thief", "ru").text in ru.text


def test_incident_page_requests_an_interpreter(client: TestClient, officer: Actor,
                                               service: DispatchService) -> None:
    csrf = login(client, officer.username)
    incident = service.create_incident(officer, type_code="lost-document", lat=CENTRE[0],
                                       lon=CENTRE[1], language="fi", source="walk-in")
    page = client.get(f"/dispatch/incidents/{incident['reference']}")
    assert "The phrasebook has no text in fi" in page.text
    done = client.post(f"/dispatch/incidents/{incident['reference']}/interpreter",
                       data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"/dispatch/incidents/{incident['reference']}")
    assert 'data-testid="interpreter-request"' in page.text and "IR-" in page.text
    long = client.post(f"/dispatch/incidents/{incident['reference']}/interpreter",
                       data={"csrf_token": csrf, "notes": "x" * 501})
    assert long.status_code == 422


def test_cli_requests_an_interpreter(accord_env, officer: Actor,
                                     service: DispatchService) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from accord.cli import app

    incident = service.create_incident(officer, type_code="theft", lat=CENTRE[0],
                                       lon=CENTRE[1], language="ar")
    done = CliRunner().invoke(app, ["dispatch", "incident", "interpreter",
                                    incident["reference"]],
                              env={"ACCORD_USER": officer.username})
    assert done.exit_code == 0, done.output
    assert "interpreter request IR-" in done.output and "(ar)" in done.output
